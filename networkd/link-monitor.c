/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Watches rtnetlink for links that go away. A tap disappears when the last
 * holder of its fd (QEMU) exits: its port is released then, with its floor
 * and its ifb, even if nobody calls ReleasePort. */
#include <linux/rtnetlink.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"
#include "manager.h"
#include "netlink.h"

static int on_message(struct nl_msg *msg, void *arg) {
        Manager *m = arg;
        struct nlmsghdr *h = nlmsg_hdr(msg);
        struct ifinfomsg *ifi;

        if (h->nlmsg_type != RTM_DELLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
                return NL_OK;
        ifi = nlmsg_data(h);
        /* a port leaving a bridge is an AF_BRIDGE RTM_DELLINK: not a deletion */
        if (ifi->ifi_family == AF_BRIDGE)
                return NL_OK;
        for (size_t i = 0; i < m->n_ports; i++) {
                Port *p = m->ports[i];
                if (p->ifindex == ifi->ifi_index) {
                        log_info("Port %s: %s went away, releasing it.", p->uuid, p->ifname);
                        (void) port_release(p);
                        break;
                }
        }
        return NL_OK;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int r;

        do
                r = nl_recvmsgs_default(m->nl_monitor);
        while (r >= 0);
        if (r != -NLE_AGAIN)
                log_debug("Link monitor: %s", nl_geterror(r));
        return 0;
}

int link_monitor_start(Manager *m) {
        struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        nl_socket_disable_seq_check(sk);
        nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, m);
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r >= 0)
                r = nl_socket_add_membership(sk, RTNLGRP_LINK);
        if (r >= 0)
                r = nl_socket_set_nonblocking(sk);
        if (r < 0) {
                nl_socket_free(sk);
                return nl_errno(r);
        }
        m->nl_monitor = sk;
        r = sd_event_add_io(m->event, &m->monitor_source, nl_socket_get_fd(sk), EPOLLIN, on_readable, m);
        return r < 0 ? r : 0;
}

void link_monitor_stop(Manager *m) {
        m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
        if (m->nl_monitor)
                nl_socket_free(m->nl_monitor);
        m->nl_monitor = NULL;
}
