/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The other queues of a multiqueue tap (<driver queues='N'/> on a virtio
 * interface of type network, bridge, ethernet or direct), as libvirt gives QEMU
 * one tap fd per queue ("tap,fds=a:b:c").
 *
 * The tap itself is made with IFF_MULTI_QUEUE (networkd's, or qemud's for
 * type='ethernet') and its first fd is d->tap_fds[i]; each further queue
 * is another open of /dev/net/tun attached to the tap by name with the same
 * flags (TUNSETIFF). qemud, which is root, opens them right after the first
 * one: networkd's tap lives as long as any of its queues is open. A
 * macvtap (type='direct') has its queues from its own /dev/tapN
 * (qemu_net_direct_open_queues()).
 *
 * qemu_net_queues_prepare() opens them at start, in interface order, into
 * d->tap_queue_fds (closed with the taps: domain_network_close_taps());
 * msg names the interface and the tap that failed. */

#include <stddef.h>

#include "domain.h"

int qemu_net_queues_prepare(Domain *d, char *msg, size_t size);

/* Attaches n more queues to the multiqueue tap ifname, whose first queue is
 * tapfd, into fds (all or none: -errno and nothing open on failure). */
int qemu_net_queues_open(int tapfd, const char *ifname, bool vnet_hdr, unsigned n, int *fds);
