/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every daemon's main() shares: options, the event loop with its signal
 * handlers, the system bus connection, the bus name and readiness. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct DaemonOptions {
        const char *name;        /* "qemud" */
        const char *state_dir;   /* its folder below confdir, rundir and statedir: "qemu" */
        bool confdir_listed;     /* its start lists <confdir>/<state_dir> with def_dir_load_ino(),
                                  * which removes the temporaries there (def-dir.h) */
        const char *root;        /* --root DIR, or NULL */
        uint64_t idle_timeout_usec; /* --timeout SECONDS, 0 = never exit when idle */
} DaemonOptions;

/* Returns 1 to go on, 0 when the program should exit successfully (--help,
 * --version), -EINVAL on a bad option (already reported). */
int daemon_parse_argv(int argc, char *argv[], DaemonOptions *o);

/* Before a daemon touches its state: raises the soft RLIMIT_NOFILE to the
 * hard one, takes <rundir>/<name>.lock (-EBUSY, logged, when another instance
 * runs on the same state) and removes temporaries that killed writers left. */
int daemon_prepare(const DaemonOptions *o);

/* The default event loop with SIGTERM/SIGINT ending it, and the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS is honoured) attached to it, with the daemon's
 * access policy (common/bus-policy.c; the daemon is the one daemon_prepare()
 * was given) checked on every call. Losing the bus connection ends the loop
 * with -ENOTCONN. */
int daemon_open(sd_event **ret_event, sd_bus **ret_bus);

/* Takes the well-known name and tells systemd we are ready. */
/* Root's private door, <rundir>/private/<name> (bus-peer.h); daemon_ready()
 * opens it, a daemon that takes its name otherwise calls this first. */
void daemon_listen_private(sd_bus *bus);
int daemon_ready(sd_bus *bus, const char *bus_name);

/* Arms (or re-arms) an idle exit: after usec without is_busy() returning true
 * the loop exits. */
typedef bool (*daemon_busy_fn)(void *userdata);
int daemon_setup_idle_exit(sd_event *e, sd_bus *bus, uint64_t usec, daemon_busy_fn is_busy, void *userdata);
