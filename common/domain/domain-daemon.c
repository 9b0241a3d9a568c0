/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <malloc.h>

#include "connect-dbus.h"
#include "daemon.h"
#include "domain-daemon.h"
#include "domain-dbus.h"
#include "log.h"
#include "memory-trim.h"

/* Large blocks from the heap, and the heap not shrunk on each free: a start
 * with 10,000 defined frees the index's tables (~800 KiB) just before it
 * builds its first ListDomains answer (~700 KiB), which then reuses their
 * pages instead of faulting in fresh ones (10-25 us each on this kind of
 * host); glibc's default maps each block of 128 KiB or more alone and
 * unmaps it when freed. What stays free goes back to the system at the
 * next memory_trim() (memory-trim.h: malloc_trim(0) releases free pages
 * anywhere in the heap), 100 ms after the start and then every 10 s. */
static void keep_freed_blocks(void) {
        (void) mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
        (void) mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
}

int domain_daemon_run(const DomainDriver *driver, const char *name, const char *state_dir, int argc, char *argv[]) {
        DaemonOptions opts = { .name = name, .state_dir = state_dir, .confdir_listed = true };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Manager *m = NULL;
        int r;

        keep_freed_blocks();
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
