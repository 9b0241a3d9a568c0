/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A private door into a daemon, for virtbus-proxyd: a direct (peer to peer)
 * D-Bus connection on <rundir>/private/<name>, so that the proxy's calls do
 * not cross dbus-daemon twice each (the bus's routing cost most of a call's
 * time). The folder is 0700 and the socket 0600, both root's, and the daemon
 * also refuses a peer whose SO_PEERCRED uid is not root's (or its own): a call
 * that comes this way is a call from root.
 *
 * The daemon's objects are those of its bus connection: a method call read
 * from a peer is handed to the bus connection's dispatch
 * (sd_bus_enqueue_for_read()), and the reply, made from the call, goes back
 * on the connection the call came from. sd-bus answers the standard
 * interfaces (Properties, Introspectable, Peer) on the connection that
 * dispatches, though, not on the call's: those are refused here with
 * org.freedesktop.DBus.Error.NotSupported, and the proxy sends them through
 * the bus. Signals stay on the bus. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

/* The socket's path: <rundir>/private/<name> ("qemud"). */
int bus_peer_path(const char *rundir, const char *name, char **ret);

/* The daemon's side: listens on the path and serves bus's objects to root's
 * peers. The socket is removed at exit. */
int bus_peer_listen(sd_event *e, sd_bus *bus, const char *rundir, const char *name);

/* The client's side: a started, not yet authenticated connection to the
 * daemon's socket (-ENOENT / -ECONNREFUSED when the daemon does not listen). */
int bus_peer_connect(const char *rundir, const char *name, sd_bus **ret);

/* Whether a call may go through a peer connection (not a standard interface). */
bool bus_peer_carries(const char *interface);
