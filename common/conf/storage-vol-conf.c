/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>

#include "error.h"
#include "storage-vol-conf.h"
#include "util.h"

static const char *const vol_types[_STORAGE_VOL_TYPE_MAX] = {
        [STORAGE_VOL_FILE] = "file",
        [STORAGE_VOL_BLOCK] = "block",
        [STORAGE_VOL_DIR] = "dir",
        [STORAGE_VOL_NETWORK] = "network",
        [STORAGE_VOL_NETDIR] = "netdir",
        [STORAGE_VOL_PLOOP] = "ploop",
};

const char *storage_vol_type_to_string(StorageVolType t) {
        return (unsigned) t < _STORAGE_VOL_TYPE_MAX ? vol_types[t] : NULL;
}

StorageVolDef *storage_vol_def_free(StorageVolDef *def) {
        if (!def)
                return NULL;
        free(def->name);
        free(def->key);
        for (size_t i = 0; i < def->n_source_devs; i++) {
                free(def->source_devs[i].path);
                free(def->source_devs[i].extents);
        }
        free(def->source_devs);
        free(def->path);
        storage_timestamps_done(&def->timestamps);
        free(def->compat);
        storage_vol_encryption_done(&def->encryption);
        free(def->backing_path);
        storage_timestamps_done(&def->backing_timestamps);
        free(def);
        return NULL;
}

/* Not object_name_is_valid(): that one keeps room for the files named
 * after a pool or a domain; a volume is one file name, nothing more. */
int storage_vol_name_check(const char *name, ConfError *err) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0)
                return xml_err_invalid(err, "volume name must not be empty");
        if (strchr(name, '/'))
                return xml_err_invalid(err, "volume name '%s' cannot contain '/'", name);
        if (streq(name, ".") || streq(name, ".."))
                return xml_err_invalid(err, "volume name '%s' is not allowed", name);
        if (n > NAME_MAX)
                return xml_err_invalid(err, "volume name '%s' is too long: %zu bytes, a file name has at most %d",
                                       name, n, NAME_MAX);
        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return xml_err_invalid(err, "volume name '%s' contains a control character", name);
        return 0;
}

/* ---- parsing -------------------------------------------------------------- */

static int parse_name(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &def->name, err);
        if (r < 0)
                return r;
        return storage_vol_name_check(def->name, err);
}

static int parse_key(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &def->key, err);
        return r < 0 ? r : 0;
}

static int parse_capacity(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        def->has_capacity = true;
        return storage_parse_bytes(n, path, &def->capacity, err);
}

static int parse_allocation(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        def->has_allocation = true;
        return storage_parse_bytes(n, path, &def->allocation, err);
}

static int parse_physical(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        def->has_physical = true;
        return storage_parse_bytes(n, path, &def->physical, err);
}

static int parse_extent(StorageVolSourceDev *dev, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolExtent e = {}, *a;
        int r = XML_CHECK_ATTRS(n, path, err, "start", "end");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0 && (r = xml_attr_ullong(n, path, "start", &e.start, err)) == 0)
                return xml_err_xml(err, "missing attribute 'start' of <%s>", path);
        if (r >= 0 && (r = xml_attr_ullong(n, path, "end", &e.end, err)) == 0)
                return xml_err_xml(err, "missing attribute 'end' of <%s>", path);
        if (r < 0)
                return r;
        if (e.end < e.start)
                return xml_err_invalid(err, "extent end %" PRIu64 " is before its start %" PRIu64 " in <%s>", e.end,
                                       e.start, path);
        a = realloc(dev->extents, (dev->n_extents + 1) * sizeof(*a));
        if (!a)
                return xml_err_oom(err);
        dev->extents = a;
        dev->extents[dev->n_extents++] = e;
        return 0;
}

static int parse_source_device(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        StorageVolSourceDev *a, *dev;
        int r = XML_CHECK_ATTRS(n, path, err, "path");

        if (r < 0)
                return r;
        a = realloc(def->source_devs, (def->n_source_devs + 1) * sizeof(*a));
        if (!a)
                return xml_err_oom(err);
        def->source_devs = a;
        dev = &def->source_devs[def->n_source_devs++];
        *dev = (StorageVolSourceDev) {};
        r = xml_attr_str_required(n, path, "path", &dev->path, err);
        if (r < 0)
                return r;
        if (!str_is_abs_path(dev->path))
                return xml_err_invalid(err, "device path '%s' of <%s> must be absolute", dev->path, path);
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "extent");
                if (!xml_is(c, "extent"))
                        return xml_unsupported_element(c, path, err);
                r = parse_extent(dev, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_source(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = { { "device", parse_source_device } };
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        def->has_source = true;
        return r < 0 ? r : storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
}

static int parse_target_path(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_abs_path(n, path, &((StorageVolDef *) obj)->path, err);
}

static int parse_target_format(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_format(n, path, &((StorageVolDef *) obj)->format, err);
}

static int parse_target_perms(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_perms(&((StorageVolDef *) obj)->perms, n, path, err);
}

static int parse_target_timestamps(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_timestamps(&((StorageVolDef *) obj)->timestamps, n, path, err);
}

static int parse_encryption(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_vol_encryption_parse(&((StorageVolDef *) obj)->encryption, n, path, err);
}

static int parse_compat(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &def->compat, err);
        if (r < 0)
                return r;
        str_strip(def->compat);
        /* qemu-img knows these two; the schema's pattern allows more. */
        if (!streq(def->compat, "0.10") && !streq(def->compat, "1.1"))
                return xml_err_unsupported(err, "compat '%s' of <%s> is not supported (0.10 or 1.1)", def->compat,
                                           path);
        return 0;
}

static int parse_nocow(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        def->nocow = true;
        return r < 0 ? r : 0;
}

static int parse_cluster_size(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        StorageVolDef *def = obj;
        int r = storage_parse_bytes(n, path, &def->cluster_size, err);

        if (r < 0)
                return r;
        /* qcow2's limits: a power of two from 512 bytes to 2 MiB. */
        if (def->cluster_size < 512 || def->cluster_size > 2 * 1024 * 1024 ||
            (def->cluster_size & (def->cluster_size - 1)))
                return xml_err_invalid(err, "cluster size %" PRIu64 " of <%s> must be a power of two from 512 "
                                       "bytes to 2 MiB", def->cluster_size, path);
        return 0;
}

static int parse_flag(bool *slot, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        *slot = true;
        return r < 0 ? r : 0;
}

static int parse_lazy_refcounts(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_flag(&((StorageVolDef *) obj)->lazy_refcounts, n, path, err);
}

static int parse_extended_l2(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_flag(&((StorageVolDef *) obj)->extended_l2, n, path, err);
}

static int parse_features(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "lazy_refcounts", parse_lazy_refcounts, true },
                { "extended_l2", parse_extended_l2, true },
        };
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        def->has_features = true;
        return r < 0 ? r : storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
}

static int parse_target(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "path", parse_target_path, true },
                { "format", parse_target_format, true },
                { "permissions", parse_target_perms, true },
                { "timestamps", parse_target_timestamps, true },
                { "encryption", parse_encryption, true },
                { "compat", parse_compat, true },
                { "nocow", parse_nocow, true },
                { "clusterSize", parse_cluster_size, true },
                { "features", parse_features, true },
        };
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        return r < 0 ? r : storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
}

static int parse_backing_path(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_abs_path(n, path, &((StorageVolDef *) obj)->backing_path, err);
}

static int parse_backing_format(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_format(n, path, &((StorageVolDef *) obj)->backing_format, err);
}

static int parse_backing_perms(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_perms(&((StorageVolDef *) obj)->backing_perms, n, path, err);
}

static int parse_backing_timestamps(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        return storage_parse_timestamps(&((StorageVolDef *) obj)->backing_timestamps, n, path, err);
}

static int parse_backing(void *obj, xmlNodePtr n, const char *path, ConfError *err) {
        static const StorageChildParser table[] = {
                { "path", parse_backing_path, true },
                { "format", parse_backing_format, true },
                { "permissions", parse_backing_perms, true },
                { "timestamps", parse_backing_timestamps, true },
        };
        StorageVolDef *def = obj;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = storage_parse_children(obj, n, path, table, ELEMENTSOF(table), err);
        if (r < 0)
                return r;
        if (!def->backing_path)
                return xml_err_xml(err, "missing element <%s/path>", path);
        return 0;
}

static int parse_type(StorageVolDef *def, xmlNodePtr root, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r, t;

        r = XML_CHECK_ATTRS(root, "volume", err, "type");
        if (r >= 0)
                r = xml_attr_str(root, "volume", "type", &type, err);
        if (r <= 0)
                return r;
        t = table_lookup(vol_types, _STORAGE_VOL_TYPE_MAX, type);
        if (t != STORAGE_VOL_FILE && t != STORAGE_VOL_BLOCK)
                return xml_err_unsupported(err, "volume type '%s' is not supported (file or block)", type);
        def->type = (StorageVolType) t;
        def->type_given = true;
        return 0;
}

int storage_vol_def_parse(const char *xml, size_t len, StorageVolDef **ret, ConfError *err) {
        static const StorageChildParser table[] = {
                { "name", parse_name, true },
                { "key", parse_key, true },
                { "source", parse_source, true },
                { "capacity", parse_capacity, true },
                { "allocation", parse_allocation, true },
                { "physical", parse_physical, true },
                { "target", parse_target, true },
                { "backingStore", parse_backing, true },
        };
        _cleanup_(storage_vol_def_freep) StorageVolDef *def = calloc(1, sizeof(*def));
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlNodePtr root;
        int r;

        if (!def)
                return xml_err_oom(err);
        r = xml_read_document(xml, len, "volume", &doc, err);
        if (r < 0)
                return r;
        root = xmlDocGetRootElement(doc);
        r = parse_type(def, root, err);
        if (r >= 0)
                r = storage_parse_children(def, root, "", table, ELEMENTSOF(table), err);
        if (r < 0)
                return r;
        if (!def->name)
                return xml_err_xml(err, "missing element <name>");
        /* <target> is required by the schema, but libvirt (and virsh
         * vol-create-as) take a volume without one: the defaults. */
        *ret = TAKE_PTR(def);
        return 0;
}

/* ---- formatting ----------------------------------------------------------- */

static void format_format(XmlWriter *w, StorageFormat f) {
        const char *s = storage_format_to_string(f);

        if (!s)
                return;
        xw_start(w, "format");
        xw_attr(w, "type", s);
        xw_end(w);
}

static void format_source(XmlWriter *w, const StorageVolDef *def) {
        if (!def->has_source && def->n_source_devs == 0)
                return;
        xw_start(w, "source");
        for (size_t i = 0; i < def->n_source_devs; i++) {
                const StorageVolSourceDev *d = &def->source_devs[i];

                xw_start(w, "device");
                xw_attr(w, "path", d->path);
                for (size_t j = 0; j < d->n_extents; j++) {
                        xw_start(w, "extent");
                        xw_attrf(w, "start", "%" PRIu64, d->extents[j].start);
                        xw_attrf(w, "end", "%" PRIu64, d->extents[j].end);
                        xw_end(w);
                }
                xw_end(w);
        }
        xw_end(w);
}

static void format_target(XmlWriter *w, const StorageVolDef *def) {
        xw_start(w, "target");
        xw_element(w, "path", def->path);
        format_format(w, def->format);
        storage_format_perms(w, &def->perms);
        storage_format_timestamps(w, &def->timestamps);
        storage_vol_encryption_format(w, &def->encryption);
        xw_element(w, "compat", def->compat);
        if (def->nocow)
                xw_empty(w, "nocow");
        if (def->cluster_size) {
                xw_start(w, "clusterSize");
                xw_attr(w, "unit", "B");
                xw_textf(w, "%" PRIu64, def->cluster_size);
                xw_end(w);
        }
        if (def->has_features || def->lazy_refcounts || def->extended_l2) {
                xw_start(w, "features");
                if (def->lazy_refcounts)
                        xw_empty(w, "lazy_refcounts");
                if (def->extended_l2)
                        xw_empty(w, "extended_l2");
                xw_end(w);
        }
        xw_end(w);
}

int storage_vol_def_format(const StorageVolDef *def, char **ret) {
        XmlWriter w = {};

        xw_start(&w, "volume");
        xw_attr(&w, "type", storage_vol_type_to_string(def->type));
        xw_element(&w, "name", def->name);
        xw_element(&w, "key", def->key);
        format_source(&w, def);
        if (def->has_capacity)
                storage_format_size(&w, "capacity", def->capacity);
        if (def->has_allocation)
                storage_format_size(&w, "allocation", def->allocation);
        if (def->has_physical)
                storage_format_size(&w, "physical", def->physical);
        format_target(&w, def);
        if (def->backing_path) {
                xw_start(&w, "backingStore");
                xw_element(&w, "path", def->backing_path);
                format_format(&w, def->backing_format);
                storage_format_perms(&w, &def->backing_perms);
                storage_format_timestamps(&w, &def->backing_timestamps);
                xw_end(&w);
        }
        xw_end(&w);
        return xw_finish(&w, ret);
}
