/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <graphics><listen type='network' network=''/>: at start, before the
 * command line is built, networkd is asked for the network (it must be
 * active) and the display listens on its address, as libvirt does: the
 * first <ip address=''> of a network with its own bridge, else the first
 * IPv4 address of its host bridge. The address goes into the live
 * definition (listen=''), so the live XML shows it.
 * done() runs once (from the bus's event loop, or before this returns)
 * with 0 or the error naming the network. */

#include "domain-prepare.h"

int qemu_graphics_network_resolve(Domain *d, domain_prepare_fn done);
