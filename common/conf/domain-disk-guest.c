/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest sees of a <disk> besides its contents: the identity
 * (<wwn>, <vendor>, <product>), the shape (<geometry>, <blockio>,
 * <target rotation_rate=''/>), the tray of a removable drive and
 * <transient/>. Parsed and formatted here; domain-disk.c calls in. */
#include <ctype.h>

#include "domain-conf-internal.h"

static const char *const geometry_trans[] = { "none", "lba", "auto" };

/* libvirt's rule: 16 hex digits, an optional "0x" before them. */
static bool wwn_is_valid(const char *s) {
        if (strncmp(s, "0x", 2) == 0)
                s += 2;
        if (strlen(s) != 16)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char) *s))
                        return false;
        return true;
}

static bool is_printable(const char *s) {
        for (; *s; s++)
                if (!isprint((unsigned char) *s))
                        return false;
        return true;
}

/* <vendor> (8) and <product> (16): SCSI INQUIRY fields, printable ASCII. */
static int parse_inquiry_text(char **ret, size_t max, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, ret, err);
        if (r < 0)
                return r;
        if (!is_printable(*ret))
                return xml_err_xml(err, "<%s> '%s' is not a printable string", path, *ret);
        if (strlen(*ret) > max)
                return xml_err_unsupported(err, "<%s> '%s' is more than %zu characters", path, *ret, max);
        return 0;
}

static int parse_wwn(DomainDiskGuestOpts *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_text(n, path, &g->wwn, err);
        if (r < 0)
                return r;
        if (!wwn_is_valid(g->wwn))
                return xml_err_invalid(err, "malformed wwn '%s' in <%s>: 16 hex digits", g->wwn, path);
        return 0;
}

static int parse_geometry(DomainDiskGuestOpts *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "cyls", "heads", "secs", "trans");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "cyls", &g->cyls, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "heads", &g->heads, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "secs", &g->secs, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "trans", geometry_trans, ELEMENTSOF(geometry_trans), &g->trans, err);
        return r < 0 ? r : 0;
}

static int parse_blockio(DomainDiskGuestOpts *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "logical_block_size", "physical_block_size");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "logical_block_size", &g->logical_block_size, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "physical_block_size", &g->physical_block_size, err);
        return r < 0 ? r : 0;
}

static int parse_transient(DomainDiskGuestOpts *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "shareBacking");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_bool(n, path, "shareBacking", "yes", "no", &g->transient_share_backing, err);
        if (r < 0)
                return r;
        g->transient = true;
        return 0;
}

int domain_parse_disk_guest(DomainDiskDef *d, xmlNodePtr c, const char *path, ConfError *err) {
        DomainDiskGuestOpts *g = &d->guest;

        if (xml_is(c, "wwn"))
                return parse_wwn(g, c, path, err);
        if (xml_is(c, "vendor"))
                return parse_inquiry_text(&g->vendor, 8, c, path, err);
        if (xml_is(c, "product"))
                return parse_inquiry_text(&g->product, 16, c, path, err);
        if (xml_is(c, "geometry"))
                return parse_geometry(g, c, path, err);
        if (xml_is(c, "blockio"))
                return parse_blockio(g, c, path, err);
        if (xml_is(c, "transient"))
                return parse_transient(g, c, path, err);
        if (xml_is(c, "acpi"))
                return domain_parse_acpi_index(c, path, &d->acpi_index, err);
        return xml_unsupported_element(c, path, err);
}

/* <target tray='' rotation_rate=''/> */
int domain_parse_disk_target_guest(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const trays[] = { "closed", "open" };
        int tray = 0, r;

        r = xml_attr_enum(n, path, "tray", trays, ELEMENTSOF(trays), &tray, err);
        if (r < 0)
                return r;
        d->guest.tray_open = tray == 1;
        r = xml_attr_uint(n, path, "rotation_rate", &d->guest.rotation_rate, err);
        return r < 0 ? r : 0;
}

void domain_format_disk_target_guest(XmlWriter *w, const DomainDiskDef *d) {
        /* as libvirt: a tray only on a drive that has one, 'closed' left out */
        if (d->guest.tray_open &&
            (d->device == DOMAIN_DISK_DEVICE_CDROM || d->device == DOMAIN_DISK_DEVICE_FLOPPY))
                xw_attr(w, "tray", "open");
        if (d->guest.rotation_rate)
                xw_attrf(w, "rotation_rate", "%u", d->guest.rotation_rate);
}

/* <geometry> and <blockio>, before <target> as libvirt writes them. */
void domain_format_disk_shape(XmlWriter *w, const DomainDiskDef *d) {
        const DomainDiskGuestOpts *g = &d->guest;

        /* libvirt keeps a geometry only when all three are set */
        if (g->cyls && g->heads && g->secs) {
                xw_start(w, "geometry");
                xw_attrf(w, "cyls", "%u", g->cyls);
                xw_attrf(w, "heads", "%u", g->heads);
                xw_attrf(w, "secs", "%u", g->secs);
                xw_attr(w, "trans", g->trans);
                xw_end(w);
        }
        if (g->logical_block_size || g->physical_block_size) {
                xw_start(w, "blockio");
                if (g->logical_block_size)
                        xw_attrf(w, "logical_block_size", "%u", g->logical_block_size);
                if (g->physical_block_size)
                        xw_attrf(w, "physical_block_size", "%u", g->physical_block_size);
                xw_end(w);
        }
}

void domain_format_disk_transient(XmlWriter *w, const DomainDiskDef *d) {
        if (!d->guest.transient)
                return;
        xw_start(w, "transient");
        if (d->guest.transient_share_backing)
                xw_attr(w, "shareBacking", "yes");
        xw_end(w);
}


/* <wwn>, <vendor>, <product>: after <serial>. */
void domain_format_disk_ids(XmlWriter *w, const DomainDiskDef *d) {
        xw_element(w, "wwn", d->guest.wwn);
        xw_element(w, "vendor", d->guest.vendor);
        xw_element(w, "product", d->guest.product);
}

void domain_disk_guest_clear(DomainDiskGuestOpts *g) {
        free(g->wwn);
        free(g->vendor);
        free(g->product);
        free(g->trans);
}

bool domain_disk_guest_own(DomainDiskGuestOpts *g) {
        bool ok = true;

        ok = own_str(&g->wwn) && ok;
        ok = own_str(&g->vendor) && ok;
        ok = own_str(&g->product) && ok;
        ok = own_str(&g->trans) && ok;
        return ok;
}
