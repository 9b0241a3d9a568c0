/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: interface bandwidth (Get/SetInterfaceParameters). */
#include "domain-dbus.h"
#include "domain-interface.h"

const sd_bus_vtable domain_interface_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
