/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* USB ports, as libvirt places them (qemu-usb-address.c).
 *
 * Each USB controller index is a bus with the model's ports (piix3/piix4/
 * ich9-uhci 2, ehci/ich9-ehci1 6, pci-ohci 3, an xHCI 4 or its ports='');
 * EHCI companions (ich9-uhciN, <master>) add none of their own. A <hub> is
 * 8 more ports behind the port it sits on, up to four levels deep.
 *
 * qemu_usb_assign_ports() checks every USB address given (its bus has a
 * controller, each hub of its path exists, each port is in range, no port
 * twice), adds hubs when the devices without a port outnumber the ports
 * (libvirt's rule: one hub per 7 missing ports), then gives each device
 * without a port the first free one: hubs first, then disks, inputs, sound
 * cards, redirdevs; on the bus its address names, else on the lowest bus
 * with one free; a bus's own ports before those behind its hubs.
 * 0, or -errno with *err filled: InvalidArg for a wrong address,
 * NotSupported when USB is off (model 'none') or no port is left. */

#include "domain-conf.h"

/* Whether def has a device on USB (an input, sound card, redirdev, hub or
 * disk of bus usb): then it needs USB controller 0. */
bool qemu_usb_needed(const DomainDef *def);

int qemu_usb_assign_ports(DomainDef *def, ConfError *err);
