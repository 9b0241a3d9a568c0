/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* rtnetlink requests for a container's interfaces (lxc-net.c), each in the
 * caller's network namespace; -errno on failure. */

#include <net/if.h>
#include <stdint.h>
#include <sys/types.h>

/* A veth pair, both ends down; host may be a template such as "vnet%d". */
int lxc_net_veth_create(const char *host, const char *peer);
/* The name of the other end of the veth peer. */
int lxc_net_veth_host_name(const char *peer, char ret[IF_NAMESIZE]);
int lxc_net_link_delete(const char *name);
/* Into the network namespace of pid. */
int lxc_net_link_move(const char *name, pid_t pid);
/* Into the network namespace of the fd (/proc/PID/ns/net). */
int lxc_net_link_move_fd(const char *name, int netns_fd);
/* Renamed (new_name may be NULL), its MAC set (mac may be NULL), up. */
int lxc_net_link_up(const char *name, const char *new_name, const uint8_t *mac);
int lxc_net_link_down(const char *name);
/* "address/prefix" */
int lxc_net_addr_add(const char *ifname, const char *cidr);
int lxc_net_route_add(const char *ifname, const char *cidr, const char *gateway);
