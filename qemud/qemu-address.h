/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device addresses assigned at define time, as libvirt does for x86 guests:
 * the definition saved (and shown by the inactive XML) names every device's
 * place, so the guest's hardware does not move when devices are added.
 *
 * For a pc or q35 machine (os.machine "pc", "pc-i440fx-*", "q35",
 * "pc-q35-*", none: pc) qemu_domain_assign_addresses() writes:
 *   - the controllers the machine or the devices imply: the PCI root
 *     (pcie-root, pci-root), SATA 0 at 00:1f.2 on q35, IDE 0 at 00:01.1 on
 *     pc, virtio-serial 0 for channels and virtio consoles, USB 0 for USB
 *     devices, the SATA/SCSI/IDE controllers disks sit on;
 *   - drive addresses of disks on sata, scsi and ide (from the target name,
 *     as the command line builder numbers them), and their bus;
 *   - PCI addresses of every PCI device without one (or with an empty
 *     <address type='pci'/>): on q35 the primary video at 00:01.0, each
 *     PCIe device (virtio, e1000e, xHCI) on a pcie-root-port of its own
 *     (added as needed, packed eight to a slot from 00:02.0, with chassis
 *     and port), other devices on the root bus; on pc the primary video at
 *     00:02.0, PIIX3's USB at 00:01.2 and the rest on free root-bus slots;
 *   - virtio-serial ports of channels and virtio consoles, USB ports of USB
 *     devices and the hubs they need (qemu-usb-address.h).
 * Addresses given are kept; a definition already assigned is left as it is
 * (so assigning again changes nothing). Other machines are left alone: the
 * start refuses them. Aliases are not assigned here: they are live only.
 * 0, or -errno with *err filled (no free slot, more than 256 PCI buses,
 * out of memory). */

#include "domain-conf.h"

int qemu_domain_assign_addresses(DomainDef *def, ConfError *err);
