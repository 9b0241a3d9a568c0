/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtbus.NetworkPort1 on networkd's root: ports for qemud and lxcd. */
#include "error.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* Reads the a{sv} options into the request; unknown keys and wrong types
 * are refused, naming them. */
static int read_options(sd_bus_message *msg, PortRequest *req, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                static const struct {
                        const char *key;
                        size_t offset;
                } strings[] = {
                        { "owner_name", offsetof(PortRequest, owner_name) },
                        { "ifname", offsetof(PortRequest, ifname) },
                        { "peer_ifname", offsetof(PortRequest, peer_ifname) },
                        { "netns", offsetof(PortRequest, netns) },
                        { "bridge", offsetof(PortRequest, bridge) },
                        { "bandwidth", offsetof(PortRequest, bandwidth_xml) },
                        { "vlan", offsetof(PortRequest, vlan_xml) },
                };
                const char *key, *contents;
                bool done = false;

                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(msg, NULL, &contents);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(strings) && !done; i++)
                        if (streq(key, strings[i].key)) {
                                if (!streq(contents, "s"))
                                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                             "option '%s' must be a string, not '%s'", key, contents);
                                r = sd_bus_message_read(msg, "v", "s", (const char **) ((char *) req + strings[i].offset));
                                if (r < 0)
                                        return r;
                                done = true;
                        }
                if (!done && streq(key, "isolated")) {
                        int b;
                        if (!streq(contents, "b"))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "option 'isolated' must be a boolean");
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        if (r < 0)
                                return r;
                        req->isolated = b;
                        done = true;
                }
                if (!done && streq(key, "mtu")) {
                        if (!streq(contents, "u"))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "option 'mtu' must be a uint32");
                        r = sd_bus_message_read(msg, "v", "u", &req->mtu);
                        if (r < 0)
                                return r;
                        if (req->mtu < PORT_MTU_MIN || req->mtu > PORT_MTU_MAX)
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "option 'mtu' %u is not an MTU "
                                                     "(%u to %u)", req->mtu, PORT_MTU_MIN, PORT_MTU_MAX);
                        done = true;
                }
                if (!done && (streq(key, "vnet_hdr") || streq(key, "multi_queue"))) {
                        int b;
                        if (!streq(contents, "b"))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "option '%s' must be a boolean", key);
                        r = sd_bus_message_read(msg, "v", "b", &b);
                        if (r < 0)
                                return r;
                        *(streq(key, "vnet_hdr") ? &req->vnet_hdr : &req->multi_queue) = b;
                        done = true;
                }
                if (!done)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown option '%s'", key);
                r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        if (req->owner_name && has_control_chars(req->owner_name))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid owner name");
        return 0;
}

static int read_request(sd_bus_message *msg, PortRequest *req, PortType type, sd_bus_error *error) {
        int r;

        *req = (PortRequest) { .type = type, .vnet_hdr = true, .isolated = -1 };
        r = sd_bus_message_read(msg, "ssss", &req->network, &req->owner_uuid, &req->mac, &req->portgroup);
        if (r < 0)
                return r;
        r = read_options(msg, req, error);
        if (r < 0)
                return r;
        if (type == PORT_TAP && (req->netns || req->peer_ifname))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "options 'netns' and 'peer_ifname' are for veth ports");
        if (type == PORT_VETH && req->ifname && !*req->ifname)
                req->ifname = NULL;
        return 0;
}

static int method_allocate_port(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_close_ int fd = -1;
        PortRequest req;
        Port *p;
        int r;

        r = read_request(msg, &req, PORT_TAP, error);
        if (r < 0)
                return r;
        r = port_allocate(userdata, &req, &p, &fd, error);
        if (r < 0)
                return r;
        /* the message takes a copy of the fd: ours closes on return, and the
         * tap then lives as long as the caller (and QEMU) keeps its copy */
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "hss", fd, p->ifname, p->uuid);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) port_release(p);
        return r;
}

static int method_allocate_veth_port(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        PortRequest req;
        Port *p;
        int r;

        r = read_request(msg, &req, PORT_VETH, error);
        if (r < 0)
                return r;
        r = port_allocate(userdata, &req, &p, NULL, error);
        if (r < 0)
                return r;
        r = sd_bus_reply_method_return(msg, "sss", p->ifname, p->peer, p->uuid);
        if (r < 0)
                (void) port_release(p);
        return r;
}

static int method_release_port(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *uuid;
        Port *p;
        int r;

        r = sd_bus_message_read(msg, "s", &uuid);
        if (r < 0)
                return r;
        p = manager_find_port(userdata, uuid);
        if (!p)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no port with uuid '%s'", uuid);
        (void) port_release(p);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_set_port_bandwidth(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *uuid, *xml;
        NetworkBandwidth bw = {};
        ConfError err = {};
        Port *p;
        int r;

        r = sd_bus_message_read(msg, "ss", &uuid, &xml);
        if (r < 0)
                return r;
        p = manager_find_port(userdata, uuid);
        if (!p)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no port with uuid '%s'", uuid);
        if (*xml) {
                r = network_parse_bandwidth_xml(xml, &bw, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name ?: VB_ERROR_XML, "bandwidth of the port: %s",
                                             err.name ? err.message : strerror(-r));
        }
        r = port_set_bandwidth(p, &bw, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *owner;
        uint32_t count = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &owner);
        if (r < 0)
                return r;
        for (size_t i = m->n_ports; i-- > 0;)
                if (i < m->n_ports && strcasecmp(m->ports[i]->owner_uuid, owner) == 0) {
                        (void) port_release(m->ports[i]);
                        count++;
                }
        return sd_bus_reply_method_return(msg, "u", count);
}

static int method_list_ports(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const char *network;
        char mac[MAC_STRING_MAX];
        int r;

        r = sd_bus_message_read(msg, "s", &network);
        if (r < 0)
                return r;
        if (*network && !manager_find_network_by_name(m, network))
                return vb_error_setf(error, VB_ERROR_NO_NETWORK, "Network not found: no network with matching name '%s'",
                                     network);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssssss)");
        for (size_t i = 0; r >= 0 && i < m->n_ports; i++) {
                const Port *p = m->ports[i];
                if (*network && !streq(p->network, network))
                        continue;
                r = sd_bus_message_append(reply, "(ssssssss)", p->uuid, p->network, p->owner_uuid, p->owner_name,
                                          mac_format(p->mac, mac), p->type == PORT_TAP ? "tap" : "veth", p->ifname,
                                          p->portgroup ? p->portgroup : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int property_ports(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) m->n_ports);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable port_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Ports", "u", property_ports, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("AllocatePort", "ssssa{sv}",
                                 SD_BUS_PARAM(network) SD_BUS_PARAM(owner_uuid) SD_BUS_PARAM(mac)
                                         SD_BUS_PARAM(portgroup) SD_BUS_PARAM(options),
                                 "hss", SD_BUS_PARAM(tapfd) SD_BUS_PARAM(ifname) SD_BUS_PARAM(port_uuid),
                                 method_allocate_port, 0),
        SD_BUS_METHOD_WITH_NAMES("AllocateVethPort", "ssssa{sv}",
                                 SD_BUS_PARAM(network) SD_BUS_PARAM(owner_uuid) SD_BUS_PARAM(mac)
                                         SD_BUS_PARAM(portgroup) SD_BUS_PARAM(options),
                                 "sss", SD_BUS_PARAM(ifname) SD_BUS_PARAM(peer_ifname) SD_BUS_PARAM(port_uuid),
                                 method_allocate_veth_port, 0),
        SD_BUS_METHOD_WITH_NAMES("ReleasePort", "s", SD_BUS_PARAM(port_uuid), NULL, , method_release_port, 0),
        SD_BUS_METHOD_WITH_NAMES("SetPortBandwidth", "ss", SD_BUS_PARAM(port_uuid) SD_BUS_PARAM(bandwidth), NULL, ,
                                 method_set_port_bandwidth, 0),
        SD_BUS_METHOD_WITH_NAMES("ReleaseOwner", "s", SD_BUS_PARAM(owner_uuid), "u", SD_BUS_PARAM(released),
                                 method_release_owner, 0),
        SD_BUS_METHOD_WITH_NAMES("ListPorts", "s", SD_BUS_PARAM(network), "a(ssssssss)", SD_BUS_PARAM(ports),
                                 method_list_ports, READ),
        SD_BUS_VTABLE_END,
};

int port_dbus_register(Manager *m) {
        return sd_bus_add_object_vtable(m->bus, NULL, NETWORKD_ROOT, NETWORKD_PORT_IFACE, port_vtable, m);
}
