/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "connect-dbus.h"
#include "daemon.h"
#include "domain-daemon.h"
#include "domain-dbus.h"
#include "log.h"
#include "memory-trim.h"

int domain_daemon_run(const DomainDriver *driver, const char *name, const char *state_dir, int argc, char *argv[]) {
        DaemonOptions opts = { .name = name, .state_dir = state_dir, .confdir_listed = true };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Manager *m = NULL;
        int r;

        r = daemon_parse_argv(argc, argv, &opts);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&opts) < 0)
                return 1;
        r = daemon_open(&event, &bus);
        if (r < 0)
                return 1;
        r = manager_new(event, bus, opts.root, driver, &m);
        if (r < 0) {
                log_error_errno(r, "Cannot set up: %m");
                return 1;
        }
        if ((r = connect_dbus_register(m)) < 0 || (r = domain_dbus_register(m)) < 0) {
                log_error_errno(r, "Cannot register the bus objects: %m");
                goto out;
        }
        r = manager_startup(m);
        if (r < 0)
                goto out;
        r = daemon_ready(bus, driver->bus_name);
        if (r < 0)
                goto out;
        (void) daemon_setup_idle_exit(event, bus, opts.idle_timeout_usec, manager_is_busy, m);
        (void) memory_trim_periodic(event, 10ULL * 1000000ULL);
        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
out:
        manager_free(m);
        return r < 0 ? 1 : 0;
}
