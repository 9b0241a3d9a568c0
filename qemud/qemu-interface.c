/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A running guest's interfaces: networkd's ports for hot-plug, and their
 * bandwidth (qemu-interface.h). */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "bus-client.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "qemu-interface.h"
#include "util.h"

static const BusTarget networkd = { NETWORKD_SERVICE, NETWORKD_PATH, NETWORKD_PORT_INTERFACE };

bool qemu_interface_uses_port(const DomainNetDef *net) {
        return net->type == DOMAIN_NET_NETWORK || net->type == DOMAIN_NET_BRIDGE;
}

int qemu_interface_port_request(Domain *d, const DomainNetDef *net, NetworkdPortRequest *ret,
                                char **ret_bandwidth, char **ret_vlan) {
        char *bandwidth = net->bandwidth ? domain_interface_bandwidth_xml(net->bandwidth) : NULL;
        char *vlan = net->opts.vlan ? domain_interface_vlan_xml(net->opts.vlan) : NULL;

        if ((net->bandwidth && !bandwidth) || (net->opts.vlan && !vlan)) {
                free(bandwidth);
                free(vlan);
                return -ENOMEM;
        }
        *ret = (NetworkdPortRequest) {
                .network = net->type == DOMAIN_NET_NETWORK ? net->source : NULL,
                .bridge = net->type == DOMAIN_NET_BRIDGE ? net->source : NULL,
                .owner_uuid = d->uuid_str,
                .owner_name = d->def->name,
                .portgroup = net->portgroup,
                .ifname = net->ifname && !domain_net_ifname_is_generated(net->ifname) ? net->ifname : NULL,
                .vnet_hdr = domain_net_is_virtio(net),
                .multi_queue = domain_net_multi_queue(net),
                .bandwidth_xml = bandwidth,
                .vlan_xml = vlan,
                .isolated = net->opts.port_isolated == TRISTATE_ON ? 1 : net->opts.port_isolated == TRISTATE_OFF ? -1 : 0,
                /* the tap's, whatever the model, as libvirt sets it */
                .mtu = net->opts.mtu,
        };
        memcpy(ret->mac, net->mac, sizeof(ret->mac));
        *ret_bandwidth = bandwidth;
        *ret_vlan = vlan;
        return 0;
}

static bool alias_used(const DomainDef *def, size_t except, const char *alias) {
        for (size_t i = 0; i < def->n_nets; i++)
                if (i != except && streq_ptr(def->nets[i].alias, alias))
                        return true;
        return false;
}

int qemu_interface_keep_aliases(const DomainDef *old, DomainDef *def) {
        for (size_t i = 0; i < old->n_nets && i < def->n_nets; i++) {
                char *s = old->nets[i].alias ? strdup(old->nets[i].alias) : NULL;

                if (old->nets[i].alias && !s)
                        return -ENOMEM;
                free_and_replace_str(&def->nets[i].alias, s);
        }
        for (size_t i = old->n_nets; i < def->n_nets; i++) {
                char alias[32];

                if (domain_alias_is_user(def->nets[i].alias))
                        continue;       /* a user's alias names it */
                for (unsigned k = 0;; k++) {
                        snprintf(alias, sizeof(alias), "net%u", k);
                        if (!alias_used(def, i, alias))
                                break;
                }
                free_and_replace_str(&def->nets[i].alias, strdup(alias));
                if (!def->nets[i].alias)
                        return -ENOMEM;
        }
        return 0;
}

/* ---- finding a port ---- */

typedef struct FindPort {
        char owner[37];
        char mac[18];
        qemu_port_fn cb;
        void *userdata;
} FindPort;

static int on_list_ports(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        FindPort *f = userdata;
        const sd_bus_error *e;
        const char *uuid, *network, *owner, *owner_name, *mac, *type, *ifname, *portgroup;
        int r = bus_reply_errno(m, &e);

        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ssssssss)");
        while (r >= 0) {
                r = sd_bus_message_read(m, "(ssssssss)", &uuid, &network, &owner, &owner_name, &mac, &type, &ifname,
                                        &portgroup);
                if (r <= 0)
                        break;
                if (strcasecmp(owner, f->owner) == 0 && strcasecmp(mac, f->mac) == 0) {
                        f->cb(0, NULL, uuid, ifname, f->userdata);
                        return 1;
                }
        }
        if (r < 0 && !e)
                r = -EBADMSG;
        f->cb(r < 0 ? r : 0, e, NULL, NULL, f->userdata);
        return 1;
}

int qemu_interface_find_port(sd_bus *bus, const char *owner_uuid, const uint8_t mac[6], qemu_port_fn cb,
                             void *userdata) {
        FindPort f = { .cb = cb, .userdata = userdata };

        snprintf(f.owner, sizeof(f.owner), "%s", owner_uuid);
        snprintf(f.mac, sizeof(f.mac), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
        return bus_call_async(bus, &networkd, "ListPorts", on_list_ports, &f, sizeof(f), NULL, "s", "");
}

static void on_port_to_release(int r, const sd_bus_error *error, const char *port_uuid, const char *ifname,
                               void *userdata) {
        sd_bus *bus = userdata;

        if (r < 0)
                log_debug("networkd could not list its ports: %s", error && error->message ? error->message : strerror(-r));
        else if (port_uuid) {
                log_debug("Releasing port %s (tap %s)", port_uuid, ifname);
                (void) networkd_release_port_async(bus, port_uuid, NULL, NULL, NULL);
        }
        sd_bus_unref(bus);
}

int qemu_interface_release_port(Domain *d, const uint8_t mac[6]) {
        sd_bus *bus = sd_bus_ref(d->manager->bus);
        int r;

        r = qemu_interface_find_port(bus, d->uuid_str, mac, on_port_to_release, bus);
        if (r < 0)
                sd_bus_unref(bus);
        return r;
}

/* ---- bandwidth of a running interface ---- */

typedef struct SetBandwidth {
        sd_bus *bus;
        char *xml;
        domain_interface_done_fn done;
        void *userdata;
} SetBandwidth;

static SetBandwidth *set_bandwidth_free(SetBandwidth *s) {
        if (!s)
                return NULL;
        sd_bus_unref(s->bus);
        free(s->xml);
        return mfree(s);
}

static void on_port_bandwidth(int r, const sd_bus_error *error, void *userdata) {
        SetBandwidth *s = userdata;

        s->done(r, error, s->userdata);
        set_bandwidth_free(s);
}

static void on_port_for_bandwidth(int r, const sd_bus_error *error, const char *port_uuid, const char *ifname,
                                  void *userdata) {
        SetBandwidth *s = userdata;
        BusReply p = { .cb = on_port_bandwidth, .userdata = s };

        if (r >= 0 && !port_uuid) {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                (void) sd_bus_error_set(&e, VB_ERROR_OPERATION_FAILED,
                                        "operation failed: networkd has no port for the interface");
                s->done(-ENOENT, &e, s->userdata);
                sd_bus_error_free(&e);
                set_bandwidth_free(s);
                return;
        }
        if (r >= 0) {
                log_debug("Setting the bandwidth of port %s (tap %s): %s", port_uuid, ifname, s->xml);
                r = bus_call_async(s->bus, &networkd, "SetPortBandwidth", bus_on_reply, &p, sizeof(p), NULL, "ss",
                                   port_uuid, s->xml);
                if (r >= 0)
                        return;
                error = NULL;
        }
        s->done(r, error, s->userdata);
        set_bandwidth_free(s);
}

static int set_bandwidth(Domain *d, const DomainNetDef *net, const struct NetworkBandwidth *bw,
                         domain_interface_done_fn done, void *userdata, sd_bus_error *error) {
        SetBandwidth *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->bus = sd_bus_ref(d->manager->bus);
        s->xml = domain_interface_bandwidth_xml(bw);
        s->done = done;
        s->userdata = userdata;
        if (!s->xml) {
                set_bandwidth_free(s);
                return -ENOMEM;
        }
        r = qemu_interface_find_port(s->bus, d->uuid_str, net->mac, on_port_for_bandwidth, s);
        if (r < 0) {
                set_bandwidth_free(s);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot ask networkd for the port: %s",
                                     strerror(-r));
        }
        return 1;
}

const DomainInterfaceOps qemu_interface_ops = {
        .set_bandwidth = set_bandwidth,
};
