/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: security labels (GetSecurityLabelList). */
#include "domain-dbus.h"
#include "domain-security.h"

const sd_bus_vtable domain_security_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
