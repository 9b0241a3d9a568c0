/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <genid>: the VM generation ID a guest (Windows, Linux's vmgenid driver)
 * reads to notice it was restored or cloned. <genid/> asks the driver for
 * a fresh one at every start (kept in the live definition only);
 * <genid>UUID</genid> is that one, always. */
#include "domain-conf-internal.h"
#include "uuid.h"

int domain_parse_genid(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        def->has_genid = true;
        if (!*str_strip(s))
                return 0;
        if (uuid_parse(s, def->genid) < 0 || uuid_is_null(def->genid))
                return xml_err_invalid(err, "invalid <%s> '%s': expected a non-null UUID "
                                       "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", path, s);
        return 0;
}

void domain_format_genid(XmlWriter *w, const DomainDef *def) {
        char buf[UUID_STRING_MAX];

        if (!def->has_genid)
                return;
        if (uuid_is_null(def->genid))
                xw_empty(w, "genid");
        else
                xw_element(w, "genid", uuid_format(def->genid, buf));
}
