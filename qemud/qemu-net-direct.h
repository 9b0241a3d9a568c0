/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <interface type='direct'>: a macvtap link on the host interface of
 * <source dev=''>, made by qemud at start as libvirt's
 * qemuInterfaceDirectConnect does: created through rtnetlink with the
 * guest's MAC and the <source mode=''>, named macvtapN (or the user's
 * <target dev=''>), brought up; its character device /dev/tapN (N its
 * ifindex) is opened and the fd goes to QEMU as a tap's does. libvirt
 * leaves /dev/tapN to udev: without udev qemud makes the node from
 * sysfs. qemu_net_direct_remove() deletes the links of d->live once QEMU
 * is gone (stop, failed start, a restarted qemud that finds the guest
 * gone): only a macvtap on that parent with the guest's MAC, so never a
 * link that is not the guest's. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain.h"

/* The link of d->live->nets[i] into d->tap_fds[i] and its name into
 * the live ifname. 0, or -errno with msg naming what failed. */
int qemu_net_direct_prepare(Domain *d, size_t i, char *msg, size_t size);
void qemu_net_direct_remove(Domain *d);

/* Pure parts (unit-tested): the kernel's MACVLAN_MODE_* of
 * domain_net_direct_modes[mode]; the "major:minor" of a sysfs dev file. */
uint32_t qemu_net_direct_kernel_mode(unsigned mode);
int qemu_net_direct_parse_devnum(const char *s, dev_t *ret);
