/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The other queues of a multiqueue tap (qemu-net-queues.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "qemu-command.h"
#include "qemu-net-direct.h"
#include "qemu-net-queues.h"
#include "util.h"

static int queue_open(const char *ifname, bool vnet_hdr) {
        struct ifreq ifr = {};
        _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        /* the flags must be the tap's own, IFF_MULTI_QUEUE among them */
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | (vnet_hdr ? IFF_VNET_HDR : 0);
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int open_queues(const char *ifname, bool vnet_hdr, unsigned n, int *fds) {
        for (unsigned k = 0; k < n; k++) {
                int fd = queue_open(ifname, vnet_hdr);

                if (fd < 0) {
                        while (k > 0)
                                close(fds[--k]);
                        return fd;
                }
                fds[k] = fd;
        }
        return 0;
}

/* A tap is found by name in the network namespace the /dev/net/tun fd was
 * opened in, and networkd's may be another than ours: the queues are opened
 * in the tap's own (TUNGETDEVNETNS), or an open by name would make a new
 * tap of that name here. Only this thread changes namespace, and only for
 * the opens. */
int qemu_net_queues_open(int tapfd, const char *ifname, bool vnet_hdr, unsigned n, int *fds) {
        _cleanup_close_ int tap_ns = ioctl(tapfd, TUNGETDEVNETNS);
        _cleanup_close_ int own_ns = -1;
        int r;

        if (tap_ns < 0)
                return -errno;
        own_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (own_ns < 0)
                return -errno;
        if (setns(tap_ns, CLONE_NEWNET) < 0)
                return -errno;
        r = open_queues(ifname, vnet_hdr, n, fds);
        if (setns(own_ns, CLONE_NEWNET) < 0) {
                /* not back in our own namespace: nothing else may run here */
                log_error("cannot return to qemud's network namespace: %m");
                abort();
        }
        return r;
}

int qemu_net_queues_prepare(Domain *d, char *msg, size_t size) {
        size_t total = 0, at = 0;

        for (size_t i = 0; i < d->live->n_nets; i++)
                total += qemu_net_extra_queues(&d->live->nets[i]);
        if (total == 0)
                return 0;
        d->tap_queue_fds = calloc(total, sizeof(int));
        if (!d->tap_queue_fds)
                return -ENOMEM;
        for (size_t i = 0; i < d->live->n_nets; i++) {
                const DomainNetDef *net = &d->live->nets[i];
                unsigned n = qemu_net_extra_queues(net);
                int r;

                if (n == 0)
                        continue;
                if (!net->ifname || i >= d->n_tap_fds || d->tap_fds[i] < 0) {
                        snprintf(msg, size, "interface %zu has no tap for its %u queues", i, net->driver_queues);
                        return -EINVAL;
                }
                if (net->type == DOMAIN_NET_DIRECT) /* a macvtap: /dev/tapN once more per queue */
                        r = qemu_net_direct_open_queues(net, n, d->tap_queue_fds + at);
                else
                        r = qemu_net_queues_open(d->tap_fds[i], net->ifname, true, n, d->tap_queue_fds + at);
                if (r < 0 && net->type == DOMAIN_NET_DIRECT) {
                        snprintf(msg, size, "interface %zu: cannot open queue 2 to %u of macvtap %s: %s", i,
                                 net->driver_queues, net->ifname, strerror(-r));
                        return r;
                }
                if (r < 0) {
                        snprintf(msg, size, "interface %zu: cannot open queue 2 to %u of tap %s (a multiqueue tap "
                                 "needs IFF_MULTI_QUEUE, which an existing tap made without it lacks): %s", i,
                                 net->driver_queues, net->ifname, strerror(-r));
                        return r;
                }
                at += n;
                d->n_tap_queue_fds = at;
                log_debug("Interface %zu of %s: %u queues on tap %s", i, d->def->name, net->driver_queues,
                          net->ifname);
        }
        return 0;
}
