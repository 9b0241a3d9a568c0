/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The proxy's private connections to the daemons (common/bus-peer.h): a call
 * that only reads goes straight to the daemon instead of through
 * dbus-daemon, which halves what such a call costs. A daemon that does not
 * listen (not started yet, exited when idle, an older build) is reached by
 * the bus, and asked again a second later; a connection that drops is
 * forgotten the same way. Calls that change something stay on the bus, so
 * that their replies keep their order with the daemons' signals (the events
 * clients see), and so do the standard interfaces (Properties...), which a
 * private connection does not carry. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct Peers Peers;

/* rundir: the daemons' (<root>/run/virtbus). */
int peers_new(sd_event *e, sd_bus *bus, const char *rundir, Peers **ret);
Peers *peers_free(Peers *p);

/* The connection for a call to bus_name's interface: the private one when the
 * daemon has one and the call may take it (read_only, not a standard
 * interface), else the bus. Never NULL. */
sd_bus *peers_bus(Peers *p, const char *bus_name, const char *interface, bool read_only);
