/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-stats.h"
#include "error.h"

/* Domain.GetStats (in domain-dbus.c's vtable, a query that never waits)
 * gives the groups of Connect.GetAllDomainStats for this one domain; the
 * driver collects them (domain-stats.h). */
int domain_stats_get_one(sd_bus_message *msg, Domain *d, sd_bus_error *error) {
        Manager *m = d->manager;
        const DomainStatsOps *ops = m->driver->stats;
        uint32_t stats, flags;
        int r = sd_bus_message_read(msg, "uu", &stats, &flags);

        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_STATS_ALL_FLAGS, error);
        if (r < 0)
                return r;
        if (!ops || !ops->get_stats)
                return domain_not_supported(d, "GetStats", error);
        r = domain_stats_check(m, &stats, flags, error);
        if (r < 0)
                return r;
        return ops->get_stats(m, &d, 1, stats, flags, true, msg, error);
}

const sd_bus_vtable domain_stats_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};
