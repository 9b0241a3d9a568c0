/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <perf>: which of libvirt's perf events are counted on the guest's
 * process. An event left out is off, as one with enabled='no'; both are
 * kept apart so that what was written is what is formatted back. */
#include "domain-conf-internal.h"

static int parse_event(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        Tristate enabled = TRISTATE_ABSENT;
        int event = 0;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "enabled");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "name", domain_perf_event, &event, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'name' of <%s>", path);
        r = domain_attr_tristate(n, path, "enabled", "yes", "no", &enabled, err);
        if (r < 0)
                return r;
        if (enabled == TRISTATE_ABSENT)
                return xml_err_xml(err, "missing attribute 'enabled' of <%s name='%s'>", path,
                                   domain_perf_event_to_string(event));
        /* libvirt refuses an event named twice */
        if (def->perf[event] != TRISTATE_ABSENT)
                return xml_err_invalid(err, "perf event '%s' was already specified",
                                       domain_perf_event_to_string(event));
        def->perf[event] = enabled;
        return 0;
}

int domain_parse_perf(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        bool any = false;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "event"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "event");
                r = parse_event(def, c, sub, err);
                if (r < 0)
                        return r;
                any = true;
        }
        /* the schema's <oneOrMore> */
        if (!any)
                return xml_err_xml(err, "element <%s> holds no <event>", path);
        return 0;
}

void domain_format_perf(XmlWriter *w, const DomainDef *def) {
        bool any = false;

        for (int i = 0; i < _DOMAIN_PERF_MAX; i++)
                any = any || def->perf[i] != TRISTATE_ABSENT;
        if (!any)
                return;
        xw_start(w, "perf");
        for (int i = 0; i < _DOMAIN_PERF_MAX; i++) {
                if (def->perf[i] == TRISTATE_ABSENT)
                        continue;
                xw_start(w, "event");
                xw_attr(w, "name", domain_perf_event_to_string((DomainPerfEvent) i));
                xw_attr(w, "enabled", tristate_word(def->perf[i], "yes", "no"));
                xw_end(w);
        }
        xw_end(w);
}
