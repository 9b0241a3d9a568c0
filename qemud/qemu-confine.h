/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How QEMU is confined at its start (common/confine.h): qemud.conf's
 * seccomp_sandbox and clear_emulator_capabilities read once per start. */

#include "confine.h"
#include "domain.h"
#include "error.h"
#include "security-manager.h"

/* Reads the settings: *ret_sandbox for the command line, the spawn's
 * CONFINE_* flags kept in the QemuDomain (qemu_confine_flags()). 0, or -EINVAL with err set. */
int qemu_confine_prepare(Domain *d, bool *ret_sandbox, ConfError *err);

/* Pure: the spawn's CONFINE_* flags for the settings c with the primary
 * security driver: no new privileges unless QEMU's SELinux or AppArmor
 * label changes at its exec. */
unsigned qemu_confine_flags(const ConfineConf *c, SecurityModel primary);

/* The guest's own directory, <rundir>/domain-<id>-<name> (the name cut to
 * 20 bytes, as libvirt's), where the sockets QEMU makes itself go (a unix
 * chardev without a path): owned by QEMU's user, so that an unprivileged
 * QEMU can create them. Made before the spawn, removed with what is in it
 * once QEMU is gone. */
int qemu_confine_dir(const Domain *d, char **ret);
int qemu_confine_dir_make(Domain *d, uid_t uid, gid_t gid, ConfError *err);
void qemu_confine_dir_remove(Domain *d);

/* Pure: the nodes below /dev QEMU's own /dev holds (confine-ns.h) for def:
 * null, zero, full, random, urandom, ptmx (the ptys are the host's
 * /dev/pts), kvm with kvm, net/tun with a tap interface, vhost-net with
 * <driver name='vhost'>, and the device nodes def names: block disks and
 * the layers of their live <backingStore> chain, an <rng>'s source, a
 * serial on a host device, and those of its host devices and TPM
 * (qemu-hostdev-nodes.h, found below sysfs_root). */
int qemu_confine_ns_nodes(const DomainDef *def, bool kvm, const char *sysfs_root, char ***ret);
/* The same for the guest about to start (its live definition), a chain
 * not read yet taken from the qcow2 headers. */
int qemu_confine_nodes(Domain *d, char ***ret);

/* What QEMU may open of a disk given to it while it runs (hot-plug, a new
 * medium, a block job's image), or what it loses once it let the disk go:
 * the device controller's entry (qemu_tune_disk_devices) and, when QEMU
 * has its own mount namespace, the node in its /dev. A node another disk
 * of the running guest still names stays. msg says what failed. */
int qemu_confine_disk(Domain *d, const DomainDiskDef *disk, bool allow, char *msg, size_t size);

/* An interface plugged while QEMU runs, with <driver name='vhost'>: QEMU
 * opens /dev/vhost-net itself at netdev_add, so before that the node is
 * made in its own /dev (when it has one) and let through its device
 * filter (v1 controller or BPF program). A host without the node, or an
 * interface without vhost, is 0 with nothing done. msg says what failed. */
int qemu_confine_net(Domain *d, const DomainNetDef *net, char *msg, size_t size);

/* A host device's nodes (qemu_hostdev_nodes_own()) for a hot-plug or once
 * its unplug is done: let through (or taken out of) QEMU's device filter
 * and made in (or removed from) its own /dev, when it has one. A node the
 * host lacks is left out (QEMU's device_add names it). Allowing undoes
 * what it did when a step fails; msg says what failed. */
int qemu_confine_hostdev(Domain *d, char *const *nodes, bool allow, char *msg, size_t size);
