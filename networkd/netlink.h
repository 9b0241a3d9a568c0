/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Links, addresses, taps, veths and bridge ports through libnl3 (rtnetlink),
 * with -errno returns. Every call is one request and its acknowledgement on
 * a NETLINK_ROUTE socket: the kernel answers in microseconds, so they run
 * inline on the event loop. */

#include <net/if.h>

#include "network-conf.h"

struct nl_sock;

int nl_route_open(struct nl_sock **ret);
void nl_route_close(struct nl_sock *sk);
/* A libnl error code as -errno (both signs accepted). */
int nl_errno(int nlerr);

/* ifindex (> 0), or -ENODEV. */
int link_ifindex(struct nl_sock *sk, const char *name);
/* Whether name is a bridge: 1 yes, 0 no, -ENODEV missing. */
int link_is_bridge(struct nl_sock *sk, const char *name);
/* The ifindex of the bridge the link is a port of (0: none). */
int link_master(struct nl_sock *sk, int ifindex);
int link_set_up(struct nl_sock *sk, int ifindex, bool up);
int link_delete(struct nl_sock *sk, int ifindex);
int link_set_master(struct nl_sock *sk, int ifindex, int master);
int link_set_mtu(struct nl_sock *sk, int ifindex, unsigned mtu);
int link_set_mac(struct nl_sock *sk, int ifindex, const uint8_t mac[6]);
int link_set_netns(struct nl_sock *sk, int ifindex, int nsfd, const char *new_name);

typedef struct BridgeSettings {
        const uint8_t *mac;    /* NULL: the kernel's */
        unsigned mtu;          /* 0: default */
        bool vlan_filtering;
        bool stp;
        uint64_t delay;        /* seconds, with stp */
} BridgeSettings;
int bridge_create(struct nl_sock *sk, const char *name, const BridgeSettings *s);

int addr_add(struct nl_sock *sk, int ifindex, const NetAddr *a, unsigned prefix);

/* A tap device from /dev/net/tun. name: a name or a template ("vnet%d").
 * Returns the fd (O_CLOEXEC) and the name the kernel gave. */
int tap_create(const char *name, bool vnet_hdr, bool multi_queue, int *ret_fd, char ret_name[IFNAMSIZ]);
int veth_create(struct nl_sock *sk, const char *name, const char *peer);

/* Bridge ports. */
int bridge_port_set_isolated(struct nl_sock *sk, int ifindex, bool isolated);
/* Replaces the port's VLANs (default VLAN 1 included) by the ones given:
 * one tag = an access port (pvid, untagged); several or trunk = tagged,
 * with the native tag as pvid. */
int bridge_port_set_vlans(struct nl_sock *sk, int ifindex, const NetworkVlan *vlan);

/* /proc/sys/net/ipv4/ip_forward and its IPv6 sibling. */
int sysctl_enable_forwarding(int family);
