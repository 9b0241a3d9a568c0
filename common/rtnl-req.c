/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "rtnl-req.h"

void rtnl_req_init(RtnlReq *q, int type, int flags, const void *body, size_t len) {
        memset(q->buf, 0, sizeof(q->buf));
        q->h = (struct nlmsghdr *) q->buf;
        q->h->nlmsg_type = (uint16_t) type;
        q->h->nlmsg_flags = (uint16_t) (NLM_F_REQUEST | NLM_F_ACK | flags);
        q->h->nlmsg_len = NLMSG_LENGTH(len);
        memcpy(NLMSG_DATA(q->h), body, len);
}

struct rtattr *rtnl_req_attr(RtnlReq *q, int type, const void *data, size_t len) {
        struct rtattr *a = (struct rtattr *) (q->buf + NLMSG_ALIGN(q->h->nlmsg_len));

        if (NLMSG_ALIGN(q->h->nlmsg_len) + RTA_SPACE(len) > sizeof(q->buf))
                return NULL;
        a->rta_type = (unsigned short) type;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        if (data)
                memcpy(RTA_DATA(a), data, len);
        q->h->nlmsg_len = NLMSG_ALIGN(q->h->nlmsg_len) + RTA_SPACE(len);
        return a;
}

void rtnl_req_attr_str(RtnlReq *q, int type, const char *s) {
        rtnl_req_attr(q, type, s, strlen(s) + 1);
}

void rtnl_req_nest_end(RtnlReq *q, struct rtattr *nest) {
        nest->rta_len = (unsigned short) ((char *) q->buf + q->h->nlmsg_len - (char *) nest);
}

int rtnl_req_send(RtnlReq *q) {
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
