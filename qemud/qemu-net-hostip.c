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
#include "rtnl-req.h"
#include "util.h"

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
        RtnlReq q;

        if (!family || (ip->peer && parse_addr(ip->peer, peer) != family))
                return -EINVAL;
        ifa.ifa_prefixlen = (unsigned char) (ip->has_prefix ? ip->prefix : 8 * len);
        rtnl_req_init(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
        rtnl_req_attr(&q, IFA_LOCAL, local, len);
        /* IFA_ADDRESS is the other end of a point-to-point address */
        rtnl_req_attr(&q, IFA_ADDRESS, ip->peer ? peer : local, len);
        return rtnl_req_send(&q);
}

static int route_add(int index, const DomainNetRoute *rt) {
        unsigned char dst[16], gw[16];
        int family = parse_addr(rt->address, dst);
        size_t len = family == AF_INET6 ? 16 : 4;
        struct rtmsg m = { .rtm_family = (unsigned char) family, .rtm_dst_len = (unsigned char) rt->prefix,
                           .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                           .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
        uint32_t oif = (uint32_t) index;
        RtnlReq q;

        if (!family || parse_addr(rt->gateway, gw) != family)
                return -EINVAL;
        rtnl_req_init(&q, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &m, sizeof(m));
        if (rt->prefix > 0)
                rtnl_req_attr(&q, RTA_DST, dst, len);
        rtnl_req_attr(&q, RTA_GATEWAY, gw, len);
        rtnl_req_attr(&q, RTA_OIF, &oif, sizeof(oif));
        return rtnl_req_send(&q);
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
