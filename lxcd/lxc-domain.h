/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What lxcd keeps per container (d->priv) and its lifecycle verbs
 * (lxc-process.c). The domain's process (d->pid) is the container's
 * supervisor (lxc-supervise.h). */

#include <sys/types.h>

#include "domain-manager.h"

typedef struct LxcDomain {
        int status_fd;
        int log_fd;                  /* logd's pipe, until the supervisor has it */
        bool spawned;                /* this start got as far as the supervisor */
        int prior_reason;            /* the shut-off reason before it, kept if it never ran */               /* the supervisor's fd 3, while it starts */
        sd_event_source *status_source;
        sd_event_source *kill_timer; /* SIGKILL if the supervisor asked to stop does not */
        char **start_argv;           /* the supervisor's, until it runs */
        struct LxcPlan *plan;        /* while it starts: until the network step has named the veths */
        pid_t init_pid;              /* in the host's pid namespace, 0 when not known */
        int init_pidfd;              /* the init's, from its "pid" line until it is gone; -1 */
        bool rebooting;              /* started again after its init rebooted (lxc-power.c) */
        char status_buf[1100];
        size_t status_len;
} LxcDomain;

static inline LxcDomain *lxc_domain(Domain *d) {
        return d->priv;
}

extern const DomainDriver lxc_driver;
extern const DomainStatsOps lxc_stats_ops;

int lxc_process_start(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error);
int lxc_process_destroy(Domain *d, sd_bus_message *call, sd_bus_error *error);
int lxc_process_shutdown(Domain *d, sd_bus_error *error);
int lxc_process_reboot(Domain *d, sd_bus_error *error);
int lxc_process_suspend(Domain *d, sd_bus_error *error);
int lxc_process_resume(Domain *d, sd_bus_error *error);
int lxc_process_adopt(Domain *d, pid_t pid);
void lxc_process_lost(Domain *d);
int lxc_process_rollback(Domain *d, const DomainStatus *s);
void lxc_domain_release(Domain *d);
