/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's define-time rules for a QEMU machine that hold whatever this
 * host has: each a row of one table (qemu-rules.c), refused with libvirt's
 * error kind and the meaning of its message. They are define-time rules
 * (DomainDriver.define_rules): DomainDefineXML and DomainCreateXML run
 * them after the addresses are assigned; definitions loaded at start and
 * save images skip them, as libvirt reads those unvalidated, so a
 * definition saved before a rule came is never lost.
 *
 *   PCI roots        pci-root/pcie-root only with index 0; the index 0
 *                    controller pcie-root on q35, pci-root on a PC (i440FX)
 *   USB              model='none' with another USB controller, a USB
 *                    input or a hub; an xHCI controller with more than 15
 *                    ports; a companion (<master>) without its master
 *   disks            a target naming a partition ("vdb1"); a shareable
 *                    writable disk in a format other than raw
 *   video            model 'none' beside another video; ramfb with an address
 *   firmware         <os firmware=''> with a loader path or secure='no',
 *                    or (not efi) an nvram; a loader without a path and no
 *                    auto-selection; UEFI without ACPI. A loader type or
 *                    readonly beside firmware='' is taken: libvirt 9.0
 *                    refuses them, later libvirt takes them as what the
 *                    firmware must be, and virt-manager writes them
 *   memory           <maxMemory> (hot-plug) without guest NUMA cells
 *   numatune         placement='static' without a nodeset; 'restrictive'
 *                    on <memory> but not on every <memnode>, or the reverse
 *   interfaces       an <mtu> on a type with no host side to set it on
 *                    (not network, bridge, ethernet, vhostuser or passt)
 *
 * Returns 0, or -errno with *err filled (NotSupported or XMLError). */

#include "domain-conf.h"

int qemu_rules_check(const DomainDef *def, ConfError *err);

/* What libvirt's define takes and its start refuses, checked at the start
 * (qemu-rules-start.c): host-passthrough on TCG, a Hyper-V enlightenment
 * TCG refuses (vpindex), a hugepage size x86 lacks, more than 16 TiB of
 * <memory>, a <filterref> on an interface libvirt would filter, a <backend
 * tap=''> of an interface without a tap, a disk's user alias too long for
 * QEMU's block node names. */
int qemu_rules_check_start(const DomainDef *def, ConfError *err);
