/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "bus-client.h"
#include "networkd-client.h"

static const BusTarget networkd = { NETWORKD_SERVICE, NETWORKD_PATH, NETWORKD_PORT_INTERFACE };

typedef struct Pending {
        networkd_port_fn port_cb;
        void *userdata;
        bool veth;
} Pending;

static int on_port_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        const char *ifname = NULL, *uuid = NULL;
        int r = bus_reply_errno(m, &e), fd = -1, copy = -1;

        if (r >= 0 && p->veth) {
                const char *peer = NULL;
                if (sd_bus_message_read(m, "sss", &ifname, &peer, &uuid) < 0)
                        r = -EBADMSG;
                p->port_cb(r, e, -1, r >= 0 ? ifname : NULL, r >= 0 ? uuid : NULL, p->userdata);
                return 1;
        }
        if (r >= 0 && sd_bus_message_read(m, "hss", &fd, &ifname, &uuid) < 0)
                r = -EBADMSG;
        /* the message owns its fd: the caller gets a copy of its own */
        if (r >= 0) {
                copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (copy < 0)
                        r = -errno;
        }
        p->port_cb(r, e, copy, r >= 0 ? ifname : NULL, r >= 0 ? uuid : NULL, p->userdata);
        return 1;
}

static int append_option(sd_bus_message *m, const char *key, const char *value) {
        if (!value || !*value)
                return 0;
        return sd_bus_message_append(m, "{sv}", key, "s", value);
}

static int build_allocate(sd_bus *bus, const NetworkdPortRequest *req, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char mac[18];
        int r;

        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", req->mac[0], req->mac[1], req->mac[2],
                 req->mac[3], req->mac[4], req->mac[5]);
        r = sd_bus_message_new_method_call(bus, &m, networkd.service, networkd.path, networkd.interface,
                                           req->veth ? "AllocateVethPort" : "AllocatePort");
        if (r >= 0)
                r = sd_bus_message_append(m, "ssss", req->network ? req->network : "", req->owner_uuid, mac,
                                          req->portgroup ? req->portgroup : "");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && !req->veth)
                r = sd_bus_message_append(m, "{sv}", "vnet_hdr", "b", (int) req->vnet_hdr);
        /* only when wanted: a networkd without the option still serves the rest */
        if (r >= 0 && !req->veth && req->multi_queue)
                r = sd_bus_message_append(m, "{sv}", "multi_queue", "b", 1);
        if (r >= 0 && req->veth)
                r = append_option(m, "peer_ifname", req->peer_ifname);
        if (r >= 0)
                r = append_option(m, "owner_name", req->owner_name);
        if (r >= 0)
                r = append_option(m, "bridge", req->bridge);
        if (r >= 0)
                r = append_option(m, "ifname", req->ifname);
        if (r >= 0)
                r = append_option(m, "bandwidth", req->bandwidth_xml);
        if (r >= 0)
                r = append_option(m, "vlan", req->vlan_xml);
        if (r >= 0 && req->isolated)
                r = sd_bus_message_append(m, "{sv}", "isolated", "b", (int) (req->isolated > 0));
        if (r >= 0 && req->mtu)
                r = sd_bus_message_append(m, "{sv}", "mtu", "u", req->mtu);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int networkd_allocate_port_async(sd_bus *bus, const NetworkdPortRequest *req, networkd_port_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Pending p = { .port_cb = cb, .userdata = userdata, .veth = req->veth };
        int r;

        if (!req->owner_uuid || !cb)
                return -EINVAL;
        r = build_allocate(bus, req, &m);
        if (r < 0)
                return r;
        return bus_send_call_async(bus, m, on_port_reply, &p, sizeof(p), ret_slot);
}

int networkd_release_port_async(sd_bus *bus, const char *port_uuid, networkd_reply_fn cb, void *userdata,
                                sd_bus_slot **ret_slot) {
        BusReply p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &networkd, "ReleasePort", bus_on_reply, &p, sizeof(p), ret_slot, "s", port_uuid);
}

int networkd_release_owner_async(sd_bus *bus, const char *owner_uuid, networkd_count_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot) {
        BusReply p = { .count_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &networkd, "ReleaseOwner", bus_on_reply, &p, sizeof(p), ret_slot, "s",
                              owner_uuid);
}
