/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-manager.h"

/* org.libvirt.Connect on the driver's root object: the domain methods, and
 * the capabilities through the driver. */
int connect_dbus_register(Manager *m);

extern const sd_bus_vtable connect_node_vtable[];    /* connect-node-dbus.c: node info, CPU models, all-domain stats */
extern const sd_bus_vtable connect_save_vtable[];    /* connect-save-dbus.c: DomainRestore, save image XML */
extern const sd_bus_vtable connect_control_vtable[]; /* connect-control-dbus.c: DomainCreateXMLWithFiles */
