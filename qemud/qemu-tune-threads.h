/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The emulator's and the IOThreads' CPU bandwidth (<cputune>
 * <emulator_period>/<emulator_quota>, <iothread_period>/<iothread_quota>),
 * as libvirt applies them: cgroups of their own below the guest's, on the
 * cpu controller: "emulator" holds every thread of QEMU that is neither a
 * vCPU nor an IOThread, "iothreadN" each IOThread (QEMU's thread names tell
 * them apart); the vCPUs stay in the guest's cgroup, whose bandwidth is the
 * global one. Made at start while QEMU waits paused and on a live change;
 * a change that takes a limit away lifts it (quota -1); a period alone
 * limits nothing and makes no cgroup. cgroup v1's cpu
 * controller only: a v2 host is refused naming it, as a host without a cpu
 * controller. 0, or -errno with msg set. */

#include <sys/types.h>

#include "cgroup.h"
#include "domain-conf.h"

int qemu_tune_threads_apply(const Cgroup *cg, pid_t pid, const DomainDef *def, char *msg, size_t size);
/* The children, emptied with QEMU's end, removed before the guest's cgroup. */
void qemu_tune_threads_remove(const Cgroup *cg);
