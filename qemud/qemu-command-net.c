/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network interfaces: the host side (-netdev, and the -chardev of a
 * vhost-user socket) and the guest NIC (-device). */
#include "qemu-command-internal.h"
#include "qemu-passt.h"
#include "util.h"

static const char *net_device_type(const DomainNetDef *net) {
        const char *model = net->model;

        /* vDPA has only virtio-net's queues to give */
        if (!model && net->type == DOMAIN_NET_VDPA)
                return "virtio-net-pci";
        if (!model || streq(model, "rtl8139"))
                return "rtl8139";
        if (streq(model, "virtio"))
                return "virtio-net-pci";
        if (streq(model, "virtio-transitional"))
                return "virtio-net-pci-transitional";
        if (streq(model, "virtio-non-transitional"))
                return "virtio-net-pci-non-transitional";
        if (streq(model, "e1000") || streq(model, "e1000e"))
                return model;
        return NULL;
}

static bool net_is_virtio(const DomainNetDef *net) {
        return domain_net_is_virtio(net) || (!net->model && net->type == DOMAIN_NET_VDPA);
}

/* The qdev id: the alias (the start numbers them net0, net1...; a user's
 * "ua-" alias stays), or netN. */
static void net_id(const DomainNetDef *net, size_t i, char *buf, size_t size) {
        if (net->alias)
                snprintf(buf, size, "%s", net->alias);
        else
                snprintf(buf, size, "net%zu", i);
}

void qemu_net_host_port(const char *host, unsigned port, char *buf, size_t size) {
        bool v6 = host && strchr(host, ':');

        snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", host ?: "", v6 ? "]" : "", port);
}

static void add_host_port(OptBuf *b, const char *key, const char *host, unsigned port) {
        char s[300];

        qemu_net_host_port(host, port, s, sizeof(s));
        opt_add_str(b, key, s);
}

static int build_socket_netdev(const DomainNetDef *net, OptBuf *b) {
        const DomainNetOpts *o = &net->opts;
        static const char *const keys[_DOMAIN_NET_MAX] = {
                [DOMAIN_NET_SERVER] = "listen",
                [DOMAIN_NET_CLIENT] = "connect",
                [DOMAIN_NET_MCAST] = "mcast",
                [DOMAIN_NET_UDP] = "udp",
        };

        opt_add(b, "socket");
        add_host_port(b, keys[net->type], o->sock_address, o->sock_port);
        if (net->type == DOMAIN_NET_UDP)
                add_host_port(b, "localaddr", o->local_address, o->local_port);
        return 0;
}

/* vhost-user: the socket is a chardev; as a server QEMU does not wait for
 * the back end to connect (the NIC's link comes up when it does). */
static int build_vhostuser_chardev(QemuCmd *c, const DomainNetDef *net, const char *id) {
        const DomainNetOpts *o = &net->opts;
        OptBuf b = {};

        opt_add(&b, "socket,id=char%s", id);
        opt_add_str(&b, "path", o->sock_path);
        if (o->sock_server)
                opt_add(&b, "server=on,wait=off");
        if (o->reconnect == TRISTATE_ON)
                opt_add(&b, "reconnect=%u", o->reconnect_timeout);
        else if (o->reconnect == TRISTATE_OFF)
                opt_add(&b, "reconnect=0");
        return cmd_opt(c, "-chardev", &b);
}

unsigned qemu_net_extra_queues(const DomainNetDef *net) {
        return domain_net_multi_queue(net) ? net->driver_queues - 1 : 0;
}

/* "fds=a:b:c": the tap's first fd, then its other queues, which follow
 * those of the interfaces before it in params->tap_queue_fds. */
static int add_tap_queues(QemuCmd *c, size_t i, int fd, OptBuf *b) {
        const DomainNetDef *net = &c->def->nets[i];
        size_t at = 0, n = qemu_net_extra_queues(net);
        int r = cmd_add_fd(c, fd);

        for (size_t k = 0; k < i; k++)
                at += qemu_net_extra_queues(&c->def->nets[k]);
        if (at + n > c->params->n_tap_queue_fds || !c->params->tap_queue_fds)
                return cmd_fail(c, -EINVAL, "interface %zu has no fds for its %u tap queues", i, net->driver_queues);
        opt_add(b, "tap,fds=%d", fd);
        for (size_t k = 0; r >= 0 && k < n; k++) {
                r = cmd_add_fd(c, c->params->tap_queue_fds[at + k]);
                opt_append(b, ":%d", c->params->tap_queue_fds[at + k]);
        }
        return r;
}

static int build_tap_netdev(QemuCmd *c, const DomainNetDef *net, size_t i, OptBuf *b) {
        int fd = i < c->params->n_tap_fds && c->params->tap_fds ? c->params->tap_fds[i] : -1;
        int r;

        if (fd < 0)
                return cmd_fail(c, -EINVAL, "interface %zu has no tap fd", i);
        if (net->opts.backend_vhost && streq_ptr(net->driver_name, "vhost") && net_is_virtio(net))
                return cmd_fail(c, -EOPNOTSUPP, "interface %zu: <backend vhost='%s'> is not supported by qemud: "
                                "QEMU opens /dev/vhost-net itself", i, net->opts.backend_vhost);
        if (qemu_net_extra_queues(net) > 0)
                r = add_tap_queues(c, i, fd, b);
        else {
                r = cmd_add_fd(c, fd);
                opt_add(b, "tap,fd=%d", fd);
        }
        if (r < 0)
                return r;
        /* QEMU opens /dev/vhost-net itself; vhost serves virtio-net only
         * (libvirt leaves it out for other models too) */
        if (streq_ptr(net->driver_name, "vhost") && net_is_virtio(net) && !c->params->no_vhost_net)
                opt_add(b, "vhost=on");
        return 0;
}

/* passt's: QEMU connects to the unix socket passt listens on (as libvirt
 * 9.0 does with QEMU 7.2's stream netdev). */
static int build_passt_netdev(QemuCmd *c, const DomainNetDef *net, const char *id, OptBuf *b) {
        _cleanup_free_ char *sock = NULL;

        if (!c->params->run_dir)
                return cmd_fail(c, -EINVAL, "interface %s: the driver gave no directory for passt's socket", id);
        sock = qemu_passt_socket(c->params->run_dir, id);
        if (!sock)
                return -ENOMEM;
        opt_add(b, "stream,server=off,addr.type=unix");
        opt_add_str(b, "addr.path", sock);
        return 0;
}

/* slirp: the guest's addresses of <ip> (validated: one of each family),
 * as libvirt gives them: net=ADDR[/PREFIX], ipv6-prefix=ADDR[,ipv6-prefixlen=N]. */
static void build_user_netdev(const DomainNetDef *net, OptBuf *b) {
        opt_add(b, "user");
        for (size_t k = 0; k < net->n_ips; k++) {
                const DomainNetIp *ip = &net->ips[k];

                if (!strchr(ip->address, ':')) {
                        if (ip->prefix)
                                opt_add(b, "net=%s/%u", ip->address, ip->prefix);
                        else
                                opt_add_str(b, "net", ip->address);
                        continue;
                }
                opt_add_str(b, "ipv6-prefix", ip->address);
                if (ip->prefix)
                        opt_add(b, "ipv6-prefixlen=%u", ip->prefix);
        }
}

/* The host side of an interface. Hot-plug passes the tap by name instead
 * (getfd, netdev_add). */
static int build_netdev(QemuCmd *c, size_t i, const char *id) {
        const DomainNetDef *net = &c->def->nets[i];
        OptBuf b = {};
        int r = 0;

        switch (net->type) {
        case DOMAIN_NET_USER:
                if (domain_net_is_passt(net))
                        r = build_passt_netdev(c, net, id, &b);
                else
                        build_user_netdev(net, &b);
                break;
        case DOMAIN_NET_NETWORK:
        case DOMAIN_NET_BRIDGE:
        case DOMAIN_NET_ETHERNET:
        case DOMAIN_NET_DIRECT: /* its macvtap's /dev/tapN */
                r = build_tap_netdev(c, net, i, &b);
                break;
        case DOMAIN_NET_VHOSTUSER:
                r = build_vhostuser_chardev(c, net, id);
                opt_add(&b, "vhost-user,chardev=char%s", id);
                if (net->driver_queues > 1)
                        opt_add(&b, "queues=%u", net->driver_queues);
                break;
        case DOMAIN_NET_VDPA:
                opt_add(&b, "vhost-vdpa");
                opt_add_str(&b, "vhostdev", net->source);
                if (net->driver_queues > 1)
                        opt_add(&b, "queues=%u", net->driver_queues);
                break;
        default:
                r = build_socket_netdev(net, &b);
                break;
        }
        if (r < 0) {
                opt_done(&b);
                return r;
        }
        opt_add(&b, "id=host%s", id);
        return cmd_opt(c, "-netdev", &b);
}

static const char *const host_offload_props[DOMAIN_NET_HOST_OFFLOADS] = {
        "csum", "gso", "host_tso4", "host_tso6", "host_ecn", "host_ufo", "mrg_rxbuf",
};
static const char *const guest_offload_props[DOMAIN_NET_GUEST_OFFLOADS] = {
        "guest_csum", "guest_tso4", "guest_tso6", "guest_ecn", "guest_ufo",
};

static void tristate_props(json_object **o, const char *const *names, const Tristate *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (v[i] != TRISTATE_ABSENT)
                        prop_bool(o, names[i], v[i] == TRISTATE_ON);
}

/* virtio-net's own properties. */
static void virtio_net_props(json_object **o, const DomainNetDef *net) {
        const DomainNetOpts *x = &net->opts;

        if (net->driver_txmode)
                prop_str(o, "tx", streq(net->driver_txmode, "iothread") ? "bh" : "timer");
        if (net->driver_ioeventfd != TRISTATE_ABSENT)
                prop_bool(o, "ioeventfd", net->driver_ioeventfd == TRISTATE_ON);
        if (net->driver_event_idx != TRISTATE_ABSENT)
                prop_bool(o, "event_idx", net->driver_event_idx == TRISTATE_ON);
        tristate_props(o, host_offload_props, x->host, DOMAIN_NET_HOST_OFFLOADS);
        tristate_props(o, guest_offload_props, x->guest, DOMAIN_NET_GUEST_OFFLOADS);
        /* a queue pair each, their config and control vectors */
        if (net->driver_queues > 1) {
                prop_bool(o, "mq", true);
                prop_int(o, "vectors", 2 * (int64_t) net->driver_queues + 2);
        }
        if (net->driver_rx_queue_size)
                prop_int(o, "rx_queue_size", net->driver_rx_queue_size);
        if (net->driver_tx_queue_size)
                prop_int(o, "tx_queue_size", net->driver_tx_queue_size);
        if (x->mtu)
                prop_int(o, "host_mtu", x->mtu);
        if (x->teaming == DOMAIN_NET_TEAMING_PERSISTENT)
                prop_bool(o, "failover", true);
        if (x->rss != TRISTATE_ABSENT)
                prop_bool(o, "rss", x->rss == TRISTATE_ON);
        if (x->rss_hash_report != TRISTATE_ABSENT)
                prop_bool(o, "hash", x->rss_hash_report == TRISTATE_ON);
}

static int build_net(QemuCmd *c, size_t i) {
        const DomainNetDef *net = &c->def->nets[i];
        const char *type = net_device_type(net);
        const uint8_t *m = net->mac;
        json_object *o = NULL;
        char what[64], id[128];
        int r;

        if (!type)
                return cmd_fail(c, -EOPNOTSUPP, "interface model '%s' is not supported", net->model);
        if (net->opts.teaming == DOMAIN_NET_TEAMING_TRANSIENT)
                return cmd_fail(c, -EOPNOTSUPP, "interface %zu: <teaming type='transient'> needs a host PCI device "
                                "(an interface of type 'hostdev'), and %s '%s' gives a tap", i,
                                domain_net_type_to_string(net->type), net->source ?: "");
        net_id(net, i, id, sizeof(id));
        if (cmd_renders(c)) {
                r = build_netdev(c, i, id);
                if (r < 0)
                        return r;
        }
        snprintf(what, sizeof(what), "interface %zu", i);
        r = qemu_pci_device_new(c, &net->addr, what, type, id, &o);
        if (r < 0)
                return r;
        prop_strf(&o, "netdev", "host%s", id);
        prop_strf(&o, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        if (net_is_virtio(net))
                virtio_net_props(&o, net);
        qemu_virtio_opts_props(&o, &net->virtio);
        qemu_rom_props(&o, &net->rom);
        r = qemu_acpi_index_prop(c, &o, net->acpi_index, what);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        if (net->boot_order > 0)
                prop_int(&o, "bootindex", net->boot_order);
        return cmd_device(c, o);
}

int qemu_build_nets(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_nets; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_NET, i);
                r = build_net(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
