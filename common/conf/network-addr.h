/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IP addresses, subnets and MAC addresses for the network model: pure
 * functions, no I/O. */

#include <netinet/in.h>

#include "macro.h"

typedef struct NetAddr {
        int family; /* AF_INET, AF_INET6; 0 = not set */
        union {
                uint8_t bytes[16];
                struct in_addr in4;
                struct in6_addr in6;
        };
} NetAddr;

#define NET_ADDR_STRING_MAX 46 /* INET6_ADDRSTRLEN */
#define MAC_STRING_MAX 18

/* IPv4 dotted quad or IPv6; -EINVAL otherwise. */
int net_addr_parse(const char *s, NetAddr *ret);
const char *net_addr_format(const NetAddr *a, char buf[NET_ADDR_STRING_MAX]);
static inline bool net_addr_is_set(const NetAddr *a) {
        return a->family != 0;
}
static inline unsigned net_addr_bits(const NetAddr *a) {
        return a->family == AF_INET6 ? 128 : 32;
}
bool net_addr_equal(const NetAddr *a, const NetAddr *b);
/* Numeric order; addresses of different families order by family. */
int net_addr_cmp(const NetAddr *a, const NetAddr *b);

/* The subnet's first address (host bits cleared). */
void net_addr_network(const NetAddr *a, unsigned prefix, NetAddr *ret);
/* The last address (host bits set): the IPv4 broadcast. */
void net_addr_last(const NetAddr *a, unsigned prefix, NetAddr *ret);
bool net_addr_in_subnet(const NetAddr *a, const NetAddr *net, unsigned prefix);
bool net_subnets_overlap(const NetAddr *a, unsigned prefix_a, const NetAddr *b, unsigned prefix_b);
/* A contiguous IPv4 netmask into its prefix length; -EINVAL otherwise. */
int net_netmask_to_prefix(const NetAddr *mask, unsigned *ret);
void net_prefix_to_netmask(unsigned prefix, NetAddr *ret);
/* end - start + 1, saturated at UINT64_MAX; 0 when end < start. */
uint64_t net_range_size(const NetAddr *start, const NetAddr *end);
/* The address n after a (no wrap check beyond the family's width). */
void net_addr_add(const NetAddr *a, uint64_t n, NetAddr *ret);

/* "52:54:00:ab:cd:ef" (either case), exactly six pairs of hex digits;
 * -EINVAL otherwise. */
int mac_parse(const char *s, uint8_t mac[6]);
const char *mac_format(const uint8_t mac[6], char buf[MAC_STRING_MAX]);
static inline bool mac_is_unicast(const uint8_t mac[6]) {
        return !(mac[0] & 1);
}
static inline bool mac_is_null(const uint8_t mac[6]) {
        return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}
/* 52:54:00 and three random bytes, as libvirt generates. */
int mac_generate(uint8_t mac[6]);
