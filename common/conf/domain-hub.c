/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hub type='usb'>: a USB hub (8 ports) on a port of a USB bus or of
 * another hub; where its ports lead is the addresses of the devices
 * behind it ("1.3": port 3 of the hub on port 1). */
#include "domain-conf-internal.h"

int domain_parse_hub(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        DomainHubDef *hub;
        int r;

        r = LIST_APPEND(def->hubs, def->n_hubs, &hub, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "type", &type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        /* the schema's only hub type */
        if (!streq(type, "usb"))
                return xml_err_xml(err, "value '%s' of attribute 'type' of <%s> must be 'usb'", type, path);
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        return domain_parse_alias_address_only(n, path, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB), &hub->alias,
                                               &hub->addr, err);
}

void domain_format_hub(XmlWriter *w, const DomainHubDef *hub, unsigned flags) {
        xw_start(w, "hub");
        xw_attr(w, "type", "usb");
        domain_format_alias(w, hub->alias, flags);
        domain_format_address(w, &hub->addr);
        xw_end(w);
}

void domain_hub_clear(DomainHubDef *hub) {
        free(hub->alias);
}

bool domain_hub_own(DomainHubDef *hub) {
        return own_str(&hub->alias);
}
