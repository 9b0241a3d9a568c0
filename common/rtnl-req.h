/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small rtnetlink request with no library: a header, a body, a few
 * attributes, sent on a fresh socket of the caller's network namespace and
 * acknowledged. lxcd makes and moves a container's veths with it, qemud
 * puts an ethernet tap's host-side addresses and routes. */

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>

typedef struct RtnlReq {
        struct nlmsghdr *h;
        char buf[1024];
} RtnlReq;

/* type RTM_*, flags beside NLM_F_REQUEST | NLM_F_ACK; body the family's
 * message (ifinfomsg, ifaddrmsg, rtmsg). */
void rtnl_req_init(RtnlReq *q, int type, int flags, const void *body, size_t len);
/* An attribute (data NULL: a nest, closed by rtnl_req_nest_end). Our
 * requests are small: they always fit (NULL if one did not). */
struct rtattr *rtnl_req_attr(RtnlReq *q, int type, const void *data, size_t len);
void rtnl_req_attr_str(RtnlReq *q, int type, const char *s);
void rtnl_req_nest_end(RtnlReq *q, struct rtattr *nest);
/* 0 once the kernel acknowledged it, or its -errno. */
int rtnl_req_send(RtnlReq *q);
