/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect: the host's security models (NodeGetSecurityModel). */
#include "connect-dbus.h"
#include "domain-security.h"

const sd_bus_vtable connect_security_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
