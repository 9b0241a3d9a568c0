/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* vCPUs, the memory balloon and IOThreads of a domain (libvirt's
 * virDomainSetVcpusFlags, virDomainSetMemoryFlags, virDomainMemoryStats,
 * virDomainAddIOThread... as libvirt-dbus names them).
 *
 * The bus surface (domain-resources-dbus.c) checks the arguments and the
 * flags, works out the persistent definition's change on a copy and takes
 * the domain's job. What touches the running guest is the driver's: each
 * live hook below either fails at once (-errno, error set, done never
 * called) or returns 0 and calls done exactly once, now or later. On
 * success the hook has updated d->live (and saved the live state); the core
 * then commits the persistent change and answers. done gets d == NULL when
 * the guest went away meanwhile: its job was answered already. */

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain-affect.h"
#include "domain-driver.h"

/* libvirt's virDomainModificationImpact and the flags of each call. */
enum {
        DOMAIN_VCPU_MAXIMUM = 1 << 2,
        DOMAIN_VCPU_GUEST = 1 << 3,
        DOMAIN_VCPU_HOTPLUGGABLE = 1 << 4,
        DOMAIN_MEM_MAXIMUM = 1 << 2,
};

/* virDomainMemoryStatTags */
enum {
        DOMAIN_MEMORY_STAT_SWAP_IN = 0,
        DOMAIN_MEMORY_STAT_SWAP_OUT = 1,
        DOMAIN_MEMORY_STAT_MAJOR_FAULT = 2,
        DOMAIN_MEMORY_STAT_MINOR_FAULT = 3,
        DOMAIN_MEMORY_STAT_UNUSED = 4,
        DOMAIN_MEMORY_STAT_AVAILABLE = 5,
        DOMAIN_MEMORY_STAT_ACTUAL_BALLOON = 6,
        DOMAIN_MEMORY_STAT_RSS = 7,
        DOMAIN_MEMORY_STAT_USABLE = 8,
        DOMAIN_MEMORY_STAT_LAST_UPDATE = 9,
        DOMAIN_MEMORY_STAT_DISK_CACHES = 10,
        DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC = 11,
        DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL = 12,
        DOMAIN_MEMORY_STAT_NR = 13,
};

typedef struct DomainMemoryStat {
        int32_t tag;
        uint64_t value;         /* KiB for sizes, as libvirt gives them */
} DomainMemoryStat;

/* One IOThread of a running guest and the host CPUs its thread may run on. */
typedef struct DomainIOThreadInfo {
        unsigned id;
        char *cpuset;           /* libvirt's cpuset syntax, "0-3" */
} DomainIOThreadInfo;

typedef void (*DomainLiveDoneFn)(Domain *d, int r, const sd_bus_error *error, void *userdata);
typedef void (*DomainMemoryStatsFn)(Domain *d, int r, const sd_bus_error *error, const DomainMemoryStat *stats,
                                    size_t n, void *userdata);
typedef void (*DomainIOThreadInfoFn)(Domain *d, int r, const sd_bus_error *error, const DomainIOThreadInfo *info,
                                     size_t n, void *userdata);

struct DomainResourcesOps {
        /* nvcpus online vCPUs (1..<vcpu>, checked): hot-plug or unplug. */
        int (*set_vcpus)(Domain *d, unsigned nvcpus, DomainLiveDoneFn done, void *userdata, sd_bus_error *error);
        /* vCPU id (below <vcpu>, checked) plugged (enabled) or unplugged. */
        int (*set_vcpu)(Domain *d, unsigned id, bool enabled, DomainLiveDoneFn done, void *userdata,
                        sd_bus_error *error);
        /* The balloon's target (KiB, up to <memory>, checked; a balloon exists). */
        int (*set_memory)(Domain *d, uint64_t kib, DomainLiveDoneFn done, void *userdata, sd_bus_error *error);
        /* The guest statistics' polling period (seconds, >= 0; a balloon exists). */
        int (*set_memory_stats_period)(Domain *d, int period, DomainLiveDoneFn done, void *userdata,
                                       sd_bus_error *error);
        int (*memory_stats)(Domain *d, DomainMemoryStatsFn done, void *userdata, sd_bus_error *error);
        /* id checked: unused (add), in the live definition and not used by
         * a disk (del), in the live definition (pin). */
        int (*add_iothread)(Domain *d, unsigned id, DomainLiveDoneFn done, void *userdata, sd_bus_error *error);
        int (*del_iothread)(Domain *d, unsigned id, DomainLiveDoneFn done, void *userdata, sd_bus_error *error);
        int (*pin_iothread)(Domain *d, unsigned id, const char *cpuset, DomainLiveDoneFn done, void *userdata,
                            sd_bus_error *error);
        int (*iothread_info)(Domain *d, DomainIOThreadInfoFn done, void *userdata, sd_bus_error *error);
};
