/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os> of a container (<type>exe</type>): the program it runs as its init,
 * with arguments, environment, working directory and user. */
#include "domain-conf-internal.h"

static const char *const init_children[] = {
        "init", "initarg", "initenv", "initdir", "inituser", "initgroup",
};

bool domain_os_init_is_child(xmlNodePtr c) {
        return xml_is_any(c, init_children, ELEMENTSOF(init_children));
}

/* <init>, <initdir>: an absolute path as text (the schema's absFilePath:
 * not '/' alone). */
static int parse_init_path(char **ret, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_text(n, path, ret, err);
        if (r < 0)
                return r;
        if (streq(*ret, "/"))
                return xml_err_invalid(err, "'/' alone is not a valid <%s> under libvirt's schema%s", path,
                                       xml_is(n, "initdir") ? ": leave <initdir> out for the root" : "");
        return domain_check_abs_path(*ret, "", path, err);
}

/* <inituser>, <initgroup>: a name or number, the schema's genericName. */
static int parse_init_name(char **ret, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_text(n, path, ret, err);
        if (r < 0)
                return r;
        return domain_check_charset(*ret, CHARSET_ALNUM "_+-", "", path, err);
}

static int parse_initarg(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        char **arg;
        int r;

        r = LIST_APPEND(os->initargs, os->n_initargs, &arg, path, err);
        if (r < 0)
                return r;
        r = xml_text(n, path, arg, err);
        return r < 0 ? r : 0;
}

static int parse_initenv(DomainOsDef *os, xmlNodePtr n, const char *path, ConfError *err) {
        DomainInitEnv *env;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r < 0)
                return r;
        r = LIST_APPEND(os->initenv, os->n_initenv, &env, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "name", &env->name, err);
        if (r < 0)
                return r;
        /* the schema's [a-zA-Z_]+[a-zA-Z0-9_]*: a shell variable name */
        if (!str_in_charset(env->name, CHARSET_ALNUM "_") || (env->name[0] >= '0' && env->name[0] <= '9'))
                return xml_err_invalid(err, "invalid variable name '%s' in attribute 'name' of <%s>",
                                       env->name, path);
        /* quadratic, but over at most DOMAIN_LIST_MAX short names */
        for (size_t i = 0; i + 1 < os->n_initenv; i++)
                if (streq(os->initenv[i].name, env->name))
                        return xml_err_invalid(err, "variable '%s' is set twice in <%s>", env->name, path);
        r = xml_text(n, path, &env->value, err);
        return r < 0 ? r : 0;
}

int domain_parse_os_init_child(DomainOsDef *os, xmlNodePtr c, const char *path, ConfError *err) {
        int r;

        if (!xml_is(c, "initenv")) {
                r = XML_CHECK_ATTRS(c, path, err, NULL);
                if (r < 0)
                        return r;
        }
        if (xml_is(c, "initarg"))
                return parse_initarg(os, c, path, err);
        if (xml_is(c, "initenv"))
                return parse_initenv(os, c, path, err);

        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (xml_is(c, "init"))
                return parse_init_path(&os->init, c, path, err);
        if (xml_is(c, "initdir"))
                return parse_init_path(&os->initdir, c, path, err);
        if (xml_is(c, "inituser"))
                return parse_init_name(&os->inituser, c, path, err);
        return parse_init_name(&os->initgroup, c, path, err); /* initgroup */
}

/* After all children: what needs another. */
int domain_os_init_check(const DomainOsDef *os, const char *path, ConfError *err) {
        if (!os->inituser != !os->initgroup)
                return xml_err_xml(err, "<%s/%s> needs <%s/%s>: the schema takes both or neither", path,
                                   os->inituser ? "inituser" : "initgroup", path,
                                   os->inituser ? "initgroup" : "inituser");
        return 0;
}

void domain_format_os_init(XmlWriter *w, const DomainOsDef *os) {
        xw_element(w, "init", os->init);
        for (size_t i = 0; i < os->n_initargs; i++)
                xw_element(w, "initarg", os->initargs[i]);
        for (size_t i = 0; i < os->n_initenv; i++) {
                xw_start(w, "initenv");
                xw_attr(w, "name", os->initenv[i].name);
                if (os->initenv[i].value && *os->initenv[i].value)
                        xw_text(w, os->initenv[i].value);
                xw_end(w);
        }
        xw_element(w, "initdir", os->initdir);
        xw_element(w, "inituser", os->inituser);
        xw_element(w, "initgroup", os->initgroup);
}

void domain_os_init_clear(DomainOsDef *os) {
        free(os->init);
        for (size_t i = 0; i < os->n_initargs; i++)
                free(os->initargs[i]);
        free(os->initargs);
        for (size_t i = 0; i < os->n_initenv; i++) {
                free(os->initenv[i].name);
                free(os->initenv[i].value);
        }
        free(os->initenv);
        free(os->initdir);
        free(os->inituser);
        free(os->initgroup);
}

bool domain_os_init_own(DomainOsDef *os) {
        bool ok = true;

        ok = own_str(&os->init) && ok;
        ok = OWN_ARRAY(os->initargs, os->n_initargs) && ok;
        for (size_t i = 0; i < os->n_initargs; i++)
                ok = own_str(&os->initargs[i]) && ok;
        ok = OWN_ARRAY(os->initenv, os->n_initenv) && ok;
        for (size_t i = 0; i < os->n_initenv; i++) {
                ok = own_str(&os->initenv[i].name) && ok;
                ok = own_str(&os->initenv[i].value) && ok;
        }
        ok = own_str(&os->initdir) && ok;
        ok = own_str(&os->inituser) && ok;
        ok = own_str(&os->initgroup) && ok;
        return ok;
}
