/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <filesystem>: a host directory, block device, image file or tmpfs
 * mounted inside a container (type mount, block, file, ram), or a host
 * directory a machine sees through virtio-9p (the target dir is its tag). */
#include <inttypes.h>

#include "domain-conf-internal.h"

/* The <source> attribute holding each type's path. */
static const char *const source_attr[_DOMAIN_FS_MAX] = {
        [DOMAIN_FS_MOUNT] = "dir",
        [DOMAIN_FS_BLOCK] = "dev",
        [DOMAIN_FS_FILE] = "file",
};

/* <source usage='' units=''/> of a ram filesystem: its size, KiB by default. */
static int parse_source_usage(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *units = NULL;
        uint64_t usage = 0, scale;
        int r;

        r = xml_attr_ullong(n, path, "usage", &usage, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'usage' of <%s> of a filesystem of type 'ram'", path);
        r = xml_attr_str(n, path, "units", &units, err);
        if (r < 0)
                return r;
        if (unit_scale(units, &scale) < 0)
                return xml_err_invalid(err, "invalid unit '%s' of attribute 'units' of <%s>", units, path);
        if (scale_to_kib(usage, scale, &fs->usage_kib) < 0)
                return xml_err_invalid(err, "value '%" PRIu64 "' of attribute 'usage' of <%s> is too large",
                                       usage, path);
        if (fs->usage_kib == 0)
                return xml_err_invalid(err, "value '0' of attribute 'usage' of <%s> must be more than 0", path);
        return 0;
}

/* <source socket=''/>: a virtiofsd started by someone else, listening there
 * (the schema's choice: a directory or a socket, not both). */
static int parse_source_socket(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        if (xmlHasProp(n, BAD_CAST "dir"))
                return xml_err_xml(err, "<%s> takes either attribute 'dir' or 'socket', not both", path);
        r = xml_attr_str(n, path, "socket", &fs->sock, err);
        if (r >= 0)
                r = domain_check_abs_path(fs->sock, "attribute 'socket' of", path, err);
        return r < 0 ? r : 0;
}

static int parse_source(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        const char *attr = source_attr[fs->type];
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        if (fs->type == DOMAIN_FS_RAM)
                r = XML_CHECK_ATTRS(n, path, err, "usage", "units");
        else if (fs->type == DOMAIN_FS_MOUNT)
                r = XML_CHECK_ATTRS(n, path, err, attr, "socket");
        else
                r = XML_CHECK_ATTRS(n, path, err, attr);
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (fs->type == DOMAIN_FS_RAM)
                return parse_source_usage(fs, n, path, err);
        if (xmlHasProp(n, BAD_CAST "socket"))
                return parse_source_socket(fs, n, path, err);

        r = xml_attr_str(n, path, attr, &fs->src, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute '%s' of <%s> of a filesystem of type '%s'", attr, path,
                                   domain_fs_type_to_string(fs->type));
        /* a directory may be the host's root (the schema's absDirPath); a file or device not */
        if (fs->type == DOMAIN_FS_MOUNT ? fs->src[0] != '/' || str_has_newline(fs->src) : !str_is_abs_path(fs->src))
                return xml_err_invalid(err, "attribute '%s' of <%s> must be an absolute path, not '%s'", attr, path,
                                       fs->src);
        return 0;
}

static int parse_target(DomainFsDef *fs, bool container, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "dir");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "dir", &fs->dst, err);
        if (r < 0)
                return r;
        /* where inside the container: a mount point ('/' for the root), whatever the
         * driver; a machine's is a tag the guest mounts by */
        if ((container && fs->dst[0] != '/') || str_has_newline(fs->dst))
                return xml_err_invalid(err, "attribute 'dir' of <%s> must be an absolute path, not '%s'", path,
                                       fs->dst);
        return 0;
}

static int parse_readonly(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        fs->readonly = true;
        return 0;
}

/* <driver type='virtiofs' queue=''/>: the queue size of vhost-user-fs; the
 * schema has queue with that type only. */
static int parse_driver_queue(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        fs->virtiofs = streq_ptr(fs->driver_type, "virtiofs");
        if (!xmlHasProp(n, BAD_CAST "queue"))
                return 0;
        if (!fs->virtiofs)
                return xml_err_unsupported(err, "attribute 'queue' of <%s> is only for type 'virtiofs'", path);
        r = xml_attr_ullong(n, path, "queue", &fs->queue, err);
        if (r >= 0 && fs->queue > UINT32_MAX)
                return xml_err_invalid(err, "value '%" PRIu64 "' of attribute 'queue' of <%s> is too large",
                                       fs->queue, path);
        return r < 0 ? r : 0;
}

/* <driver type='' format='' wrpolicy='' queue=''/> */
static int parse_driver(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const types[] = { "path", "handle", "loop", "nbd", "ploop", "virtiofs" };
        static const char *const wrpolicies[] = { "immediate" };
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "format", "wrpolicy", "queue", DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r >= 0)
                r = xml_attr_choice(n, path, "wrpolicy", wrpolicies, ELEMENTSOF(wrpolicies), &fs->driver_wrpolicy,
                                    err);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, &fs->virtio, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", types, ELEMENTSOF(types), &fs->driver_type, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "format", &fs->driver_format, err);
        if (r > 0)
                r = domain_check_charset(fs->driver_format, "abcdefghijklmnopqrstuvwxyz0123456789-",
                                         "attribute 'format' of", path, err);
        if (r >= 0)
                r = parse_driver_queue(fs, n, path, err);
        return r < 0 ? r : 0;
}

/* <filesystem fmode='0644' dmode='0755'>: permission bits, octal (the schema's 0?[0-7]{3}). */
static int parse_mode(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        size_t len;
        int r;

        r = xml_attr_str(n, path, attr, &s, err);
        if (r <= 0)
                return r;
        len = strlen(s);
        if ((len != 3 && !(len == 4 && s[0] == '0')) || strspn(s, "01234567") != len)
                return xml_err_invalid(err, "value '%s' of attribute '%s' of <%s> is not an octal mode "
                                       "(0644, 755...)", s, attr, path);
        *ret = (unsigned) strtoul(s, NULL, 8);
        return 0;
}

static int parse_fs_attrs(DomainFsDef *fs, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const multidevs[] = { "default", "remap", "forbid", "warn" };
        static const char *const models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "accessmode", "fmode", "dmode", "multidevs", "model");
        if (r >= 0)
                r = xml_attr_choice(n, path, "model", models, ELEMENTSOF(models), &fs->model, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "type", domain_fs_type, &fs->type, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "accessmode", domain_fs_access_mode, &fs->accessmode, err);
        if (r >= 0)
                r = parse_mode(n, path, "fmode", &fs->fmode, err);
        if (r >= 0)
                r = parse_mode(n, path, "dmode", &fs->dmode, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "multidevs", multidevs, ELEMENTSOF(multidevs), &fs->multidevs, err);
        return r < 0 ? r : 0;
}

int domain_parse_fs(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = { "source", "target", "readonly", "alias", "driver", "address",
                                                "binary", "boot" };
        DomainFsDef *fs;
        bool has_source = false, has_target = false;
        int r;

        r = LIST_APPEND(def->filesystems, def->n_filesystems, &fs, path, err);
        if (r < 0)
                return r;
        r = parse_fs_attrs(fs, n, path, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "source")) {
                        r = parse_source(fs, c, sub, err);
                        has_source = true;
                } else if (xml_is(c, "target")) {
                        r = parse_target(fs, def->virt_type == DOMAIN_VIRT_LXC, c, sub, err);
                        has_target = true;
                } else if (xml_is(c, "readonly"))
                        r = parse_readonly(fs, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_driver(fs, c, sub, err);
                else if (xml_is(c, "binary"))
                        r = domain_parse_fs_binary(fs, c, sub, err);
                else if (xml_is(c, "boot"))
                        r = domain_parse_boot_order(c, sub, &fs->boot_order, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &fs->addr, err);
                else
                        r = domain_parse_alias(c, sub, &fs->alias, err);
                if (r < 0)
                        return r;
        }
        if (!has_source)
                return xml_err_xml(err, "missing element <%s/source> of a filesystem of type '%s'", path,
                                   domain_fs_type_to_string(fs->type));
        if (!has_target)
                return xml_err_xml(err, "missing element <%s/target>", path);
        return 0;
}

void domain_format_fs(XmlWriter *w, const DomainFsDef *fs, unsigned flags) {
        xw_start(w, "filesystem");
        xw_attr(w, "type", domain_fs_type_to_string(fs->type));
        xw_attr(w, "accessmode", domain_fs_access_mode_to_string(fs->accessmode));
        xw_attr(w, "model", fs->model);
        if (fs->fmode)
                xw_attrf(w, "fmode", "%04o", fs->fmode);
        if (fs->dmode)
                xw_attrf(w, "dmode", "%04o", fs->dmode);
        xw_attr(w, "multidevs", fs->multidevs);
        if (fs->driver_type || fs->driver_format || fs->driver_wrpolicy || domain_virtio_opts_set(&fs->virtio)) {
                xw_start(w, "driver");
                xw_attr(w, "type", fs->driver_type);
                xw_attr(w, "format", fs->driver_format);
                xw_attr(w, "wrpolicy", fs->driver_wrpolicy);
                if (fs->queue)
                        xw_attrf(w, "queue", "%" PRIu64, fs->queue);
                domain_format_virtio_opts(w, &fs->virtio);
                xw_end(w);
        }
        domain_format_fs_binary(w, &fs->binary);
        xw_start(w, "source");
        if (fs->sock)
                xw_attr(w, "socket", fs->sock);
        else if (fs->type == DOMAIN_FS_RAM) {
                xw_attrf(w, "usage", "%" PRIu64, fs->usage_kib);
                xw_attr(w, "units", "KiB");
        } else
                xw_attr(w, source_attr[fs->type], fs->src);
        xw_end(w);
        xw_start(w, "target");
        xw_attr(w, "dir", fs->dst);
        xw_end(w);
        if (fs->readonly)
                xw_empty(w, "readonly");
        domain_format_boot_order(w, fs->boot_order);
        domain_format_alias(w, fs->alias, flags);
        domain_format_address(w, &fs->addr);
        xw_end(w);
}

/* Two filesystems cannot be mounted on one place; a boot order is for
 * virtiofs only (libvirt's rule), and so is a socket (a virtiofsd's). */
int domain_validate_filesystems(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_filesystems; i++)
                if (def->filesystems[i].boot_order && !def->filesystems[i].virtiofs)
                        return xml_err_unsupported(err, "filesystem '%s': boot order is only supported for "
                                                   "virtiofs", def->filesystems[i].dst);
        for (size_t i = 0; i < def->n_filesystems; i++)
                if (def->filesystems[i].sock && !def->filesystems[i].virtiofs)
                        return xml_err_unsupported(err, "filesystem '%s': attribute 'socket' of "
                                                   "<devices/filesystem/source> is only for driver type 'virtiofs'",
                                                   def->filesystems[i].dst);
        /* quadratic, but over at most DOMAIN_LIST_MAX short paths */
        for (size_t i = 0; i < def->n_filesystems; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(def->filesystems[i].dst, def->filesystems[j].dst))
                                return xml_err_invalid(err, "two <devices/filesystem> have the target dir '%s'",
                                                       def->filesystems[i].dst);
        return 0;
}

void domain_fs_clear(DomainFsDef *fs) {
        free(fs->driver_type);
        free(fs->driver_format);
        free(fs->driver_wrpolicy);
        free(fs->multidevs);
        free(fs->src);
        free(fs->dst);
        free(fs->alias);
        free(fs->sock);
        free(fs->model);
        domain_fs_binary_clear(&fs->binary);
}

bool domain_fs_own(DomainFsDef *fs) {
        bool ok = true;

        ok = own_str(&fs->driver_type) && ok;
        ok = own_str(&fs->driver_format) && ok;
        ok = own_str(&fs->driver_wrpolicy) && ok;
        ok = own_str(&fs->multidevs) && ok;
        ok = own_str(&fs->src) && ok;
        ok = own_str(&fs->dst) && ok;
        ok = own_str(&fs->alias) && ok;
        ok = own_str(&fs->sock) && ok;
        ok = own_str(&fs->model) && ok;
        ok = domain_fs_binary_own(&fs->binary) && ok;
        return ok;
}
