/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <qemu:override> of libvirt's QEMU namespace: properties of a device's
 * -device JSON set or removed by the user (their own risk, as in libvirt).
 * libvirt 9.0's rules and messages: a value checked against its type at
 * define time; the alias is not checked against the devices (a property of
 * an alias no device has changes nothing). */
#include <errno.h>
#include <stdlib.h>

#include "domain-conf-internal.h"
#include "util.h"

static const char *const prop_types[] = {
        [DOMAIN_QEMU_PROP_STRING] = "string",     [DOMAIN_QEMU_PROP_SIGNED] = "signed",
        [DOMAIN_QEMU_PROP_UNSIGNED] = "unsigned", [DOMAIN_QEMU_PROP_BOOL] = "bool",
        [DOMAIN_QEMU_PROP_REMOVE] = "remove",
};

static bool ns_child_is(xmlNodePtr n, const char *name) {
        return domain_qemu_ns_is(n) && xmlStrEqual(n->name, BAD_CAST name);
}

/* As libvirt's strtoll/strtoull use: decimal, the whole string, no sign for
 * an unsigned one. */
static bool value_fits(DomainQemuPropType type, const char *v) {
        char *end = NULL;

        errno = 0;
        if (type == DOMAIN_QEMU_PROP_SIGNED)
                (void) strtoll(v, &end, 10);
        else if (type == DOMAIN_QEMU_PROP_UNSIGNED)
                (void) strtoull(v, &end, 10);
        else if (type == DOMAIN_QEMU_PROP_BOOL)
                return streq(v, "true") || streq(v, "false");
        else
                return true;
        if (type == DOMAIN_QEMU_PROP_UNSIGNED && memchr(v, '-', end - v))
                return false;
        return !errno && end != v && !*end;
}

static int parse_type(xmlNodePtr n, DomainQemuPropType *ret, ConfError *err) {
        _cleanup_free_ char *type = NULL;

        type = (char *) xmlGetNsProp(n, BAD_CAST "type", NULL);
        if (!type)
                return xml_err_xml(err, "Missing required attribute 'type' in element 'property'");
        for (size_t i = 0; i < ELEMENTSOF(prop_types); i++)
                if (streq(type, prop_types[i])) {
                        *ret = i;
                        return 0;
                }
        return xml_err_xml(err, "Invalid value for attribute 'type' in element 'property': '%s'.", type);
}

static int parse_property(DomainQemuOverride *o, xmlNodePtr n, const char *path, ConfError *err) {
        DomainQemuProp *p;
        int r;

        if (!ns_child_is(n, "property"))
                return xml_unsupported_element(n, path, err);
        XML_SUBPATH(sub, path, "qemu:property");
        r = XML_CHECK_ATTRS(n, sub, err, "name", "type", "value");
        if (r >= 0)
                r = xml_check_empty(n, sub, err);
        if (r >= 0)
                r = LIST_APPEND(o->props, o->n_props, &p, sub, err);
        if (r >= 0)
                r = xml_attr_str(n, sub, "name", &p->name, err);
        if (r == 0)
                return xml_err_xml(err, "missing 'name' attribute for qemu:property");
        if (r >= 0 && streq(p->name, "id"))
                return xml_err_xml(err, "property with name 'id' can't be overridden");
        if (r >= 0)
                r = parse_type(n, &p->type, err);
        if (r >= 0)
                r = xml_attr_str(n, sub, "value", &p->value, err);
        if (r < 0)
                return r;
        if (!p->value && p->type != DOMAIN_QEMU_PROP_REMOVE)
                return xml_err_xml(err, "missing 'value' attribute for 'qemu:property'");
        if (p->value && p->type == DOMAIN_QEMU_PROP_REMOVE)
                return xml_err_xml(err, "setting 'value' attribute of 'qemu:property' doesn't make sense with "
                                   "'remove' type");
        if (p->value && !value_fits(p->type, p->value))
                return xml_err_xml(err, "invalid value '%s' of 'value' attribute of 'qemu:property'", p->value);
        return 0;
}

/* <qemu:frontend>: libvirt reads every one there is, in order. */
static int parse_frontend(DomainQemuOverride *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_SUBPATH(sub, path, "qemu:frontend");
        r = XML_CHECK_ATTRS(n, sub, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, sub, err);
        XML_FOREACH_ELEMENT(c, n) {
                if (r < 0)
                        break;
                r = parse_property(o, c, sub, err);
        }
        return r < 0 ? r : 0;
}

static int parse_device(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainQemuOverride *o;
        int r;

        if (!ns_child_is(n, "device"))
                return xml_unsupported_element(n, path, err);
        XML_SUBPATH(sub, path, "qemu:device");
        r = XML_CHECK_ATTRS(n, sub, err, "alias");
        if (r >= 0)
                r = xml_check_no_text(n, sub, err);
        if (r >= 0)
                r = LIST_APPEND(def->qemu_overrides, def->n_qemu_overrides, &o, sub, err);
        if (r >= 0)
                r = xml_attr_str(n, sub, "alias", &o->alias, err);
        if (r == 0)
                return xml_err_xml(err, "missing 'alias' attribute for qemu:device");
        XML_FOREACH_ELEMENT(c, n) {
                if (r < 0)
                        break;
                r = ns_child_is(c, "frontend") ? parse_frontend(o, c, sub, err)
                                               : xml_unsupported_element(c, sub, err);
        }
        return r < 0 ? r : 0;
}

int domain_parse_qemu_override(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_SUBPATH(sub, path, "qemu:override");
        r = XML_CHECK_ATTRS(n, sub, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, sub, err);
        XML_FOREACH_ELEMENT(c, n) {
                if (r < 0)
                        break;
                r = parse_device(def, c, sub, err);
        }
        return r < 0 ? r : 0;
}

/* libvirt's form: <qemu:frontend> only when it has properties, and the
 * whole <qemu:override> only when there is a <qemu:device>. */
void domain_format_qemu_override(XmlWriter *w, const DomainDef *def) {
        if (!def->n_qemu_overrides)
                return;
        xw_start(w, "qemu:override");
        for (size_t i = 0; i < def->n_qemu_overrides; i++) {
                const DomainQemuOverride *o = &def->qemu_overrides[i];

                xw_start(w, "qemu:device");
                xw_attr(w, "alias", o->alias);
                if (o->n_props)
                        xw_start(w, "qemu:frontend");
                for (size_t j = 0; j < o->n_props; j++) {
                        xw_start(w, "qemu:property");
                        xw_attr(w, "name", o->props[j].name);
                        xw_attr(w, "type", prop_types[o->props[j].type]);
                        xw_attr(w, "value", o->props[j].value);
                        xw_end(w);
                }
                if (o->n_props)
                        xw_end(w);
                xw_end(w);
        }
        xw_end(w);
}

static void override_clear(DomainQemuOverride *o) {
        free(o->alias);
        for (size_t i = 0; i < o->n_props; i++) {
                free(o->props[i].name);
                free(o->props[i].value);
        }
        free(o->props);
}

void domain_qemu_ns_overrides_clear(DomainDef *def) {
        for (size_t i = 0; i < def->n_qemu_overrides; i++)
                override_clear(&def->qemu_overrides[i]);
        free(def->qemu_overrides);
}

static bool override_own(DomainQemuOverride *o) {
        bool ok = own_str(&o->alias);

        ok = OWN_ARRAY(o->props, o->n_props) && ok;
        for (size_t i = 0; i < o->n_props; i++) {
                ok = own_str(&o->props[i].name) && ok;
                ok = own_str(&o->props[i].value) && ok;
        }
        return ok;
}

bool domain_qemu_ns_overrides_own(DomainDef *copy) {
        bool ok = OWN_ARRAY(copy->qemu_overrides, copy->n_qemu_overrides);

        for (size_t i = 0; i < copy->n_qemu_overrides; i++)
                ok = override_own(&copy->qemu_overrides[i]) && ok;
        return ok;
}
