/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><tpm>: parsed and formatted back (domain-tpm.h). */
#include "domain-conf-internal.h"
#include "util.h"
#include "uuid.h"

static const char *const backend_table[_DOMAIN_TPM_BACKEND_MAX] = {
        [DOMAIN_TPM_PASSTHROUGH] = "passthrough",
        [DOMAIN_TPM_EMULATOR] = "emulator",
        [DOMAIN_TPM_EXTERNAL] = "external",
};
static const char *const models[] = { "tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy" };
static const char *const versions[] = { "1.2", "2.0" };
static const char *const banks[] = { "sha1", "sha256", "sha384", "sha512" };

const char *domain_tpm_backend_to_string(DomainTpmBackend b) {
        return (size_t) b < ELEMENTSOF(backend_table) ? backend_table[b] : NULL;
}

static int parse_empty(xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        return r < 0 ? r : 0;
}

static int parse_banks(DomainTpmDef *t, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        t->has_pcr_banks = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                size_t i = 0;

                while (i < ELEMENTSOF(banks) && !xml_is(c, banks[i]))
                        i++;
                if (i == ELEMENTSOF(banks))
                        return xml_unsupported_element(c, path, err);
                r = parse_empty(c, sub, err);
                if (r < 0)
                        return r;
                t->pcr_banks |= 1u << i;
        }
        return 0;
}

static int parse_path_child(DomainTpmDef *t, xmlNodePtr c, const char *path, bool source, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = source ? XML_CHECK_ATTRS(c, path, err, "type", "mode", "path") : XML_CHECK_ATTRS(c, path, err, "path");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0 && source) {
                static const char *const unix_only[] = { "unix" }, *const connect_only[] = { "connect" };
                _cleanup_free_ char *type = NULL, *mode = NULL;

                r = xml_attr_choice(c, path, "type", unix_only, 1, &type, err);
                if (r >= 0)
                        r = xml_attr_choice(c, path, "mode", connect_only, 1, &mode, err);
        }
        if (r >= 0)
                r = source ? xml_attr_str_required(c, path, "path", &t->path, err) : xml_attr_str(c, path, "path", &t->path, err);
        if (r > 0)
                r = domain_check_abs_path(t->path, "the path of", path, err);
        return r < 0 ? r : 0;
}

static int parse_backend(DomainTpmDef *t, xmlNodePtr n, const char *path, ConfError *err) {
        int type = 0, r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "version", "persistent_state");
        if (r >= 0 && (r = xml_attr_enum(n, path, "type", backend_table, ELEMENTSOF(backend_table), &type, err)) == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        t->backend = type;
        if (r >= 0)
                r = xml_attr_choice(n, path, "version", versions, ELEMENTSOF(versions), &t->version, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "persistent_state", "yes", "no", &t->persistent_state, err);
        if (r >= 0 && t->persistent_state != TRISTATE_ABSENT && t->backend != DOMAIN_TPM_EMULATOR)
                return xml_err_xml(err, "persistent_state of <%s> is only for type 'emulator'", path);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "device") && t->backend == DOMAIN_TPM_PASSTHROUGH)
                        r = parse_path_child(t, c, sub, false, err);
                else if (xml_is(c, "source") && t->backend == DOMAIN_TPM_EXTERNAL)
                        r = parse_path_child(t, c, sub, true, err);
                else if (xml_is(c, "encryption") && t->backend == DOMAIN_TPM_EMULATOR) {
                        uint8_t u[16];

                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = XML_CHECK_ATTRS(c, sub, err, "secret");
                        if (r >= 0)
                                r = xml_check_empty(c, sub, err);
                        if (r >= 0)
                                r = xml_attr_str_required(c, sub, "secret", &t->secret, err);
                        if (r >= 0 && uuid_parse(t->secret, u) < 0)
                                return xml_err_invalid(err, "invalid uuid '%s' of <%s>", t->secret, sub);
                } else if (xml_is(c, "active_pcr_banks") && t->backend == DOMAIN_TPM_EMULATOR)
                        r = parse_banks(t, c, sub, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int domain_parse_tpm(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainTpmDef *t;
        bool backend = false;
        int r;

        r = LIST_APPEND(def->tpms, def->n_tpms, &t, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "model", models, ELEMENTSOF(models), &t->model, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "backend")) {
                        r = parse_backend(t, c, sub, err);
                        backend = true;
                } else if (xml_is(c, "alias"))
                        r = domain_parse_alias(c, sub, &t->alias, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!backend)
                return xml_err_xml(err, "missing TPM device backend (<%s/backend>)", path);
        return 0;
}

void domain_format_tpm(XmlWriter *w, const DomainTpmDef *t, unsigned flags) {
        xw_start(w, "tpm");
        xw_attr(w, "model", t->model);
        xw_start(w, "backend");
        xw_attr(w, "type", backend_table[t->backend]);
        xw_attr(w, "version", t->version);
        xw_attr(w, "persistent_state", tristate_word(t->persistent_state, "yes", "no"));
        if (t->backend == DOMAIN_TPM_PASSTHROUGH && t->path) {
                xw_start(w, "device");
                xw_attr(w, "path", t->path);
                xw_end(w);
        }
        if (t->backend == DOMAIN_TPM_EXTERNAL && t->path) {
                xw_start(w, "source");
                xw_attr(w, "type", "unix");
                xw_attr(w, "mode", "connect");
                xw_attr(w, "path", t->path);
                xw_end(w);
        }
        if (t->secret) {
                xw_start(w, "encryption");
                xw_attr(w, "secret", t->secret);
                xw_end(w);
        }
        if (t->has_pcr_banks) {
                xw_start(w, "active_pcr_banks");
                for (size_t i = 0; i < ELEMENTSOF(banks); i++)
                        if (t->pcr_banks & (1u << i))
                                xw_empty(w, banks[i]);
                xw_end(w);
        }
        xw_end(w);
        domain_format_alias(w, t->alias, flags);
        xw_end(w);
}

void domain_tpm_clear(DomainTpmDef *t) {
        free(t->model);
        free(t->version);
        free(t->secret);
        free(t->path);
        free(t->alias);
}

bool domain_tpm_own(DomainTpmDef *t) {
        bool ok = true;

        ok = own_str(&t->model) && ok;
        ok = own_str(&t->version) && ok;
        ok = own_str(&t->secret) && ok;
        ok = own_str(&t->path) && ok;
        ok = own_str(&t->alias) && ok;
        return ok;
}
