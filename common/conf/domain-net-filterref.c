/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface><filterref filter=''><parameter name='' value=''/></filterref>:
 * the nwfilter a libvirt host applies to the interface. virtbus has no
 * network filter driver: the reference is kept as given (a definition from
 * such a host loses nothing) and the start refuses what it cannot honour
 * (qemud/qemu-validate-net.c). */
#include "domain-conf-internal.h"

#define NAME_CHARS CHARSET_ALNUM "_"
#define VALUE_CHARS CHARSET_ALNUM "_.:"

/* The schema's NCName: no leading digit, '.' or '-'. */
static int check_filter_name(const char *name, const char *path, ConfError *err) {
        if (!*name || strchr("0123456789.-", name[0]))
                return xml_err_xml(err, "invalid filter name '%s' in <%s>", name, path);
        return domain_check_charset(name, CHARSET_ALNUM "_.-", "attribute 'filter' of", path, err);
}

static int parse_param(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetFilterParam *p;
        int r = LIST_APPEND(o->filter_params, o->n_filter_params, &p, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "name", "value");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "name", &p->name, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "value", &p->value, err);
        if (r >= 0)
                r = domain_check_charset(p->name, NAME_CHARS, "attribute 'name' of", path, err);
        if (r >= 0)
                r = domain_check_charset(p->value, VALUE_CHARS, "attribute 'value' of", path, err);
        if (r >= 0 && (!*p->name || !*p->value))
                r = xml_err_xml(err, "empty attribute 'name' or 'value' of <%s>", path);
        return r < 0 ? r : 0;
}

int domain_parse_net_filterref(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetOpts *o = &net->opts;
        int r = XML_CHECK_ATTRS(n, path, err, "filter");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "filter", &o->filterref, err);
        if (r >= 0)
                r = check_filter_name(o->filterref, path, err);
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "parameter");
                if (r < 0)
                        return r;
                if (!xml_is(c, "parameter"))
                        return xml_unsupported_element(c, path, err);
                r = parse_param(o, c, sub, err);
        }
        return r < 0 ? r : 0;
}

/* As libvirt writes them: by name, the values of one name in their order. */
void domain_format_net_filterref(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;
        const char *last = NULL;

        if (!o->filterref)
                return;
        xw_start(w, "filterref");
        xw_attr(w, "filter", o->filterref);
        for (;;) {
                const char *next = NULL;

                for (size_t i = 0; i < o->n_filter_params; i++) {
                        const char *name = o->filter_params[i].name;

                        if ((!last || strcmp(name, last) > 0) && (!next || strcmp(name, next) < 0))
                                next = name;
                }
                if (!next)
                        break;
                for (size_t i = 0; i < o->n_filter_params; i++)
                        if (streq(o->filter_params[i].name, next)) {
                                xw_start(w, "parameter");
                                xw_attr(w, "name", o->filter_params[i].name);
                                xw_attr(w, "value", o->filter_params[i].value);
                                xw_end(w);
                        }
                last = next;
        }
        xw_end(w);
}

void domain_net_filterref_clear(DomainNetOpts *o) {
        for (size_t i = 0; i < o->n_filter_params; i++) {
                free(o->filter_params[i].name);
                free(o->filter_params[i].value);
        }
        free(o->filter_params);
        free(o->filterref);
        o->filter_params = NULL;
        o->n_filter_params = 0;
        o->filterref = NULL;
}

bool domain_net_filterref_own(DomainNetOpts *o) {
        bool ok = own_str(&o->filterref);

        ok = OWN_ARRAY(o->filter_params, o->n_filter_params) && ok;

        for (size_t i = 0; i < o->n_filter_params; i++)
                ok = own_str(&o->filter_params[i].name) && own_str(&o->filter_params[i].value) && ok;
        return ok;
}
