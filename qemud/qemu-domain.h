/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the QEMU driver keeps per domain, beside the shared Domain
 * (domain.h): d->priv, made and freed through the driver's table
 * (qemu-driver.c). */

#include <stdbool.h>

#include "domain.h"
#include "qemu-agent.h"
#include "qemu-monitor.h"

typedef struct QemuPerf QemuPerf;

typedef struct QemuDomain {
        QemuMonitor *mon;         /* while QEMU runs */
        char *monitor_path;       /* <rundir>/qemu/<name>.monitor */
        char **start_argv;        /* built by the start, kept while the log is being opened */
        bool got_shutdown;        /* QEMU said SHUTDOWN */
        bool fake_reboot;         /* Reboot(): turn the guest's power-off into a reset */
        bool restoring;           /* this start restores a save image (qemu-save.h) */
        bool migrating_in;        /* this start receives a migration (qemu-migrate.h) */
        bool migrating_out;       /* Perform3 began, Confirm3 not yet (qemu-migrate.h) */
        bool from_snapshot;       /* a snapshot's revert or HALT stops/starts it: FROM_SNAPSHOT (qemu-snapshot.c) */
        struct QemuMigration *migration; /* a migration's state, either side (qemu-migrate.c) */
        struct QemuSaveState *save; /* a save, dump or restore under way (qemu-save.c) */
        /* A vCPU was unplugged in this run (qemu-resources.c): under TCG,
         * QEMU 7.2 aborts when a vCPU is plugged after that. Kept in the
         * live state. */
        bool vcpu_unplugged;
        /* The targets of the transient disks whose overlay this run made,
         * read from the live state after a restart (qemu-status.c): the
         * live definition, read after, is marked from it at the stop. */
        char **transient_overlays;
        /* The targets of the disks whose TLS nbd_tls decided, by what it
         * said at their start or plug (qemu-disk-tls.h), kept in the live
         * state. */
        char **nbd_tls_on, **nbd_tls_off;
        QemuAgent *agent;         /* the guest agent's connection, once used (qemu-agent-cmds.c) */
        bool agent_dying;         /* the domain is being freed: agent answers go nowhere */
        /* The vCPU threads the statistics found (qemu-stats.c), for the
         * QEMU of vcpu_tids_pid: looked up again when it or the number of
         * vCPUs changed, or a thread is gone. */
        pid_t *vcpu_tids;
        unsigned n_vcpu_tids;
        pid_t vcpu_tids_pid;
        struct QemuPerf *perf;    /* the perf counters on this QEMU (qemu-perf.c) */
        struct QemuBlockJob *block_jobs; /* what running block jobs need at their end (qemu-blockjob.c) */
        char *chains_sent;        /* the files storaged was last told this guest reads (qemu-chains.h) */
        unsigned confine_flags;   /* CONFINE_* for the spawn, from this start's qemud.conf (qemu-confine.h) */
        struct QemuSwtpmSetup *swtpm_setup; /* the start's swtpm_setup while it runs (qemu-swtpm.h) */
        struct QemuSecrets *secrets; /* the start's secrets, until QEMU runs (qemu-secrets.h) */
        unsigned taint;           /* this run's taint flags, 1 << QemuTaint, kept in the live state (qemu-taint.h) */
        char **deprecations;      /* this run's deprecation notes, likewise */
} QemuDomain;

static inline QemuDomain *qemu_domain(const Domain *d) {
        return d->priv;
}
