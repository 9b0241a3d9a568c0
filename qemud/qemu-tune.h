/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What libvirt applies outside QEMU's command line: the guest's own cgroup
 * (machine.slice/machine-qemu\x2d<id>\x2d<name>.scope, common/cgroup.h)
 * with QEMU in it and <cputune> shares, period and quota, <memtune>,
 * <blkiotune> and <numatune> written there (domain-cgroup.h), and
 * <vcpupin>, <emulatorpin>, <iothreadpin> and <vcpu cpuset> as CPU affinity
 * of QEMU's threads. */

#include <systemd/sd-bus.h>

#include "domain.h"
#include "domain-tune.h"

/* Applies everything while QEMU waits paused; done() is called once, with
 * 0 or -errno and a message naming what could not be applied. */
typedef void (*qemu_tune_fn)(Domain *d, int r, const char *message);
int qemu_tune_apply(Domain *d, qemu_tune_fn done);

/* Removes the guest's cgroup once QEMU is gone (or later, retried, while a
 * failed start's QEMU is still going away). */
void qemu_tune_cleanup(Domain *d);

/* The guest's cgroup path below the hierarchies' root. */
int qemu_tune_cgroup_path(const Domain *d, char **ret);
/* A disk plugged into (allow) or unplugged from the running guest, in its
 * cgroup's device controller. 0 when the guest has no cgroup. */
int qemu_tune_disk_devices(Domain *d, const DomainDiskDef *disk, bool allow, char *msg, size_t size);

/* Changes while the guest runs: the scheduler, memory, block I/O and NUMA
 * nodes through the cgroup (made then if the start made none), pins as
 * thread affinity (QEMU's vCPU threads from query-cpus-fast), a disk's
 * limits with block_set_io_throttle on its device. */
extern const DomainTuneOps qemu_tune_ops;
