/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.libvirt on the system bus, as libvirt-dbus serves it, for the desktop
 * tools that speak it (cockpit-machines): /org/libvirt/QEMU (and
 * /org/libvirt/LXC when virtbus-lxcd is installed) with every kind of
 * object below it, each call forwarded to the daemon that owns it
 * (dbus-forward.h), the daemons' signals emitted again under our name with
 * our paths, and libvirt-dbus's quirks (double variants in GetAll and the
 * typed-parameter results, an empty GetAll for an object that is gone).
 *
 * Who may call: root everything; other users what the daemons open to them
 * (common/bus-policy.c, the same list as units/org.libvirt.conf), checked
 * here because the daemons see the proxy, root, as the caller.
 *
 * When the name cannot be had (another owner, a policy without ours) this
 * side logs it and stays off; libvirt's socket is served all the same. */

#include <systemd/sd-bus.h>

#include "bus-access.h"
#include "macro.h"

typedef struct LibvirtDbus LibvirtDbus;

/* Serves the objects and asks for the name, without waiting for it. */
int libvirt_dbus_start(sd_bus *bus, LibvirtDbus **ret);
void libvirt_dbus_free(LibvirtDbus *ld);

/* Whether calls are in flight or came since the last time it was asked
 * (for the idle exit, which asks at every timeout). NULL: false. */
bool libvirt_dbus_is_busy(LibvirtDbus *ld);

/* The methods other users may call through org.libvirt: the union of what
 * the daemons behind it open. Owned by the caller. */
int libvirt_dbus_open_methods(BusMethod **ret, size_t *ret_n);
