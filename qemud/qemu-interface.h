/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The interfaces of a running guest: what hot-plug needs of networkd's
 * ports (qemu-hotplug.c), and the bandwidth of an interface
 * (Get/SetInterfaceParameters, the DomainInterfaceOps of qemud).
 *
 * A port is found again by its owner (the guest's uuid) and the NIC's MAC
 * in networkd's ListPorts: networkd keeps its ports across restarts of
 * either daemon, so a restarted qemud needs no record of its own. */

#include <stdbool.h>
#include <stdint.h>

#include "domain-interface.h"
#include "domain.h"
#include "networkd-client.h"

extern const DomainInterfaceOps qemu_interface_ops;

/* An <interface type='network'> or type='bridge': networkd makes its tap. */
bool qemu_interface_uses_port(const DomainNetDef *net);

/* The AllocatePort request for net of d, as the start asks for it; borrows
 * from d and net, and from *ret_bandwidth and *ret_vlan (the <bandwidth> and <vlan> as XML, or NULL:
 * free them once the request is sent). 0 or -ENOMEM. */
int qemu_interface_port_request(Domain *d, const DomainNetDef *net, NetworkdPortRequest *ret,
                                char **ret_bandwidth, char **ret_vlan);

/* def is old plus devices: the interfaces that old has keep their aliases
 * (qemu_command_assign_aliases() numbers them by index, which would rename
 * a device QEMU knows by its old name once one before it went away); a new
 * one gets the first "netN" no other interface has. 0 or -ENOMEM. */
int qemu_interface_keep_aliases(const DomainDef *old, DomainDef *def);

/* Releases the port of d's interface with MAC mac, if networkd has one
 * (asynchronous, nothing reported). */
int qemu_interface_release_port(Domain *d, const uint8_t mac[6]);

/* The port of the interface with MAC mac of the guest owner_uuid: port_uuid
 * and ifname are NULL when there is none (r = 0), r < 0 when networkd could
 * not be asked (error set when it answered one). */
typedef void (*qemu_port_fn)(int r, const sd_bus_error *error, const char *port_uuid, const char *ifname,
                             void *userdata);
int qemu_interface_find_port(sd_bus *bus, const char *owner_uuid, const uint8_t mac[6], qemu_port_fn cb,
                             void *userdata);
