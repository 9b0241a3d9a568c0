/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's interfaces through rtnetlink, with no library: a few
 * requests, each acknowledged. Used on the host (an <interface
 * type='ethernet'> veth made and deleted, peers moved into the container)
 * and inside the container's network namespace (renamed, addressed, up). */
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lxc-net.h"
#include "rtnl-req.h"
#include "util.h"

static int link_index(const char *name) {
        unsigned i = if_nametoindex(name);
        return i > 0 ? (int) i : -ENODEV;
}

int lxc_net_veth_create(const char *host, const char *peer) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        struct rtattr *info, *data, *peer_attr;
        RtnlReq q;

        rtnl_req_init(&q, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
        rtnl_req_attr_str(&q, IFLA_IFNAME, host);
        info = rtnl_req_attr(&q, IFLA_LINKINFO, NULL, 0);
        rtnl_req_attr_str(&q, IFLA_INFO_KIND, "veth");
        data = rtnl_req_attr(&q, IFLA_INFO_DATA, NULL, 0);
        peer_attr = rtnl_req_attr(&q, VETH_INFO_PEER, &ifi, sizeof(ifi));
        rtnl_req_attr_str(&q, IFLA_IFNAME, peer);
        rtnl_req_nest_end(&q, peer_attr);
        rtnl_req_nest_end(&q, data);
        rtnl_req_nest_end(&q, info);
        return rtnl_req_send(&q);
}

/* The name the kernel gave the other end of a veth. */
int lxc_net_veth_host_name(const char *peer, char ret[IF_NAMESIZE]) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        char reply[8192];
        RtnlReq q;
        ssize_t n;
        int index = link_index(peer);

        if (index < 0)
                return index;
        if (fd < 0)
                return -errno;
        ifi.ifi_index = index;
        rtnl_req_init(&q, RTM_GETLINK, 0, &ifi, sizeof(ifi));
        q.h->nlmsg_flags = NLM_F_REQUEST;
        if (sendto(fd, q.buf, q.h->nlmsg_len, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        n = recv(fd, reply, sizeof(reply), 0);
        if (n < 0)
                return -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *) reply; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
                struct ifinfomsg *m = NLMSG_DATA(h);
                int len = IFLA_PAYLOAD(h);

                if (h->nlmsg_type == NLMSG_ERROR)
                        return ((struct nlmsgerr *) NLMSG_DATA(h))->error ?: -EIO;
                if (h->nlmsg_type != RTM_NEWLINK)
                        continue;
                for (struct rtattr *a = IFLA_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len))
                        if (a->rta_type == IFLA_LINK) {
                                int other = *(int *) RTA_DATA(a);
                                return if_indextoname(other, ret) ? 0 : -errno;
                        }
        }
        return -ENODEV;
}

int lxc_net_link_delete(const char *name) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        RtnlReq q;
        int index = link_index(name);

        if (index < 0)
                return index;
        ifi.ifi_index = index;
        rtnl_req_init(&q, RTM_DELLINK, 0, &ifi, sizeof(ifi));
        return rtnl_req_send(&q);
}

/* Moves a link into the namespace that attr (IFLA_NET_NS_PID or _FD) names. */
static int link_move(const char *name, int attr, uint32_t value) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        RtnlReq q;
        int index = link_index(name);

        if (index < 0)
                return index;
        ifi.ifi_index = index;
        rtnl_req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        rtnl_req_attr(&q, attr, &value, sizeof(value));
        return rtnl_req_send(&q);
}

int lxc_net_link_move(const char *name, pid_t pid) {
        return link_move(name, IFLA_NET_NS_PID, (uint32_t) pid);
}

int lxc_net_link_move_fd(const char *name, int netns_fd) {
        return link_move(name, IFLA_NET_NS_FD, (uint32_t) netns_fd);
}

int lxc_net_link_down(const char *name) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = 0, .ifi_change = IFF_UP };
        RtnlReq q;
        int index = link_index(name);

        if (index < 0)
                return index;
        ifi.ifi_index = index;
        rtnl_req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        return rtnl_req_send(&q);
}

int lxc_net_link_up(const char *name, const char *new_name, const uint8_t *mac) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
        RtnlReq q;
        int index = link_index(name);

        if (index < 0)
                return index;
        ifi.ifi_index = index;
        rtnl_req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        /* the kernel renames before it sets the link up */
        if (new_name && !streq(new_name, name))
                rtnl_req_attr_str(&q, IFLA_IFNAME, new_name);
        if (mac)
                rtnl_req_attr(&q, IFLA_ADDRESS, mac, 6);
        return rtnl_req_send(&q);
}

/* "address/prefix": its family and bytes. */
static int parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *prefix) {
        char buf[64];
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t) (slash - s) : strlen(s);

        if (len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        *family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(*family, buf, addr) != 1)
                return -EINVAL;
        *prefix = *family == AF_INET6 ? 128 : 32;
        if (slash && sscanf(slash + 1, "%u", prefix) != 1)
                return -EINVAL;
        return 0;
}

int lxc_net_addr_add(const char *ifname, const char *cidr) {
        struct ifaddrmsg ifa = {};
        unsigned char addr[16];
        unsigned prefix;
        int family, r, index = link_index(ifname);
        RtnlReq q;

        if (index < 0)
                return index;
        if ((r = parse_cidr(cidr, &family, addr, &prefix)) < 0)
                return r;
        ifa = (struct ifaddrmsg) { .ifa_family = family, .ifa_prefixlen = prefix, .ifa_index = index };
        rtnl_req_init(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
        rtnl_req_attr(&q, IFA_LOCAL, addr, family == AF_INET6 ? 16 : 4);
        rtnl_req_attr(&q, IFA_ADDRESS, addr, family == AF_INET6 ? 16 : 4);
        if (family == AF_INET) {
                /* the broadcast address of the subnet, as ip(8) sets it with "brd +" */
                uint32_t a, mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
                memcpy(&a, addr, 4);
                a |= ~mask;
                if (prefix < 31)
                        rtnl_req_attr(&q, IFA_BROADCAST, &a, 4);
        }
        return rtnl_req_send(&q);
}

int lxc_net_route_add(const char *ifname, const char *cidr, const char *gateway) {
        struct rtmsg rt = {};
        unsigned char dst[16], gw[16];
        unsigned prefix, gw_prefix;
        int family, gw_family, r, index = link_index(ifname);
        uint32_t oif;
        RtnlReq q;

        if (index < 0)
                return index;
        if ((r = parse_cidr(cidr, &family, dst, &prefix)) < 0 ||
            (r = parse_cidr(gateway, &gw_family, gw, &gw_prefix)) < 0)
                return r;
        if (family != gw_family)
                return -EINVAL;
        rt = (struct rtmsg) { .rtm_family = family, .rtm_dst_len = prefix, .rtm_table = RT_TABLE_MAIN,
                              .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
        rtnl_req_init(&q, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
        if (prefix > 0)
                rtnl_req_attr(&q, RTA_DST, dst, family == AF_INET6 ? 16 : 4);
        rtnl_req_attr(&q, RTA_GATEWAY, gw, family == AF_INET6 ? 16 : 4);
        oif = index;
        rtnl_req_attr(&q, RTA_OIF, &oif, sizeof(oif));
        return rtnl_req_send(&q);
}
