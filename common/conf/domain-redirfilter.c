/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <redirfilter>: which USB devices of the other end a <redirdev> may
 * redirect, as a list of <usbdev class vendor product version allow/>
 * rules (QEMU's usb-redir filter=). An attribute left out or '-1' matches
 * any value, as in libvirt. */
#include <stdlib.h>

#include "domain-conf-internal.h"

/* '-1' or a number (0x.. hex) up to max; absent: -1. */
static int parse_id(xmlNodePtr n, const char *path, const char *attr, int max, int *ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        char *end = NULL;
        long v;
        int r;

        *ret = -1;
        r = xml_attr_str(n, path, attr, &s, err);
        if (r <= 0)
                return r;
        errno = 0;
        v = strtol(s, &end, 0);
        if (errno || end == s || *end || v < -1 || v > max)
                return xml_err_xml(err, "invalid value '%s' of attribute '%s' of <%s>: -1 or 0 to 0x%X", s, attr,
                                   path, (unsigned) max);
        *ret = (int) v;
        return 0;
}

/* version='M.N' (each 0 to 99): the device's bcdDevice, as USB has it. */
static int parse_version(xmlNodePtr n, const char *path, int *ret, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        unsigned major, minor;
        char tail;
        int r;

        *ret = -1;
        r = xml_attr_str(n, path, "version", &s, err);
        if (r <= 0 || streq(s, "-1"))
                return r < 0 ? r : 0;
        if (sscanf(s, "%2u.%2u%c", &major, &minor, &tail) != 2 || strspn(s, "0123456789.") != strlen(s))
                return xml_err_xml(err, "cannot parse USB device version '%s' of <%s>", s, path);
        *ret = (int) ((major / 10) << 12 | (major % 10) << 8 | (minor / 10) << 4 | (minor % 10));
        return 0;
}

static int parse_rule(void *userdata, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDef *def = userdata;
        DomainRedirFilterRule *u;
        int r;

        r = LIST_APPEND(def->redirfilter, def->n_redirfilter, &u, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "class", "vendor", "product", "version", "allow");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_id(n, path, "class", 0xFF, &u->usb_class, err);
        if (r >= 0)
                r = parse_id(n, path, "vendor", 0xFFFF, &u->vendor, err);
        if (r >= 0)
                r = parse_id(n, path, "product", 0xFFFF, &u->product, err);
        if (r >= 0)
                r = parse_version(n, path, &u->version, err);
        if (r < 0)
                return r;
        if (!xmlHasProp(n, BAD_CAST "allow"))
                return xml_err_xml(err, "missing attribute 'allow' of <%s>", path);
        r = xml_attr_bool(n, path, "allow", "yes", "no", &u->allow, err);
        return r < 0 ? r : 0;
}

int domain_parse_redirfilter(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_parse_list(n, path, "usbdev", parse_rule, def, err);

        def->has_redirfilter = r >= 0;
        return r < 0 ? r : 0;
}

void domain_format_redirfilter(XmlWriter *w, const DomainDef *def) {
        if (!def->has_redirfilter)
                return;
        xw_start(w, "redirfilter");
        for (size_t i = 0; i < def->n_redirfilter; i++) {
                const DomainRedirFilterRule *u = &def->redirfilter[i];
                unsigned v = (unsigned) u->version;

                xw_start(w, "usbdev");
                if (u->usb_class >= 0)
                        xw_attrf(w, "class", "0x%02X", (unsigned) u->usb_class);
                if (u->vendor >= 0)
                        xw_attrf(w, "vendor", "0x%04X", (unsigned) u->vendor);
                if (u->product >= 0)
                        xw_attrf(w, "product", "0x%04X", (unsigned) u->product);
                if (u->version >= 0)
                        xw_attrf(w, "version", "%u.%02u", (v >> 12) * 10 + (v >> 8 & 0xF),
                                 (v >> 4 & 0xF) * 10 + (v & 0xF));
                xw_attr(w, "allow", u->allow ? "yes" : "no");
                xw_end(w);
        }
        xw_end(w);
}
