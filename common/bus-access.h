/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may call what, decided before any method of the daemon runs: root may
 * call everything, any other user what the daemon lists as open (the calls
 * that only read) and the standard Introspectable, Peer and
 * Properties.Get/GetAll; the rest when polkit allows the caller
 * org.virtbus.manage (common/polkit.h), asked once per connection while its
 * calls wait, like the uid below; polkit refusing or absent: AccessDenied.
 * (The bus policy lets such calls through only from the group virtbus.)
 * The daemon's bus policy file
 * (units/org.virtbus.<name>.conf) says the same, and a test keeps the two
 * alike; the daemon checks as well, so that a bus without that policy does
 * not open it up.
 *
 * The caller's uid is asked of the bus asynchronously, once per connection,
 * and remembered. A call from a connection not known yet waits until the
 * answer comes and is then dispatched again (sd_bus_enqueue_for_read()).
 * sd-bus's own per-method check is switched off (sd_bus_set_trusted()): it
 * asks the bus synchronously on every privileged call, and while it waits it
 * reads every queued message with its fds, which a daemon short of fds cannot
 * take without losing its connection. The vtables' privilege flags therefore
 * decide nothing: the open list does. */

#include <systemd/sd-bus.h>

#include "macro.h"

/* member NULL: every method of the interface. */
typedef struct BusMethod {
        const char *interface;
        const char *member;
} BusMethod;

/* Installs the check on bus, which must have been made trusted before it
 * started (sd_bus_set_trusted()); open (n_open entries) must outlive it. */
int bus_access_install(sd_bus *bus, const BusMethod *open, size_t n_open);
/* Replaces the open methods of the filter installed on this daemon's bus: for
 * a daemon that learns them once running (the proxy, from the daemons behind
 * it). open must outlive the bus. -ENXIO when no filter is installed. */
int bus_access_set_open(const BusMethod *open, size_t n_open);

/* Whether the sender of m, a call being dispatched, is root. For the finer
 * rules inside a method (a flag only root may pass). */
bool bus_access_caller_is_root(sd_bus_message *m);

/* Whether open lets anybody call interface.member (for the policy test). */
bool bus_access_is_open(const BusMethod *open, size_t n_open, const char *interface, const char *member);
