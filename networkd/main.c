/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-networkd: virtual networks and the ports guests plug into. */
#include "daemon.h"
#include "log.h"
#include "manager.h"
#include "memory-trim.h"

int main(int argc, char *argv[]) {
        DaemonOptions o = { .name = "networkd", .state_dir = "network" };
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_set_ident("virtbus-networkd");
        r = daemon_parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&o) < 0)
                return 1;
        r = manager_new(&o, &m);
        if (r < 0)
                return 1;
        r = daemon_open(&m->event, &m->bus);
        if (r < 0)
                return 1;
        if ((r = connect_dbus_register(m)) < 0 || (r = network_dbus_register(m)) < 0 ||
            (r = port_dbus_register(m)) < 0) {
                log_error_errno(r, "Cannot register the bus objects: %m");
                return 1;
        }
        r = manager_startup(m);
        if (r < 0)
                return 1;
        r = daemon_ready(m->bus, NETWORKD_BUS_NAME);
        if (r < 0)
                return 1;
        (void) daemon_setup_idle_exit(m->event, m->bus, o.idle_timeout_usec, manager_is_busy, m);
        (void) memory_trim_periodic(m->event, 10ULL * 1000000ULL);
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), 1;
        return 0;
}
