/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the QEMU driver takes of the shared domain model: the model
 * (common/conf/) parses every domain our drivers run, containers included,
 * and domain_def_validate() holds the rules any driver needs; this is
 * qemud's own check on top, run wherever qemud accepts a definition
 * (define, create, and the definitions it loads at start).
 *
 * It refuses, with NotSupported (libvirt's "unsupported configuration")
 * naming the element:
 *   - a domain type other than qemu or kvm (lxc is lxcd's);
 *   - what only a container has: <os><type>exe</type> and its init,
 *     <devices/filesystem> (an <idmap> is kept unused,
 *     as libvirt's QEMU driver does);
 *   - what QEMU cannot do with a machine it runs: a disk driver other than
 *     'qemu', io='native' without cache none/directsync, a read-only IDE
 *     hard disk, timer values QEMU does not honour (an rtc that merges or
 *     discards ticks, tracks boot time or is left out; a pit that catches
 *     up or merges; an hpet with a tick policy), QXL memory bars below
 *     libvirt's limits (InvalidArg).
 * Returns 0, or -errno with *err filled. */

#include "domain-conf.h"

int qemu_validate_def(const DomainDef *def, ConfError *err);

/* The platform parts: sysinfo, launch security, CPU and clock features
 * (qemu-validate-platform.c); part of qemu_validate_def(). */
int qemu_platform_validate(const DomainDef *def, ConfError *err);

/* <vcpus>: vCPU 0 and the fixed vCPUs first, orders (qemu-validate-vcpus.c);
 * part of qemu_validate_def(). */
int qemu_vcpus_validate(const DomainDef *def, ConfError *err);

/* An interface's guest-side <ip>/<route>: only type 'user' (slirp or passt)
 * takes them, within slirp's limits (qemu-validate-net.c). */
int qemu_validate_net_guest_ips(const DomainNetDef *net, size_t i, ConfError *err);

/* A disk's wwn, vendor, product, geometry, rotation_rate, copy_on_read,
 * transient and acpi index against the device QEMU makes of it
 * (qemu-validate-disk.c). */
int qemu_validate_disk_extras(const DomainDiskDef *d, ConfError *err);
/* What a disk asks of the rest of the machine: a vhostuser disk's shared
 * memory (qemu-validate-disk.c). */
int qemu_validate_disks_machine(const DomainDef *def, ConfError *err);
