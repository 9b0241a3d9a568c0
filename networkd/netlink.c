/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "log.h"
#include "netlink.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link *, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr *, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr *, nl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free);

int nl_errno(int e) {
        static const struct {
                int nle, err;
        } map[] = {
                { NLE_EXIST, EEXIST },         { NLE_NODEV, ENODEV },      { NLE_OBJ_NOTFOUND, ENOENT },
                { NLE_PERM, EPERM },           { NLE_NOACCESS, EACCES },   { NLE_NOMEM, ENOMEM },
                { NLE_BUSY, EBUSY },           { NLE_INVAL, EINVAL },      { NLE_OPNOTSUPP, EOPNOTSUPP },
                { NLE_RANGE, ERANGE },         { NLE_AGAIN, EAGAIN },
                { NLE_MSGSIZE, EMSGSIZE },     { NLE_NOADDR, EADDRNOTAVAIL }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
        };

        e = abs(e);
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (map[i].nle == e)
                        return -map[i].err;
        return e == 0 ? 0 : -EIO;
}

int nl_route_open(struct nl_sock **ret) {
        struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0) {
                nl_socket_free(sk);
                return nl_errno(r);
        }
        /* requests only: no multicast groups, and replies matched by sequence */
        *ret = sk;
        return 0;
}

void nl_route_close(struct nl_sock *sk) {
        if (sk)
                nl_socket_free(sk);
}

static int get_link(struct nl_sock *sk, int ifindex, const char *name, struct rtnl_link **ret) {
        int r = rtnl_link_get_kernel(sk, ifindex, name, ret);

        r = r < 0 ? nl_errno(r) : 0;
        return r == -ENOENT ? -ENODEV : r;
}

int link_ifindex(struct nl_sock *sk, const char *name) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        int r;

        if (!name || !*name || strlen(name) >= IFNAMSIZ)
                return -ENODEV;
        r = get_link(sk, 0, name, &l);
        return r < 0 ? r : rtnl_link_get_ifindex(l);
}

int link_is_bridge(struct nl_sock *sk, const char *name) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        const char *type;
        int r = get_link(sk, 0, name, &l);

        if (r < 0)
                return r;
        type = rtnl_link_get_type(l);
        return type && streq(type, "bridge");
}

int link_master(struct nl_sock *sk, int ifindex) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
        int r = get_link(sk, ifindex, NULL, &l);

        return r < 0 ? r : rtnl_link_get_master(l);
}

/* RTM_NEWLINK on an existing link with what the change sets. */
static int change_link(struct nl_sock *sk, int ifindex, struct rtnl_link *change) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *orig = rtnl_link_alloc();
        int r;

        if (!orig)
                return -ENOMEM;
        rtnl_link_set_ifindex(orig, ifindex);
        r = rtnl_link_change(sk, orig, change, 0);
        return r < 0 ? nl_errno(r) : 0;
}

int link_set_up(struct nl_sock *sk, int ifindex, bool up) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        if (up)
                rtnl_link_set_flags(c, IFF_UP);
        else
                rtnl_link_unset_flags(c, IFF_UP);
        return change_link(sk, ifindex, c);
}

int link_delete(struct nl_sock *sk, int ifindex) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
        int r;

        if (!l)
                return -ENOMEM;
        rtnl_link_set_ifindex(l, ifindex);
        r = rtnl_link_delete(sk, l);
        return r < 0 ? nl_errno(r) : 0;
}

int link_set_master(struct nl_sock *sk, int ifindex, int master) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        rtnl_link_set_master(c, master);
        return change_link(sk, ifindex, c);
}

int link_set_mtu(struct nl_sock *sk, int ifindex, unsigned mtu) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        rtnl_link_set_mtu(c, mtu);
        return change_link(sk, ifindex, c);
}

int link_set_mac(struct nl_sock *sk, int ifindex, const uint8_t mac[6]) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

        if (!c || !a)
                return -ENOMEM;
        rtnl_link_set_addr(c, a);
        return change_link(sk, ifindex, c);
}

int link_set_netns(struct nl_sock *sk, int ifindex, int nsfd, const char *new_name) {
        _cleanup_(rtnl_link_putp) struct rtnl_link *c = rtnl_link_alloc();

        if (!c)
                return -ENOMEM;
        rtnl_link_set_ns_fd(c, nsfd);
        if (new_name)
                rtnl_link_set_name(c, new_name);
        return change_link(sk, ifindex, c);
}

/* Sends a hand-built request and waits for the kernel's acknowledgement. */
static int send_request(struct nl_sock *sk, struct nl_msg *msg) {
        int r = nl_send_sync(sk, msg); /* frees msg */
        return r < 0 ? nl_errno(r) : 0;
}

/* libnl has no setter for a bridge's vlan_filtering, so the bridge is made
 * with one request of our own, all attributes at once. */
int bridge_create(struct nl_sock *sk, const char *name, const BridgeSettings *s) {
        struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        struct nlattr *info, *data;

        if (!msg)
                return -ENOMEM;
        if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
            (s->mac && nla_put(msg, IFLA_ADDRESS, 6, s->mac) < 0) || (s->mtu && nla_put_u32(msg, IFLA_MTU, s->mtu) < 0))
                goto fail;
        info = nla_nest_start(msg, IFLA_LINKINFO);
        if (!info || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
                goto fail;
        data = nla_nest_start(msg, IFLA_INFO_DATA);
        /* only when asked: a kernel without CONFIG_BRIDGE_VLAN_FILTERING
         * refuses the attribute even when it is 0 */
        if (!data || (s->vlan_filtering && nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1) < 0) ||
            nla_put_u32(msg, IFLA_BR_STP_STATE, s->stp) < 0)
                goto fail;
        /* the kernel wants the delay in hundredths of a second, and refuses
         * less than 2 s while STP runs */
        if (s->stp && nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, (uint32_t) MAX(s->delay, 2) * 100) < 0)
                goto fail;
        if (!s->stp && nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, 0) < 0)
                goto fail;
        nla_nest_end(msg, data);
        nla_nest_end(msg, info);
        return send_request(sk, msg);
fail:
        nlmsg_free(msg);
        return -ENOMEM;
}

int addr_add(struct nl_sock *sk, int ifindex, const NetAddr *a, unsigned prefix) {
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *addr = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *local = NULL, *bcast = NULL;
        int r;

        if (!addr)
                return -ENOMEM;
        local = nl_addr_build(a->family, a->bytes, a->family == AF_INET6 ? 16 : 4);
        if (!local)
                return -ENOMEM;
        nl_addr_set_prefixlen(local, (int) prefix);
        rtnl_addr_set_ifindex(addr, ifindex);
        rtnl_addr_set_family(addr, a->family);
        rtnl_addr_set_prefixlen(addr, (int) prefix);
        r = rtnl_addr_set_local(addr, local);
        if (r < 0)
                return nl_errno(r);
        if (a->family == AF_INET && prefix < 31) {
                NetAddr b;
                net_addr_last(a, prefix, &b);
                bcast = nl_addr_build(AF_INET, b.bytes, 4);
                if (!bcast)
                        return -ENOMEM;
                rtnl_addr_set_broadcast(addr, bcast);
        }
        /* A bridge without ports has no carrier: duplicate address detection
         * would leave an IPv6 address tentative and dnsmasq unable to bind. */
        if (a->family == AF_INET6)
                rtnl_addr_set_flags(addr, IFA_F_NODAD);
        r = rtnl_addr_add(sk, addr, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_errno(r) : 0;
}

int tap_create(const char *name, bool vnet_hdr, bool multi_queue, int *ret_fd, char ret_name[IFNAMSIZ]) {
        struct ifreq ifr = {};
        _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (strlen(name) >= IFNAMSIZ)
                return -EINVAL;
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) | (multi_queue ? IFF_MULTI_QUEUE : 0);
        strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        memcpy(ret_name, ifr.ifr_name, IFNAMSIZ);
        ret_name[IFNAMSIZ - 1] = 0;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int veth_create(struct nl_sock *sk, const char *name, const char *peer) {
        int r = rtnl_link_veth_add(sk, name, peer, getpid());
        return r < 0 ? nl_errno(r) : 0;
}

/* RTM_SETLINK/RTM_DELLINK for the AF_BRIDGE family of a port. */
static struct nl_msg *bridge_port_msg(int type, int ifindex) {
        struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
        struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };

        if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
                nlmsg_free(msg);
                return NULL;
        }
        return msg;
}

int bridge_port_set_isolated(struct nl_sock *sk, int ifindex, bool isolated) {
        struct nl_msg *msg = bridge_port_msg(RTM_SETLINK, ifindex);
        struct nlattr *p;

        if (!msg)
                return -ENOMEM;
        p = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
        if (!p || nla_put_u8(msg, IFLA_BRPORT_ISOLATED, isolated) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        nla_nest_end(msg, p);
        return send_request(sk, msg);
}

static int port_vlan(struct nl_sock *sk, int type, int ifindex, uint16_t vid, uint16_t flags) {
        struct nl_msg *msg = bridge_port_msg(type, ifindex);
        struct bridge_vlan_info info = { .flags = flags, .vid = vid };
        struct nlattr *spec;

        if (!msg)
                return -ENOMEM;
        spec = nla_nest_start(msg, IFLA_AF_SPEC);
        if (!spec || nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(info), &info) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        nla_nest_end(msg, spec);
        return send_request(sk, msg);
}

int bridge_port_set_vlans(struct nl_sock *sk, int ifindex, const NetworkVlan *vlan) {
        bool access = vlan->n_tags == 1 && !vlan->trunk;
        int r;

        /* the port joined with the bridge's default pvid 1: not ours to keep */
        r = port_vlan(sk, RTM_DELLINK, ifindex, 1, 0);
        if (r < 0 && r != -ENOENT && r != -EINVAL)
                return r;
        for (size_t i = 0; i < vlan->n_tags; i++) {
                uint16_t flags = 0;

                if (access)
                        flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED;
                else if (vlan->native_mode && vlan->native_tag == vlan->tags[i])
                        flags = BRIDGE_VLAN_INFO_PVID |
                                (vlan->native_mode == NETWORK_VLAN_NATIVE_UNTAGGED ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
                r = port_vlan(sk, RTM_SETLINK, ifindex, (uint16_t) vlan->tags[i], flags);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sysctl_enable_forwarding(int family) {
        const char *path = family == AF_INET6 ? "/proc/sys/net/ipv6/conf/all/forwarding"
                                              : "/proc/sys/net/ipv4/ip_forward";
        _cleanup_free_ char *cur = NULL;

        if (read_full_file(path, 64, &cur, NULL) >= 0 && cur[0] == '1')
                return 0;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "1\n", 2) != 2)
                return -errno;
        return 0;
}
