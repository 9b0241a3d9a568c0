/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An SR-IOV VF's MAC address and VLAN, set through its PF (qemu-hostdev-vf.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "domain.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-hostdev-nodes.h"
#include "network-addr.h"
#include "qemu-hostdev-vf.h"
#include "util.h"
#include "xml-util.h"

static int vf_missing(ConfError *err, const char *what, const char *path, const char *why) {
        conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot find the PF of SR-IOV virtual "
                       "function %s: %s %s", what, path, why);
        return -ENODEV;
}

/* The name of dir's first entry ("net/eth3" of a PF: eth3). */
static int first_entry(const char *dir, char *ret, size_t size) {
        DIR *d = opendir(dir);
        int r = -ENOENT;

        for (struct dirent *de; d && r < 0 && (de = readdir(d));)
                if (de->d_name[0] != '.' && strlen(de->d_name) < size) {
                        strcpy(ret, de->d_name);
                        r = 0;
                }
        if (d)
                closedir(d);
        return r;
}

/* Which virtfnN of the PF at pf links to the VF named vf ("0000:03:07.1"). */
static int vf_index(const char *pf, const char *vf, unsigned *ret) {
        DIR *d = opendir(pf);
        int r = -ENOENT;

        for (struct dirent *de; d && r < 0 && (de = readdir(d));) {
                char path[2 * PATH_MAX + 300], target[PATH_MAX];
                unsigned n;
                ssize_t len;

                if (sscanf(de->d_name, "virtfn%u", &n) != 1)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", pf, de->d_name);
                len = readlink(path, target, sizeof(target) - 1);
                if (len <= 0)
                        continue;
                target[len] = '\0';
                if (streq(strrchr(target, '/') ? strrchr(target, '/') + 1 : target, vf)) {
                        *ret = n;
                        r = 0;
                }
        }
        if (d)
                closedir(d);
        return r;
}

int qemu_hostdev_vf_find(const DomainHostdevDef *h, const char *sysfs_root, QemuVf *ret, ConfError *err) {
        char name[32], vf[PATH_MAX], physfn[PATH_MAX + 8], target[PATH_MAX], pf[2 * PATH_MAX], net[2 * PATH_MAX + 8];
        QemuVf v = {};
        ssize_t len;

        snprintf(name, sizeof(name), "%04x:%02x:%02x.%x", h->pci_domain, h->pci_bus, h->pci_slot, h->pci_function);
        snprintf(vf, sizeof(vf), "%s/bus/pci/devices/%s", sysfs_root, name);
        snprintf(physfn, sizeof(physfn), "%s/physfn", vf);
        len = readlink(physfn, target, sizeof(target) - 1);
        if (len <= 0)
                return vf_missing(err, name, physfn, "is no link to its PF");
        target[len] = '\0';
        /* relative to the VF's folder, as sysfs makes it */
        if (target[0] == '/')
                snprintf(pf, sizeof(pf), "%s", target);
        else
                snprintf(pf, sizeof(pf), "%s/%s", vf, target);
        snprintf(net, sizeof(net), "%s/net", pf);
        if (first_entry(net, v.pf, sizeof(v.pf)) < 0)
                return vf_missing(err, name, net, "lists no netdev of its PF (no driver bound to the PF?)");
        if (vf_index(pf, name, &v.vf) < 0)
                return vf_missing(err, name, pf, "has no virtfnN link to it");
        *ret = v;
        return 0;
}

int qemu_hostdev_vf_validate(const DomainHostdevDef *h, ConfError *err) {
        char what[200];

        domain_hostdev_describe(h, what, sizeof(what));
        if (h->net.n_tags > 1 || h->net.trunk == TRISTATE_ON || (h->net.n_tags == 1 && h->net.tags[0].native_mode))
                return xml_err_unsupported(err, "vlan trunking is not supported by SR-IOV network devices (%s)", what);
        if (h->net.has_vport)
                return xml_err_unsupported(err, "qemud does not associate the <virtualport type='%s'> of an "
                                           "<interface type='hostdev'> (%s)", h->net.vport_type ?: "", what);
        return 0;
}

void qemu_hostdev_vf_request(RtnlReq *q, int pf_ifindex, unsigned vf, const uint8_t mac[6], unsigned vlan) {
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = pf_ifindex };
        struct ifla_vf_mac m = { .vf = vf };
        struct ifla_vf_vlan v = { .vf = vf, .vlan = vlan };
        struct rtattr *list, *info;

        memcpy(m.mac, mac, 6);
        rtnl_req_init(q, RTM_SETLINK, 0, &ifi, sizeof(ifi));
        list = rtnl_req_attr(q, IFLA_VFINFO_LIST, NULL, 0);
        info = rtnl_req_attr(q, IFLA_VF_INFO, NULL, 0);
        rtnl_req_attr(q, IFLA_VF_MAC, &m, sizeof(m));
        rtnl_req_attr(q, IFLA_VF_VLAN, &v, sizeof(v));
        rtnl_req_nest_end(q, info);
        rtnl_req_nest_end(q, list);
}

/* One IFLA_VF_INFO: its MAC and VLAN if it is VF vf. */
static int parse_info(struct rtattr *info, unsigned vf, uint8_t mac[6], unsigned *vlan) {
        bool found = false;
        unsigned n = RTA_PAYLOAD(info);

        for (struct rtattr *a = RTA_DATA(info); RTA_OK(a, n); a = RTA_NEXT(a, n)) {
                if (a->rta_type == IFLA_VF_MAC && RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_mac)) {
                        const struct ifla_vf_mac *m = RTA_DATA(a);
                        if (m->vf != vf)
                                return -ENOENT;
                        memcpy(mac, m->mac, 6);
                        found = true;
                } else if (a->rta_type == IFLA_VF_VLAN && RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_vlan))
                        *vlan = ((const struct ifla_vf_vlan *) RTA_DATA(a))->vlan;
        }
        return found ? 0 : -ENOENT;
}

int qemu_hostdev_vf_parse(const void *msg, size_t len, unsigned vf, uint8_t mac[6], unsigned *vlan) {
        for (const struct nlmsghdr *h = msg; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                struct rtattr *a;
                unsigned n;

                if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
                        continue;
                n = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg));
                for (a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, n); a = RTA_NEXT(a, n)) {
                        unsigned m = RTA_PAYLOAD(a);

                        if (a->rta_type != IFLA_VFINFO_LIST)
                                continue;
                        *vlan = 0;
                        for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, m); i = RTA_NEXT(i, m))
                                if (i->rta_type == IFLA_VF_INFO && parse_info(i, vf, mac, vlan) == 0)
                                        return 0;
                }
        }
        return -ENOENT;
}

/* VF v->vf's MAC and VLAN now, asked of the kernel. */
static int vf_get(const QemuVf *v, int ifindex, uint8_t mac[6], unsigned *vlan) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        uint32_t mask = RTEXT_FILTER_VF;
        _cleanup_free_ char *reply = NULL;
        size_t size = 1 << 20;
        RtnlReq q;
        ssize_t n;

        if (fd < 0)
                return -errno;
        rtnl_req_init(&q, RTM_GETLINK, 0, &ifi, sizeof(ifi));
        q.h->nlmsg_flags &= ~NLM_F_ACK;
        rtnl_req_attr(&q, IFLA_EXT_MASK, &mask, sizeof(mask));
        q.h->nlmsg_seq = 1;
        reply = malloc(size);
        if (!reply)
                return -ENOMEM;
        if (sendto(fd, q.buf, q.h->nlmsg_len, 0, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        do
                n = recv(fd, reply, size, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (NLMSG_OK((struct nlmsghdr *) reply, (size_t) n) && ((struct nlmsghdr *) reply)->nlmsg_type == NLMSG_ERROR)
                return ((struct nlmsgerr *) NLMSG_DATA((struct nlmsghdr *) reply))->error ?: -EIO;
        return qemu_hostdev_vf_parse(reply, n, v->vf, mac, vlan);
}

static int vf_put(int ifindex, unsigned vf, const uint8_t mac[6], unsigned vlan) {
        RtnlReq q;

        qemu_hostdev_vf_request(&q, ifindex, vf, mac, vlan);
        return rtnl_req_send(&q);
}

static int state_path(const char *rundir, const QemuVf *v, char **ret) {
        return asprintf(ret, "%s/hostdev-vf/%s_vf%u", rundir, v->pf, v->vf) < 0 ? -ENOMEM : 0;
}

/* "<uuid> <mac> <vlan>": the guest that set the VF, and what it had. */
static int state_read(const char *path, char uuid[37], uint8_t mac[6], unsigned *vlan) {
        _cleanup_free_ char *text = NULL;
        char m[18];
        int r = read_full_file(path, 256, &text, NULL);

        if (r < 0)
                return r;
        if (sscanf(text, "%36s %17s %u", uuid, m, vlan) != 3 || mac_parse(m, mac) < 0)
                return -EINVAL;
        return 0;
}

static int state_write(const char *rundir, const char *path, const char *uuid, const uint8_t mac[6], unsigned vlan) {
        _cleanup_free_ char *dir = NULL, *text = NULL;
        int r;

        if (asprintf(&dir, "%s/hostdev-vf", rundir) < 0 ||
            asprintf(&text, "%s %02x:%02x:%02x:%02x:%02x:%02x %u\n", uuid, mac[0], mac[1], mac[2], mac[3], mac[4],
                     mac[5], vlan) < 0)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        return r < 0 ? r : write_file_atomic(path, text, strlen(text), 0600);
}

int qemu_hostdev_vf_set(const char *rundir, const QemuVf *v, const DomainHostdevDef *h, const char *uuid,
                        ConfError *err) {
        _cleanup_free_ char *path = NULL;
        unsigned ifindex = if_nametoindex(v->pf), vlan = 0, want = h->net.n_tags ? h->net.tags[0].id : 0;
        uint8_t mac[6];
        char owner[37];
        int r;

        if (ifindex == 0)
                return conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: the PF %s of VF %u is not "
                                      "on this host: %s", v->pf, v->vf, strerror(errno)), -ENODEV;
        r = state_path(rundir, v, &path);
        if (r < 0)
                return r;
        if (state_read(path, owner, mac, &vlan) >= 0 && !streq(owner, uuid))
                return conf_error_set(err, VB_ERROR_OPERATION_INVALID, "operation invalid: VF %u of PF %s is in use by "
                                      "the domain with UUID %s", v->vf, v->pf, owner), -EBUSY;
        /* what it had, once: a second plug keeps the first one's */
        if (access(path, F_OK) < 0) {
                r = vf_get(v, ifindex, mac, &vlan);
                if (r == -ENOENT)
                        return conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: PF %s has no "
                                              "VF %u: the kernel lists none of that index", v->pf, v->vf), r;
                if (r >= 0)
                        r = state_write(rundir, path, uuid, mac, vlan);
                if (r < 0)
                        return conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot read the "
                                              "MAC address and VLAN of VF %u of PF %s: %s", v->vf, v->pf,
                                              strerror(-r)), r;
        }
        r = vf_put(ifindex, v->vf, h->net.mac, want);
        if (r < 0) {
                (void) qemu_hostdev_vf_restore(rundir, v, uuid);
                return conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot set the MAC address "
                                      "and VLAN %u of VF %u of PF %s: %s", want, v->vf, v->pf, strerror(-r)), r;
        }
        return 0;
}

int qemu_hostdev_vf_restore(const char *rundir, const QemuVf *v, const char *uuid) {
        _cleanup_free_ char *path = NULL;
        unsigned ifindex = if_nametoindex(v->pf), vlan;
        uint8_t mac[6];
        char owner[37];
        int r = state_path(rundir, v, &path);

        if (r < 0)
                return r;
        r = state_read(path, owner, mac, &vlan);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        if (!streq(owner, uuid))
                return 0;       /* another guest's */
        r = ifindex ? vf_put(ifindex, v->vf, mac, vlan) : -ENODEV;
        if (unlink(path) < 0 && r >= 0)
                r = -errno;
        return r;
}

void qemu_hostdev_vf_give_back(Domain *d, const DomainHostdevDef *h) {
        ConfError e = {};
        QemuVf v;
        int r;

        if (!h->net.is_interface)
                return;
        r = qemu_hostdev_vf_find(h, qemu_hostdev_sysfs_root(), &v, &e);
        if (r < 0) {
                log_warning("Domain %s: %s", d->def->name, e.message);
                return;
        }
        r = qemu_hostdev_vf_restore(d->manager->rundir, &v, d->uuid_str);
        if (r < 0)
                log_warning("Domain %s: cannot give VF %u of PF %s back its MAC address and VLAN: %s",
                            d->def->name, v.vf, v.pf, strerror(-r));
}

int qemu_hostdev_vf_start(Domain *d, ConfError *err) {
        for (size_t i = 0; i < d->live->n_hostdevs; i++) {
                const DomainHostdevDef *h = &d->live->hostdevs[i];
                QemuVf v;
                int r;

                if (!h->net.is_interface)
                        continue;
                r = qemu_hostdev_vf_find(h, qemu_hostdev_sysfs_root(), &v, err);
                if (r >= 0)
                        r = qemu_hostdev_vf_set(d->manager->rundir, &v, h, d->uuid_str, err);
                if (r < 0) {
                        while (i-- > 0)
                                qemu_hostdev_vf_give_back(d, &d->live->hostdevs[i]);
                        return r;
                }
        }
        return 0;
}

int qemu_hostdev_vf_from_file(const char *name, QemuVf *ret) {
        const char *sep = strrstr(name, "_vf");
        QemuVf v = {};
        int end = -1;

        if (!sep || sep == name || (size_t) (sep - name) >= sizeof(v.pf) || !isdigit((unsigned char) sep[3]) ||
            sscanf(sep + 3, "%u%n", &v.vf, &end) != 1 || sep[3 + end] != '\0')
                return -EINVAL;
        memcpy(v.pf, name, sep - name);
        *ret = v;
        return 0;
}

int qemu_hostdev_vf_restore_all(const char *rundir, const char *uuid, const char *name) {
        _cleanup_free_ char *path = NULL;
        DIR *dir;
        int ret = 0;

        if (asprintf(&path, "%s/hostdev-vf", rundir) < 0)
                return -ENOMEM;
        dir = opendir(path);
        if (!dir)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(dir));) {
                QemuVf v;
                int r;

                if (qemu_hostdev_vf_from_file(de->d_name, &v) < 0)
                        continue;
                r = qemu_hostdev_vf_restore(rundir, &v, uuid); /* another guest's: left as it is */
                if (r < 0) {
                        log_warning("Domain %s: cannot give VF %u of PF %s back its MAC address and VLAN: %s", name,
                                    v.vf, v.pf, strerror(-r));
                        ret = ret ?: r;
                }
        }
        closedir(dir);
        return ret;
}

/* The saved files are the record, not the live definition: what a start
 * or a plug set is given back whatever sysfs shows now, and a start that
 * failed before it set anything finds nothing to give back. */
void qemu_hostdev_vf_stop(Domain *d) {
        (void) qemu_hostdev_vf_restore_all(d->manager->rundir, d->uuid_str, d->def->name);
}
