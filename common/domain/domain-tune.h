/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tuning a domain, live and persistent: the scheduler (<cputune> shares,
 * period, quota), vCPU and emulator pinning, a disk's <iotune>, <memtune>,
 * <blkiotune> and <numatune> (written to the guest's cgroup by the driver,
 * domain-cgroup.h).
 *
 * The bus surface (domain-tune-dbus.c) reads libvirt's typed parameters,
 * applies them to copies of the definitions (the functions below, pure and
 * shared by every driver), asks the driver to make the running guest follow
 * the new live copy, and only then keeps the copies, saves them and emits
 * Tunable. Bad input changes nothing. */

#include <systemd/sd-bus.h>

#include "domain-affect.h"
#include "domain-conf.h"

typedef struct Domain Domain;


typedef enum DomainTuneWhat {
        DOMAIN_TUNE_SCHEDULER,   /* cputune shares, period, quota */
        DOMAIN_TUNE_VCPUPIN,     /* index: the vCPU */
        DOMAIN_TUNE_EMULATORPIN,
        DOMAIN_TUNE_IOTUNE,      /* index: the disk in the definitions */
        DOMAIN_TUNE_NUMA,        /* numatune: the nodeset of a running guest (cpuset.mems) */
        DOMAIN_TUNE_MEMORY,      /* memtune */
        DOMAIN_TUNE_BLKIO,       /* blkiotune weight and devices */
} DomainTuneWhat;

/* d is NULL when the domain went away meanwhile. */
typedef void (*DomainTuneDoneFn)(Domain *d, int r, const char *error_name, const char *message, void *userdata);

struct DomainTuneOps {
        /* Makes the running guest follow newlive in what; old is the live
         * definition until now. 0 when done, 1 when done() is called later
         * (exactly once), -errno with error set. newlive stays the caller's. */
        int (*apply)(Domain *d, DomainTuneWhat what, const DomainDef *old, const DomainDef *newlive, size_t index,
                     DomainTuneDoneFn done, void *userdata, sd_bus_error *error);
};

/* A typed parameter as read from D-Bus. */
typedef struct TuneParam {
        const char *field;   /* points into the message */
        char type;           /* D-Bus type letter: i u x t d b s */
        union {
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                int b;
                const char *s;
        } v;
} TuneParam;

/* Each change is applied to def (a copy); error names the bad parameter.
 * On error def may be half changed: the caller drops the copy. */
int domain_tune_set_scheduler(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error);
int domain_tune_set_iotune(DomainDef *def, size_t disk, const TuneParam *p, size_t n, sd_bus_error *error);
/* cpuset NULL: the pin goes (the vCPU follows <vcpu cpuset>). */
int domain_tune_set_vcpupin(DomainDef *def, unsigned vcpu, const char *cpuset);
int domain_tune_set_emulatorpin(DomainDef *def, const char *cpuset);

/* <memtune>: hard_limit, soft_limit, swap_hard_limit (t, KiB;
 * DOMAIN_TUNE_MEMORY_UNLIMITED or above: none). min_guarantee is refused
 * (ArgumentUnsupported) as libvirt's QEMU and LXC drivers refuse it. */
#define DOMAIN_TUNE_MEMORY_UNLIMITED UINT64_C(9007199254740991)
int domain_tune_set_memory(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error);

/* <blkiotune>: weight (u, 100..1000, 0 = none) and the device lists (s,
 * "path,value,..."), merged into def's devices by path; each path must be
 * a block device of this host. */
int domain_tune_set_blkio(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error);
/* libvirt's names of the device lists, and one device's value of each. */
extern const char *const domain_tune_blkio_device_params[5];
uint64_t domain_tune_blkio_device_value(const DomainBlkioDevice *dev, unsigned field);

/* <numatune><memory>: numa_mode (i, libvirt's numbers) and numa_nodeset
 * (s, nodes of this host). */
int domain_tune_set_numa(DomainDef *def, const TuneParam *p, size_t n, sd_bus_error *error);
/* libvirt's number of def's numatune mode (strict when none). */
int domain_tune_numa_mode(const DomainDef *def);

/* The disk named by its target ("vda") or its source path; -1 if none. */
ssize_t domain_tune_find_disk(const DomainDef *def, const char *name);
/* The CPUs a vCPU (or, vcpu < 0, the emulator) may run on, per def: its
 * pin, else <vcpu cpuset>, else NULL (every CPU). */
const char *domain_tune_vcpu_cpuset(const DomainDef *def, unsigned vcpu);
const char *domain_tune_emulator_cpuset(const DomainDef *def);
