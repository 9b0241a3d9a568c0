/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* perf events on a guest's QEMU (domain-perf.h): one perf_event_open()
 * counter per event and per thread of the process, each inherited by the
 * threads that thread creates later, so that the sum counts the whole
 * process, vCPUs, I/O threads and all, as libvirt's perf.<event> statistics
 * do. The events counted follow the live definition's <perf>:
 * qemu_perf_sync() opens what it enables and closes the rest, for the QEMU
 * running now; a counter belongs to one QEMU process and a new one (a
 * restart of the guest) starts again from 0, as does one reopened after a
 * restart of qemud. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "domain-perf.h"
#include "domain-stats.h"

extern const DomainPerfOps qemu_perf_ops;

/* Makes the counters match d's live definition (none when d does not run);
 * an event that cannot be counted is logged and left off. */
void qemu_perf_sync(Domain *d);
/* At start: the same, but an enabled event that cannot be counted fails
 * the start, as libvirt's does (msg says which). */
int qemu_perf_start(Domain *d, char *msg, size_t size);
/* The statistics' perf group: perf.<event> (ullong) for each event
 * counted. */
void qemu_perf_put_stats(StatsWriter *w, Domain *d);
/* What the statistics keep of one QEMU between calls (qemu-stats.c), so
 * as not to ask it what cannot have changed: the kinds of its VM counters
 * (query-stats-schemas), that it has none (query-stats answered []), and
 * the last dirty rate while no new measure was started (one still
 * measuring is not kept). Dropped with the QEMU (a new pid). */
typedef struct QemuStatsCache {
        json_object *schemas;
        bool vm_none;
        json_object *dirty_rate;
} QemuStatsCache;

/* d's cache, for the QEMU running now; NULL when it does not run or out
 * of memory. */
QemuStatsCache *qemu_perf_stats_cache(Domain *d);
/* Closes d's counters (the domain is freed). */
void qemu_perf_free(Domain *d);

/* For tests: opens one counter of event on the thread tid (0: the caller),
 * as the guest's are opened: the fd, or -errno (-EOPNOTSUPP for an event
 * perf cannot count on any host, such as cmt). */
int qemu_perf_open_counter(DomainPerfEvent event, pid_t tid);
