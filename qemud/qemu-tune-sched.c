/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vcpusched>, <iothreadsched>: the Linux scheduler policy of a QEMU thread,
 * set by qemud while QEMU waits paused, as libvirt's virProcessSetScheduler. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "qemu-tune-sched.h"

static int linux_policy(DomainSchedPolicy p) {
        switch (p) {
        case DOMAIN_SCHED_BATCH:
                return SCHED_BATCH;
        case DOMAIN_SCHED_IDLE:
                return SCHED_IDLE;
        case DOMAIN_SCHED_FIFO:
                return SCHED_FIFO;
        case DOMAIN_SCHED_RR:
                return SCHED_RR;
        default:
                return -1;
        }
}

int qemu_tune_sched_thread(pid_t tid, const DomainThreadSched *s, const char *what, char *msg, size_t size) {
        struct sched_param param = {};
        int policy = s ? linux_policy(s->policy) : -1;

        if (policy < 0)
                return 0;
        if (policy == SCHED_FIFO || policy == SCHED_RR) {
                int min = sched_get_priority_min(policy), max = sched_get_priority_max(policy);

                if (s->priority < min || s->priority > max) {
                        snprintf(msg, size, "Scheduler priority %d of %s is out of range [%d, %d] for scheduler '%s'",
                                 s->priority, what, min, max, domain_sched_policy_to_string(s->policy));
                        return -EINVAL;
                }
                param.sched_priority = s->priority;
        }
        if (sched_setscheduler(tid, policy, &param) < 0) {
                int r = -errno;

                /* with real-time group scheduling a cgroup without RT time
                 * (cpu.rt_runtime_us 0, machine.slice's default) takes no
                 * RT thread: the host's setting, as for libvirt */
                snprintf(msg, size, "cannot set the scheduler '%s' of %s (thread %d): %s%s",
                         domain_sched_policy_to_string(s->policy), what, (int) tid, strerror(-r),
                         r == -EPERM && param.sched_priority ? " (a real-time scheduler needs real-time CPU time "
                                                               "in the guest's cgroup, cpu.rt_runtime_us)" : "");
                return r;
        }
        return 0;
}
