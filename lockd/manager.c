/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lease-record.h"
#include "lock-state.h"
#include "log.h"
#include "manager.h"
#include "memory-trim.h"
#include "util.h"

int manager_new(const DaemonOptions *o, char **argv, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *o;
        r = vb_paths_init(&m->paths, o->root);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the directory layout: %m");
        r = reexec_new("lockd", LOCKD_STATE_FD_ENV, argv, &m->reexec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        reexec_free(m->reexec);
        lease_table_free(m->leases);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        lockd_config_done(&m->config);
        vb_paths_done(&m->paths);
        free(m);
}

static bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        return m->leases->n_leases > 0;
}

int manager_start(Manager *m) {
        _cleanup_free_ char *records = NULL;
        int r;

        r = daemon_open(&m->event, &m->bus);
        if (r < 0)
                return r;
        r = lockd_config_load(&m->config, &m->paths);
        if (r < 0)
                return r;
        r = lease_table_new(m->config.lockspace_dir, m->event, &m->leases);
        if (r < 0)
                return r;
        records = path_join(m->paths.rundir, "lockd/leases");
        if (!records)
                return log_oom();
        r = lease_records_open(m->leases, records);
        if (r < 0)
                return r;
        r = reexec_start(m->reexec, m->event, m->bus, &lock_state_reexec_ops, m->leases);
        if (r < 0)
                return r;
        /* A fresh start after a crash, a kill or a stop: the leases of owners
         * that still run are taken back before the name is, so no Acquire
         * can get in between. (After a re-exec they were never let go.) */
        if (r == 0) {
                r = lease_records_restore(m->leases);
                if (r < 0)
                        return log_error_errno(r, "Cannot take back the recorded leases: %m");
        }
        r = lock_dbus_register(m);
        if (r < 0)
                return r;
        daemon_listen_private(m->bus);
        r = reexec_take_name(m->reexec, LOCKD_BUS_NAME);
        if (r < 0)
                return r;
        return daemon_setup_idle_exit(m->event, m->bus, m->options.idle_timeout_usec, manager_is_busy, m);
}

int manager_run(Manager *m) {
        (void) memory_trim_periodic(m->event, 10ULL * 1000000ULL);
        int r = sd_event_loop(m->event);

        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}
