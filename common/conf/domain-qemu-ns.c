/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's QEMU namespace (http://libvirt.org/schemas/domain/qemu/1.0):
 * <qemu:commandline> with <qemu:arg value=''/> and <qemu:env name=''
 * value=''/>, passed to QEMU as they are (the user's own risk, as in
 * libvirt), and <qemu:capabilities> with <qemu:add|del capability=''/>:
 * QEMU features the driver is told to take as there or not (qemud: the
 * QEMU device types it probed, qemu-caps-ns.c), <qemu:deprecation> and
 * <qemu:override> (domain-qemu-override.c). Any prefix may name the
 * namespace; it is formatted back as "qemu", declared on <domain>. */
#include <ctype.h>

#include "domain-conf-internal.h"
#include "util.h"

#define QEMU_NS_HREF "http://libvirt.org/schemas/domain/qemu/1.0"

bool domain_qemu_ns_is(xmlNodePtr n) {
        return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
               xmlStrEqual(n->ns->href, BAD_CAST QEMU_NS_HREF);
}

static bool ns_child_is(xmlNodePtr n, const char *name) {
        return domain_qemu_ns_is(n) && xmlStrEqual(n->name, BAD_CAST name);
}

/* libvirt's rule: a letter or '_' first, then letters, digits and '_'. */
static int check_env_name(const char *name, const char *path, ConfError *err) {
        if (!*name || !(isalpha((unsigned char) name[0]) || name[0] == '_'))
                return xml_err_xml(err, "Invalid environment name '%s' of <%s>, it must begin with a letter or "
                                   "underscore", name, path);
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return xml_err_xml(err, "Invalid environment name '%s' of <%s>, it must contain only "
                                           "alphanumerics and underscore", name, path);
        return 0;
}

static int parse_arg(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *value = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "value");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "value", &value, err);
        if (r == 0)
                return xml_err_xml(err, "No qemu command-line argument specified (<%s> needs a value)", path);
        if (r < 0)
                return r;
        return strv_consume(&def->qemu_args, TAKE_PTR(value)) < 0 ? xml_err_oom(err) : 0;
}

/* Kept as "NAME=VALUE", or "NAME" when no value is given (QEMU then gets it empty). */
static int parse_env(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *name = NULL, *value = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "value");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "name", &name, err);
        if (r == 0)
                return xml_err_xml(err, "No qemu environment name specified (<%s> needs a name)", path);
        if (r >= 0)
                r = check_env_name(name, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "value", &value, err);
        if (r < 0)
                return r;
        r = value ? strv_extendf(&def->qemu_env, "%s=%s", name, value) : strv_extend(&def->qemu_env, name);
        return r < 0 ? xml_err_oom(err) : 0;
}

/* <qemu:add capability=''/> or <qemu:del capability=''/>, kept in order. */
static int parse_capability(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        bool add = ns_child_is(n, "add");
        _cleanup_free_ char *name = NULL;
        int r;

        if (!add && !ns_child_is(n, "del"))
                return xml_unsupported_element(n, path, err);
        XML_SUBPATH(sub, path, add ? "qemu:add" : "qemu:del");
        r = XML_CHECK_ATTRS(n, sub, err, "capability");
        if (r >= 0)
                r = xml_check_empty(n, sub, err);
        if (r >= 0)
                r = xml_attr_str(n, sub, "capability", &name, err);
        if (r == 0)
                return xml_err_xml(err, "missing capability name (<%s> needs a capability)", sub);
        if (r < 0)
                return r;
        return strv_consume(add ? &def->qemu_caps_add : &def->qemu_caps_del, TAKE_PTR(name)) < 0 ? xml_err_oom(err)
                                                                                              : 0;
}

static int parse_capabilities(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_SUBPATH(sub, path, "qemu:capabilities");
        r = xml_check_unique(n, sub, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, sub, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, sub, err);
        XML_FOREACH_ELEMENT(c, n) {
                if (r < 0)
                        break;
                r = parse_capability(def, c, sub, err);
        }
        return r < 0 ? r : 0;
}

/* <qemu:deprecation behavior=''/>: kept as given (libvirt warns at start
 * about a behavior it does not know). */
static int parse_deprecation(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_SUBPATH(sub, path, "qemu:deprecation");
        r = xml_check_unique(n, sub, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, sub, err, "behavior");
        if (r >= 0)
                r = xml_check_empty(n, sub, err);
        if (r >= 0)
                r = xml_attr_str(n, sub, "behavior", &def->qemu_deprecation, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'behavior' of <%s>", sub);
        return r < 0 ? r : 0;
}

int domain_parse_qemu_ns(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        if (ns_child_is(n, "capabilities"))
                return parse_capabilities(def, n, path, err);
        if (ns_child_is(n, "deprecation"))
                return parse_deprecation(def, n, path, err);
        if (ns_child_is(n, "override"))
                return domain_parse_qemu_override(def, n, path, err);
        if (!ns_child_is(n, "commandline"))
                return xml_unsupported_element(n, path, err);
        XML_SUBPATH(sub, path, "qemu:commandline");
        r = XML_CHECK_ATTRS(n, sub, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, sub, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                bool arg = ns_child_is(c, "arg");

                if (!arg && !ns_child_is(c, "env"))
                        return xml_unsupported_element(c, sub, err);
                XML_SUBPATH(csub, sub, arg ? "qemu:arg" : "qemu:env");
                r = arg ? parse_arg(def, c, csub, err) : parse_env(def, c, csub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool domain_qemu_ns_used(const DomainDef *def) {
        return def->qemu_args || def->qemu_env || def->qemu_caps_add || def->qemu_caps_del || def->qemu_deprecation ||
               def->n_qemu_overrides;
}

static void format_capabilities(XmlWriter *w, const DomainDef *def) {
        if (!def->qemu_caps_add && !def->qemu_caps_del)
                return;
        xw_start(w, "qemu:capabilities");
        for (char **c = def->qemu_caps_add; c && *c; c++) {
                xw_start(w, "qemu:add");
                xw_attr(w, "capability", *c);
                xw_end(w);
        }
        for (char **c = def->qemu_caps_del; c && *c; c++) {
                xw_start(w, "qemu:del");
                xw_attr(w, "capability", *c);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_qemu_ns_decl(XmlWriter *w, const DomainDef *def) {
        if (domain_qemu_ns_used(def))
                xw_attr(w, "xmlns:qemu", QEMU_NS_HREF);
}

static void format_commandline(XmlWriter *w, const DomainDef *def) {
        if (!def->qemu_args && !def->qemu_env)
                return;
        xw_start(w, "qemu:commandline");
        for (char **a = def->qemu_args; a && *a; a++) {
                xw_start(w, "qemu:arg");
                xw_attr(w, "value", *a);
                xw_end(w);
        }
        for (char **e = def->qemu_env; e && *e; e++) {
                _cleanup_free_ char *name = strdup(*e);
                char *eq = name ? strchr(name, '=') : NULL;

                if (eq)
                        *eq = 0;
                xw_start(w, "qemu:env");
                xw_attr(w, "name", name);
                xw_attr(w, "value", eq ? eq + 1 : NULL);
                xw_end(w);
        }
        xw_end(w);
}

/* libvirt's order: <qemu:commandline>, <qemu:capabilities>, <qemu:override>. */
void domain_format_qemu_ns(XmlWriter *w, const DomainDef *def) {
        format_commandline(w, def);
        format_capabilities(w, def);
        domain_format_qemu_override(w, def);
        if (def->qemu_deprecation) {
                xw_start(w, "qemu:deprecation");
                xw_attr(w, "behavior", def->qemu_deprecation);
                xw_end(w);
        }
}
