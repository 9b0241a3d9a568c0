/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-lxcd: LXC containers on D-Bus. "--supervise" runs one
 * container's supervisor instead (lxc-supervise.h). */

#include "connect-dbus.h"
#include "daemon.h"
#include "domain-dbus.h"
#include "log.h"
#include "lxc-domain.h"
#include "lxc-supervise.h"
#include "memory-trim.h"
#include "util.h"

int main(int argc, char *argv[]) {
        DaemonOptions opts = { .name = "lxcd", .state_dir = "lxc" };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Manager *m = NULL;
        int r;

        if (argc > 1 && streq(argv[1], "--supervise")) {
                log_set_ident("virtbus-lxcd-supervise");
                return lxc_supervise_main(argv + 2);
        }
        log_set_ident("virtbus-lxcd");
        r = daemon_parse_argv(argc, argv, &opts);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&opts) < 0)
                return 1;
        r = daemon_open(&event, &bus);
        if (r < 0)
                return 1;
        r = manager_new(event, bus, opts.root, &lxc_driver, &m);
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
        r = daemon_ready(bus, lxc_driver.bus_name);
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
