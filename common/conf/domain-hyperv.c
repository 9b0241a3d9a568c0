/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <features><hyperv>: the Hyper-V enlightenments of Windows guests. */
#include "domain-conf-internal.h"

/* <stimer state=''><direct state=''/></stimer> */
static int parse_stimer_direct(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "direct"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "direct");
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                r = XML_CHECK_ATTRS(c, sub, err, "state");
                if (r < 0)
                        return r;
                r = xml_check_empty(c, sub, err);
                if (r < 0)
                        return r;
                r = domain_attr_tristate(c, sub, "state", "on", "off", &f->hyperv_stimer_direct, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return xml_err_xml(err, "missing attribute 'state' of <%s>", sub);
        }
        return 0;
}

static int parse_vendor_id(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_str(n, path, "value", &f->hyperv_vendor_id, err);
        if (r < 0)
                return r;
        if (r == 0) {
                if (f->hyperv[DOMAIN_HYPERV_VENDOR_ID] == TRISTATE_ON)
                        return xml_err_xml(err, "missing attribute 'value' of <%s> with state='on'", path);
                return 0;
        }
        if (strlen(f->hyperv_vendor_id) > DOMAIN_HYPERV_VENDOR_ID_MAX ||
            (!*f->hyperv_vendor_id && f->hyperv[DOMAIN_HYPERV_VENDOR_ID] == TRISTATE_ON))
                return xml_err_invalid(err, "value '%s' of <%s> must be 1 to %d characters", f->hyperv_vendor_id,
                                       path, DOMAIN_HYPERV_VENDOR_ID_MAX);
        /* a comma would end QEMU's -cpu option; the schema forbids it too */
        return domain_check_charset(f->hyperv_vendor_id, CHARSET_ALNUM " _-.:", "attribute 'value' of", path, err);
}

static int parse_hyperv_feature(DomainFeaturesDef *f, DomainHypervFeature feat, xmlNodePtr n, const char *path,
                                ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = feat == DOMAIN_HYPERV_SPINLOCKS ? XML_CHECK_ATTRS(n, path, err, "state", "retries") :
            feat == DOMAIN_HYPERV_VENDOR_ID ? XML_CHECK_ATTRS(n, path, err, "state", "value") :
                                              XML_CHECK_ATTRS(n, path, err, "state");
        if (r < 0)
                return r;
        if (feat != DOMAIN_HYPERV_STIMER) {
                r = xml_check_empty(n, path, err);
                if (r < 0)
                        return r;
        }
        r = domain_attr_tristate(n, path, "state", "on", "off", &f->hyperv[feat], err);
        if (r < 0)
                return r;
        /* <stimer> may carry just <direct/>: libvirt's schema makes its state optional */
        if (r == 0 && feat != DOMAIN_HYPERV_STIMER)
                return xml_err_xml(err, "missing attribute 'state' of <%s>", path);

        switch (feat) {
        case DOMAIN_HYPERV_SPINLOCKS:
                r = xml_attr_uint(n, path, "retries", &f->hyperv_spinlocks, err);
                if (r < 0)
                        return r;
                if (f->hyperv[feat] != TRISTATE_ON)
                        return 0;
                if (r == 0)
                        return xml_err_xml(err, "missing attribute 'retries' of <%s> with state='on'", path);
                if (f->hyperv_spinlocks < DOMAIN_HYPERV_SPINLOCKS_MIN)
                        return xml_err_invalid(err, "retries '%u' of <%s> must be at least %u",
                                               f->hyperv_spinlocks, path, DOMAIN_HYPERV_SPINLOCKS_MIN);
                return 0;
        case DOMAIN_HYPERV_VENDOR_ID:
                return parse_vendor_id(f, n, path, err);
        case DOMAIN_HYPERV_STIMER:
                r = parse_stimer_direct(f, n, path, err);
                if (r < 0)
                        return r;
                if (f->hyperv[feat] == TRISTATE_ABSENT && f->hyperv_stimer_direct == TRISTATE_ABSENT)
                        return xml_err_xml(err, "missing attribute 'state' of <%s>", path);
                return 0;
        default:
                return 0;
        }
}

int domain_parse_hyperv(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "mode");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        f->hyperv_mode = DOMAIN_HYPERV_MODE_CUSTOM;
        r = DOMAIN_ATTR_ENUM(n, path, "mode", domain_hyperv_mode, &f->hyperv_mode, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                int i = domain_hyperv_feature_from_string((const char *) c->name);

                if (i < 0)
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (f->hyperv_mode == DOMAIN_HYPERV_MODE_PASSTHROUGH)
                        return xml_err_unsupported(err, "<%s> in <%s mode='passthrough'> is not supported: "
                                                   "passthrough takes every feature the host has", sub, path);
                r = parse_hyperv_feature(f, (DomainHypervFeature) i, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_hyperv(XmlWriter *w, const DomainFeaturesDef *f) {
        if (f->hyperv_mode == DOMAIN_HYPERV_MODE_NONE)
                return;
        xw_start(w, "hyperv");
        xw_attr(w, "mode", domain_hyperv_mode_to_string(f->hyperv_mode));
        for (int i = 0; f->hyperv_mode == DOMAIN_HYPERV_MODE_CUSTOM && i < _DOMAIN_HYPERV_MAX; i++) {
                Tristate t = f->hyperv[i];

                if (t == TRISTATE_ABSENT &&
                    !(i == DOMAIN_HYPERV_STIMER && f->hyperv_stimer_direct != TRISTATE_ABSENT))
                        continue;
                xw_start(w, domain_hyperv_feature_to_string((DomainHypervFeature) i));
                xw_attr(w, "state", tristate_word(t, "on", "off"));
                if (i == DOMAIN_HYPERV_SPINLOCKS && f->hyperv_spinlocks)
                        xw_attrf(w, "retries", "%u", f->hyperv_spinlocks);
                if (i == DOMAIN_HYPERV_VENDOR_ID)
                        xw_attr(w, "value", f->hyperv_vendor_id);
                if (i == DOMAIN_HYPERV_STIMER && f->hyperv_stimer_direct != TRISTATE_ABSENT) {
                        xw_start(w, "direct");
                        xw_attr(w, "state", tristate_word(f->hyperv_stimer_direct, "on", "off"));
                        xw_end(w);
                }
                xw_end(w);
        }
        xw_end(w);
}
