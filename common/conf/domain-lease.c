/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <lease> (domain-lease.h): libvirt's rules, a <lockspace>, a <key> and a
 * <target path=''> each required, offset optional, formatted back in
 * libvirt's order. */
#include <inttypes.h>

#include "domain-conf-internal.h"
#include "util.h"

/* <lockspace> and <key>: text, once, not empty (libvirt reads them as
 * strings: an empty one is missing). */
static int parse_text(xmlNodePtr c, const char *path, char **ret, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, NULL);
        if (r >= 0)
                r = xml_text(c, path, ret, err);
        if (r == 0 || (r > 0 && !**ret))
                return xml_err_xml(err, "missing '%s' element for lease (<%s> is empty)", (const char *) c->name,
                                   path);
        return r < 0 ? r : 0;
}

static int parse_target(DomainLeaseDef *l, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "path", "offset");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0 && !xmlHasProp(c, (const xmlChar *) "path"))
                return xml_err_xml(err, "missing 'path' attribute to 'target' element for lease (<%s>)", path);
        if (r >= 0)
                r = xml_attr_str(c, path, "path", &l->path, err);
        if (r >= 0)
                r = xml_attr_ullong(c, path, "offset", &l->offset, err);
        /* the schema's unsignedInt */
        if (r >= 0 && l->offset > UINT32_MAX)
                return xml_err_invalid(err, "invalid offset '%" PRIu64 "' of <%s>: at most %" PRIu32, l->offset,
                                       path, UINT32_MAX);
        return r < 0 ? r : 0;
}

int domain_parse_lease(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainLeaseDef *l;
        bool target = false;
        int r;

        r = LIST_APPEND(def->leases, def->n_leases, &l, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "lockspace"))
                        r = parse_text(c, sub, &l->lockspace, err);
                else if (xml_is(c, "key"))
                        r = parse_text(c, sub, &l->key, err);
                else if (xml_is(c, "target")) {
                        r = parse_target(l, c, sub, err);
                        target = true;
                } else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!l->key)
                return xml_err_xml(err, "missing 'key' element for lease (<%s/key>)", path);
        if (!l->lockspace)
                return xml_err_xml(err, "missing 'lockspace' element for lease (<%s/lockspace>)", path);
        if (!target)
                return xml_err_xml(err, "missing 'target' element for lease (<%s/target>)", path);
        return 0;
}

void domain_format_lease(XmlWriter *w, const DomainLeaseDef *l) {
        xw_start(w, "lease");
        xw_element(w, "lockspace", l->lockspace);
        xw_element(w, "key", l->key);
        xw_start(w, "target");
        xw_attr(w, "path", l->path);
        if (l->offset)
                xw_attrf(w, "offset", "%" PRIu64, l->offset);
        xw_end(w);
        xw_end(w);
}

char *domain_lease_resource(const DomainLeaseDef *l) {
        char *s;

        if (asprintf(&s, "%s/%s/%s", l->path, l->lockspace, l->key) < 0)
                return NULL;
        if (!path_is_normalized_absolute(s) || strchr(l->key, '/') || strchr(l->lockspace, '/')) {
                free(s);
                return NULL;
        }
        return s;
}

void domain_lease_describe(const DomainLeaseDef *l, char *buf, size_t size) {
        snprintf(buf, size, "lockspace '%s' key '%s'", l->lockspace ?: "", l->key ?: "");
}

void domain_lease_clear(DomainLeaseDef *l) {
        free(l->lockspace);
        free(l->key);
        free(l->path);
}

bool domain_lease_own(DomainLeaseDef *l) {
        bool ok = own_str(&l->lockspace);

        ok = own_str(&l->key) && ok;
        return own_str(&l->path) && ok;
}
