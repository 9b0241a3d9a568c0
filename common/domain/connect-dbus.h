/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-manager.h"

/* org.libvirt.Connect on the driver's root object: the domain methods, and
 * the capabilities through the driver. */
int connect_dbus_register(Manager *m);

/* A definition from a caller, checked as DomainDefineXML checks it; and the
 * domain it would replace (same name and uuid; a clash of one is refused). */
int connect_parse_definition(Manager *m, const char *xml, DomainDef **ret, sd_bus_error *error);
int connect_check_duplicates(Manager *m, const DomainDef *def, Domain **ret, sd_bus_error *error);

extern const sd_bus_vtable connect_security_vtable[]; /* connect-security-dbus.c: the host's security models */
extern const sd_bus_vtable connect_node_vtable[];    /* connect-node-dbus.c: node info, CPU models, all-domain stats */
extern const sd_bus_vtable connect_migrate_vtable[]; /* domain-migrate-dbus.c: Prepare3, Finish3 */
extern const sd_bus_vtable connect_save_vtable[];    /* connect-save-dbus.c: DomainRestore, save image XML */
extern const sd_bus_vtable connect_control_vtable[]; /* connect-control-dbus.c: DomainCreateXMLWithFiles */
