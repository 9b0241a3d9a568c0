/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The node's figures and the host CPU, as libvirt gives them: CPU times
 * (/proc/stat), memory (/proc/meminfo and each NUMA cell's meminfo), the
 * online CPUs, KSM's tunables (/sys/kernel/mm/ksm, libvirt's shm_* names),
 * the <sysinfo> of the host (/sys/class/dmi/id, /proc/cpuinfo), and the
 * CPU models: QEMU's list (its query-cpu-definitions, in the capabilities),
 * comparing a guest CPU with the host's, a baseline of several, and the
 * host-model of the domain capabilities.
 *
 * The parsers take text or a directory, so that the unit test
 * (tests/unit/test-qemu-node.c) runs them on files under tests/data/node/;
 * the bus hooks (DomainStatsOps, domain-stats.h) call them on the system's. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain-manager.h"
#include "qemu-caps.h"

/* virCPUCompareResult */
enum {
        CPU_COMPARE_ERROR = -1,
        CPU_COMPARE_INCOMPATIBLE = 0,
        CPU_COMPARE_IDENTICAL = 1,
        CPU_COMPARE_SUPERSET = 2,
};

/* virConnectCompareCPUFlags, virConnectBaselineCPUFlags */
enum {
        COMPARE_CPU_FAIL_INCOMPATIBLE = 1 << 0,
        COMPARE_CPU_VALIDATE_XML = 1 << 1,
        BASELINE_CPU_EXPAND_FEATURES = 1 << 0,
        BASELINE_CPU_MIGRATABLE = 1 << 1,
};

/* The figures of one line of /proc/stat ("cpu" for cpu < 0, else "cpu<n>"),
 * in ns: kernel (system + irq + softirq), user (user + nice), idle, iowait.
 * -ENOENT for a CPU that is not there. */
typedef struct NodeCpuTimes {
        uint64_t kernel, user, idle, iowait;
} NodeCpuTimes;
int qemu_node_parse_cpu_stats(const char *proc_stat, int cpu, long hz, NodeCpuTimes *ret);

/* total, free, buffers, cached in KiB from /proc/meminfo, or from a cell's
 * meminfo ("Node 0 MemTotal: ..."; it has no buffers and cached: those are
 * UINT64_MAX, left out). */
typedef struct NodeMemory {
        uint64_t total, free, buffers, cached;
} NodeMemory;
int qemu_node_parse_meminfo(const char *text, NodeMemory *ret);

/* "0-3,6" (the online or present list) into a map of n bits; *ret_n is the
 * highest CPU + 1. */
int qemu_node_parse_cpu_list(const char *text, bool **ret, size_t *ret_n);

/* KSM's tunables, in libvirt's order, names and types ('u' or 't'). */
typedef struct KsmParam {
        const char *name;  /* "shm_pages_to_scan" */
        const char *file;  /* "pages_to_scan" */
        char type;         /* 'u' (settable) or 't' (a counter) */
} KsmParam;
extern const KsmParam qemu_node_ksm_params[];
extern const size_t qemu_node_ksm_n_params;
const KsmParam *qemu_node_ksm_find(const char *name);

/* The host CPU as /proc/cpuinfo tells it. */
typedef struct HostCpu {
        char *vendor;      /* "Intel", "AMD" (libvirt's names) */
        char *model_name;  /* "Intel(R) Xeon(R) ..." */
        char **flags;      /* in libvirt's spelling ("sse4.1", "tsc-deadline") */
        unsigned sockets, cores, threads, cpus;
        unsigned mhz;
        char *family, *model, *stepping;
} HostCpu;
void host_cpu_done(HostCpu *h);
int qemu_node_parse_cpuinfo(const char *text, HostCpu *ret);
/* A /proc/cpuinfo flag in libvirt's spelling ("sse4_1" -> "sse4.1"). */
char *qemu_node_feature_name(const char *flag);

/* The <sysinfo type='smbios'> of the host from a directory laid out like
 * /sys/class/dmi/id (dmidir) and the text of /proc/cpuinfo. */
int qemu_node_sysinfo_format(const char *dmidir, const char *cpuinfo, char **ret);

/* The model host-model stands for: the newest of QEMU's models for the
 * host's vendor that QEMU can run (NULL when none is known). */
const char *qemu_node_host_model(const QemuCaps *caps, const HostCpu *host);

/* Compares the guest CPU of xml (a <cpu>, or a <domain> holding one) with
 * the host: CPU_COMPARE_* in *result, or -errno with why (a message) set
 * for XML that is not a CPU or names a model QEMU does not know. On
 * INCOMPATIBLE, why says what the host lacks. */
int qemu_node_compare(const QemuCaps *caps, const HostCpu *host, const char *xml, int *result, char **why);
/* A CPU every one of xmls runs on: the oldest of their models, the
 * features all of them require. */
int qemu_node_baseline(const QemuCaps *caps, char *const *xmls, uint32_t flags, char **ret, char **why);

/* The DomainStatsOps hooks of qemud (qemu-stats.c names them). */
int qemu_node_cpu_model_names(Manager *m, const char *arch, sd_bus_message *msg, sd_bus_error *error);
int qemu_node_compare_cpu(Manager *m, const char *xml, uint32_t flags, sd_bus_message *msg, sd_bus_error *error);
int qemu_node_baseline_cpu(Manager *m, char **xmls, uint32_t flags, sd_bus_message *msg, sd_bus_error *error);
int qemu_node_sysinfo(Manager *m, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_cpu_stats(Manager *m, int32_t cpu, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_memory_stats(Manager *m, int32_t cell, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_free_memory(Manager *m, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_cpu_map(Manager *m, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_memory_parameters(Manager *m, sd_bus_message *reply, sd_bus_error *error);
int qemu_node_set_memory_parameters(Manager *m, sd_bus_message *params, sd_bus_error *error);

/* For tests: KSM's tunables under dir ("/sys/kernel/mm/ksm"). */
int qemu_node_ksm_read(const char *dir, sd_bus_message *reply);
