/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtbus-proxyd: libvirt's clients (virsh, python-libvirt) on virtbus, by
 * libvirt's remote protocol on /run/libvirt/libvirt-sock(-ro). */

#include <signal.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "error.h"
#include "libvirt-dbus.h"
#include "log.h"
#include "server.h"

/* Losing the bus leaves every call without an answer: exit, and let systemd
 * (or socket activation) bring us back. */
static int on_bus_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        log_error("Lost the connection to the system bus; exiting.");
        return sd_event_exit(userdata, -ENOTCONN);
}

/* As daemon_open(), but without its access filter: libvirt-dbus.c installs
 * one of its own, the union of what the daemons behind it open to users
 * other than root. */
static int open_loop_and_bus(sd_event **ret_event, sd_bus **ret_bus) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        log_parse_environment();
        (void) vb_error_register_map();
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        (void) sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        r = sd_bus_open_system(&bus); /* honours DBUS_SYSTEM_BUS_ADDRESS */
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, e);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %m");
        *ret_event = TAKE_PTR(e);
        *ret_bus = TAKE_PTR(bus);
        return 0;
}

/* Busy while libvirt's or libvirt-dbus's clients are being served. */
static LibvirtDbus *ldbus;
static bool proxyd_is_busy(void *s) {
        return server_is_busy(s) || libvirt_dbus_is_busy(ldbus);
}

int main(int argc, char *argv[]) {
        DaemonOptions opts = { .name = "proxyd" };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *dir = NULL;
        Server *s = NULL;
        int r;

        log_set_ident("virtbus-proxyd");
        r = daemon_parse_argv(argc, argv, &opts);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        if (daemon_prepare(&opts) < 0)
                return 1;
        if (open_loop_and_bus(&event, &bus) < 0)
                return 1;
        if (server_socket_dir(opts.root, &dir) < 0)
                return log_oom(), 1;
        r = server_new(event, bus, dir, &s);
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
