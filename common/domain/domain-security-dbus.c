/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: security labels (GetSecurityLabelList). */
#include <stdlib.h>

#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-security.h"
#include "domain.h"

void domain_security_labels_free(DomainSecurityLabel *l, size_t n) {
        for (size_t i = 0; l && i < n; i++)
                free(l[i].label);
        free(l);
}

/* a(sb): a shut off domain has no process, so no labels (as libvirt). */
static int method_get_security_label_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainSecurityOps *ops = d->manager->driver->security;
        DomainSecurityLabel *labels = NULL;
        size_t n = 0;
        int r;

        if (!ops || !ops->get_labels)
                return domain_not_supported(d, "GetSecurityLabelList", error);
        if (domain_is_active(d)) {
                r = ops->get_labels(d, &labels, &n, error);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sb)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sb)", labels[i].label ? labels[i].label : "",
                                          (int) labels[i].enforcing);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        domain_security_labels_free(labels, n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_security_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetSecurityLabelList", NULL, , "a(sb)", SD_BUS_PARAM(securityLabels),
                                 method_get_security_label_list, READ),
        SD_BUS_VTABLE_END,
};
