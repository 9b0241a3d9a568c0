/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-proxyd: libvirt's clients (virsh, python-libvirt) on virtbus, by
 * libvirt's remote protocol on /run/libvirt/libvirt-sock(-ro). */

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "libvirt-dbus.h"
#include "log.h"
#include "server.h"

/* Busy while libvirt's or libvirt-dbus's clients are being served. */
static LibvirtDbus *ldbus;
static bool proxyd_is_busy(void *s) {
        return server_is_busy(s) || libvirt_dbus_is_busy(ldbus);
}

int main(int argc, char *argv[]) {
        DaemonOptions opts = { .name = "proxyd" };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        Server *s = NULL;
        int r;

        log_set_ident("virtbus-proxyd");
        r = daemon_parse_argv(argc, argv, &opts);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&opts) < 0)
                return 1;
        if (daemon_open(&event, &bus) < 0)
                return 1;
        r = server_new(event, bus, opts.root, &s);
        if (r < 0)
                return 1;
        (void) libvirt_dbus_start(bus, &ldbus); /* org.libvirt: logs and goes on without it */
        (void) sd_notify(false, "READY=1");
        /* Under socket activation systemd keeps the sockets and starts us
         * again on the next connection. */
        (void) daemon_setup_idle_exit(event, bus, opts.idle_timeout_usec, proxyd_is_busy, s);
        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        libvirt_dbus_free(ldbus);
        server_free(s);
        return r < 0 ? 1 : 0;
}
