/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Traffic control for <bandwidth>, the way libvirt lays it out, through
 * libnl3:
 *
 * On a port (tap or veth, host side):
 *   inbound (to the guest, the device's egress):
 *     root htb 1: default 1, class 1:1 rate=average ceil=peak burst, sfq 2:
 *   outbound (from the guest, the device's ingress):
 *     ingress qdisc ffff:, u32 match-all filter policing at average/burst, drop
 *
 * On a network's bridge whose <bandwidth> has an inbound average, so that
 * ports can be given a floor (a guaranteed share):
 *     root htb 1: default 2, class 1:1 rate=average ceil=peak,
 *     class 1:2 (traffic of ports without a floor) rate=average - sum(floors),
 *     and per port with a floor: class 1:<id> rate=floor ceil=peak, and a u32
 *     filter on the destination MAC sending its traffic there.
 *
 * Rates are libvirt's: kilobytes (1000 bytes) per second; bursts kibibytes. */

#include "network-conf.h"

struct nl_sock;

int tc_port_set(struct nl_sock *sk, int ifindex, const NetworkBandwidth *bw);
/* Removes our qdiscs (root and ingress) from a device; missing ones are fine. */
int tc_clear(struct nl_sock *sk, int ifindex);

int tc_bridge_set(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net);
/* class_minor >= 3; unclassified_rate: the network's average minus all floors. */
int tc_bridge_plug_floor(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net, unsigned class_minor,
                         const uint8_t mac[6], uint64_t floor, uint64_t unclassified_rate);
int tc_bridge_unplug_floor(struct nl_sock *sk, int ifindex, const NetworkBandwidth *net, unsigned class_minor,
                           uint64_t unclassified_rate);
