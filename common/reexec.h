/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Re-executing a daemon in place without letting go of what it holds (the
 * leases of lockd, the pipes of logd), on its ReExec call or on SIGUSR1:
 *
 *  - the state goes, as text (common/state-text.h), into a memfd;
 *  - FD_CLOEXEC is cleared on every fd the state names, so they all stay
 *    open across the exec;
 *  - the daemon execs its own binary, by path (after an upgrade the new one
 *    starts), with the same command line and the memfd's number in an
 *    environment variable;
 *  - the new image finds the variable, reads the state back and adopts the
 *    fds, then takes the bus name. A call made during the exec may have
 *    activated a fresh instance: the one holding the state replaces it, and
 *    an instance that loses the name exits.
 *
 * When the exec fails, the daemon keeps serving with what it has. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct ReexecOps {
        /* The state as text, naming the fds that carry it. */
        int (*format)(void *userdata, char **ret, size_t *ret_len);
        /* Adopts the state that the previous image left. */
        int (*parse)(void *userdata, const char *text);
        /* Sets or clears FD_CLOEXEC on every fd the state names. */
        int (*set_cloexec)(void *userdata, bool cloexec);
        /* What the state holds, for the log: "3 lease(s) of 1 owner(s)". */
        char *(*describe)(void *userdata);
} ReexecOps;

typedef struct Reexec Reexec;

/* name: "lockd", for the memfd and the messages; env: the variable that
 * carries the state fd. Remembers our binary and argv, and blocks SIGUSR1
 * (reexec_start() watches it). */
int reexec_new(const char *name, const char *env, char **argv, Reexec **ret);
Reexec *reexec_free(Reexec *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(Reexec *, reexec_free);

/* Watches SIGUSR1 on event, and adopts the state of the previous image if
 * the environment names one. Returns 1 after a re-exec, 0 on a fresh start. */
int reexec_start(Reexec *x, sd_event *event, sd_bus *bus, const ReexecOps *ops, void *userdata);
/* Re-execs from the event loop once what is queued is handled (the reply to
 * a ReExec call goes out first). */
int reexec_schedule(Reexec *x);
/* Takes bus_name (replacing the owner after a re-exec), exits the event
 * loop when the name goes to another instance, and tells systemd we are
 * ready. */
int reexec_take_name(Reexec *x, const char *bus_name);
