/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: the host's security models (NodeGetSecurityModel). */
#include <stdlib.h>

#include "connect-dbus.h"
#include "domain-manager.h"
#include "domain-security.h"
#include "error.h"
#include "util.h"

/* (ss): the primary model and its DOI, as virNodeGetSecurityModel. */
static int method_node_get_security_model(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const DomainSecurityOps *ops = m->driver->security;
        _cleanup_free_ char *model = NULL, *doi = NULL;
        int r;

        if (!ops || !ops->node_model)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the %s driver: NodeGetSecurityModel",
                                     m->driver->name);
        r = ops->node_model(m, &model, &doi, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "(ss)", model, doi);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable connect_security_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("NodeGetSecurityModel", NULL, , "(ss)", SD_BUS_PARAM(secModel),
                                 method_node_get_security_model, READ),
        SD_BUS_VTABLE_END,
};
