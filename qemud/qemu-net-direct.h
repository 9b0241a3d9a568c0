/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface type='direct'>: a macvtap link on the host interface of
 * <source dev=''>, made by qemud at start and at hot-plug as libvirt's
 * qemuInterfaceDirectConnect does: created through rtnetlink with the
 * guest's MAC and the <source mode=''>, named macvtapN (or the user's
 * <target dev=''>), brought up; its character device /dev/tapN (N its
 * ifindex) is opened and the fd goes to QEMU as a tap's does. libvirt
 * leaves /dev/tapN to udev: without udev qemud makes the node from
 * sysfs.
 *
 * Multiqueue (<driver queues='N'/> on virtio): as libvirt's
 * virNetDevMacVLanTapOpen, /dev/tapN is opened once per queue, each fd
 * with IFF_MULTI_QUEUE; QEMU gets them as a multiqueue tap's
 * (qemu-net-queues.h).
 *
 * mode='passthrough': the kernel gives such a macvtap its parent's MAC
 * and lets only one macvtap on a parent. As libvirt, the parent's own MAC
 * is saved in a file of the run directory and the parent takes the
 * guest's; the guest's stop gives it back, from that file, so also after
 * qemud was killed and started again.
 *
 * qemu_net_direct_remove() deletes the links of d->live once QEMU is gone
 * (stop, failed start, a restarted qemud that finds the guest gone): only
 * a macvtap on that parent with the guest's MAC, so never a link that is
 * not the guest's. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain.h"

/* The link of d->live->nets[i] into d->tap_fds[i] and its name into
 * the live ifname. 0, or -errno with msg naming what failed. */
int qemu_net_direct_prepare(Domain *d, size_t i, char *msg, size_t size);
void qemu_net_direct_remove(Domain *d);

/* One interface (also a hot-plug's): makes its macvtap, names it in
 * net->ifname and opens its first queue into *ret_fd; all or nothing
 * (a failure deletes what it made and gives a passthrough parent its MAC
 * back). i names the interface in msg. */
int qemu_net_direct_create(const char *rundir, const char *guest, DomainNetDef *net, size_t i, int *ret_fd,
                           char *msg, size_t size);
/* Opens n more queues of net's multiqueue macvtap into fds (all or none). */
int qemu_net_direct_open_queues(const DomainNetDef *net, unsigned n, int *fds);
/* Deletes net's macvtap if it is the guest's, and gives a passthrough
 * parent its own MAC back. Any interface type: others are left alone. */
void qemu_net_direct_delete(const char *rundir, const char *guest, const DomainNetDef *net);

/* qemu-net-direct-passthrough.c: the parent's MAC saved (unless a file of
 * an earlier guest still holds it) under rundir, then set to mac. Restore: the saved MAC
 * back on the parent and the file gone, unless a macvtap is on the parent
 * (another guest's passthrough, which the file is now for). */
int qemu_net_direct_passthrough_set(const char *rundir, const char *parent, const uint8_t mac[6]);
void qemu_net_direct_passthrough_restore(const char *rundir, const char *guest, const char *parent);

/* Pure parts (unit-tested): the kernel's MACVLAN_MODE_* of
 * domain_net_direct_modes[mode]; the "major:minor" of a sysfs dev file;
 * the one line of a saved MAC file. */
uint32_t qemu_net_direct_kernel_mode(unsigned mode);
int qemu_net_direct_parse_devnum(const char *s, dev_t *ret);
int qemu_net_direct_parse_saved_mac(const char *s, uint8_t mac[6]);
