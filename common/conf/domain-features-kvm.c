/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The accelerator's <features>: <kvm> (hidden, hint-dedicated,
 * poll-control, pv-ipi, dirty-ring size=''), <tcg><tb-cache>, <smm><tseg>
 * and <vmcoreinfo>, with libvirt's parse rules and its formatting. */
#include <inttypes.h>

#include "domain-conf-internal.h"

static const char *const kvm_names[_DOMAIN_KVM_MAX] = {
        [DOMAIN_KVM_HIDDEN] = "hidden",
        [DOMAIN_KVM_HINT_DEDICATED] = "hint-dedicated",
        [DOMAIN_KVM_POLL_CONTROL] = "poll-control",
        [DOMAIN_KVM_PV_IPI] = "pv-ipi",
        [DOMAIN_KVM_DIRTY_RING] = "dirty-ring",
};

/* libvirt: a power of two from 1024 to 65536 entries. */
static int parse_dirty_ring(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_uint(n, path, "size", &f->kvm_dirty_ring_size, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'size' of <%s> with state='on'", path);
        if (f->kvm_dirty_ring_size < 1024 || f->kvm_dirty_ring_size > 65536 ||
            (f->kvm_dirty_ring_size & (f->kvm_dirty_ring_size - 1)))
                return xml_err_xml(err, "dirty ring must be power of 2 and ranges [1024, 65536] (size='%u' of <%s>)",
                                   f->kvm_dirty_ring_size, path);
        return 0;
}

static int parse_kvm_child(DomainFeaturesDef *f, xmlNodePtr c, const char *path, ConfError *err) {
        int i = table_lookup(kvm_names, _DOMAIN_KVM_MAX, (const char *) c->name);
        Tristate *state;
        int r;

        state = i == DOMAIN_KVM_HIDDEN ? &f->kvm_hidden : &f->kvm[i];
        r = xml_check_unique(c, path, err);
        if (r >= 0)
                r = i == DOMAIN_KVM_DIRTY_RING ? XML_CHECK_ATTRS(c, path, err, "state", "size") :
                                                 XML_CHECK_ATTRS(c, path, err, "state");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0)
                r = domain_attr_tristate(c, path, "state", "on", "off", state, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'state' of <%s>", path);
        if (r < 0)
                return r;
        /* the size counts only with the ring on (libvirt reads it then) */
        if (i == DOMAIN_KVM_DIRTY_RING && *state == TRISTATE_ON)
                return parse_dirty_ring(f, c, path, err);
        return 0;
}

int domain_parse_kvm_features(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (c->ns || table_lookup(kvm_names, _DOMAIN_KVM_MAX, (const char *) c->name) < 0)
                        return xml_unsupported_element(c, path, err);
                r = parse_kvm_child(f, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool domain_kvm_features_present(const DomainFeaturesDef *f) {
        for (size_t i = 0; i < _DOMAIN_KVM_MAX; i++)
                if (f->kvm[i] != TRISTATE_ABSENT)
                        return true;
        return f->kvm_hidden != TRISTATE_ABSENT;
}

void domain_format_kvm_features(XmlWriter *w, const DomainFeaturesDef *f) {
        if (!domain_kvm_features_present(f))
                return;
        xw_start(w, "kvm");
        for (size_t i = 0; i < _DOMAIN_KVM_MAX; i++) {
                Tristate s = i == DOMAIN_KVM_HIDDEN ? f->kvm_hidden : f->kvm[i];

                if (s == TRISTATE_ABSENT)
                        continue;
                xw_start(w, kvm_names[i]);
                xw_attr(w, "state", tristate_word(s, "on", "off"));
                if (i == DOMAIN_KVM_DIRTY_RING && s == TRISTATE_ON)
                        xw_attrf(w, "size", "%u", f->kvm_dirty_ring_size);
                xw_end(w);
        }
        xw_end(w);
}

/* <tcg><tb-cache unit=''>N</tb-cache></tcg>: the translation block cache. */
int domain_parse_tcg_features(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        f->tcg = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "tb-cache"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "unit");
                if (r >= 0)
                        r = xml_text_scaled_kib(c, sub, &f->tcg_tb_cache_kib, err);
                if (r < 0)
                        return r;
                if (f->tcg_tb_cache_kib == 0)
                        return xml_err_xml(err, "value of <%s> must be greater than zero", sub);
        }
        return 0;
}

void domain_format_tcg_features(XmlWriter *w, const DomainFeaturesDef *f) {
        if (!f->tcg)
                return;
        if (!f->tcg_tb_cache_kib) {
                xw_empty(w, "tcg");
                return;
        }
        xw_start(w, "tcg");
        xw_start(w, "tb-cache");
        xw_attr(w, "unit", "KiB");
        xw_textf(w, "%" PRIu64, f->tcg_tb_cache_kib);
        xw_end(w);
        xw_end(w);
}

/* <smm state='on'><tseg unit='MiB'>48</tseg></smm>: q35's extended TSEG
 * (libvirt reads it only with SMM on; its default unit is MiB). */
int domain_parse_smm(DomainFeaturesDef *f, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "state");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "state", "on", "off", &f->smm, err);
        if (r < 0)
                return r;
        if (r == 0)
                f->smm = TRISTATE_ON;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                _cleanup_free_ char *unit = NULL;
                uint64_t value, scale = 1024 * 1024;

                if (!xml_is(c, "tseg"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "unit");
                if (r >= 0)
                        r = xml_attr_str(c, sub, "unit", &unit, err);
                if (r >= 0)
                        r = xml_text_ullong(c, sub, &value, err);
                if (r < 0)
                        return r;
                if ((unit && unit_scale(unit, &scale) < 0) || (value && scale > UINT64_MAX / value))
                        return xml_err_invalid(err, "invalid size '%" PRIu64 " %s' of <%s>", value, unit ?: "MiB",
                                               sub);
                if (f->smm == TRISTATE_ON) {
                        f->has_smm_tseg = true;
                        f->smm_tseg_bytes = value * scale;
                }
        }
        return 0;
}

/* libvirt's virFormatIntPretty(): the largest unit the size is a whole number of. */
static void format_pretty_size(XmlWriter *w, const char *name, uint64_t bytes) {
        static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        size_t u = 0;

        while (u + 1 < ELEMENTSOF(units) && bytes && bytes % 1024 == 0) {
                bytes /= 1024;
                u++;
        }
        xw_start(w, name);
        xw_attr(w, "unit", units[u]);
        xw_textf(w, "%" PRIu64, bytes);
        xw_end(w);
}

void domain_format_smm(XmlWriter *w, const DomainFeaturesDef *f) {
        if (f->smm == TRISTATE_ABSENT)
                return;
        xw_start(w, "smm");
        xw_attr(w, "state", tristate_word(f->smm, "on", "off"));
        if (f->smm == TRISTATE_ON && f->has_smm_tseg)
                format_pretty_size(w, "tseg", f->smm_tseg_bytes);
        xw_end(w);
}
