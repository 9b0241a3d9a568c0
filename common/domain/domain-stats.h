/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Statistics of domains (virConnectGetAllDomainStats, virDomainListGetStats,
 * Domain.GetStats) and the node's own figures, as libvirt names them.
 *
 * The bus surface (connect-node-dbus.c, domain-stats-dbus.c) checks the
 * arguments and picks the domains; the driver collects what only it knows
 * (QEMU: qemud/qemu-stats.c) and writes the records with the helpers below,
 * which give each field libvirt's name and type. The groups a driver does
 * not know are left out, as libvirt does. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain-driver.h"
#include "macro.h"

/* virDomainStatsTypes beyond the four of domain-state.h. */
enum {
        DOMAIN_STATS_INTERFACE = 1 << 4,
        DOMAIN_STATS_BLOCK = 1 << 5,
        DOMAIN_STATS_PERF = 1 << 6,
        DOMAIN_STATS_IOTHREAD = 1 << 7,
        DOMAIN_STATS_MEMORY = 1 << 8,
        DOMAIN_STATS_DIRTYRATE = 1 << 9,
        DOMAIN_STATS_VM = 1 << 10,
        /* what we collect: stats 0 asks for these */
        DOMAIN_STATS_KNOWN = 0x7ff,

        /* virConnectGetAllDomainStatsFlags */
        STATS_ACTIVE = 1 << 0,
        STATS_INACTIVE = 1 << 1,
        STATS_PERSISTENT = 1 << 2,
        STATS_TRANSIENT = 1 << 3,
        STATS_RUNNING = 1 << 4,
        STATS_PAUSED = 1 << 5,
        STATS_SHUTOFF = 1 << 6,
        STATS_OTHER = 1 << 7,
        /* Ours, for virtbus-proxyd (never a libvirt client's): each record
         * of GetAllDomainStats ends with the fields "virtbus.uuid" (s) and
         * "virtbus.id" (i, -1 when inactive), so that the proxy writes
         * libvirt's domain handles without asking more. */
        STATS_PROXY_HANDLES = 1 << 28,
        STATS_NOWAIT = 1 << 29,
        STATS_BACKING = 1 << 30,
        STATS_ENFORCE_STATS = 1u << 31,
};

/* Writing one record ("a{sv}", opened by the caller): each helper appends
 * one field named by fmt; the first error sticks in w->r and the rest do
 * nothing, so a writer checks once at the end. */
typedef struct StatsWriter {
        sd_bus_message *m;
        int r;
} StatsWriter;

void stats_put_int(StatsWriter *w, int32_t v, const char *fmt, ...) _printf_(3, 4);
void stats_put_uint(StatsWriter *w, uint32_t v, const char *fmt, ...) _printf_(3, 4);
void stats_put_ullong(StatsWriter *w, uint64_t v, const char *fmt, ...) _printf_(3, 4);
void stats_put_llong(StatsWriter *w, int64_t v, const char *fmt, ...) _printf_(3, 4);
void stats_put_double(StatsWriter *w, double v, const char *fmt, ...) _printf_(3, 4);
void stats_put_bool(StatsWriter *w, bool v, const char *fmt, ...) _printf_(3, 4);
void stats_put_string(StatsWriter *w, const char *v, const char *fmt, ...) _printf_(3, 4);

/* The groups any driver gives alike, from the domain and its definition:
 * "state" (state.state, state.reason), and the counters of each tap
 * (/sys/class/net/<tap>/statistics, seen from the guest: the tap's tx is
 * the guest's rx) as "net.*". */
void domain_stats_put_state(StatsWriter *w, const Domain *d);
void domain_stats_put_interfaces(StatsWriter *w, const Domain *d);

/* The bus surface's: Domain.GetStats for d (domain-stats-dbus.c), and the
 * check of the groups asked (0: every group known; ENFORCE_STATS refuses a
 * group not collected). */
int domain_stats_get_one(sd_bus_message *msg, Domain *d, sd_bus_error *error);
int domain_stats_check(Manager *m, uint32_t *stats, uint32_t flags, sd_bus_error *error);

/* Whether d is one of those flags (the state filters) ask for. */
bool domain_stats_flags_match(const Domain *d, uint32_t flags);

typedef struct DomainStatsOps {
        /* Answers msg with the statistics of doms (n >= 1 unless all: the
         * domains flags selected, maybe none): "a(sa{sv})", one record per
         * domain (name and fields), or with single "a{sv}" of doms[0]
         * alone. stats: the groups (0: every group known); flags:
         * STATS_NOWAIT, STATS_BACKING, STATS_ENFORCE_STATS (checked by the
         * caller). Returns 1 when msg is answered later, or -errno with
         * error set. The domains are only read now: what is asked of the
         * guests later holds their handles. */
        int (*get_stats)(Manager *m, Domain **doms, size_t n, uint32_t stats, uint32_t flags, bool single,
                         sd_bus_message *msg, sd_bus_error *error);
        /* Connect.GetCPUModelNames, CompareCPU, BaselineCPU: answer msg now
         * (0) or later (1), or -errno with error set. */
        int (*cpu_model_names)(Manager *m, const char *arch, sd_bus_message *msg, sd_bus_error *error);
        int (*compare_cpu)(Manager *m, const char *xml, uint32_t flags, sd_bus_message *msg, sd_bus_error *error);
        int (*baseline_cpu)(Manager *m, char **xmls, uint32_t flags, sd_bus_message *msg, sd_bus_error *error);

        /* The node (virNode*): each appends its result to reply (the
         * method's return, nothing appended yet) or returns -errno with
         * error set. */
        int (*sysinfo)(Manager *m, sd_bus_message *reply, sd_bus_error *error);          /* "s" */
        int (*node_cpu_stats)(Manager *m, int32_t cpu, sd_bus_message *reply, sd_bus_error *error);   /* "a{st}" */
        int (*node_memory_stats)(Manager *m, int32_t cell, sd_bus_message *reply, sd_bus_error *error); /* "a{st}" */
        int (*node_free_memory)(Manager *m, sd_bus_message *reply, sd_bus_error *error); /* "t" */
        int (*node_cpu_map)(Manager *m, sd_bus_message *reply, sd_bus_error *error);     /* "ab" */
        int (*node_memory_parameters)(Manager *m, sd_bus_message *reply, sd_bus_error *error); /* "a{sv}" */
        /* params: the "a{sv}" argument, not read yet. */
        int (*node_set_memory_parameters)(Manager *m, sd_bus_message *params, sd_bus_error *error);
} DomainStatsOps;
