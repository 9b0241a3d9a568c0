/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "manager.h"
#include "util.h"

int manager_new(const DaemonOptions *o, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *o;
        r = vb_paths_init(&m->paths, o->root);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the directory layout: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        secret_store_done(&m->store);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        vb_paths_done(&m->paths);
        free(m);
}

static bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        /* An ephemeral secret lives only in this process. */
        return secret_store_has_ephemeral(&m->store);
}

int manager_start(Manager *m) {
        int r;

        r = daemon_open(&m->event, &m->bus);
        if (r < 0)
                return r;
        r = secret_store_open(&m->store, m->paths.confdir, SECRETD_ROOT);
        if (r < 0)
                return r;
        r = connect_dbus_register(m);
        if (r >= 0)
                r = secret_dbus_register(m);
        if (r < 0)
                return log_error_errno(r, "Cannot register the bus objects: %m");
        r = daemon_ready(m->bus, SECRETD_BUS_NAME);
        if (r < 0)
                return r;
        return daemon_setup_idle_exit(m->event, m->bus, m->options.idle_timeout_usec, manager_is_busy, m);
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);

        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}
