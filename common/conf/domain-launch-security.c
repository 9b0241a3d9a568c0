/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <launchSecurity type='sev'>: an AMD SEV guest, its memory encrypted by
 * the host's secure processor (policy, the guest owner's Diffie-Hellman
 * certificate and session blob, the C-bit position and the physical
 * address bits it costs: those two the host's, libvirt fills them when left
 * out), kernelHashes='yes' to measure a direct-boot kernel too.
 * type='s390-pv' (IBM Z protected virtualization) has no children. */
#include "domain-conf-internal.h"

static const char *const type_table[_DOMAIN_LSEC_MAX] = {
        [DOMAIN_LSEC_SEV] = "sev",
        [DOMAIN_LSEC_S390_PV] = "s390-pv",
};

const char *domain_lsec_type_to_string(DomainLaunchSecurityType t) {
        return t < _DOMAIN_LSEC_MAX ? type_table[t] : NULL;
}

static int parse_uint_child(xmlNodePtr c, const char *path, unsigned *ret, bool *has, ConfError *err) {
        int r = XML_CHECK_ATTRS(c, path, err, NULL);

        if (r >= 0)
                r = xml_text_uint(c, path, ret, err);
        if (r < 0)
                return r;
        *has = true;
        return 0;
}

/* <policy> is hexadecimal, with or without 0x (libvirt reads it base 16). */
static int parse_policy(DomainLaunchSecurity *ls, xmlNodePtr c, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        unsigned long v;
        char *end;
        int r;

        r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_text(c, path, &s, err);
        if (r < 0)
                return r;
        str_strip(s);
        errno = 0;
        v = strtoul(s, &end, 16);
        if (!*s || *end || errno || v > UINT32_MAX || s[0] == '-')
                return xml_err_xml(err, "failed to get launch security policy: '%s' of <%s> is no hexadecimal "
                                   "32-bit number", s, path);
        ls->policy = (unsigned) v;
        ls->has_policy = true;
        return 0;
}

static int parse_sev_child(DomainLaunchSecurity *ls, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r < 0)
                return r;
        if (xml_is(c, "policy"))
                return parse_policy(ls, c, path, err);
        if (xml_is(c, "cbitpos"))
                return parse_uint_child(c, path, &ls->cbitpos, &ls->has_cbitpos, err);
        if (xml_is(c, "reducedPhysBits"))
                return parse_uint_child(c, path, &ls->reduced_phys_bits, &ls->has_reduced_phys_bits, err);
        r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_text(c, path, xml_is(c, "dhCert") ? &ls->dh_cert : &ls->session, err);
        return r < 0 ? r : 0;
}

int domain_parse_launch_security(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const sev_children[] = { "cbitpos", "reducedPhysBits", "policy", "dhCert", "session" };
        DomainLaunchSecurity *ls = &def->launch_security;
        int r, type;

        r = XML_CHECK_ATTRS(n, path, err, "type", "kernelHashes");
        if (r >= 0)
                r = xml_attr_enum(n, path, "type", type_table, _DOMAIN_LSEC_MAX, &type, err);
        if (r == 0 || (r > 0 && type == DOMAIN_LSEC_NONE))
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (r < 0)
                return r;
        ls->type = type;
        if (type == DOMAIN_LSEC_S390_PV)
                return XML_CHECK_ATTRS(n, path, err, "type") ?: xml_check_empty(n, path, err);
        r = domain_attr_tristate(n, path, "kernelHashes", "yes", "no", &ls->kernel_hashes, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is_any(c, sev_children, ELEMENTSOF(sev_children)))
                        return xml_unsupported_element(c, path, err);
                r = parse_sev_child(ls, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (!ls->has_policy)
                return xml_err_xml(err, "failed to get launch security policy: missing <%s/policy>", path);
        return 0;
}

void domain_format_launch_security(XmlWriter *w, const DomainLaunchSecurity *ls) {
        if (ls->type == DOMAIN_LSEC_NONE)
                return;
        xw_start(w, "launchSecurity");
        xw_attr(w, "type", type_table[ls->type]);
        if (ls->type == DOMAIN_LSEC_SEV) {
                xw_attr(w, "kernelHashes", tristate_word(ls->kernel_hashes, "yes", "no"));
                if (ls->has_cbitpos)
                        xw_elementf(w, "cbitpos", "%u", ls->cbitpos);
                if (ls->has_reduced_phys_bits)
                        xw_elementf(w, "reducedPhysBits", "%u", ls->reduced_phys_bits);
                xw_elementf(w, "policy", "0x%04x", ls->policy);
                xw_element(w, "dhCert", ls->dh_cert);
                xw_element(w, "session", ls->session);
        }
        xw_end(w);
}

void domain_launch_security_clear(DomainLaunchSecurity *ls) {
        free(ls->dh_cert);
        free(ls->session);
}

bool domain_launch_security_own(DomainLaunchSecurity *ls) {
        bool ok = own_str(&ls->dh_cert);

        return own_str(&ls->session) && ok;
}
