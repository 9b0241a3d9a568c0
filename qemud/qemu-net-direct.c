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

/* As libvirt: the vnet header for virtio-net only. */
static int tap_open(const char *name, int index, bool vnet_hdr) {
        char path[64];
        struct ifreq ifr = {};
        _cleanup_close_ int fd = -1;
        int r = tap_node(name, index, path);

        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, TUNGETIFF, &ifr) < 0)
                return -errno;
        ifr.ifr_flags = (short) (vnet_hdr ? (ifr.ifr_flags | IFF_VNET_HDR) : (ifr.ifr_flags & ~IFF_VNET_HDR));
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int setup(DomainNetDef *net, const char *name, int *ret_fd) {
        int index = (int) if_nametoindex(name);
        int r = index > 0 ? link_up(index) : -ENODEV;

        if (r >= 0)
                r = *ret_fd = tap_open(name, index, streq_ptr(net->model, "virtio"));
        return r < 0 ? r : 0;
}

int qemu_net_direct_prepare(Domain *d, size_t i, char *msg, size_t size) {
        DomainNetDef *net = &d->live->nets[i];
        int parent = (int) if_nametoindex(net->source);
        char name[IFNAMSIZ];
        int fd = -1, r;

        if (parent <= 0) {
                snprintf(msg, size, "interface %zu: cannot create a macvtap on host interface '%s': no such "
                         "interface", i, net->source);
                return -ENODEV;
        }
        /* the kernel gives a passthru macvtap its parent's MAC; libvirt
         * sets the parent's to the guest's and restores it at stop */
        if (qemu_net_direct_kernel_mode(net->opts.direct_mode) == MACVLAN_MODE_PASSTHRU) {
                snprintf(msg, size, "interface %zu: <source mode='passthrough'> of <interface type='direct'> is not "
                         "supported by qemud: it would set the MAC address of host interface '%s' to the guest's",
                         i, net->source);
                return -EOPNOTSUPP;
        }
        if (net->driver_queues > 1 && streq_ptr(net->model, "virtio")) {
                snprintf(msg, size, "interface %zu: a multiqueue macvtap (<driver queues='%u'/> on <interface "
                         "type='direct'>) is not supported by qemud", i, net->driver_queues);
                return -EOPNOTSUPP;
        }
        r = create_named(net, parent, name);
        if (r < 0) {
                snprintf(msg, size, "interface %zu: cannot create macvtap '%s' on host interface '%s' (mode %s): %s",
                         i, name, net->source, domain_net_direct_modes[net->opts.direct_mode], strerror(-r));
                return r;
        }
        /* named in the live definition at once: a failure from here on
         * finds it to delete */
        free_and_replace_str(&net->ifname, strdup(name));
        if (!net->ifname) {
                (void) link_delete((int) if_nametoindex(name));
                return -ENOMEM;
        }
        r = setup(net, name, &fd);
        if (r < 0) {
                snprintf(msg, size, "interface %zu: cannot open macvtap %s: %s", i, name, strerror(-r));
                return r;
        }
        d->tap_fds[i] = fd;
        log_debug("Interface %zu of %s: macvtap %s on %s", i, d->def->name, name, net->source);
        return 0;
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

void qemu_net_direct_remove(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_nets; i++) {
                const DomainNetDef *net = &d->live->nets[i];
                char path[64];
                int index, r;

                if (net->type != DOMAIN_NET_DIRECT || !net->ifname || !net->source || !link_is_guests(net))
                        continue;
                index = (int) if_nametoindex(net->ifname);
                r = index > 0 ? link_delete(index) : -ENODEV;
                if (r < 0) {
                        log_warning("%s: cannot delete macvtap %s: %s", d->def->name, net->ifname, strerror(-r));
                        continue;
                }
                /* the node qemud made where no udev runs */
                snprintf(path, sizeof(path), "/dev/tap%d", index);
                (void) unlink(path);
                log_debug("%s: deleted macvtap %s of interface %zu", d->def->name, net->ifname, i);
        }
}
