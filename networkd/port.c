/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <net/if.h>

#include "error.h"
#include "log.h"
#include "manager.h"
#include "netlink.h"
#include "port.h"
#include "tc.h"
#include "util.h"
#include "uuid.h"

#define FLOOR_CLASS_FIRST 3
#define FLOOR_CLASS_LAST 0xfffe

Port *port_free(Port *p) {
        if (!p)
                return NULL;
        free(p->network);
        free(p->bridge);
        free(p->owner_uuid);
        free(p->owner_name);
        free(p->portgroup);
        free(p->ifname);
        free(p->peer);
        free(p);
        return NULL;
}

/* The host side's MAC: the guest's with 0xfe first, as libvirt does, so that
 * the bridge (which takes the lowest port MAC) never takes a guest's. */
static void host_mac(const uint8_t guest[6], uint8_t ret[6]) {
        memcpy(ret, guest, 6);
        ret[0] = 0xfe;
}

static unsigned pick_floor_class(Manager *m, const char *network) {
        for (unsigned c = FLOOR_CLASS_FIRST; c <= FLOOR_CLASS_LAST; c++) {
                bool used = false;
                for (size_t i = 0; i < m->n_ports && !used; i++)
                        used = m->ports[i]->floor_class == c && streq(m->ports[i]->network, network);
                if (!used)
                        return c;
        }
        return 0;
}

/* What the port gets: the interface's own settings, else its portgroup's
 * (else the default portgroup's), else the network's VLAN. */
static int resolve_qos(Port *p, const NetworkDef *net, const PortRequest *req, sd_bus_error *error) {
        const NetworkPortgroup *pg = NULL;
        ConfError err = {};
        int r;

        if (net) {
                pg = network_def_find_portgroup(net, req->portgroup);
                if (req->portgroup && *req->portgroup && !pg)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "network '%s' has no portgroup '%s'",
                                             net->name, req->portgroup);
                if (pg) {
                        p->portgroup = strdup(pg->name);
                        if (!p->portgroup)
                                return -ENOMEM;
                        p->bandwidth = pg->bandwidth;
                        p->vlan = pg->vlan;
                }
                if (!p->vlan.n_tags)
                        p->vlan = net->vlan;
                p->isolated = net->port_isolated == TRISTATE_ON;
        }
        if (req->isolated >= 0) /* the interface's <port isolated=''> wins over the network's */
                p->isolated = req->isolated;
        if (req->bandwidth_xml && *req->bandwidth_xml) {
                p->bandwidth = (NetworkBandwidth) {};
                r = network_parse_bandwidth_xml(req->bandwidth_xml, &p->bandwidth, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name, "bandwidth of the port: %s", err.message);
        }
        if (req->vlan_xml && *req->vlan_xml) {
                p->vlan = (NetworkVlan) {};
                r = network_parse_vlan_xml(req->vlan_xml, &p->vlan, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name, "vlan of the port: %s", err.message);
        }
        if (p->vlan.n_tags && (!net || !network_def_uses_vlans(net)))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "a VLAN for a port needs a network with VLANs (its bridge filters them): '%s'",
                                     net ? net->name : p->bridge);
        if (p->bandwidth.in.floor && (!net || !net->bandwidth.in.average))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "an inbound floor needs a network with an inbound average: '%s'",
                                     net ? net->name : p->bridge);
        return 0;
}

/* An interface name the kernel may take (a "%d" template for taps too). */
static bool port_ifname_ok(const char *name) {
        if (strlen(name) >= IFNAMSIZ || streq(name, ".") || streq(name, ".."))
                return false;
        for (const unsigned char *c = (const unsigned char *) name; *c; c++)
                if (*c <= ' ' || *c == 0x7f || *c == '/' || *c == ':')
                        return false;
        return true;
}

static int check_request(Manager *m, const PortRequest *req, Port *p, Network **ret_net, sd_bus_error *error) {
        uint8_t uuid[16];
        Network *n = NULL;

        if (uuid_parse(req->owner_uuid, uuid) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid owner UUID '%s'", req->owner_uuid);
        if (mac_parse(req->mac, p->mac) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_MAC, "invalid MAC address '%s'", req->mac);
        if (!mac_is_unicast(p->mac) || mac_is_null(p->mac))
                return vb_error_setf(error, VB_ERROR_INVALID_MAC, "invalid MAC address '%s': not a unicast address",
                                     req->mac);
        /* names go into the port's state file, a line each: no line breaks */
        if (req->ifname && *req->ifname && !port_ifname_ok(req->ifname))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid interface name '%s'", req->ifname);
        if (req->peer_ifname && *req->peer_ifname && !port_ifname_ok(req->peer_ifname))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid interface name '%s'", req->peer_ifname);
        if (req->network && *req->network) {
                n = manager_find_network_by_name(m, req->network);
                if (!n)
                        return vb_error_setf(error, VB_ERROR_NO_NETWORK,
                                             "Network not found: no network with matching name '%s'", req->network);
                if (n->state != NETWORK_ACTIVE)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "network '%s' is not active",
                                             req->network);
                p->bridge = strdup(n->live->bridge);
        } else if (req->bridge && *req->bridge) {
                int r = link_is_bridge(m->nl, req->bridge);
                if (r <= 0)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "'%s' is not a host bridge", req->bridge);
                p->bridge = strdup(req->bridge);
        } else
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "a port needs a network, or a 'bridge' option");
        p->network = strdup(n ? n->def->name : "");
        p->owner_uuid = strdup(req->owner_uuid);
        p->owner_name = strdup(req->owner_name ? req->owner_name : "");
        if (!p->bridge || !p->network || !p->owner_uuid || !p->owner_name)
                return -ENOMEM;
        *ret_net = n;
        return 0;
}

/* Floors are shared out of the network's inbound average: refuse one that
 * does not fit, before anything is made. */
static int reserve_floor(Port *p, Network *n, sd_bus_error *error) {
        if (!p->bandwidth.in.floor)
                return 0;
        if (n->floor_sum + p->bandwidth.in.floor > n->live->bandwidth.in.average)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot plug a port with an inbound floor of %llu kB/s into network '%s': "
                                     "%llu of its %llu kB/s are already guaranteed",
                                     (unsigned long long) p->bandwidth.in.floor, n->def->name,
                                     (unsigned long long) n->floor_sum,
                                     (unsigned long long) n->live->bandwidth.in.average);
        p->floor_class = pick_floor_class(p->manager, n->def->name);
        if (!p->floor_class)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "no traffic class left on '%s'", p->bridge);
        p->floor = p->bandwidth.in.floor;
        return 0;
}

static int plug_floor(Port *p, Network *n) {
        int br = link_ifindex(p->manager->nl, p->bridge), r;

        if (br < 0)
                return br;
        r = tc_bridge_plug_floor(p->manager->nl, br, &n->live->bandwidth, p->floor_class, p->mac, p->floor,
                                 n->live->bandwidth.in.average - n->floor_sum - p->floor);
        if (r < 0)
                return r;
        n->floor_sum += p->floor;
        return 0;
}

static void unplug_floor(Port *p) {
        Network *n = manager_find_network_by_name(p->manager, p->network);
        int br;

        if (!p->floor_class || !n || !n->live)
                return;
        n->floor_sum = n->floor_sum >= p->floor ? n->floor_sum - p->floor : 0;
        br = link_ifindex(p->manager->nl, p->bridge);
        if (br > 0)
                (void) tc_bridge_unplug_floor(p->manager->nl, br, &n->live->bandwidth, p->floor_class,
                                              n->live->bandwidth.in.average - n->floor_sum);
}

/* Plugs the host side into the bridge, with the port's VLANs and QoS. */
static int plug(Port *p, int ifindex, unsigned mtu) {
        struct nl_sock *sk = p->manager->nl;
        int br = link_ifindex(sk, p->bridge), r;

        if (br < 0)
                return br;
        r = mtu ? link_set_mtu(sk, ifindex, mtu) : 0;
        if (r >= 0)
                r = link_set_master(sk, ifindex, br);
        if (r >= 0 && p->vlan.n_tags)
                r = bridge_port_set_vlans(sk, ifindex, &p->vlan);
        if (r >= 0 && p->isolated)
                r = bridge_port_set_isolated(sk, ifindex, true);
        if (r >= 0 && p->bandwidth.present)
                r = tc_port_set(sk, ifindex, &p->bandwidth);
        if (r >= 0)
                r = link_set_up(sk, ifindex, true);
        return r;
}

static int make_tap(Port *p, const PortRequest *req, int *ret_fd, int *ret_ifindex) {
        char name[IFNAMSIZ];
        uint8_t mac[6];
        int fd, r;

        r = tap_create(req->ifname && *req->ifname ? req->ifname : "vnet%d", req->vnet_hdr, req->multi_queue, &fd, name);
        if (r < 0)
                return r;
        p->ifname = strdup(name);
        if (!p->ifname) {
                close(fd);
                return -ENOMEM;
        }
        *ret_fd = fd;
        host_mac(p->mac, mac);
        r = link_ifindex(p->manager->nl, name);
        if (r < 0)
                return r;
        *ret_ifindex = r;
        return link_set_mac(p->manager->nl, r, mac);
}

/* The host end, unnamed, as libvirt names it: the first free vnetN (the
 * taps' names too), the next one should another link take it meanwhile. */
static int veth_create_vnet(struct nl_sock *sk, const char *peer, char host[IFNAMSIZ]) {
        for (unsigned n = 0; n < 100000; n++) {
                int r;

                snprintf(host, IFNAMSIZ, "vnet%u", n);
                if (if_nametoindex(host) > 0)
                        continue;
                r = veth_create(sk, host, peer);
                if (r != -EEXIST)
                        return r;
        }
        return -ENFILE;
}

static int make_veth(Port *p, const PortRequest *req, int *ret_ifindex) {
        struct nl_sock *sk = p->manager->nl;
        char host[IFNAMSIZ], peer[IFNAMSIZ];
        uint8_t mac[6];
        int r, peer_index;

        /* the peer's default name from the port's uuid: unique, at most 15
         * characters; it is renamed in the guest's namespace anyway */
        snprintf(host, sizeof(host), "%s", req->ifname && *req->ifname ? req->ifname : "");
        snprintf(peer, sizeof(peer), "%s", req->peer_ifname && *req->peer_ifname ? req->peer_ifname : "");
        if (!*peer)
                snprintf(peer, sizeof(peer), "vbp%.8s", p->uuid);
        r = *host ? veth_create(sk, host, peer) : veth_create_vnet(sk, peer, host);
        if (r < 0)
                return r;
        p->ifname = strdup(host);
        p->peer = strdup(peer);
        if (!p->ifname || !p->peer)
                return -ENOMEM;
        host_mac(p->mac, mac);
        r = link_ifindex(sk, host);
        if (r < 0)
                return r;
        *ret_ifindex = r;
        r = link_set_mac(sk, r, mac);
        peer_index = link_ifindex(sk, peer);
        if (r >= 0 && peer_index < 0)
                r = peer_index;
        /* the container's end carries the guest's MAC */
        if (r >= 0)
                r = link_set_mac(sk, peer_index, p->mac);
        if (r >= 0 && req->netns && *req->netns) {
                _cleanup_close_ int ns = open(req->netns, O_RDONLY | O_CLOEXEC);
                if (ns < 0)
                        return -errno;
                r = link_set_netns(sk, peer_index, ns, NULL);
        }
        return r;
}

static void destroy_link(Port *p) {
        Manager *m = p->manager;
        int ifindex = p->ifname ? link_ifindex(m->nl, p->ifname) : -ENODEV;
        char ifb[IFNAMSIZ];

        /* an ifb shaping the guest's traffic is a link of its own, named
         * after the port's ifindex: it outlives a tap that went away */
        if (p->ifindex > 0 && p->bandwidth.out.average) {
                snprintf(ifb, sizeof(ifb), "vbo%d", p->ifindex);
                link_reaper_delete(m, link_ifindex(m->nl, ifb));
        }
        if (ifindex > 0 && ifindex == p->ifindex) {
                /* out of the bridge at once: the deletion itself takes a while */
                (void) link_set_up(m->nl, ifindex, false);
                link_reaper_delete(m, ifindex);
        }
}

int port_allocate(Manager *m, const PortRequest *req, Port **ret, int *ret_fd, sd_bus_error *error) {
        _cleanup_(port_freep) Port *p = calloc(1, sizeof(*p));
        _cleanup_close_ int fd = -1;
        uint8_t uuid[16];
        Network *n = NULL;
        int r, ifindex = 0;

        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->type = req->type;
        p->mtu = req->mtu;
        r = uuid_generate(uuid);
        if (r < 0)
                return r;
        uuid_format(uuid, p->uuid);
        r = check_request(m, req, p, &n, error);
        if (r >= 0)
                r = resolve_qos(p, n ? n->live : NULL, req, error);
        if (r >= 0 && n)
                r = reserve_floor(p, n, error);
        if (r < 0)
                return r;

        r = req->type == PORT_TAP ? make_tap(p, req, &fd, &ifindex) : make_veth(p, req, &ifindex);
        p->ifindex = ifindex;
        if (r >= 0)
                r = plug(p, ifindex, p->mtu ? p->mtu : n ? n->live->mtu : 0);
        if (r >= 0 && p->floor_class)
                r = plug_floor(p, n);
        if (r >= 0)
                r = manager_add_port(m, p);
        if (r < 0) {
                destroy_link(p);
                return vb_error_setf(error, r == -EEXIST ? VB_ERROR_RESOURCE_BUSY : VB_ERROR_SYSTEM,
                                     "cannot make a port on '%s'%s%s: %s", p->bridge, p->ifname ? " with " : "",
                                     p->ifname ? p->ifname : "", strerror(-r));
        }
        r = port_save(p);
        if (r < 0)
                log_warning_errno(r, "Cannot record port %s: %m", p->uuid);
        log_info("Port %s: %s %s on %s for %s.", p->uuid, p->type == PORT_TAP ? "tap" : "veth", p->ifname, p->bridge,
                 p->owner_uuid);
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        *ret = TAKE_PTR(p);
        return 0;
}

int port_release(Port *p) {
        Manager *m = p->manager;
        _cleanup_free_ char *file = NULL;

        unplug_floor(p);
        destroy_link(p);
        if (asprintf(&file, "%s/%s.port", m->portdir, p->uuid) >= 0)
                (void) unlink_if_exists(file);
        manager_remove_port(m, p);
        log_info("Port %s (%s) released.", p->uuid, p->ifname ? p->ifname : "?");
        port_free(p);
        return 0;
}

int port_replug(Port *p) {
        Network *n = manager_find_network_by_name(p->manager, p->network);
        int ifindex = link_ifindex(p->manager->nl, p->ifname), r;

        if (!n || !n->live || ifindex < 0 || ifindex != p->ifindex)
                return 0;
        free(p->bridge);
        p->bridge = strdup(n->live->bridge);
        if (!p->bridge)
                return -ENOMEM;
        r = plug(p, ifindex, p->mtu ? p->mtu : n->live->mtu);
        if (r >= 0 && p->floor_class) {
                if (n->floor_sum + p->floor <= n->live->bandwidth.in.average)
                        r = plug_floor(p, n);
                else
                        p->floor_class = 0;
        }
        if (r < 0)
                log_warning_errno(r, "Cannot plug port %s back into %s: %m", p->uuid, p->bridge);
        return r;
}

int port_set_bandwidth(Port *p, const NetworkBandwidth *bw, sd_bus_error *error) {
        int ifindex = link_ifindex(p->manager->nl, p->ifname), r;

        /* a floor is a class on the bridge, sized against the other ports'
         * at plug time: it stays what the port got */
        if (bw->in.floor != p->bandwidth.in.floor)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "changing the floor of port %s (%s) while it is in use is not supported",
                                     p->uuid, p->ifname);
        if (ifindex < 0 || ifindex != p->ifindex)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "the link %s of port %s is gone", p->ifname,
                                     p->uuid);
        r = tc_port_set(p->manager->nl, ifindex, bw);
        if (r < 0) {
                /* back to what it had, as far as it goes */
                (void) tc_port_set(p->manager->nl, ifindex, &p->bandwidth);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot shape the traffic of %s: %s", p->ifname,
                                     strerror(-r));
        }
        p->bandwidth = *bw;
        r = port_save(p);
        if (r < 0)
                log_warning_errno(r, "Cannot save port %s: %m", p->uuid);
        return 0;
}
