/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: perf events (Get/SetPerfEvents). */
#include "domain-dbus.h"
#include "domain-perf.h"

const sd_bus_vtable domain_perf_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
