/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host side of the interfaces qemud sets up itself, as libvirt's QEMU
 * driver does: the tap of an <interface type='ethernet'> (made, or an
 * existing one opened), its <script> and <downscript>, the coalescing of
 * any tap, and the checks on what the start needs of the host (a vDPA
 * device, a vhost-user socket and shared memory, Open vSwitch). */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "process.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-net-direct.h"
#include "qemu-net-host.h"
#include "qemu-net-hostip.h"
#include "util.h"

#define SCRIPT_TIMEOUT_MS (30 * 1000)

static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr) {
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (s < 0)
                return -errno;
        snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
        return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

/* As libvirt: the host side's MAC is the guest's with 0xfe first (0xfa if
 * the guest's starts so), never the guest's own. */
static int tap_set_mac_up(const char *ifname, const uint8_t mac[6], unsigned mtu) {
        struct ifreq ifr = {};
        int r;

        ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        ifr.ifr_hwaddr.sa_data[0] = (char) (mac[0] == 0xfe ? 0xfa : 0xfe);
        r = ifreq_ioctl(ifname, SIOCSIFHWADDR, &ifr);
        if (r >= 0 && mtu) {
                ifr = (struct ifreq) { .ifr_mtu = (int) mtu };
                r = ifreq_ioctl(ifname, SIOCSIFMTU, &ifr);
        }
        if (r >= 0) {
                ifr = (struct ifreq) {};
                r = ifreq_ioctl(ifname, SIOCGIFFLAGS, &ifr);
        }
        if (r >= 0) {
                ifr.ifr_flags |= IFF_UP;
                r = ifreq_ioctl(ifname, SIOCSIFFLAGS, &ifr);
        }
        return r;
}

/* <coalesce><rx><frames max=''/>: the tap batches that many frames. */
static int tap_set_coalesce(const char *ifname, unsigned frames) {
        struct ethtool_coalesce ec = { .cmd = ETHTOOL_GCOALESCE };
        struct ifreq ifr = { .ifr_data = (void *) &ec };
        int r = ifreq_ioctl(ifname, SIOCETHTOOL, &ifr);

        if (r < 0)
                return r;
        ec.cmd = ETHTOOL_SCOALESCE;
        ec.rx_max_coalesced_frames = frames;
        ifr = (struct ifreq) { .ifr_data = (void *) &ec };
        return ifreq_ioctl(ifname, SIOCETHTOOL, &ifr);
}

/* Opens the tap name (a "%d" template makes the kernel pick the number). */
static int tap_open(const char *tun_path, const char *name, bool vnet_hdr, bool multi_queue,
                    char ret_name[IFNAMSIZ]) {
        struct ifreq ifr = {};
        _cleanup_close_ int fd = open(tun_path, O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) | (multi_queue ? IFF_MULTI_QUEUE : 0);
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        snprintf(ret_name, IFNAMSIZ, "%s", ifr.ifr_name);
        return TAKE_FD(fd);
}

/* Runs script with the tap's name, as libvirt runs <script> and
 * <downscript>: bounded, so a hung script cannot hold the daemon. */
int qemu_net_run_script(const char *script, const char *ifname, char *msg, size_t size) {
        char *argv[] = { (char *) script, (char *) ifname, NULL };
        _cleanup_close_ int pidfd = -1;
        struct pollfd p;
        siginfo_t si = {};
        pid_t pid;
        int r;

        r = process_spawn(argv, NULL, 0, PROCESS_DEVNULL_STDIN, &pid, &pidfd);
        if (r < 0) {
                snprintf(msg, size, "cannot run script '%s': %s", script, strerror(-r));
                return r;
        }
        p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        if (poll(&p, 1, SCRIPT_TIMEOUT_MS) == 0) {
                kill(pid, SIGKILL);
                (void) waitid(P_PID, (id_t) pid, &si, WEXITED);
                snprintf(msg, size, "script '%s' for %s did not finish in %d s", script, ifname,
                         SCRIPT_TIMEOUT_MS / 1000);
                return -ETIMEDOUT;
        }
        if (waitid(P_PID, (id_t) pid, &si, WEXITED) < 0) {
                snprintf(msg, size, "cannot wait for script '%s': %m", script);
                return -errno;
        }
        if (si.si_code != CLD_EXITED || si.si_status != 0) {
                snprintf(msg, size, "script '%s' for %s failed: %s %d", script, ifname,
                         si.si_code == CLD_EXITED ? "exit status" : "signal", si.si_status);
                return -EIO;
        }
        return 0;
}

static int ethernet_tap(Domain *d, size_t i, char *msg, size_t size) {
        DomainNetDef *net = &d->live->nets[i];
        const DomainNetOpts *o = &net->opts;
        bool unmanaged = o->target_managed == TRISTATE_OFF;
        const char *want = net->ifname && !domain_net_ifname_is_generated(net->ifname) ? net->ifname : "vnet%d";
        const char *tun = o->backend_tap ?: "/dev/net/tun";
        char name[IFNAMSIZ];
        int fd, r;

        fd = tap_open(tun, want, domain_net_is_virtio(net), domain_net_multi_queue(net), name);
        if (fd < 0) {
                snprintf(msg, size, "interface %zu: cannot %s tap '%s' through %s: %s%s", i,
                         unmanaged ? "open the existing" : "create the", want, tun, strerror(-fd),
                         domain_net_multi_queue(net) && fd == -EINVAL ?
                         " (its <driver queues=''> needs a multiqueue tap: one made with IFF_MULTI_QUEUE)" : "");
                return fd;
        }
        d->tap_fds[i] = fd;
        free_and_replace_str(&net->ifname, strdup(name));
        if (!net->ifname)
                return -ENOMEM;
        /* an unmanaged tap is the user's: its MAC and state stay theirs */
        r = unmanaged ? 0 : tap_set_mac_up(name, net->mac, o->mtu);
        if (r < 0) {
                snprintf(msg, size, "interface %zu: cannot set up tap %s: %s", i, name, strerror(-r));
                return r;
        }
        log_debug("Interface %zu of %s: tap %s%s", i, d->def->name, name, unmanaged ? " (unmanaged)" : "");
        r = qemu_net_hostip_apply(net, i, name, msg, size);
        if (r < 0)
                return r;
        return o->script ? qemu_net_run_script(o->script, name, msg, size) : 0;
}

static bool memory_shared(const DomainDef *def) {
        if (def->memory_backing.access == DOMAIN_MEMORY_ACCESS_SHARED)
                return true;
        for (size_t i = 0; i < def->cpu.n_cells; i++)
                if (def->cpu.cells[i].mem_access == DOMAIN_MEMORY_ACCESS_SHARED)
                        return true;
        return false;
}

static bool in_path(const char *prog) {
        char p[64];

        snprintf(p, sizeof(p), "/usr/bin/%s", prog);
        if (access(p, X_OK) == 0)
                return true;
        snprintf(p, sizeof(p), "/usr/sbin/%s", prog);
        return access(p, X_OK) == 0;
}

bool qemu_net_host_has_vhost(void) {
        return access("/dev/vhost-net", F_OK) == 0;
}

/* <driver name='vhost'/> asked of a KVM guest's tap: libvirt refuses the
 * start where the host has no vhost-net, and on a NIC that is no virtio
 * (a TCG guest never gets vhost, asked or not). */
int qemu_net_vhost_check(const DomainDef *def, const DomainNetDef *net, size_t i, char *msg, size_t size) {
        bool tap = net->type == DOMAIN_NET_NETWORK || net->type == DOMAIN_NET_BRIDGE ||
                   net->type == DOMAIN_NET_ETHERNET || net->type == DOMAIN_NET_DIRECT;

        if (!tap || def->virt_type != DOMAIN_VIRT_KVM || !streq_ptr(net->driver_name, "vhost"))
                return 0;
        if (!domain_net_is_virtio(net)) {
                snprintf(msg, size, "interface %zu: vhost-net is only supported for virtio network interfaces", i);
                return -EOPNOTSUPP;
        }
        if (!qemu_net_host_has_vhost()) {
                snprintf(msg, size, "interface %zu: vhost-net was requested (<driver name='vhost'/>), but this "
                         "host has no /dev/vhost-net (the vhost_net module)", i);
                return -EOPNOTSUPP;
        }
        return 0;
}

/* What the host must have for an interface, named when it lacks it. */
static int check_host(const DomainDef *def, const DomainNetDef *net, size_t i, char *msg, size_t size) {
        const DomainNetOpts *o = &net->opts;
        struct stat st;

        if (net->type == DOMAIN_NET_VDPA && stat(net->source, &st) < 0) {
                snprintf(msg, size, "interface %zu: vDPA device %s is missing on this host (it needs the "
                         "vhost_vdpa module and a vDPA device)", i, net->source);
                return -ENODEV;
        }
        if (net->type == DOMAIN_NET_VHOSTUSER && !memory_shared(def)) {
                snprintf(msg, size, "interface %zu: a vhost-user interface needs the guest's memory shared with "
                         "its back end: <memoryBacking><access mode='shared'/> (and a memfd or file source)", i);
                return -EOPNOTSUPP;
        }
        if (net->type == DOMAIN_NET_VHOSTUSER && !o->sock_server && o->reconnect != TRISTATE_ON &&
            (stat(o->sock_path, &st) < 0 || !S_ISSOCK(st.st_mode))) {
                snprintf(msg, size, "interface %zu: vhost-user socket %s is missing: its back end must be "
                         "listening before the guest starts", i, o->sock_path);
                return -ENOENT;
        }
        if (o->vport && streq_ptr(o->vport_type, "openvswitch") && !in_path("ovs-vsctl")) {
                snprintf(msg, size, "interface %zu: <virtualport type='openvswitch'> needs Open vSwitch, and this "
                         "host has no ovs-vsctl", i);
                return -EOPNOTSUPP;
        }
        if (o->vport) {
                snprintf(msg, size, "interface %zu: <virtualport type='%s'> is not supported by qemud: networkd "
                         "plugs taps into Linux bridges only", i, o->vport_type ?: "");
                return -EOPNOTSUPP;
        }
        if (o->backend_tap && !streq(o->backend_tap, "/dev/net/tun") &&
            (net->type == DOMAIN_NET_NETWORK || net->type == DOMAIN_NET_BRIDGE)) {
                snprintf(msg, size, "interface %zu: <backend tap='%s'> is not supported for a port of networkd, "
                         "which opens /dev/net/tun (only type='ethernet' taps go through another device)", i,
                         o->backend_tap);
                return -EOPNOTSUPP;
        }
        if (o->vlan && net->type != DOMAIN_NET_NETWORK && net->type != DOMAIN_NET_BRIDGE) {
                snprintf(msg, size, "interface %zu: a <vlan> is not supported on an interface of type '%s'", i,
                         domain_net_type_to_string(net->type));
                return -EOPNOTSUPP;
        }
        return 0;
}

int qemu_net_host_check(Domain *d, char *msg, size_t size) {
        for (size_t i = 0; i < d->live->n_nets; i++) {
                int r = check_host(d->live, &d->live->nets[i], i, msg, size);

                if (r >= 0)
                        r = qemu_net_vhost_check(d->live, &d->live->nets[i], i, msg, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_net_host_prepare(Domain *d, char *msg, size_t size) {
        for (size_t i = 0; i < d->live->n_nets; i++) {
                DomainNetDef *net = &d->live->nets[i];
                int r = 0;

                if (net->type == DOMAIN_NET_ETHERNET && i < d->n_tap_fds)
                        r = ethernet_tap(d, i, msg, size);
                if (net->type == DOMAIN_NET_DIRECT && i < d->n_tap_fds)
                        r = qemu_net_direct_prepare(d, i, msg, size);
                /* the taps of networkd too: it does not coalesce */
                if (r >= 0 && net->opts.coalesce_rx_frames && net->ifname &&
                    (r = tap_set_coalesce(net->ifname, net->opts.coalesce_rx_frames)) < 0)
                        snprintf(msg, size, "interface %zu: cannot set the coalescing of tap %s: %s", i,
                                 net->ifname, strerror(-r));
                if (r < 0)
                        return r;
        }
        return 0;
}

void qemu_net_host_release(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_nets; i++) {
                const DomainNetDef *net = &d->live->nets[i];
                char msg[512];

                if (net->type != DOMAIN_NET_ETHERNET || !net->opts.downscript || !net->ifname)
                        continue;
                if (qemu_net_run_script(net->opts.downscript, net->ifname, msg, sizeof(msg)) < 0)
                        log_warning("%s: %s", d->def->name, msg);
        }
}

static void on_link_set(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                        void *userdata) {
        Domain *d = userdata;

        if (error_class)
                log_warning("%s: cannot set the link of an interface down: %s", d->def->name, error_desc);
}

/* <link state='down'/>: QEMU has no property for it, QMP's set_link sets it
 * before the guest runs (queued ahead of "cont"). */
int qemu_net_set_links(Domain *d) {
        for (size_t i = 0; i < d->live->n_nets; i++) {
                const DomainNetDef *net = &d->live->nets[i];
                json_object *args;
                char id[64];
                int r;

                if (net->opts.link_up != TRISTATE_OFF)
                        continue;
                snprintf(id, sizeof(id), "%s", net->alias ?: "");
                args = json_object_new_object();
                if (!args)
                        return -ENOMEM;
                json_object_object_add(args, "name", json_object_new_string(id));
                json_object_object_add(args, "up", json_object_new_boolean(false));
                r = qemu_monitor_command(qemu_domain(d)->mon, "set_link", args, on_link_set, d);
                if (r < 0)
                        return r;
        }
        return 0;
}
