/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='direct'>: the macvtap link of a guest NIC
 * (qemu-net-direct.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "domain-manager.h"
#include "log.h"
#include "qemu-net-direct.h"
#include "rtnl-req.h"
#include "util.h"

/* libvirt's bound on the macvtapN it tries (virNetDevMacVLanCreate...). */
#define DIRECT_NAME_MAX_INDEX 8192

uint32_t qemu_net_direct_kernel_mode(unsigned mode) {
        static const uint32_t modes[] = { MACVLAN_MODE_VEPA, MACVLAN_MODE_PRIVATE, MACVLAN_MODE_BRIDGE,
                                          MACVLAN_MODE_PASSTHRU };

        return mode < ELEMENTSOF(modes) ? modes[mode] : MACVLAN_MODE_VEPA;
}

int qemu_net_direct_parse_devnum(const char *s, dev_t *ret) {
        unsigned maj, min;
        int end = 0;

        if (sscanf(s, "%u:%u%n", &maj, &min, &end) != 2 || (s[end] && s[end] != '\n'))
                return -EINVAL;
        *ret = makedev(maj, min);
        return 0;
}

static int link_create(const char *name, int parent, const uint8_t mac[6], uint32_t mode) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        uint32_t link = (uint32_t) parent;
        struct rtattr *info, *data;
        RtnlReq q;

        rtnl_req_init(&q, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
        rtnl_req_attr_str(&q, IFLA_IFNAME, name);
        rtnl_req_attr(&q, IFLA_LINK, &link, sizeof(link));
        rtnl_req_attr(&q, IFLA_ADDRESS, mac, 6);
        info = rtnl_req_attr(&q, IFLA_LINKINFO, NULL, 0);
        rtnl_req_attr_str(&q, IFLA_INFO_KIND, "macvtap");
        data = rtnl_req_attr(&q, IFLA_INFO_DATA, NULL, 0);
        rtnl_req_attr(&q, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
        rtnl_req_nest_end(&q, data);
        rtnl_req_nest_end(&q, info);
        return rtnl_req_send(&q);
}

static int link_up(int index) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP,
                                 .ifi_change = IFF_UP };
        RtnlReq q;

        rtnl_req_init(&q, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
        return rtnl_req_send(&q);
}

static int link_delete(int index) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
        RtnlReq q;

        rtnl_req_init(&q, RTM_DELLINK, 0, &ifi, sizeof(ifi));
        return rtnl_req_send(&q);
}

/* The user's <target dev=''>, or the first free macvtapN. */
static int create_named(const DomainNetDef *net, int parent, char name[IFNAMSIZ]) {
        uint32_t mode = qemu_net_direct_kernel_mode(net->opts.direct_mode);
        int r = -EEXIST;

        if (net->ifname && !domain_net_ifname_is_generated(net->ifname)) {
                snprintf(name, IFNAMSIZ, "%s", net->ifname);
                return link_create(name, parent, net->mac, mode);
        }
        for (unsigned n = 0; n < DIRECT_NAME_MAX_INDEX && r == -EEXIST; n++) {
                snprintf(name, IFNAMSIZ, "macvtap%u", n);
                r = link_create(name, parent, net->mac, mode);
        }
        return r;
}

/* /dev/tapN as sysfs gives it: made (or remade, if stale) where no udev did. */
static int tap_node(const char *name, int index, char path[64]) {
        _cleanup_free_ char *sys = NULL, *s = NULL;
        struct stat st;
        dev_t dev;
        int r;

        if (asprintf(&sys, "/sys/class/net/%s/macvtap/tap%d/dev", name, index) < 0)
                return -ENOMEM;
        r = read_full_file(sys, 4096, &s, NULL);
        if (r >= 0)
                r = qemu_net_direct_parse_devnum(s, &dev);
        if (r < 0)
                return r;
        snprintf(path, 64, "/dev/tap%d", index);
        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev)
                return 0;
        (void) unlink(path);
        if (mknod(path, S_IFCHR | 0600, dev) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* As libvirt (virNetDevMacVLanTapSetup): the vnet header for virtio-net
 * only, IFF_MULTI_QUEUE on each fd of a multiqueue one. */
static int tap_open(const char *name, int index, bool vnet_hdr, bool multi_queue) {
        char path[64];
        struct ifreq ifr = {};
        _cleanup_close_ int fd = -1;
        int r = tap_node(name, index, path);
        short flags;

        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, TUNGETIFF, &ifr) < 0)
                return -errno;
        flags = (short) (vnet_hdr ? (ifr.ifr_flags | IFF_VNET_HDR) : (ifr.ifr_flags & ~IFF_VNET_HDR));
        flags = (short) (multi_queue ? (flags | IFF_MULTI_QUEUE) : (flags & ~IFF_MULTI_QUEUE));
        ifr.ifr_flags = flags;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int qemu_net_direct_open_queues(const DomainNetDef *net, unsigned n, int *fds) {
        int index = net->ifname ? (int) if_nametoindex(net->ifname) : 0;

        if (index <= 0)
                return -ENODEV;
        for (unsigned k = 0; k < n; k++) {
                int fd = tap_open(net->ifname, index, domain_net_is_virtio(net), true);

                if (fd < 0) {
                        while (k > 0)
                                close(fds[--k]);
                        return fd;
                }
                fds[k] = fd;
        }
        return 0;
}

static bool is_passthrough(const DomainNetDef *net) {
        return qemu_net_direct_kernel_mode(net->opts.direct_mode) == MACVLAN_MODE_PASSTHRU;
}

/* The made link named name (ifindex index) up, the parent of a passthrough
 * one given the guest's MAC (the kernel gave the macvtap the parent's, and
 * it follows the parent's), its first queue open. */
static int setup(const char *rundir, const DomainNetDef *net, const char *name, int index, size_t i, int *ret_fd,
                 char *msg, size_t size) {
        int r = 0;

        if (is_passthrough(net) && (r = qemu_net_direct_passthrough_set(rundir, net->source, net->mac)) < 0) {
                snprintf(msg, size, "interface %zu: cannot set the MAC address of host interface '%s' (the parent "
                         "of passthrough macvtap %s) to the guest's: %s", i, net->source, name, strerror(-r));
                return r;
        }
        r = link_up(index);
        if (r >= 0)
                r = *ret_fd = tap_open(name, index, domain_net_is_virtio(net), domain_net_multi_queue(net));
        if (r < 0) {
                snprintf(msg, size, "interface %zu: cannot open macvtap %s: %s", i, name, strerror(-r));
                return r;
        }
        return 0;
}

int qemu_net_direct_create(const char *rundir, const char *guest, DomainNetDef *net, size_t i, int *ret_fd,
                           char *msg, size_t size) {
        int parent = (int) if_nametoindex(net->source), index, fd = -1, r;
        char name[IFNAMSIZ], path[64];
        char *ifname;

        if (parent <= 0) {
                snprintf(msg, size, "interface %zu: cannot create a macvtap on host interface '%s': no such "
                         "interface", i, net->source);
                return -ENODEV;
        }
        /* the kernel refuses a passthrough one on a parent that has a
         * macvtap, and any on a parent that has a passthrough one */
        r = create_named(net, parent, name);
        if (r < 0) {
                snprintf(msg, size, "interface %zu: cannot create macvtap '%s' on host interface '%s' (mode %s%s): "
                         "%s", i, name, net->source, domain_net_direct_modes[net->opts.direct_mode],
                         r == -EINVAL ? "; a passthrough macvtap must be the only one on its parent" : "",
                         strerror(-r));
                return r;
        }
        index = (int) if_nametoindex(name);
        if (index > 0)
                r = setup(rundir, net, name, index, i, &fd, msg, size);
        else {
                r = -ENODEV;
                snprintf(msg, size, "interface %zu: macvtap %s went as soon as it was made", i, name);
        }
        ifname = r >= 0 ? strdup(name) : NULL;
        if (r >= 0 && !ifname) {
                snprintf(msg, size, "out of memory");
                r = -ENOMEM;
        }
        if (r < 0) {
                if (index > 0) {
                        (void) link_delete(index);
                        snprintf(path, sizeof(path), "/dev/tap%d", index);
                        (void) unlink(path);
                }
                if (is_passthrough(net))
                        qemu_net_direct_passthrough_restore(rundir, guest, net->source);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        free_and_replace_str(&net->ifname, ifname);
        *ret_fd = fd;
        log_debug("Interface %zu of %s: macvtap %s on %s (mode %s)", i, guest, name, net->source,
                  domain_net_direct_modes[net->opts.direct_mode]);
        return 0;
}

int qemu_net_direct_prepare(Domain *d, size_t i, char *msg, size_t size) {
        return qemu_net_direct_create(d->manager->rundir, d->def->name, &d->live->nets[i], i, &d->tap_fds[i], msg,
                                      size);
}

/* The link is the guest's: a macvtap on its parent with its MAC. */
static bool link_is_guests(const DomainNetDef *net) {
        _cleanup_free_ char *dir = NULL, *lower = NULL, *addr_path = NULL, *addr = NULL;
        const uint8_t *m = net->mac;
        char want[32];

        if (asprintf(&dir, "/sys/class/net/%s/macvtap", net->ifname) < 0 ||
            asprintf(&lower, "/sys/class/net/%s/lower_%s", net->ifname, net->source) < 0 ||
            asprintf(&addr_path, "/sys/class/net/%s/address", net->ifname) < 0)
                return false;
        if (access(dir, F_OK) < 0 || access(lower, F_OK) < 0 || read_full_file(addr_path, 4096, &addr, NULL) < 0)
                return false;
        snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
        return streq(addr, want);
}

static void delete_link(const char *guest, const DomainNetDef *net) {
        char path[64];
        int index, r;

        if (!link_is_guests(net))
                return;
        index = (int) if_nametoindex(net->ifname);
        r = index > 0 ? link_delete(index) : -ENODEV;
        if (r < 0) {
                log_warning("%s: cannot delete macvtap %s: %s", guest, net->ifname, strerror(-r));
                return;
        }
        /* the node qemud made where no udev runs */
        snprintf(path, sizeof(path), "/dev/tap%d", index);
        (void) unlink(path);
        log_debug("%s: deleted macvtap %s on %s", guest, net->ifname, net->source);
}

void qemu_net_direct_delete(const char *rundir, const char *guest, const DomainNetDef *net) {
        if (net->type != DOMAIN_NET_DIRECT || !net->ifname || !net->source)
                return;
        delete_link(guest, net);
        if (is_passthrough(net))
                qemu_net_direct_passthrough_restore(rundir, guest, net->source);
}

void qemu_net_direct_remove(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_nets; i++)
                qemu_net_direct_delete(d->manager->rundir, d->def->name, &d->live->nets[i]);
}
