/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>

#include <systemd/sd-daemon.h>

#include "bus-peer.h"
#include "bus-policy.h"
#include "daemon.h"
#include "error.h"
#include "fd-limit.h"
#include "instance-lock.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#define VIRTBUS_VERSION "0.1.0"

static void help(const char *name) {
        printf("virtbus-%s [OPTIONS...]\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --root DIR         Keep configuration, state and logs below DIR\n"
               "                        (default: $VIRTBUS_ROOT, else the system layout)\n"
               "     --timeout SECONDS  Exit after SECONDS idle with nothing running\n",
               name);
}

int daemon_parse_argv(int argc, char *argv[], DaemonOptions *o) {
        enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help(o->name);
                        return 0;
                case ARG_VERSION:
                        printf("virtbus-%s %s\n", o->name, VIRTBUS_VERSION);
                        return 0;
                case ARG_ROOT:
                        if (optarg[0] != '/') {
                                log_error("--root needs an absolute path, not '%s'.", optarg);
                                return -EINVAL;
                        }
                        o->root = optarg;
                        break;
                case ARG_TIMEOUT: {
                        uint64_t s;
                        if (safe_atou64(optarg, &s) < 0 || s > UINT32_MAX) {
                                log_error("--timeout needs a number of seconds, not '%s'.", optarg);
                                return -EINVAL;
                        }
                        o->idle_timeout_usec = s * 1000000ULL;
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static const char *daemon_name;
static char *daemon_rundir; /* for the private socket (bus-peer.h) */

/* Safe once no other instance of us runs: a temporary whose writer is gone
 * will never be renamed into place. Only in our own folders: files of the
 * same shape elsewhere (a volume in a pool below statedir) are not ours. */
static void remove_own_temporaries(const VbPaths *p, const DaemonOptions *o) {
        /* With 10,000 definitions, listing confdir again costs ~5 % of the start. */
        const char *bases[] = { o->confdir_listed ? NULL : p->confdir, p->rundir, p->statedir };
        const char *state_dir = o->state_dir;
        int n = 0;

        for (size_t i = 0; state_dir && i < ELEMENTSOF(bases); i++) {
                _cleanup_free_ char *dir = bases[i] ? path_join(bases[i], state_dir) : NULL;
                n += dir ? MAX(remove_stale_temporaries(dir, 2), 0) : 0;
        }
        if (n > 0)
                log_info("Removed %d temporary file(s) left by a writer that was killed.", n);
}

int daemon_prepare(const DaemonOptions *o) {
        VbPaths p;
        int r;

        daemon_name = o->name;
        /* As systemd does for its services: every daemon may hold an fd per
         * object, and the soft limit of 1024 is only there for select(). */
        fd_limit_raise();
        r = vb_paths_init(&p, o->root);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the directory layout: %m");
        r = instance_lock_take(p.rundir, o->name);
        if (r >= 0)
                remove_own_temporaries(&p, o);
        if (r >= 0)
                daemon_rundir = TAKE_PTR(p.rundir);
        vb_paths_done(&p);
        return r;
}

/* The bus connection is how we are reached and how we own our name: without
 * it we serve nobody, and an instance started on a new bus would run beside
 * us. Exit, with a failure status so that systemd restarts us. */
static int on_bus_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_event *e = userdata;

        log_error("Lost the connection to the system bus; exiting.");
        return sd_event_exit(e, -ENOTCONN);
}

/* As sd_bus_open_system(), but trusted: bus-access.c checks every caller
 * instead of sd-bus, asynchronously (see there why). */
static int open_system_bus(sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        const BusPolicy *policy = daemon_name ? bus_policy_find(daemon_name) : NULL;
        int r;

        if (!policy)
                return log_error_errno(-EPERM, "No access policy for '%s'.", daemon_name ?: "?");
        if ((r = sd_bus_new(&bus)) < 0 ||
            (r = sd_bus_set_address(bus, address ?: "unix:path=/run/dbus/system_bus_socket")) < 0 ||
            (r = sd_bus_set_bus_client(bus, true)) < 0 || (r = sd_bus_set_trusted(bus, true)) < 0 ||
            (r = sd_bus_set_description(bus, "system")) < 0 ||
            (r = bus_access_install(bus, policy->open, policy->n_open)) < 0 || (r = sd_bus_start(bus)) < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

int daemon_open(sd_event **ret_event, sd_bus **ret_bus) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        log_parse_environment();
        (void) vb_error_register_map();
        /* A peer that goes away while we write must not kill us. */
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

        r = open_system_bus(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %m");
        /* A local match: sd-bus synthesizes this signal itself. */
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_bus_disconnected, e);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the bus connection: %m");
        *ret_event = TAKE_PTR(e);
        *ret_bus = TAKE_PTR(bus);
        return 0;
}

void daemon_listen_private(sd_bus *bus) {
        int r;

        if (!daemon_rundir || !daemon_name)
                return;
        r = bus_peer_listen(sd_bus_get_event(bus), bus, daemon_rundir, daemon_name);
        if (r < 0)
                log_warning_errno(r, "Cannot listen on %s/private/%s, callers will use the bus: %m", daemon_rundir,
                                  daemon_name);
}

int daemon_ready(sd_bus *bus, const char *bus_name) {
        int r;

        /* Before the name: whoever sees the name finds the socket. Without
         * it the proxy's calls come by the bus, slower but the same. */
        daemon_listen_private(bus);
        r = sd_bus_request_name(bus, bus_name, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot own the bus name %s: %m", bus_name);
        (void) sd_notify(false, "READY=1");
        return 0;
}

typedef struct IdleExit {
        uint64_t usec;
        daemon_busy_fn is_busy;
        void *userdata;
        sd_bus *bus;
} IdleExit;

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        IdleExit *ie = userdata;

        /* Busy or a call being handled right now: look again later. */
        if (ie->is_busy(ie->userdata) || sd_bus_get_current_message(ie->bus)) {
                sd_event_source_set_time(s, usec + ie->usec);
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }
        log_info("Idle for %llu s, exiting.", (unsigned long long) (ie->usec / 1000000));
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int daemon_setup_idle_exit(sd_event *e, sd_bus *bus, uint64_t usec, daemon_busy_fn is_busy, void *userdata) {
        static IdleExit ie;
        uint64_t now;

        if (usec == 0)
                return 0;
        ie = (IdleExit) { .usec = usec, .is_busy = is_busy, .userdata = userdata, .bus = bus };
        sd_event_now(e, CLOCK_MONOTONIC, &now);
        return sd_event_add_time(e, NULL, CLOCK_MONOTONIC, now + usec, 0, on_idle_timer, &ie);
}
