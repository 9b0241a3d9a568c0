/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <resource><partition>: the cgroup partition of the guest. virtbus puts
 * every guest in machine.slice, which libvirt names "/machine" (its
 * default, and what a libvirtd source's live XML carries in a migration);
 * another partition is refused rather than ignored. */
#include "domain-conf-internal.h"

#define DEFAULT_PARTITION "/machine"

static int parse_partition(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return xml_err_invalid(err, "resource partition '%s' must start with '/'", s);
        if (!streq(s, DEFAULT_PARTITION))
                return xml_err_unsupported(err, "resource partition '%s' is not supported: every guest is in '%s'",
                                           s, DEFAULT_PARTITION);
        def->has_partition = true;
        return 0;
}

int domain_parse_resource(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "partition");
                if (!xml_is(c, "partition"))
                        return xml_unsupported_element(c, path, err);
                r = parse_partition(def, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_resource(XmlWriter *w, const DomainDef *def) {
        if (!def->has_partition)
                return;
        xw_start(w, "resource");
        xw_element(w, "partition", DEFAULT_PARTITION);
        xw_end(w);
}
