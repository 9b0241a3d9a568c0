/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log-state.h"
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
        r = reexec_new("logd", LOGD_STATE_FD_ENV, argv, &m->reexec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        reexec_free(m->reexec);
        log_table_free(m->logs);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        vb_paths_done(&m->paths);
        free(m);
}

static bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        return m->logs->n_streams > 0;
}

int manager_start(Manager *m) {
        _cleanup_free_ char *pipes = NULL;
        int r;

        r = daemon_open(&m->event, &m->bus);
        if (r < 0)
                return r;
        r = logd_config_load(&m->config, &m->paths);
        if (r < 0)
                return r;
        r = mkdir_p(m->paths.logdir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", m->paths.logdir);
        r = log_table_new(m->paths.logdir, m->config.max_size, m->config.max_backups, m->event, &m->logs);
        if (r < 0)
                return r;
        pipes = path_join(m->paths.rundir, "logd/pipes");
        if (!pipes)
                return log_oom();
        r = log_table_open_pipes_dir(m->logs, pipes);
        if (r < 0)
                return r;
        r = reexec_start(m->reexec, m->event, m->bus, &log_state_reexec_ops, m->logs);
        if (r < 0)
                return r;
        /* A fresh start after a crash, a kill or a stop: the pipes of guests
         * that still run wait in their FIFOs, drain them again. (After a
         * re-exec they were never let go.) */
        if (r == 0) {
                r = log_table_restore_pipes(m->logs);
                if (r < 0)
                        return log_error_errno(r, "Cannot open the pipes left by the previous logd: %m");
        }
        r = log_dbus_register(m);
        if (r < 0)
                return r;
        r = reexec_take_name(m->reexec, LOGD_BUS_NAME);
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
