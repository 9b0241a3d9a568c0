/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's statistics of domains (domain-stats.h), with libvirt's names and
 * types: the state; cpu.time/user/system from /proc/<pid>/stat; the balloon
 * from the live definition and the process's RSS; each vCPU's time, wait
 * and delay from its thread (/proc/<pid>/task/<tid>/: QEMU names its vCPU
 * threads "CPU <n>/KVM" with debug-threads=on); each tap's counters from
 * /sys; each disk's I/O counters from QMP query-blockstats; the perf
 * counters (qemu-perf.h); the IOThreads' polling (query-iothreads), the
 * last dirty rate measured (query-dirty-rate) and QEMU's own counters of
 * the VM (query-stats, KVM's: none under TCG). The memory group (bandwidth
 * monitors of <memorytune>, which no definition here has) is empty, as
 * libvirt's is for a guest without monitors. The queries go to every guest
 * at once and the call is answered when the last one did (or after a
 * second, a hung QEMU's groups left out). Nothing blocks the loop, and a
 * call that asks nothing of a running QEMU is answered at once. */

#include <json-c/json.h>

#include "domain-stats.h"

extern const DomainStatsOps qemu_stats_ops;

/* DomainPerfOps.vcpu_info (domain-perf.h), from the vCPU threads found for
 * the vcpu group. */
int qemu_stats_vcpu_info(Domain *d, sd_bus_message *reply, sd_bus_error *error);

/* For tests, on canned data: the counters of the disk with alias from a
 * query-blockstats reply (NULL when it has none). */
json_object *qemu_stats_find_blockstats(json_object *reply, const char *alias);
/* For tests, on canned replies: the iothread group from query-iothreads,
 * the dirtyrate group from query-dirty-rate, the vm group from query-stats
 * (target vm) and query-stats-schemas. */
void qemu_stats_put_iothreads(StatsWriter *w, json_object *reply);
void qemu_stats_put_dirty_rate(StatsWriter *w, json_object *reply);
void qemu_stats_put_vm(StatsWriter *w, json_object *stats, json_object *schemas);
/* The vCPU index of a QEMU thread named comm ("CPU 3/KVM" -> 3); -1 for a
 * thread that runs all vCPUs ("ALL CPUs/TCG"), -2 for any other thread. */
int qemu_stats_vcpu_of_thread(const char *comm);
/* The time a thread waited for a CPU, from its /proc/.../sched text
 * ("wait_sum : 12.345678", ms) in ns; -ENOENT when the kernel keeps none. */
int qemu_stats_parse_sched_wait(const char *text, uint64_t *ret);
