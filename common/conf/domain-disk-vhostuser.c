/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='vhostuser'>: the disk's contents are served by a vhost-user-blk
 * back end (qemu-storage-daemon, SPDK...) on a unix socket, and QEMU only
 * relays the guest's virtqueues to it:
 *   <source type='unix' path='/run/vhost.sock'>
 *     <reconnect enabled='yes' timeout='10'/>
 *   </source>
 * With no block layer in QEMU, libvirt refuses every option the block layer
 * or the guest device's drive would carry (domain_validate_disk_vhostuser). */
#include "domain-conf-internal.h"

/* libvirt's virDomainChrSourceReconnectDefParseXML, as for a chardev */
static int parse_reconnect(DomainDiskVhostUser *v, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "enabled", "timeout");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &v->reconnect, err);
        if (r == 0)
                return xml_err_xml(err, "missing reconnect enabled attribute in <%s>", path);
        if (r >= 0)
                r = xml_attr_uint(n, path, "timeout", &v->reconnect_timeout, err);
        if (r < 0)
                return r;
        if (v->reconnect == TRISTATE_ON && !v->reconnect_timeout)
                return xml_err_xml(err, "missing timeout for chardev with reconnect enabled");
        if (v->reconnect == TRISTATE_OFF && r > 0)
                return xml_err_xml(err, "reconnect attribute 'timeout' is not supported with reconnect disabled");
        return 0;
}

static int parse_attrs(DomainDiskVhostUser *v, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "path");
        if (r >= 0)
                r = xml_attr_str(n, path, "type", &type, err);
        if (r == 0)
                return xml_err_xml(err, "missing 'type' attribute for vhostuser disk source <%s>", path);
        if (r > 0 && !streq(type, "unix"))
                return xml_err_xml(err, "invalid 'type' attribute '%s' for vhostuser disk source <%s>: only "
                                   "'unix'", type, path);
        if (r >= 0)
                r = xml_attr_str(n, path, "path", &v->path, err);
        if (r == 0)
                return xml_err_xml(err, "missing 'path' attribute for vhostuser disk source <%s>", path);
        if (r > 0)
                r = domain_check_abs_path(v->path, "attribute 'path' of", path, err);
        return r < 0 ? r : 0;
}

int domain_parse_disk_vhostuser_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskVhostUser *v;
        int r;

        domain_disk_vhostuser_free(d->vhostuser);
        d->vhostuser = v = calloc(1, sizeof(*v));
        if (!v)
                return xml_err_oom(err);
        r = parse_attrs(v, n, path, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "reconnect"))
                        return xml_unsupported_element(c, path, err);
                r = parse_reconnect(v, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_disk_vhostuser_source(XmlWriter *w, const DomainDiskVhostUser *v) {
        xw_start(w, "source");
        xw_attr(w, "type", "unix");
        xw_attr(w, "path", v->path);
        if (v->reconnect != TRISTATE_ABSENT) {
                xw_start(w, "reconnect");
                xw_attr(w, "enabled", tristate_word(v->reconnect, "yes", "no"));
                if (v->reconnect_timeout)
                        xw_attrf(w, "timeout", "%u", v->reconnect_timeout);
                xw_end(w);
        }
        xw_end(w);
}

static bool iotune_any(const DomainDiskDef *d) {
        DomainDiskIotune t = d->iotune, zero = {};

        if (!d->has_iotune)
                return false;
        if (t.group_name)
                return true;
        return memcmp(&t, &zero, sizeof(t)) != 0;
}

/* libvirt's virDomainDiskVhostUserValidate: what has no meaning without a
 * block layer in QEMU, each with its words. */
static const char *refused_option(const DomainDiskDef *d) {
        const DomainDiskGuestOpts *g = &d->guest;

        if (d->cache != DOMAIN_DISK_CACHE_DEFAULT)
                return "cache";
        if (d->drv.error_policy || d->drv.rerror_policy)
                return "error_policy";
        if (d->io != DOMAIN_DISK_IO_DEFAULT)
                return "io";
        if (d->ioeventfd != TRISTATE_ABSENT)
                return "ioeventfd";
        if (d->drv.copy_on_read != TRISTATE_ABSENT)
                return "copy_on_read";
        if (d->discard != DOMAIN_DISK_DISCARD_DEFAULT)
                return "discard";
        if (d->iothread)
                return "iothread";
        if (d->drv.detect_zeroes)
                return "detect_zeroes";
        if (d->drv.metadata_cache_max)
                return "metadata_cache";
        if (iotune_any(d))
                return "iotune";
        if (d->n_backing)
                return "backingStore";
        if (d->encryption)
                return "encryption";
        if (d->readonly)
                return "readonly";
        if (d->shareable)
                return "shareable";
        if (g->transient)
                return "transient";
        if (d->serial)
                return "serial";
        if (g->wwn)
                return "wwn";
        if (g->vendor)
                return "vendor";
        if (g->product)
                return "product";
        if (d->auth)
                return "auth";
        if (g->cyls || g->heads || g->secs || g->trans)
                return "geometry";
        if (g->logical_block_size || g->physical_block_size)
                return "blockio";
        return NULL;
}

int domain_validate_disk_vhostuser(const DomainDiskDef *d, ConfError *err) {
        const char *what;

        if (!d->vhostuser)
                return 0;
        if (d->bus != DOMAIN_DISK_BUS_VIRTIO)
                return xml_err_unsupported(err, "disk '%s': vhostuser disk supports only virtio bus", d->dst);
        /* libvirt makes a missing snapshot='' 'no' for this type */
        if (d->snapshot && !streq(d->snapshot, "no"))
                return xml_err_unsupported(err, "disk '%s': only snapshot=no is supported with vhostuser disk",
                                           d->dst);
        what = refused_option(d);
        if (what)
                return xml_err_unsupported(err, "disk '%s': %s is not supported with vhostuser disk", d->dst, what);
        return 0;
}

void domain_disk_vhostuser_free(DomainDiskVhostUser *v) {
        if (!v)
                return;
        free(v->path);
        free(v);
}

bool domain_disk_vhostuser_own(DomainDiskVhostUser **p) {
        DomainDiskVhostUser *v;

        if (!*p)
                return true;
        v = malloc(sizeof(*v));
        if (v) {
                *v = **p;
                if (!own_str(&v->path)) {
                        free(v);
                        v = NULL;
                }
        }
        *p = v;
        return v != NULL;
}
