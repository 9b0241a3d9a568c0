/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <source><reservations>: SCSI persistent reservation commands of a
 * device='lun' disk need CAP_SYS_RAWIO, which QEMU does not keep, so QEMU
 * hands them to a qemu-pr-helper:
 *   <reservations managed='yes'/>             the driver runs one for the guest
 *   <reservations managed='no'>               one already listens here
 *     <source type='unix' path='/run/pr.sock' mode='client'/>
 *   </reservations>
 * libvirt's virStoragePRDefParseXML rules and words. */
#include "domain-conf-internal.h"

static int parse_source(DomainDiskReservations *pr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL, *mode = NULL;
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "path", "mode");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "type", &type, err);
        if (r == 0)
                return xml_err_xml(err, "missing connection type for <reservations/> (<%s>)", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "path", &pr->path, err);
        if (r == 0)
                return xml_err_xml(err, "missing path for <reservations/> (<%s>)", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "mode", &mode, err);
        if (r == 0)
                return xml_err_xml(err, "missing connection mode for <reservations/> (<%s>)", path);
        if (r < 0)
                return r;
        if (!streq(type, "unix"))
                return xml_err_xml(err, "unsupported connection type for <reservations/>: %s", type);
        if (!streq(mode, "client"))
                return xml_err_xml(err, "unsupported connection mode for <reservations/>: %s", mode);
        return domain_check_abs_path(pr->path, "attribute 'path' of", path, err);
}

int domain_parse_disk_reservations(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskReservations *pr;
        bool has_source = false;
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        d->pr = pr = calloc(1, sizeof(*pr));
        if (!pr)
                return xml_err_oom(err);
        r = XML_CHECK_ATTRS(n, path, err, "managed");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "managed", "yes", "no", &pr->managed, err);
        if (r == 0)
                return xml_err_xml(err, "Missing required attribute 'managed' in element 'reservations' (<%s>)",
                                   path);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "source");

                if (!xml_is(c, "source"))
                        return xml_unsupported_element(c, path, err);
                r = parse_source(pr, c, sub, err);
                if (r < 0)
                        return r;
                has_source = true;
        }
        if (pr->managed == TRISTATE_OFF && !has_source)
                return xml_err_xml(err, "missing connection type for <reservations/> (<%s>)", path);
        return 0;
}

/* A managed helper's socket too, as libvirt's live XML shows it. */
void domain_format_disk_reservations(XmlWriter *w, const DomainDiskReservations *pr) {
        if (!pr)
                return;
        xw_start(w, "reservations");
        xw_attr(w, "managed", tristate_word(pr->managed, "yes", "no"));
        if (pr->path) {
                xw_start(w, "source");
                xw_attr(w, "type", "unix");
                xw_attr(w, "path", pr->path);
                xw_attr(w, "mode", "client");
                xw_end(w);
        }
        xw_end(w);
}

int domain_validate_disk_reservations(const DomainDiskDef *d, ConfError *err) {
        if (d->pr && d->device != DOMAIN_DISK_DEVICE_LUN)
                return xml_err_unsupported(err, "disk '%s': <reservations/> allowed only for lun devices", d->dst);
        return 0;
}

void domain_disk_reservations_free(DomainDiskReservations *pr) {
        if (!pr)
                return;
        free(pr->path);
        free(pr);
}

bool domain_disk_reservations_own(DomainDiskReservations **p) {
        DomainDiskReservations *pr;

        if (!*p)
                return true;
        pr = malloc(sizeof(*pr));
        if (pr) {
                *pr = **p;
                if (!own_str(&pr->path)) {
                        free(pr);
                        pr = NULL;
                }
        }
        *p = pr;
        return pr != NULL;
}
