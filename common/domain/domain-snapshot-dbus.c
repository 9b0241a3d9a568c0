/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "domain-dbus.h"

const sd_bus_vtable domain_snapshot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
