/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "error.h"
#include "storage-pool-conf.h"
#include "util.h"
#include "uuid.h"

static const char *const pool_types[_STORAGE_POOL_TYPE_MAX] = {
        [STORAGE_POOL_DIR] = "dir",
        [STORAGE_POOL_FS] = "fs",
        [STORAGE_POOL_NETFS] = "netfs",
        [STORAGE_POOL_LOGICAL] = "logical",
        [STORAGE_POOL_DISK] = "disk",
        [STORAGE_POOL_ISCSI] = "iscsi",
        [STORAGE_POOL_SCSI] = "scsi",
        [STORAGE_POOL_MPATH] = "mpath",
        [STORAGE_POOL_RBD] = "rbd",
        [STORAGE_POOL_SHEEPDOG] = "sheepdog",
        [STORAGE_POOL_GLUSTER] = "gluster",
        [STORAGE_POOL_ZFS] = "zfs",
        [STORAGE_POOL_VSTORAGE] = "vstorage",
        [STORAGE_POOL_ISCSI_DIRECT] = "iscsi-direct",
};

const char *const storage_pool_fs_formats[] = {
        "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs",
};
const size_t storage_pool_n_fs_formats = ELEMENTSOF(storage_pool_fs_formats);

static const char *const logical_formats[] = { "unknown", "lvm2" };

const char *storage_pool_type_to_string(StoragePoolType t) {
        return (unsigned) t < _STORAGE_POOL_TYPE_MAX ? pool_types[t] : NULL;
}

int storage_pool_type_from_string(const char *s) {
        int i = table_lookup(pool_types, _STORAGE_POOL_TYPE_MAX, s);
        return i < 0 ? -EINVAL : i;
}

bool storage_pool_type_is_supported(StoragePoolType t) {
        return t == STORAGE_POOL_DIR || t == STORAGE_POOL_FS || t == STORAGE_POOL_LOGICAL;
}

StoragePoolDef *storage_pool_def_free(StoragePoolDef *def) {
        if (!def)
                return NULL;
        free(def->name);
        free(def->source_name);
        strv_free(def->source_devices);
        free(def->source_format);
        free(def->target_path);
        free(def);
        return NULL;
}

/* ---- parsing -------------------------------------------------------------- */

static int parse_name(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &def->name, err);
        if (r < 0)
                return r;
        /* The name is a file name under confdir. */
        if (!object_name_is_valid(def->name) || str_has_newline(def->name))
                return xml_err_invalid(err, "invalid pool name '%s': 1 to %d bytes, no '/', no control "
                                       "characters, not '.' or '..'", def->name, OBJECT_NAME_MAX);
        return 0;
}

static int parse_uuid_elem(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        _cleanup_free_ char *s = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        str_strip(s);
        if (uuid_parse(s, def->uuid) < 0)
                return xml_err_invalid(err, "invalid <uuid> '%s'", s);
        return 0;
}

static int parse_size(uint64_t *slot, StoragePoolDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = storage_parse_bytes(n, path, slot, err);

        if (r >= 0)
                def->has_sizes = true;
        return r;
}

static int parse_capacity(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_size(&((StoragePoolDef *) obj)->capacity, obj, n, path, err);
}

static int parse_allocation(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_size(&((StoragePoolDef *) obj)->allocation, obj, n, path, err);
}

static int parse_available(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_size(&((StoragePoolDef *) obj)->available, obj, n, path, err);
}

static int parse_cow(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        bool b = false;
        int r = XML_CHECK_ATTRS(n, path, err, "state");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_bool(n, path, "state", "yes", "no", &b, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'state' of <%s>", path);
        def->cow = b;
        return 0;
}

static int parse_features(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = { { "cow", parse_cow, true } };
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        return r < 0 ? r : storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
}

static int parse_source_name(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &def->source_name, err);
        if (r < 0)
                return r;
        str_strip(def->source_name);
        if (!object_name_is_valid(def->source_name))
                return xml_err_invalid(err, "invalid <%s> '%s'", path, def->source_name);
        return 0;
}

static int parse_source_device(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        _cleanup_free_ char *dev = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, "path");

        /* <freeExtent> children and part_separator belong to disk pools. */
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "path", &dev, err);
        if (r < 0)
                return r;
        if (!str_is_abs_path(dev))
                return xml_err_invalid(err, "device path '%s' of <%s> must be absolute", dev, path);
        for (char **d = def->source_devices; d && *d; d++)
                if (streq(*d, dev))
                        return xml_err_invalid(err, "device '%s' is given twice in <%s>", dev, path);
        return strv_consume(&def->source_devices, TAKE_PTR(dev)) < 0 ? xml_err_oom(err) : 0;
}

static int parse_source_format(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        bool fs = def->type == STORAGE_POOL_FS;
        int r = XML_CHECK_ATTRS(n, path, err, "type");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", fs ? storage_pool_fs_formats : logical_formats,
                                    fs ? storage_pool_n_fs_formats : ELEMENTSOF(logical_formats),
                                    &def->source_format, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_source(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser dir_table[] = { { NULL } };
        static const StorageChildParser fs_table[] = {
                { "device", parse_source_device, true },
                { "format", parse_source_format, true },
        };
        static const StorageChildParser logical_table[] = {
                { "name", parse_source_name, true },
                { "device", parse_source_device },
                { "format", parse_source_format, true },
        };
        StoragePoolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r < 0)
                return r;
        switch (def->type) {
        case STORAGE_POOL_FS:
                return storage_parse_children(def, n, path, fs_table, ELEMENTSOF(fs_table), err);
        case STORAGE_POOL_LOGICAL:
                return storage_parse_children(def, n, path, logical_table, ELEMENTSOF(logical_table), err);
        default:
                return storage_parse_children(def, n, path, dir_table, 0, err);
        }
}

static int parse_target_path(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StoragePoolDef *def = obj;
        int r = storage_parse_abs_path(n, path, &def->target_path, err);

        if (r < 0)
                return r;
        /* Several pools on one directory are found by comparing these. */
        if (!path_is_normalized_absolute(def->target_path))
                return xml_err_invalid(err, "target path '%s' is not normalized (no '.', '..', '//' "
                                       "or trailing '/')", def->target_path);
        return 0;
}

static int parse_target_perms(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_perms(&((StoragePoolDef *) obj)->target_perms, n, path, err);
}

static int parse_target(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "path", parse_target_path, true },
                { "permissions", parse_target_perms, true },
        };
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        return r < 0 ? r : storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
}

static int parse_type(StoragePoolDef *def, xmlNodePtr root, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r, t;

        r = XML_CHECK_ATTRS(root, "pool", err, "type");
        if (r >= 0)
                r = xml_attr_str_required(root, "pool", "type", &type, err);
        if (r < 0)
                return r;
        t = storage_pool_type_from_string(type);
        if (t < 0)
                return xml_err_unsupported(err, "unknown storage pool type '%s'", type);
        if (!storage_pool_type_is_supported((StoragePoolType) t))
                return xml_err_unsupported(err, "storage pool type '%s' is not supported (only dir, fs and logical)",
                                           type);
        def->type = (StoragePoolType) t;
        return 0;
}

static int has_child(xmlNodePtr n, const char *name) {
        XML_FOREACH_ELEMENT(c, n)
                if (xml_is(c, name))
                        return true;
        return false;
}

/* An LVM volume group name (LVM's rules: at most 127 of [a-zA-Z0-9+_.-],
 * not starting with '-'). It becomes an argument of vgs, vgchange and
 * vgremove: checked here, so that a definition read back from a file
 * cannot pass an option to them either. */
static bool vg_name_is_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= 127 && s[0] != '-' && !streq(s, ".") && !streq(s, "..") &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") == n;
}

/* What the schema requires per type, and libvirt's defaults. */
static int check_required(StoragePoolDef *def, xmlNodePtr root, ConfError *err) {
        size_t n_dev = strv_length(def->source_devices);

        if (def->type == STORAGE_POOL_LOGICAL) {
                if (!def->name && !def->source_name)
                        return xml_err_xml(err, "missing element <name> (or <source/name>)");
                if (!def->name && !(def->name = strdup(def->source_name)))
                        return xml_err_oom(err);
                if (!def->source_name && !(def->source_name = strdup(def->name)))
                        return xml_err_oom(err);
                if (!vg_name_is_valid(def->source_name))
                        return xml_err_invalid(err,
                                               "invalid volume group name '%s': at most 127 characters of "
                                               "[a-zA-Z0-9+_.-], not starting with '-'",
                                               def->source_name);
                if (!def->target_path && asprintf(&def->target_path, "/dev/%s", def->source_name) < 0)
                        return xml_err_oom(err);
                if (!has_child(root, "source"))
                        return xml_err_xml(err, "missing element <source>");
                if (!has_child(root, "target"))
                        return xml_err_xml(err, "missing element <target>");
                return 0;
        }
        if (!def->name)
                return xml_err_xml(err, "missing element <name>");
        if (!def->target_path)
                return xml_err_xml(err, "missing element <target/path>");
        if (def->type == STORAGE_POOL_FS && n_dev != 1)
                return xml_err_xml(err, "a pool of type 'fs' needs exactly one <source/device>");
        return 0;
}

int storage_pool_def_parse(const char *xml, size_t len, StoragePoolDef **ret, ConfError *err) {
        static const StorageChildParser table[] = {
                { "name", parse_name, true },
                { "uuid", parse_uuid_elem, true },
                { "capacity", parse_capacity, true },
                { "allocation", parse_allocation, true },
                { "available", parse_available, true },
                { "features", parse_features, true },
                { "source", parse_source, true },
                { "target", parse_target, true },
        };
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = calloc(1, sizeof(*def));
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;
        int r;

        if (!def)
                return xml_err_oom(err);
        def->cow = -1;
        r = xml_read_document(xml, len, "pool", &doc, err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        r = parse_type(def, root, err);
        if (r >= 0)
                r = storage_parse_children(def, root, "", table, ELEMENTSOF(table), err);
        if (r >= 0)
                r = check_required(def, root, err);
        if (r < 0)
                return r;
        if (!has_child(root, "uuid") && uuid_generate(def->uuid) < 0)
                return conf_fail(err, VB_ERROR_INTERNAL, "cannot generate a uuid");
        *ret = TAKE_PTR(def);
        return 0;
}

/* ---- formatting ----------------------------------------------------------- */

static void format_source(XmlWriter *w, const StoragePoolDef *def) {
        xw_start(w, "source");
        if (def->type == STORAGE_POOL_LOGICAL)
                xw_element(w, "name", def->source_name);
        for (char **d = def->source_devices; d && *d; d++) {
                xw_start(w, "device");
                xw_attr(w, "path", *d);
                xw_end(w);
        }
        if (def->source_format) {
                xw_start(w, "format");
                xw_attr(w, "type", def->source_format);
                xw_end(w);
        }
        xw_end(w);
}

int storage_pool_def_format(const StoragePoolDef *def, unsigned flags, char **ret) {
        XmlWriter w = {};
        char uuid[UUID_STRING_MAX];

        xw_start(&w, "pool");
        xw_attr(&w, "type", storage_pool_type_to_string(def->type));
        xw_element(&w, "name", def->name);
        xw_element(&w, "uuid", uuid_format(def->uuid, uuid));
        if (!(flags & STORAGE_POOL_FORMAT_INACTIVE) && def->has_sizes) {
                storage_format_size(&w, "capacity", def->capacity);
                storage_format_size(&w, "allocation", def->allocation);
                storage_format_size(&w, "available", def->available);
        }
        if (def->cow >= 0) {
                xw_start(&w, "features");
                xw_start(&w, "cow");
                xw_attr(&w, "state", def->cow ? "yes" : "no");
                xw_end(&w);
                xw_end(&w);
        }
        format_source(&w, def);
        xw_start(&w, "target");
        xw_element(&w, "path", def->target_path);
        storage_format_perms(&w, &def->target_perms);
        xw_end(&w);
        xw_end(&w);
        return xw_finish(&w, ret);
}

int storage_pool_def_copy(const StoragePoolDef *def, StoragePoolDef **ret) {
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};
        int r;

        /* Formatting and parsing back is a fixed point (the unit tests check
         * it), so it makes a faithful deep copy. */
        r = storage_pool_def_format(def, 0, &xml);
        if (r < 0)
                return r;
        return storage_pool_def_parse(xml, strlen(xml), ret, &err);
}
