/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <seclabel> of a domain and of a disk's <source>: parse, check, format. */
#include "domain-conf-internal.h"
#include "domain-seclabel.h"

static const char *const seclabel_type_table[_DOMAIN_SECLABEL_TYPE_MAX] = {
        [DOMAIN_SECLABEL_DEFAULT] = NULL,
        [DOMAIN_SECLABEL_DYNAMIC] = "dynamic",
        [DOMAIN_SECLABEL_STATIC] = "static",
        [DOMAIN_SECLABEL_NONE] = "none",
};

const char *domain_seclabel_type_to_string(DomainSeclabelType t) {
        return t >= 0 && t < _DOMAIN_SECLABEL_TYPE_MAX ? seclabel_type_table[t] : NULL;
}

int domain_seclabel_type_from_string(const char *s) {
        return s ? table_lookup(seclabel_type_table, _DOMAIN_SECLABEL_TYPE_MAX, s) : -1;
}

DomainSeclabelType domain_seclabel_type(const DomainSeclabelDef *s) {
        return s->type == DOMAIN_SECLABEL_DEFAULT ? DOMAIN_SECLABEL_DYNAMIC : s->type;
}

/* libvirt's defaults: dynamic relabels, static and none do not. */
bool domain_seclabel_relabel(const DomainSeclabelDef *s) {
        if (s->relabel >= 0)
                return s->relabel;
        return domain_seclabel_type(s) == DOMAIN_SECLABEL_DYNAMIC;
}

bool domain_dev_seclabel_relabel(const DomainDevSeclabelDef *s) {
        return s->relabel != 0 && !s->labelskip;
}

const DomainSeclabelDef *domain_seclabel_find(const DomainSeclabelDef *a, size_t n, const char *model) {
        for (size_t i = 0; i < n; i++)
                if (!model || !*model || streq_ptr(a[i].model, model))
                        return &a[i];
        return NULL;
}

const DomainDevSeclabelDef *domain_dev_seclabel_find(const DomainDevSeclabelDef *a, size_t n, const char *model) {
        /* one without a model applies to every model */
        for (size_t i = 0; i < n; i++)
                if (!a[i].model || streq_ptr(a[i].model, model))
                        return &a[i];
        return NULL;
}

static int check_model(const char *model, const char *path, ConfError *err) {
        return domain_check_charset(model, CHARSET_ALNUM "_-", "attribute 'model' of", path, err);
}

/* <label>, <imagelabel>, <baselabel>: one line of text each. */
static int parse_label_text(xmlNodePtr c, const char *path, char **ret, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_text(c, path, ret, err);
        if (r < 0)
                return r;
        if (!**ret || str_has_newline(*ret) || strlen(*ret) >= 4096)
                return xml_err_invalid(err, "invalid security label '%s' in <%s>", *ret, path);
        return 0;
}

static int parse_relabel(xmlNodePtr n, const char *path, int *ret, ConfError *err) {
        bool b = false;
        int r = xml_attr_bool(n, path, "relabel", "yes", "no", &b, err);

        if (r < 0)
                return r;
        *ret = r > 0 ? b : -1;
        return 0;
}

int domain_parse_seclabel(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSeclabelDef *s;
        int r;

        r = LIST_APPEND(def->seclabels, def->n_seclabels, &s, path, err);
        if (r < 0)
                return r;
        s->relabel = -1;
        r = XML_CHECK_ATTRS(n, path, err, "type", "model", "relabel");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = DOMAIN_ATTR_ENUM(n, path, "type", domain_seclabel_type, &s->type, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "model", &s->model, err);
        if (r > 0)
                r = check_model(s->model, path, err);
        if (r >= 0)
                r = parse_relabel(n, path, &s->relabel, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "label"))
                        r = parse_label_text(c, sub, &s->label, err);
                else if (xml_is(c, "imagelabel"))
                        r = parse_label_text(c, sub, &s->imagelabel, err);
                else if (xml_is(c, "baselabel"))
                        r = parse_label_text(c, sub, &s->baselabel, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }

        /* domain.rng's three shapes, with libvirt's messages */
        switch (domain_seclabel_type(s)) {
        case DOMAIN_SECLABEL_DYNAMIC:
                if (s->relabel == 0)
                        return xml_err_xml(err, "dynamic label type must use resource relabeling (<%s%s%s>)", path,
                                           s->model ? " model=" : "", s->model ? s->model : "");
                break;
        case DOMAIN_SECLABEL_STATIC:
                if (!s->label)
                        return xml_err_xml(err, "security label is missing: <%s type='static'%s%s> needs a <label>",
                                           path, s->model ? " model=" : "", s->model ? s->model : "");
                if (s->baselabel)
                        return xml_err_xml(err, "<%s type='static'> takes no <baselabel>", path);
                break;
        case DOMAIN_SECLABEL_NONE:
                if (s->relabel == 1)
                        return xml_err_xml(err, "resource relabeling is not compatible with 'none' label type");
                if (s->label || s->imagelabel || s->baselabel)
                        return xml_err_xml(err, "<%s type='none'> takes no label", path);
                break;
        default:
                break;
        }
        return 0;
}

int domain_seclabels_check(const DomainSeclabelDef *a, size_t n, ConfError *err) {
        for (size_t i = 0; i < n; i++) {
                if (!a[i].model && n > 1)
                        return xml_err_xml(err, "missing security model when using multiple labels");
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(a[i].model, a[j].model))
                                return xml_err_xml(err, "seclabel for model %s is already defined", a[i].model);
        }
        return 0;
}

/* libvirt's order: type, model, relabel; a dynamic label's <label> and
 * <imagelabel> are the driver's pick, in the live XML only. */
static void format_seclabel(XmlWriter *w, const DomainSeclabelDef *s, unsigned flags) {
        DomainSeclabelType type = domain_seclabel_type(s);
        bool live = !(flags & DOMAIN_FORMAT_INACTIVE);
        const char *label = type != DOMAIN_SECLABEL_DYNAMIC || live ? s->label : NULL;
        const char *imagelabel = type != DOMAIN_SECLABEL_DYNAMIC || live ? s->imagelabel : NULL;

        if (s->implicit && !live)
                return;
        xw_start(w, "seclabel");
        xw_attr(w, "type", domain_seclabel_type_to_string(type));
        xw_attr(w, "model", s->model);
        if (type != DOMAIN_SECLABEL_NONE)
                xw_attr(w, "relabel", domain_seclabel_relabel(s) ? "yes" : "no");
        xw_element(w, "label", label);
        xw_element(w, "imagelabel", imagelabel);
        xw_element(w, "baselabel", s->baselabel);
        xw_end(w);
}

void domain_format_seclabels(XmlWriter *w, const DomainSeclabelDef *a, size_t n, unsigned flags) {
        for (size_t i = 0; i < n; i++)
                format_seclabel(w, &a[i], flags);
}

int domain_parse_dev_seclabel(DomainDevSeclabelDef **a, size_t *n, xmlNodePtr node, const char *path,
                              ConfError *err) {
        DomainDevSeclabelDef *s;
        bool skip = false;
        int r;

        r = domain_list_append((void **) a, n, sizeof(**a), (void **) &s, path, err);
        if (r < 0)
                return r;
        s->relabel = -1;
        r = XML_CHECK_ATTRS(node, path, err, "model", "relabel", "labelskip");
        if (r >= 0)
                r = xml_check_no_text(node, path, err);
        if (r >= 0)
                r = xml_attr_str(node, path, "model", &s->model, err);
        if (r > 0)
                r = check_model(s->model, path, err);
        if (r >= 0)
                r = parse_relabel(node, path, &s->relabel, err);
        if (r >= 0)
                r = xml_attr_bool(node, path, "labelskip", "yes", "no", &skip, err);
        if (r < 0)
                return r;
        s->labelskip = skip;
        XML_FOREACH_ELEMENT(c, node) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "label"))
                        return xml_unsupported_element(c, path, err);
                r = parse_label_text(c, sub, &s->label, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i + 1 < *n; i++)
                if (streq_ptr((*a)[i].model, s->model))
                        return xml_err_xml(err, "<%s> for model %s is given more than once", path,
                                           s->model ? s->model : "(any)");
        if (s->relabel == 0 && s->label)
                return xml_err_xml(err, "Cannot specify a label if relabelling is turned off (<%s>)", path);
        if (s->relabel != 0 && !s->labelskip && !s->label)
                return xml_err_xml(err, "<%s> needs relabel='no' or a <label>", path);
        return 0;
}

void domain_format_dev_seclabels(XmlWriter *w, const DomainDevSeclabelDef *a, size_t n) {
        for (size_t i = 0; i < n; i++) {
                xw_start(w, "seclabel");
                xw_attr(w, "model", a[i].model);
                if (a[i].labelskip)
                        xw_attr(w, "labelskip", "yes");
                else
                        xw_attr(w, "relabel", a[i].relabel == 0 ? "no" : "yes");
                xw_element(w, "label", a[i].label);
                xw_end(w);
        }
}

void domain_seclabel_clear(DomainSeclabelDef *s) {
        free(s->model);
        free(s->label);
        free(s->imagelabel);
        free(s->baselabel);
}

bool domain_seclabel_own(DomainSeclabelDef *s) {
        bool ok = true;

        ok = own_str(&s->model) && ok;
        ok = own_str(&s->label) && ok;
        ok = own_str(&s->imagelabel) && ok;
        ok = own_str(&s->baselabel) && ok;
        return ok;
}

void domain_dev_seclabel_clear(DomainDevSeclabelDef *s) {
        free(s->model);
        free(s->label);
}

bool domain_dev_seclabel_own(DomainDevSeclabelDef *s) {
        bool ok = true;

        ok = own_str(&s->model) && ok;
        ok = own_str(&s->label) && ok;
        return ok;
}
