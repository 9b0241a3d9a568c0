/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The <driver> attributes of a <disk> beyond image format, cache and io
 * (those are domain-disk.c's): the error policies, detect_zeroes,
 * copy_on_read, the virtio queues and transport options, and the qcow2
 * <metadata_cache>. Attributes are written in libvirt's order by
 * domain-disk.c, which calls the two halves here. */
#include <inttypes.h>

#include "domain-conf-internal.h"

static const char *const error_policies[] = { "stop", "report", "ignore", "enospace" };
static const char *const detect_zeroes_modes[] = { "off", "on", "unmap" };

/* <max_size unit='bytes'>N</max_size>: bytes when no unit is given. */
static int parse_max_size(uint64_t *ret, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *text = NULL, *unit = NULL;
        uint64_t v, scale = 1;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "unit");
        if (r >= 0)
                r = xml_attr_str(n, path, "unit", &unit, err);
        if (r >= 0)
                r = xml_text(n, path, &text, err);
        if (r < 0)
                return r;
        if (unit && unit_scale(unit, &scale) < 0)
                return xml_err_invalid(err, "unknown unit '%s' of <%s>", unit, path);
        if (parse_ullong(text, &v) < 0 || (scale > 1 && v > UINT64_MAX / scale))
                return xml_err_invalid(err, "invalid value '%s' of <%s>", text, path);
        *ret = v * scale;
        return 0;
}

/* <metadata_cache><max_size/></metadata_cache>, of a <driver> or of the
 * <format> of a backing layer. */
int domain_parse_disk_metadata_cache(uint64_t *ret, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "max_size"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, path, err);
                if (r >= 0)
                        r = parse_max_size(ret, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_disk_metadata_cache(XmlWriter *w, uint64_t max) {
        if (!max)
                return;
        xw_start(w, "metadata_cache");
        xw_start(w, "max_size");
        xw_attr(w, "unit", "bytes");
        xw_textf(w, "%" PRIu64, max);
        xw_end(w);
        xw_end(w);
}

/* The attributes (DOMAIN_DISK_DRIVER_ATTRS) and children of <driver>. */
int domain_parse_disk_driver_opts(DomainDiskDriverOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_choice(n, path, "error_policy", error_policies, ELEMENTSOF(error_policies),
                            &o->error_policy, err);
        /* a read error leaves no space to make */
        if (r >= 0)
                r = xml_attr_choice(n, path, "rerror_policy", error_policies, ELEMENTSOF(error_policies) - 1,
                                    &o->rerror_policy, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "detect_zeroes", detect_zeroes_modes,
                                    ELEMENTSOF(detect_zeroes_modes), &o->detect_zeroes, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "copy_on_read", "on", "off", &o->copy_on_read, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "queues", &o->queues, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "queue_size", &o->queue_size, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, &o->virtio, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "metadata_cache"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, path, err);
                if (r >= 0)
                        r = domain_parse_disk_metadata_cache(&o->metadata_cache_max, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool domain_disk_driver_opts_set(const DomainDiskDriverOpts *o) {
        return o->error_policy || o->rerror_policy || o->detect_zeroes || o->copy_on_read != TRISTATE_ABSENT ||
               o->queues || o->queue_size || domain_virtio_opts_set(&o->virtio) || o->metadata_cache_max;
}

/* libvirt's order puts the policies after cache... */
void domain_format_disk_driver_policies(XmlWriter *w, const DomainDiskDriverOpts *o) {
        xw_attr(w, "error_policy", o->error_policy);
        xw_attr(w, "rerror_policy", o->rerror_policy);
}

/* ...copy_on_read after event_idx... */
void domain_format_disk_driver_cor(XmlWriter *w, const DomainDiskDriverOpts *o) {
        xw_attr(w, "copy_on_read", tristate_word(o->copy_on_read, "on", "off"));
}

/* ...and the rest after iothread. */
void domain_format_disk_driver_tail(XmlWriter *w, const DomainDiskDriverOpts *o) {
        xw_attr(w, "detect_zeroes", o->detect_zeroes);
        if (o->queues)
                xw_attrf(w, "queues", "%u", o->queues);
        if (o->queue_size)
                xw_attrf(w, "queue_size", "%u", o->queue_size);
        domain_format_virtio_opts(w, &o->virtio);
}

void domain_disk_driver_opts_clear(DomainDiskDriverOpts *o) {
        free(o->error_policy);
        free(o->rerror_policy);
        free(o->detect_zeroes);
}

bool domain_disk_driver_opts_own(DomainDiskDriverOpts *o) {
        bool ok = true;

        ok = own_str(&o->error_policy) && ok;
        ok = own_str(&o->rerror_policy) && ok;
        ok = own_str(&o->detect_zeroes) && ok;
        return ok;
}
