/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What libvirt applies outside QEMU's command line: <cputune> shares,
 * period and quota through the cpu cgroup controller (v2, or v1 where the
 * host still mounts it), and <vcpupin>, <emulatorpin> and <vcpu cpuset>
 * as CPU affinity of QEMU's threads. */

#include <systemd/sd-bus.h>

#include "domain.h"
#include "domain-tune.h"

/* Applies everything while QEMU waits paused; done() is called once, with
 * 0 or -errno and a message naming what could not be applied. */
typedef void (*qemu_tune_fn)(Domain *d, int r, const char *message);
int qemu_tune_apply(Domain *d, qemu_tune_fn done);

/* Removes the guest's cgroup once QEMU is gone. */
void qemu_tune_cleanup(Domain *d);

/* The cgroup directory of a guest, for the tests and the live state. */
int qemu_tune_cgroup_path(const Domain *d, char **ret);

/* Changes while the guest runs: the scheduler through the cgroup (made
 * then if the start made none), pins as thread affinity (QEMU's vCPU
 * threads from query-cpus-fast), a disk's limits with block_set_io_throttle
 * on its device. */
extern const DomainTuneOps qemu_tune_ops;
