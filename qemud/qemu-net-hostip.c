/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-side addresses and routes of an ethernet interface's tap
 * (qemu-net-hostip.h): two rtnetlink requests, each acknowledged. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu-net-hostip.h"
#include "util.h"

typedef struct Req {
        struct nlmsghdr *h;
        char buf[512];
} Req;

static void req_init(Req *q, int type, const void *body, size_t len) {
        memset(q->buf, 0, sizeof(q->buf));
        q->h = (struct nlmsghdr *) q->buf;
        q->h->nlmsg_type = (uint16_t) type;
        q->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        q->h->nlmsg_len = NLMSG_LENGTH(len);
        memcpy(NLMSG_DATA(q->h), body, len);
}

/* Our requests hold a few addresses: they always fit. */
static void req_attr(Req *q, int type, const void *data, size_t len) {
        struct rtattr *a = (struct rtattr *) (q->buf + NLMSG_ALIGN(q->h->nlmsg_len));

        a->rta_type = (unsigned short) type;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        memcpy(RTA_DATA(a), data, len);
        q->h->nlmsg_len = NLMSG_ALIGN(q->h->nlmsg_len) + RTA_SPACE(len);
}

static int req_send(Req *q) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        char reply[4096];
        ssize_t n;

        if (fd < 0)
                return -errno;
        q->h->nlmsg_seq = 1;
        if (sendto(fd, q->buf, q->h->nlmsg_len, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        for (;;) {
                n = recv(fd, reply, sizeof(reply), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                for (struct nlmsghdr *h = (struct nlmsghdr *) reply; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n))
                        if (h->nlmsg_type == NLMSG_ERROR)
                                return ((struct nlmsgerr *) NLMSG_DATA(h))->error;
        }
}

/* The address's family and bytes (4 or 16 of them), or 0. */
static int parse_addr(const char *s, unsigned char buf[16]) {
        if (inet_pton(AF_INET, s, buf) == 1)
                return AF_INET;
        return inet_pton(AF_INET6, s, buf) == 1 ? AF_INET6 : 0;
}

static int addr_add(int index, const DomainNetIp *ip) {
        unsigned char local[16], peer[16];
        int family = parse_addr(ip->address, local);
        size_t len = family == AF_INET6 ? 16 : 4;
        struct ifaddrmsg ifa = { .ifa_family = (unsigned char) family, .ifa_index = (unsigned) index };
        Req q;

        if (!family || (ip->peer && parse_addr(ip->peer, peer) != family))
                return -EINVAL;
        ifa.ifa_prefixlen = (unsigned char) (ip->has_prefix ? ip->prefix : 8 * len);
        req_init(&q, RTM_NEWADDR, &ifa, sizeof(ifa));
        req_attr(&q, IFA_LOCAL, local, len);
        /* IFA_ADDRESS is the other end of a point-to-point address */
        req_attr(&q, IFA_ADDRESS, ip->peer ? peer : local, len);
        return req_send(&q);
}

static int route_add(int index, const DomainNetRoute *rt) {
        unsigned char dst[16], gw[16];
        int family = parse_addr(rt->address, dst);
        size_t len = family == AF_INET6 ? 16 : 4;
        struct rtmsg m = { .rtm_family = (unsigned char) family, .rtm_dst_len = (unsigned char) rt->prefix,
                           .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                           .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
        uint32_t oif = (uint32_t) index;
        Req q;

        if (!family || parse_addr(rt->gateway, gw) != family)
                return -EINVAL;
        req_init(&q, RTM_NEWROUTE, &m, sizeof(m));
        if (rt->prefix > 0)
                req_attr(&q, RTA_DST, dst, len);
        req_attr(&q, RTA_GATEWAY, gw, len);
        req_attr(&q, RTA_OIF, &oif, sizeof(oif));
        return req_send(&q);
}

int qemu_net_hostip_apply(const DomainNetDef *net, size_t i, const char *ifname, char *msg, size_t size) {
        int index = (int) if_nametoindex(ifname), r;

        if ((net->n_host_ips || net->n_host_routes) && index <= 0) {
                snprintf(msg, size, "interface %zu: no tap '%s' to put its <source><ip> on", i, ifname);
                return -ENODEV;
        }
        for (size_t k = 0; k < net->n_host_ips; k++) {
                const DomainNetIp *ip = &net->host_ips[k];

                r = addr_add(index, ip);
                if (r < 0) {
                        snprintf(msg, size, "interface %zu: cannot add address %s%s%s to tap %s: %s", i, ip->address,
                                 ip->peer ? " peer " : "", ip->peer ?: "", ifname, strerror(-r));
                        return r;
                }
        }
        for (size_t k = 0; k < net->n_host_routes; k++) {
                const DomainNetRoute *rt = &net->host_routes[k];

                r = route_add(index, rt);
                if (r < 0) {
                        snprintf(msg, size, "interface %zu: cannot add route to %s/%u via %s on tap %s: %s", i,
                                 rt->address, rt->prefix, rt->gateway, ifname, strerror(-r));
                        return r;
                }
        }
        return 0;
}
