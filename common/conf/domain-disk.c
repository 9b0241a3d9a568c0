/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk>: file, block device, storaged volume or network source
 * (domain-disk-net.c), with its <iotune>. */
#include <inttypes.h>
#include <stddef.h>

#include "domain-conf-internal.h"

/* libvirt's <iotune> order; each is an unsigned number, 0 = not set. */
static const struct {
        const char *name;
        size_t offset;
} iotune_fields[] = {
#define IOTUNE_FIELD(f) { #f, offsetof(DomainDiskIotune, f) }
        IOTUNE_FIELD(total_bytes_sec),
        IOTUNE_FIELD(read_bytes_sec),
        IOTUNE_FIELD(write_bytes_sec),
        IOTUNE_FIELD(total_iops_sec),
        IOTUNE_FIELD(read_iops_sec),
        IOTUNE_FIELD(write_iops_sec),
        IOTUNE_FIELD(total_bytes_sec_max),
        IOTUNE_FIELD(read_bytes_sec_max),
        IOTUNE_FIELD(write_bytes_sec_max),
        IOTUNE_FIELD(total_iops_sec_max),
        IOTUNE_FIELD(read_iops_sec_max),
        IOTUNE_FIELD(write_iops_sec_max),
        IOTUNE_FIELD(size_iops_sec),
        /* group_name comes here */
        IOTUNE_FIELD(total_bytes_sec_max_length),
        IOTUNE_FIELD(read_bytes_sec_max_length),
        IOTUNE_FIELD(write_bytes_sec_max_length),
        IOTUNE_FIELD(total_iops_sec_max_length),
        IOTUNE_FIELD(read_iops_sec_max_length),
        IOTUNE_FIELD(write_iops_sec_max_length),
#undef IOTUNE_FIELD
};

static uint64_t *iotune_field(DomainDiskIotune *t, size_t i) {
        return (uint64_t *) ((char *) t + iotune_fields[i].offset);
}

static int parse_iotune(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        d->has_iotune = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                size_t i;

                for (i = 0; i < ELEMENTSOF(iotune_fields); i++)
                        if (xml_is(c, iotune_fields[i].name))
                                break;
                if (i == ELEMENTSOF(iotune_fields) && !xml_is(c, "group_name"))
                        return xml_unsupported_element(c, path, err);

                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                r = XML_CHECK_ATTRS(c, sub, err, NULL);
                if (r < 0)
                        return r;
                if (i < ELEMENTSOF(iotune_fields))
                        /* values above LLONG_MAX are kept for domain_def_validate() to name */
                        r = xml_text_ullong(c, sub, iotune_field(&d->iotune, i), err);
                else {
                        r = xml_text(c, sub, &d->iotune.group_name, err);
                        if (r >= 0 && (!*d->iotune.group_name || str_has_newline(d->iotune.group_name)))
                                r = xml_err_invalid(err, "invalid value '%s' of <%s>", d->iotune.group_name, sub);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static void format_iotune(XmlWriter *w, const DomainDiskDef *d) {
        if (!d->has_iotune)
                return;
        xw_start(w, "iotune");
        for (size_t i = 0; i < ELEMENTSOF(iotune_fields); i++) {
                uint64_t v = *iotune_field((DomainDiskIotune *) &d->iotune, i);

                if (v)
                        xw_elementf(w, iotune_fields[i].name, "%" PRIu64, v);
                if (streq(iotune_fields[i].name, "size_iops_sec"))
                        xw_element(w, "group_name", d->iotune.group_name);
        }
        xw_end(w);
}

static int parse_driver(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "type", "cache", "io", "ioeventfd", "event_idx", "discard",
                            "iothread", DOMAIN_DISK_DRIVER_ATTRS);
        if (r < 0)
                return r;
        /* and its <metadata_cache> child */
        r = domain_parse_disk_driver_opts(&d->drv, n, path, err);
        if (r < 0)
                return r;
        /* which driver names a hypervisor takes is its own check (qemud: 'qemu') */
        r = xml_attr_str(n, path, "name", &d->driver_name, err);
        if (r > 0)
                r = domain_check_charset(d->driver_name, CHARSET_ALNUM "_+-", "attribute 'name' of", path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_disk_format, &d->format, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "cache", domain_disk_cache, &d->cache, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "io", domain_disk_io, &d->io, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "ioeventfd", "on", "off", &d->ioeventfd, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "event_idx", "on", "off", &d->event_idx, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "discard", domain_disk_discard, &d->discard, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "iothread", &d->iothread, err);
        if (r > 0 && d->iothread == 0)
                return xml_err_invalid(err, "invalid iothread id '0' in <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_source_volume(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const modes[] = { "host", "direct" };
        int r;

        r = xml_attr_str(n, path, "pool", &d->src_pool, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "volume", &d->src_volume, err);
        if (r < 0)
                return r;
        /* neither: an empty drive, as libvirt takes it */
        if (!d->src_pool != !d->src_volume)
                return xml_err_xml(err, "'pool' and 'volume' must be specified together for 'pool' type source "
                                   "<%s>", path);
        r = xml_attr_choice(n, path, "mode", modes, ELEMENTSOF(modes), &d->src_mode, err);
        if (r < 0)
                return r;
        if (!d->src_pool)
                return 0;
        if (!*d->src_pool || strpbrk(d->src_pool, "/\n"))
                return xml_err_invalid(err, "invalid pool name '%s' in <%s>", d->src_pool, path);
        if (!*d->src_volume || strchr(d->src_volume, '/') ||
            streq(d->src_volume, ".") || streq(d->src_volume, ".."))
                return xml_err_invalid(err, "invalid volume name '%s' in <%s>", d->src_volume, path);
        return 0;
}

/* What a start does when the source is missing: fail, or (optional) go
 * on without it; requisite fails a boot but not a restore. */
static const char *const startup_policies[] = { "mandatory", "requisite", "optional" };

/* <source index=''>: kept as libvirt does, a number it gives each image of
 * a chain in the live XML. */
static int parse_source_index(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_attr_uint(n, path, "index", &d->src_index, err);

        return r < 0 ? r : 0;
}

static int parse_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        const char *attr;
        int r;

        r = parse_source_index(d, n, path, err);
        if (r < 0)
                return r;
        switch (d->type) {
        case DOMAIN_DISK_TYPE_NETWORK:
                return domain_parse_disk_net_source(d, n, path, err);
        case DOMAIN_DISK_TYPE_NVME:
                return domain_parse_disk_nvme_source(d, n, path, err);
        case DOMAIN_DISK_TYPE_VHOSTUSER:
                return domain_parse_disk_vhostuser_source(d, n, path, err);
        case DOMAIN_DISK_TYPE_VOLUME:
                r = XML_CHECK_ATTRS(n, path, err, "pool", "volume", "mode", "startupPolicy", "index");
                attr = NULL;
                break;
        case DOMAIN_DISK_TYPE_BLOCK:
                r = XML_CHECK_ATTRS(n, path, err, "dev", "startupPolicy", "index");
                attr = "dev";
                break;
        case DOMAIN_DISK_TYPE_DIR:
                r = XML_CHECK_ATTRS(n, path, err, "dir", "startupPolicy", "index");
                attr = "dir";
                break;
        default:
                r = XML_CHECK_ATTRS(n, path, err, "file", "fdgroup", "startupPolicy", "index");
                if (r >= 0)
                        r = xml_attr_str(n, path, "fdgroup", &d->fdgroup, err);
                attr = "file";
                break;
        }
        if (r >= 0)
                r = xml_attr_choice(n, path, "startupPolicy", startup_policies, ELEMENTSOF(startup_policies),
                                    &d->startup_policy, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) { /* <seclabel>: domain-seclabel.c */
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_is(c, "seclabel")     ? domain_parse_dev_seclabel(&d->seclabels, &d->n_seclabels, c, sub, err)
                    : xml_is(c, "slices")     ? domain_parse_disk_slices(&d->slice, c, sub, err)
                    : xml_is(c, "encryption") ? domain_parse_disk_encryption(d, c, sub, true, err)
                    : xml_is(c, "auth")       ? domain_parse_disk_auth(d, c, sub, true, err)
                    : xml_is(c, "reservations") ? domain_parse_disk_reservations(d, c, sub, err)
                                              : xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!attr)
                return parse_source_volume(d, n, path, err);

        r = xml_attr_str(n, path, attr, &d->src, err);
        if (r > 0) {
                char what[64];

                snprintf(what, sizeof(what), "attribute '%s' of", attr);
                r = domain_check_abs_path(d->src, what, path, err);
        }
        return r < 0 ? r : 0;
}

/* The bus a target name implies when no bus is given, as libvirt does. */
static int bus_from_target(const char *dst, DomainDiskBus *ret) {
        if (strncmp(dst, "vd", 2) == 0)
                *ret = DOMAIN_DISK_BUS_VIRTIO;
        else if (strncmp(dst, "sd", 2) == 0)
                *ret = DOMAIN_DISK_BUS_SCSI;
        else if (strncmp(dst, "hd", 2) == 0)
                *ret = DOMAIN_DISK_BUS_IDE;
        else if (strncmp(dst, "fd", 2) == 0)
                *ret = DOMAIN_DISK_BUS_FDC;
        else
                return -EINVAL;
        return 0;
}

static int parse_target(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "dev", "bus", "removable", "tray", "rotation_rate");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_disk_target_guest(d, n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "dev", &d->dst, err);
        if (r < 0)
                return r;
        if (bus_from_target(d->dst, &d->bus) < 0)
                return xml_err_unsupported(err, "target dev '%s' of <%s> is not supported: "
                                           "use vdX, sdX, hdX or fdX", d->dst, path);
        if (!str_in_charset(d->dst + 2, CHARSET_ALNUM "_"))
                return xml_err_invalid(err, "invalid target dev '%s' of <%s>", d->dst, path);
        r = DOMAIN_ATTR_ENUM(n, path, "bus", domain_disk_bus, &d->bus, err);
        if (r < 0)
                return r;
        d->bus_given = r > 0;
        r = domain_attr_tristate(n, path, "removable", "on", "off", &d->removable, err);
        if (r < 0)
                return r;
        /* QEMU's usb-storage has the flag; libvirt's scsi-hd removable is not modelled */
        if (d->removable != TRISTATE_ABSENT && d->bus != DOMAIN_DISK_BUS_USB)
                return xml_err_unsupported(err, "attribute 'removable' of <%s> is not supported for bus '%s'",
                                           path, domain_disk_bus_to_string(d->bus));
        return 0;
}

static int parse_empty_flag(bool *flag, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        *flag = true;
        return 0;
}

static int parse_serial(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_text(n, path, &d->serial, err);
        if (r < 0)
                return r;
        return domain_check_charset(d->serial, CHARSET_ALNUM "_.+- ", "", path, err);
}

/* <format type='qcow2'><metadata_cache/></format> of a backing layer or a mirror. */
static int parse_layer_format(DomainDiskFormat *ret, uint64_t *cache, xmlNodePtr n, const char *path,
                              ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "type");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "type", domain_disk_format, ret, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "metadata_cache"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, path, err);
                if (r >= 0)
                        r = domain_parse_disk_metadata_cache(cache, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* <source file=''/> or <source dev=''/> of a mirror, with its index. */
static int parse_layer_source(DomainDiskType type, char **ret, unsigned *index, xmlNodePtr n, const char *path,
                              ConfError *err) {
        const char *attr = type == DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file";
        int r = XML_CHECK_ATTRS(n, path, err, attr, "index");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "index", index, err);
        if (r >= 0) {
                free(*ret);
                *ret = NULL;
                r = xml_attr_str_required(n, path, attr, ret, err);
        }
        if (r >= 0)
                r = domain_check_abs_path(*ret, "the source of", path, err);
        return r < 0 ? r : 0;
}

/* A backing layer's <source>: as the mirror's, with the image's fdgroup
 * and <seclabel> children. */
static int parse_backing_source(DomainDiskBacking *b, xmlNodePtr n, const char *path, ConfError *err) {
        bool file = b->type == DOMAIN_DISK_TYPE_FILE;
        const char *attr = file ? "file" : "dev";
        int r = XML_CHECK_ATTRS(n, path, err, attr, file ? "fdgroup" : attr);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0 && file)
                r = xml_attr_str(n, path, "fdgroup", &b->fdgroup, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, attr, &b->path, err);
        if (r >= 0)
                r = domain_check_abs_path(b->path, "the source of", path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "slices"))
                        r = domain_parse_disk_slices(&b->slice, c, sub, err);
                else if (xml_is(c, "seclabel"))
                        r = domain_parse_dev_seclabel(&b->seclabels, &b->n_seclabels, c, sub, err);
                else if (xml_is(c, "encryption") && !b->encryption)
                        r = domain_parse_backing_encryption(b, c, sub, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_layer_type(DomainDiskType *ret, xmlNodePtr n, const char *path, ConfError *err) {
        int r = DOMAIN_ATTR_ENUM(n, path, "type", domain_disk_type, ret, err);

        if (r < 0)
                return r;
        if (*ret == DOMAIN_DISK_TYPE_VOLUME || *ret == DOMAIN_DISK_TYPE_NETWORK || *ret == DOMAIN_DISK_TYPE_DIR)
                return xml_err_unsupported(err, "<%s> of type '%s' is not supported", path,
                                           domain_disk_type_to_string(*ret));
        return 0;
}

/* A <backingStore> and those nested in it, into d->backing (top first);
 * the empty one ends a known chain. */
static int parse_backing(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskBacking *b;
        xmlNodePtr next = NULL;
        int r;

        if (!n->properties && !xml_first_element(n)) {
                d->backing_known = true;
                return 0;
        }
        r = XML_CHECK_ATTRS(n, path, err, "type", "index");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = LIST_APPEND(d->backing, d->n_backing, &b, path, err);
        if (r < 0)
                return r;
        /* a layer may be on a network server; a mirror (parse_mirror) not */
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_disk_type, &b->type, err);
        if (r >= 0 && b->type != DOMAIN_DISK_TYPE_NETWORK)
                r = parse_layer_type(&b->type, n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "index", &b->index, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, path, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "format"))
                        r = parse_layer_format(&b->format, &b->metadata_cache_max, c, sub, err);
                else if (xml_is(c, "source"))
                        r = b->type == DOMAIN_DISK_TYPE_NETWORK ? domain_parse_backing_net_source(b, c, sub, err)
                                                                : parse_backing_source(b, c, sub, err);
                else if (xml_is(c, "backingStore"))
                        next = c;
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!b->path && !b->net)
                return xml_err_xml(err, "missing element <%s/source>", path);
        if (!next)
                return 0;
        XML_SUBPATH(sub, path, "backingStore");
        return parse_backing(d, next, sub, err);
}

static bool word_in(const char *const *words, const char *w) {
        for (; *words; words++)
                if (streq(*words, w))
                        return true;
        return false;
}

/* The mirror's chain is parsed as a disk's, then moved over. */
static int parse_mirror_backing(DomainDiskMirror *m, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskDef tmp = {};
        int r = parse_backing(&tmp, n, path, err);

        m->backing = tmp.backing;
        m->n_backing = tmp.n_backing;
        m->backing_known = tmp.backing_known;
        return r;
}

static int parse_mirror(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const jobs[] = { "copy", "active-commit", NULL };
        static const char *const readies[] = { "yes", "abort", "pivot", NULL };
        DomainDiskMirror *m = calloc(1, sizeof(*m));
        _cleanup_free_ char *file = NULL;
        int r;

        if (!m)
                return xml_err_oom(err);
        d->mirror = m;
        r = XML_CHECK_ATTRS(n, path, err, "type", "file", "format", "job", "ready");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = parse_layer_type(&m->type, n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "file", &file, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "format", domain_disk_format, &m->format, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "job", &m->job, err);
        if (r >= 0 && !m->job && (r = 0, !(m->job = strdup("copy"))))
                r = xml_err_oom(err);
        if (r >= 0 && !word_in(jobs, m->job))
                r = xml_err_invalid(err, "invalid job '%s' of <%s>: copy or active-commit", m->job, path);
        if (r >= 0)
                r = xml_attr_str(n, path, "ready", &m->ready, err);
        if (r >= 0 && m->ready && !word_in(readies, m->ready))
                r = xml_err_invalid(err, "invalid ready '%s' of <%s>: yes, abort or pivot", m->ready, path);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, path, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "format"))
                        r = parse_layer_format(&m->format, &m->metadata_cache_max, c, sub, err);
                else if (xml_is(c, "source"))
                        r = parse_layer_source(m->type, &m->path, &m->src_index, c, sub, err);
                else if (xml_is(c, "backingStore"))
                        r = parse_mirror_backing(m, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!m->path && file) {
                r = domain_check_abs_path(file, "attribute 'file' of", path, err);
                if (r < 0)
                        return r;
                m->path = TAKE_PTR(file);
        }
        if (!m->path)
                return xml_err_xml(err, "missing element <%s/source>", path);
        return 0;
}

static const char *const guest_children[] = { DOMAIN_DISK_GUEST_CHILDREN };

static int parse_disk_child(DomainDiskDef *d, xmlNodePtr c, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (xml_is(c, "driver"))
                return parse_driver(d, c, path, err);
        if (xml_is(c, "source"))
                return parse_source(d, c, path, err);
        if (xml_is(c, "target"))
                return parse_target(d, c, path, err);
        if (xml_is(c, "iotune"))
                return parse_iotune(d, c, path, err);
        if (xml_is(c, "readonly"))
                return parse_empty_flag(&d->readonly, c, path, err);
        if (xml_is(c, "shareable"))
                return parse_empty_flag(&d->shareable, c, path, err);
        if (xml_is(c, "serial"))
                return parse_serial(d, c, path, err);
        if (xml_is(c, "backingStore"))
                return parse_backing(d, c, path, err);
        if (xml_is(c, "mirror"))
                return parse_mirror(d, c, path, err);
        if (xml_is(c, "boot"))
                return domain_parse_boot_order(c, path, &d->boot_order, err);
        if (xml_is_any(c, guest_children, ELEMENTSOF(guest_children)))
                return domain_parse_disk_guest(d, c, path, err);
        if (xml_is(c, "encryption"))
                return domain_parse_disk_encryption(d, c, path, false, err);
        if (xml_is(c, "auth"))
                return domain_parse_disk_auth(d, c, path, false, err);
        if (xml_is(c, "address"))
                /* which one fits the bus is checked by domain_def_validate() */
                return domain_parse_address(c, path, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI) |
                                                     DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_DRIVE) |
                                                     DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB),
                                            &d->addr, err);
        return domain_parse_alias(c, path, &d->alias, err);
}

/* <disk model='' snapshot=''> */
static int parse_disk_attrs(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };
        static const char *const snapshots[] = { "no", "internal", "external", "manual" };

        static const char *const sgios[] = { "filtered", "unfiltered" };
        int r;

        r = xml_attr_choice(n, path, "model", models, ELEMENTSOF(models), &d->model, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "snapshot", snapshots, ELEMENTSOF(snapshots), &d->snapshot, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "rawio", "yes", "no", &d->rawio, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "sgio", sgios, ELEMENTSOF(sgios), &d->sgio, err);
        return r < 0 ? r : 0;
}

int domain_parse_disk(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = {
                "driver", "source", "target", "iotune", "readonly", "shareable", "serial", "boot", "alias",
                "address", "backingStore", "mirror", DOMAIN_DISK_GUEST_CHILDREN, "encryption", "auth",
        };
        DomainDiskDef *d;
        bool has_target = false;
        int r;

        r = LIST_APPEND(def->disks, def->n_disks, &d, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_disk_type, &d->type, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "device", domain_disk_device, &d->device, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "type", "device", "model", "snapshot", "rawio", "sgio");
        if (r >= 0)
                r = parse_disk_attrs(d, n, path, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                r = parse_disk_child(d, c, sub, err);
                if (r < 0)
                        return r;
                has_target = has_target || xml_is(c, "target");
        }
        if (!has_target)
                return xml_err_xml(err, "missing element <%s/target>", path);
        /* an empty CD-ROM may be of any type */
        if (d->type == DOMAIN_DISK_TYPE_NVME && !d->nvme)
                return xml_err_xml(err, "missing element <%s/source> for disk '%s' of type 'nvme'", path, d->dst);
        if (d->type == DOMAIN_DISK_TYPE_VHOSTUSER && !d->vhostuser)
                return xml_err_xml(err, "missing element <%s/source> for disk '%s' of type 'vhostuser'", path,
                                   d->dst);
        if (d->type == DOMAIN_DISK_TYPE_NETWORK && !d->net && d->device != DOMAIN_DISK_DEVICE_CDROM)
                return xml_err_xml(err, "missing element <%s/source> for disk '%s' of type 'network'", path, d->dst);
        return 0;
}

static void format_source(XmlWriter *w, const DomainDiskDef *d) {
        switch (d->type) {
        case DOMAIN_DISK_TYPE_NETWORK:
                if (!d->net)
                        return;
                domain_format_disk_net_source(w, d->net, d->src_index);
                break;
        case DOMAIN_DISK_TYPE_VHOSTUSER:
                if (d->vhostuser)
                        domain_format_disk_vhostuser_source(w, d->vhostuser);
                return;
        case DOMAIN_DISK_TYPE_NVME:
                if (!d->nvme)
                        return;
                xw_start(w, "source");
                domain_format_disk_nvme_attrs(w, d->nvme);
                break;
        case DOMAIN_DISK_TYPE_VOLUME:
                /* src is the path storaged resolved: internal, not XML */
                if (!d->src_pool && !d->src_volume && !d->startup_policy)
                        return;
                xw_start(w, "source");
                xw_attr(w, "pool", d->src_pool);
                xw_attr(w, "volume", d->src_volume);
                xw_attr(w, "mode", d->src_mode);
                break;
        case DOMAIN_DISK_TYPE_BLOCK:
        case DOMAIN_DISK_TYPE_DIR:
                if (!d->src && !d->startup_policy)
                        return;
                xw_start(w, "source");
                xw_attr(w, d->type == DOMAIN_DISK_TYPE_DIR ? "dir" : "dev", d->src);
                break;
        default:
                if (!d->src && !d->startup_policy)
                        return;
                xw_start(w, "source");
                xw_attr(w, "file", d->src);
                xw_attr(w, "fdgroup", d->fdgroup);
                break;
        }
        /* kept on an ejected CD-ROM too, as libvirt does */
        xw_attr(w, "startupPolicy", d->startup_policy);
        if (d->src_index && d->type != DOMAIN_DISK_TYPE_NETWORK)
                xw_attrf(w, "index", "%u", d->src_index);
        if (d->nvme)
                domain_format_disk_nvme_address(w, d->nvme);
        domain_format_disk_slices(w, &d->slice);
        if (d->type != DOMAIN_DISK_TYPE_NETWORK)
                domain_format_dev_seclabels(w, d->seclabels, d->n_seclabels);
        domain_format_disk_auth(w, d, true);
        domain_format_disk_encryption(w, d, true);
        domain_format_disk_reservations(w, d->pr);
        xw_end(w);
}

static void format_layer_format(XmlWriter *w, DomainDiskFormat format, uint64_t cache) {
        if (format != DOMAIN_DISK_FORMAT_NONE || cache) {
                xw_start(w, "format");
                xw_attr(w, "type", domain_disk_format_to_string(format));
                domain_format_disk_metadata_cache(w, cache);
                xw_end(w);
        }
}


static void format_backing_layer(XmlWriter *w, const DomainDiskBacking *b) {
        format_layer_format(w, b->format, b->metadata_cache_max);
        if (b->net) {
                domain_format_backing_net_source(w, b);
                return;
        }
        xw_start(w, "source");
        xw_attr(w, b->type == DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file", b->path);
        xw_attr(w, "fdgroup", b->fdgroup);
        domain_format_disk_slices(w, &b->slice);
        domain_format_dev_seclabels(w, b->seclabels, b->n_seclabels);
        domain_format_backing_encryption(w, b);
        xw_end(w);
}

/* libvirt's nesting: each layer holds the next, a known chain ends empty. */
static void format_backing(XmlWriter *w, const DomainDiskDef *d) {
        for (size_t i = 0; i < d->n_backing; i++) {
                const DomainDiskBacking *b = &d->backing[i];

                xw_start(w, "backingStore");
                xw_attr(w, "type", domain_disk_type_to_string(b->type));
                if (b->index)
                        xw_attrf(w, "index", "%u", b->index);
                format_backing_layer(w, b);
        }
        if (d->backing_known)
                xw_empty(w, "backingStore");
        for (size_t i = 0; i < d->n_backing; i++)
                xw_end(w);
}

/* A copy onto a file also gets the older attributes (file, format), as
 * libvirt writes them for old readers. */
static void format_mirror(XmlWriter *w, const DomainDiskMirror *m) {
        bool old_form = streq_ptr(m->job, "copy") && m->type == DOMAIN_DISK_TYPE_FILE;

        xw_start(w, "mirror");
        xw_attr(w, "type", domain_disk_type_to_string(m->type));
        if (old_form) {
                xw_attr(w, "file", m->path);
                xw_attr(w, "format", domain_disk_format_to_string(m->format));
        }
        xw_attr(w, "job", m->job);
        xw_attr(w, "ready", m->ready);
        format_layer_format(w, m->format, m->metadata_cache_max);
        xw_start(w, "source");
        xw_attr(w, m->type == DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file", m->path);
        if (m->src_index)
                xw_attrf(w, "index", "%u", m->src_index);
        xw_end(w);
        format_backing(w, &(const DomainDiskDef) { .backing = m->backing, .n_backing = m->n_backing,
                                                   .backing_known = m->backing_known });
        xw_end(w);
}

static void format_driver(XmlWriter *w, const DomainDiskDef *d) {
        if (!d->driver_name && d->format == DOMAIN_DISK_FORMAT_NONE && d->cache == DOMAIN_DISK_CACHE_DEFAULT &&
            d->io == DOMAIN_DISK_IO_DEFAULT && d->discard == DOMAIN_DISK_DISCARD_DEFAULT && !d->iothread &&
            d->ioeventfd == TRISTATE_ABSENT && d->event_idx == TRISTATE_ABSENT &&
            !domain_disk_driver_opts_set(&d->drv))
                return;
        xw_start(w, "driver");
        xw_attr(w, "name", d->driver_name);
        xw_attr(w, "type", domain_disk_format_to_string(d->format));
        if (d->cache != DOMAIN_DISK_CACHE_DEFAULT)
                xw_attr(w, "cache", domain_disk_cache_to_string(d->cache));
        domain_format_disk_driver_policies(w, &d->drv);
        xw_attr(w, "io", domain_disk_io_to_string(d->io));
        xw_attr(w, "ioeventfd", tristate_word(d->ioeventfd, "on", "off"));
        xw_attr(w, "event_idx", tristate_word(d->event_idx, "on", "off"));
        domain_format_disk_driver_cor(w, &d->drv);
        xw_attr(w, "discard", domain_disk_discard_to_string(d->discard));
        if (d->iothread)
                xw_attrf(w, "iothread", "%u", d->iothread);
        domain_format_disk_driver_tail(w, &d->drv);
        domain_format_disk_metadata_cache(w, d->drv.metadata_cache_max);
        xw_end(w);
}

void domain_format_disk(XmlWriter *w, const DomainDiskDef *d, unsigned flags) {
        xw_start(w, "disk");
        xw_attr(w, "type", domain_disk_type_to_string(d->type));
        xw_attr(w, "device", domain_disk_device_to_string(d->device));
        xw_attr(w, "model", d->model);
        xw_attr(w, "rawio", tristate_word(d->rawio, "yes", "no"));
        xw_attr(w, "sgio", d->sgio);
        xw_attr(w, "snapshot", d->snapshot);

        format_driver(w, d);
        domain_format_disk_auth(w, d, false);
        format_source(w, d);
        if (!(flags & DOMAIN_FORMAT_INACTIVE) || domain_backing_kept_inactive(d))
                format_backing(w, d);
        domain_format_disk_shape(w, d);
        if (!(flags & DOMAIN_FORMAT_INACTIVE) && d->mirror)
                format_mirror(w, d->mirror);
        xw_start(w, "target");
        xw_attr(w, "dev", d->dst);
        xw_attr(w, "bus", domain_disk_bus_to_string(d->bus));
        domain_format_disk_target_guest(w, d);
        xw_attr(w, "removable", tristate_word(d->removable, "on", "off"));
        xw_end(w);
        format_iotune(w, d);
        if (d->readonly)
                xw_empty(w, "readonly");
        if (d->shareable)
                xw_empty(w, "shareable");
        domain_format_disk_transient(w, d);
        xw_element(w, "serial", d->serial);
        domain_format_disk_ids(w, d);
        domain_format_disk_encryption(w, d, false);
        domain_format_boot_order(w, d->boot_order);
        domain_format_alias(w, d->alias, flags);
        domain_format_acpi_index(w, d->acpi_index);
        domain_format_address(w, &d->addr);
        xw_end(w);
}

void domain_disk_clear(DomainDiskDef *d) {
        free(d->driver_name);
        free(d->src);
        free(d->src_pool);
        free(d->src_volume);
        free(d->src_mode);
        free(d->fdgroup);
        domain_disk_net_free(d->net);
        d->net = NULL;
        free(d->nvme);
        d->nvme = NULL;
        domain_disk_vhostuser_free(d->vhostuser);
        d->vhostuser = NULL;
        domain_disk_reservations_free(d->pr);
        d->pr = NULL;
        free(d->dst);
        free(d->serial);
        free(d->iotune.group_name);
        free(d->alias);
        domain_disk_clear_backing(d);
        domain_disk_mirror_free(d->mirror);
        d->mirror = NULL;
        for (size_t i = 0; i < d->n_seclabels; i++)
                domain_dev_seclabel_clear(&d->seclabels[i]);
        free(d->seclabels);
        domain_disk_guest_clear(&d->guest);
        domain_disk_driver_opts_clear(&d->drv);
        free(d->model);
        free(d->snapshot);
        free(d->startup_policy);
        free(d->sgio);
        domain_disk_secrets_clear(d);
}

void domain_disk_clear_backing(DomainDiskDef *d) {
        for (size_t i = 0; i < d->n_backing; i++) {
                DomainDiskBacking *b = &d->backing[i];

                free(b->path);
                free(b->fdgroup);
                for (size_t j = 0; j < b->n_seclabels; j++)
                        domain_dev_seclabel_clear(&b->seclabels[j]);
                free(b->seclabels);
                domain_backing_src_clear(b);
        }
        free(d->backing);
        d->backing = NULL;
        d->n_backing = 0;
        d->backing_known = false;
}

static void mirror_clear_backing(DomainDiskMirror *m) {
        DomainDiskDef view = { .backing = m->backing, .n_backing = m->n_backing };

        domain_disk_clear_backing(&view);
        m->backing = NULL;
        m->n_backing = 0;
}

void domain_disk_mirror_free(DomainDiskMirror *m) {
        if (!m)
                return;
        free(m->path);
        free(m->job);
        free(m->ready);
        mirror_clear_backing(m);
        free(m);
}

static bool domain_disk_backing_own(DomainDiskBacking *b) {
        bool ok = own_str(&b->path);

        ok = own_str(&b->fdgroup) && ok;
        ok = domain_backing_src_own(b) && ok;
        if (!OWN_ARRAY(b->seclabels, b->n_seclabels)) {
                b->n_seclabels = 0;
                return false;
        }
        for (size_t j = 0; j < b->n_seclabels; j++)
                ok = domain_dev_seclabel_own(&b->seclabels[j]) && ok;
        return ok;
}

static bool own_mirror(DomainDiskMirror **p) {
        DomainDiskMirror *m;

        if (!*p)
                return true;
        m = malloc(sizeof(*m));
        if (m) {
                bool ok;

                *m = **p;
                ok = own_str(&m->path) & own_str(&m->job) & own_str(&m->ready);
                if (!OWN_ARRAY(m->backing, m->n_backing)) {
                        m->n_backing = 0;
                        ok = false;
                }
                for (size_t i = 0; i < m->n_backing; i++)
                        ok = domain_disk_backing_own(&m->backing[i]) && ok;
                if (!ok) {
                        domain_disk_mirror_free(m);
                        m = NULL;
                }
        }
        *p = m;
        return m != NULL;
}

bool domain_disk_own(DomainDiskDef *d) {
        bool ok = true;

        ok = own_str(&d->driver_name) && ok;
        ok = own_str(&d->src) && ok;
        ok = own_str(&d->src_pool) && ok;
        ok = own_str(&d->src_volume) && ok;
        ok = own_str(&d->src_mode) && ok;
        ok = own_str(&d->fdgroup) && ok;
        ok = domain_disk_net_own(&d->net) && ok;
        ok = domain_disk_nvme_own(&d->nvme) && ok;
        ok = domain_disk_vhostuser_own(&d->vhostuser) && ok;
        ok = domain_disk_reservations_own(&d->pr) && ok;
        ok = own_str(&d->dst) && ok;
        ok = own_str(&d->serial) && ok;
        ok = own_str(&d->iotune.group_name) && ok;
        ok = own_str(&d->alias) && ok;
        ok = own_mirror(&d->mirror) && ok;
        ok = domain_disk_guest_own(&d->guest) && ok;
        ok = domain_disk_driver_opts_own(&d->drv) && ok;
        ok = own_str(&d->model) && ok;
        ok = own_str(&d->snapshot) && ok;
        ok = own_str(&d->startup_policy) && ok;
        ok = own_str(&d->sgio) && ok;
        if (!OWN_ARRAY(d->backing, d->n_backing))
                return false;
        for (size_t i = 0; i < d->n_backing; i++)
                ok = domain_disk_backing_own(&d->backing[i]) && ok;
        ok = OWN_ARRAY(d->seclabels, d->n_seclabels) && ok;
        for (size_t i = 0; i < d->n_seclabels; i++)
                ok = domain_dev_seclabel_own(&d->seclabels[i]) && ok;
        ok = domain_disk_secrets_own(d) && ok;
        return ok;
}
