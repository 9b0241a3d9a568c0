/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "network-addr.h"
#include "util.h"
#include "uuid.h"

int net_addr_parse(const char *s, NetAddr *ret) {
        NetAddr a = {};

        if (!s || !*s)
                return -EINVAL;
        if (strchr(s, ':')) {
                if (inet_pton(AF_INET6, s, &a.in6) != 1)
                        return -EINVAL;
                a.family = AF_INET6;
        } else {
                /* inet_pton refuses leading zeros and short forms, as the schema does */
                if (inet_pton(AF_INET, s, &a.in4) != 1)
                        return -EINVAL;
                a.family = AF_INET;
        }
        *ret = a;
        return 0;
}

const char *net_addr_format(const NetAddr *a, char buf[NET_ADDR_STRING_MAX]) {
        if (!a->family || !inet_ntop(a->family, a->bytes, buf, NET_ADDR_STRING_MAX))
                snprintf(buf, NET_ADDR_STRING_MAX, "(none)");
        return buf;
}

static size_t addr_len(const NetAddr *a) {
        return a->family == AF_INET6 ? 16 : 4;
}

bool net_addr_equal(const NetAddr *a, const NetAddr *b) {
        return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

int net_addr_cmp(const NetAddr *a, const NetAddr *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        return memcmp(a->bytes, b->bytes, addr_len(a));
}

static void apply_prefix(const NetAddr *a, unsigned prefix, bool set_host, NetAddr *ret) {
        NetAddr r = *a;
        size_t len = addr_len(a);

        for (size_t i = 0; i < len; i++) {
                unsigned bit = (unsigned) i * 8;
                uint8_t mask = bit >= prefix ? 0 : prefix - bit >= 8 ? 0xff : (uint8_t) (0xff << (8 - (prefix - bit)));
                r.bytes[i] = set_host ? (uint8_t) (a->bytes[i] | ~mask) : (uint8_t) (a->bytes[i] & mask);
        }
        *ret = r;
}

void net_addr_network(const NetAddr *a, unsigned prefix, NetAddr *ret) {
        apply_prefix(a, prefix, false, ret);
}

void net_addr_last(const NetAddr *a, unsigned prefix, NetAddr *ret) {
        apply_prefix(a, prefix, true, ret);
}

bool net_addr_in_subnet(const NetAddr *a, const NetAddr *net, unsigned prefix) {
        NetAddr x, y;

        if (a->family != net->family)
                return false;
        net_addr_network(a, prefix, &x);
        net_addr_network(net, prefix, &y);
        return net_addr_equal(&x, &y);
}

bool net_subnets_overlap(const NetAddr *a, unsigned prefix_a, const NetAddr *b, unsigned prefix_b) {
        /* Two prefixes overlap exactly when one contains the other. */
        return a->family == b->family && net_addr_in_subnet(a, b, MIN(prefix_a, prefix_b));
}

int net_netmask_to_prefix(const NetAddr *mask, unsigned *ret) {
        uint32_t m;
        unsigned n = 0;

        if (mask->family != AF_INET)
                return -EINVAL;
        m = ntohl(mask->in4.s_addr);
        while (n < 32 && (m & (0x80000000U >> n)))
                n++;
        /* what remains must be all zero */
        if (n < 32 && (m << n) != 0)
                return -EINVAL;
        *ret = n;
        return 0;
}

void net_prefix_to_netmask(unsigned prefix, NetAddr *ret) {
        *ret = (NetAddr) { .family = AF_INET };
        ret->in4.s_addr = htonl(prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffU : ~((1U << (32 - prefix)) - 1));
}

uint64_t net_range_size(const NetAddr *start, const NetAddr *end) {
        size_t len = addr_len(start), low = len >= 8 ? len - 8 : 0;
        uint64_t s = 0, e = 0;

        if (start->family != end->family || net_addr_cmp(start, end) > 0)
                return 0;
        /* a difference above the low 64 bits: beyond counting */
        for (size_t i = 0; i < low; i++)
                if (start->bytes[i] != end->bytes[i])
                        return UINT64_MAX;
        for (size_t i = low; i < len; i++) {
                s = s << 8 | start->bytes[i];
                e = e << 8 | end->bytes[i];
        }
        return e - s == UINT64_MAX ? UINT64_MAX : e - s + 1;
}

void net_addr_add(const NetAddr *a, uint64_t n, NetAddr *ret) {
        NetAddr r = *a;
        unsigned carry = 0;

        for (size_t i = addr_len(a); i-- > 0;) {
                unsigned v = r.bytes[i] + (unsigned) (n & 0xff) + carry;
                r.bytes[i] = (uint8_t) v;
                carry = v >> 8;
                n >>= 8;
        }
        *ret = r;
}

int mac_parse(const char *s, uint8_t mac[6]) {
        uint8_t m[6];

        if (!s || strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                int hi = unhexchar(s[i * 3]), lo = unhexchar(s[i * 3 + 1]);

                if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
                        return -EINVAL;
                m[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(mac, m, 6);
        return 0;
}

const char *mac_format(const uint8_t mac[6], char buf[MAC_STRING_MAX]) {
        snprintf(buf, MAC_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
        return buf;
}

int mac_generate(uint8_t mac[6]) {
        uint8_t rnd[16];
        int r = uuid_generate(rnd);

        if (r < 0)
                return r;
        mac[0] = 0x52;
        mac[1] = 0x54;
        mac[2] = 0x00;
        memcpy(mac + 3, rnd, 3);
        return 0;
}
