/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Network on <root>/network/_<uuid>: the bus surface of network.c
 * and network-lifecycle.c. */
#include <strings.h>

#include "bus-util.h"
#include "dnsmasq-conf.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "util.h"

enum {
        NETWORK_XML_INACTIVE = 1 << 0,
};

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int r = network_start(userdata, msg, false, error);
        return r < 0 ? r : 1;
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int r = network_stop(userdata, msg, error);
        return r < 0 ? r : 1;
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Network *n = userdata;
        Manager *m = n->manager;
        int r;

        if (!n->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot undefine transient network '%s'",
                                     n->def->name);
        r = network_remove_config(n);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot remove the definition of '%s': %s",
                                     n->def->name, strerror(-r));
        n->persistent = false;
        n->autostart = false;
        n->newdef = network_def_free(n->newdef);
        network_emit_event(n, NETWORK_EVENT_UNDEFINED);
        r = sd_bus_reply_method_return(msg, NULL);
        /* a running network goes on, as a transient one */
        if (!network_is_active(n)) {
                manager_remove_network(m, n);
                network_free(n);
        }
        return r;
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Network *n = userdata;
        _cleanup_free_ char *xml = NULL;
        const NetworkDef *def;
        uint32_t flags;
        int r;

        r = bus_read_flags(msg, NETWORK_XML_INACTIVE, &flags, error);
        if (r < 0)
                return r;
        def = network_current_def(n, flags & NETWORK_XML_INACTIVE);
        if (n->live && def == n->live)
                n->live->connections = network_count_ports(n);
        r = network_def_format(def, def == n->live ? 0 : NETWORK_FORMAT_INACTIVE, &xml);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format '%s': %s", n->def->name, strerror(-r));
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int append_lease(sd_bus_message *reply, const Network *n, const DnsmasqLease *l) {
        const NetworkIp *ip = network_def_find_ip(n->live, -1, l->type ? AF_INET6 : AF_INET);

        return sd_bus_message_append(reply, "(sxisssuss)", n->live->bridge, (int64_t) l->expiry, (int32_t) l->type,
                                     l->mac, l->iaid, l->ip, (uint32_t) (ip ? ip->prefix : 0), l->hostname,
                                     l->clientid);
}

static int method_get_dhcp_leases(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_free_ DnsmasqLease *leases = NULL;
        Network *n = userdata;
        const char *mac;
        uint32_t flags;
        size_t count = 0;
        uint8_t want[6];
        int r;

        r = sd_bus_message_read(msg, "su", &mac, &flags);
        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (*mac && mac_parse(mac, want) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_MAC, "invalid MAC address '%s'", mac);
        if (!network_is_active(n))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "network '%s' is not active", n->def->name);
        path = network_lease_file(n);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 64 * 1024 * 1024, &text, NULL);
        if (r >= 0)
                r = dnsmasq_parse_leases(text, &leases, &count);
        else if (r == -ENOENT)
                r = 0;
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot read the leases of '%s': %s",
                                     n->def->name, strerror(-r));
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sxisssuss)");
        for (size_t i = 0; r >= 0 && i < count; i++)
                if (!*mac || strcasecmp(leases[i].mac, mac) == 0)
                        r = append_lease(reply, n, &leases[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* CURRENT means the live definition of a running network, else the config. */
static int update_flags(Network *n, uint32_t flags, bool *live, bool *config, sd_bus_error *error) {
        if (flags & ~(uint32_t) (NETWORK_UPDATE_AFFECT_LIVE | NETWORK_UPDATE_AFFECT_CONFIG))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        *live = flags & NETWORK_UPDATE_AFFECT_LIVE;
        *config = flags & NETWORK_UPDATE_AFFECT_CONFIG;
        if (!*live && !*config) {
                *live = network_is_active(n);
                *config = !*live;
        }
        if (*live && n->state != NETWORK_ACTIVE)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "network '%s' is not active: cannot update it live",
                                     n->def->name);
        if (*config && !n->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot change the persistent configuration of transient network '%s'",
                                     n->def->name);
        return 0;
}

static int method_update(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Network *n = userdata;
        _cleanup_(network_def_freep) NetworkDef *newconfig = NULL;
        uint32_t command, section, flags;
        int32_t parent;
        const char *xml;
        bool live = false, config = false;
        ConfError err = {};
        int r;

        r = sd_bus_message_read(msg, "uuisu", &command, &section, &parent, &xml, &flags);
        if (r < 0)
                return r;
        r = update_flags(n, flags, &live, &config, error);
        if (r < 0)
                return r;
        /* both changes are checked before either is made */
        if (config) {
                r = network_def_copy(n->newdef ? n->newdef : n->def, &newconfig);
                if (r >= 0)
                        r = network_def_update(newconfig, command, section, parent, xml, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name ? err.name : VB_ERROR_INTERNAL, "%s",
                                             err.message[0] ? err.message : strerror(-r));
        }
        if (live) {
                /* on a copy: if dnsmasq cannot take it, the live definition
                 * stays as it was */
                NetworkDef *old = n->live, *newlive = NULL;

                r = network_def_copy(old, &newlive);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot copy the network: %s", strerror(-r));
                r = network_def_update(newlive, command, section, parent, xml, &err);
                if (r < 0) {
                        network_def_free(newlive);
                        return vb_error_setf(error, err.name ? err.name : VB_ERROR_INTERNAL, "%s", err.message);
                }
                n->live = newlive;
                r = network_apply_live_update(n, section, error);
                if (r < 0) {
                        n->live = old;
                        network_def_free(newlive);
                        if (dnsmasq_needed(n->live))
                                (void) dnsmasq_write_files(n);
                        return r;
                }
                network_def_free(old);
                (void) network_save_state(n);
        }
        if (config) {
                NetworkDef **slot = n->newdef ? &n->newdef : &n->def;
                NetworkDef *old = *slot;

                *slot = TAKE_PTR(newconfig);
                r = network_save_config(n);
                if (r < 0) {
                        newconfig = *slot;
                        *slot = old;
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                             strerror(-r));
                }
                network_def_free(old);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Network *n = userdata;
        const NetworkDef *def = network_current_def(n, false);

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", n->def->name);
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", n->uuid_str);
        if (streq(property, "Active"))
                return sd_bus_message_append(reply, "b", network_is_active(n));
        if (streq(property, "Persistent"))
                return sd_bus_message_append(reply, "b", n->persistent);
        if (streq(property, "Autostart"))
                return sd_bus_message_append(reply, "b", n->autostart);
        if (streq(property, "BridgeName"))
                return sd_bus_message_append(reply, "s", def->bridge ? def->bridge : "");
        return -ENOENT;
}

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        Network *n = userdata;
        int b, r;

        r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        if (!n->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot set autostart for transient network '%s'", n->def->name);
        r = network_set_autostart(n, b);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot change autostart of '%s': %s",
                                     n->def->name, strerror(-r));
        return 0;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable network_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Active", "b", property_get, 0, 0),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_get, property_set_autostart, 0, 0),
        SD_BUS_PROPERTY("BridgeName", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Persistent", "b", property_get, 0, 0),
        SD_BUS_PROPERTY("UUID", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD("Create", NULL, NULL, method_create, 0),
        SD_BUS_METHOD("Destroy", NULL, NULL, method_destroy, 0),
        SD_BUS_METHOD_WITH_NAMES("GetDHCPLeases", "su", SD_BUS_PARAM(mac) SD_BUS_PARAM(flags), "a(sxisssuss)",
                                 SD_BUS_PARAM(leases), method_get_dhcp_leases, READ),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml), method_get_xml_desc,
                                 READ),
        SD_BUS_METHOD("Undefine", NULL, NULL, method_undefine, 0),
        SD_BUS_METHOD_WITH_NAMES("Update", "uuisu",
                                 SD_BUS_PARAM(command) SD_BUS_PARAM(section) SD_BUS_PARAM(parentIndex)
                                         SD_BUS_PARAM(xml) SD_BUS_PARAM(flags),
                                 NULL, , method_update, 0),
        SD_BUS_VTABLE_END,
};

static int network_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                        sd_bus_error *error) {
        uint8_t uuid[16];
        Network *n;

        if (bus_path_to_uuid(path, NETWORKD_ROOT "/network", uuid) < 0)
                return 0;
        n = manager_find_network_by_uuid(userdata, uuid);
        if (!n)
                return 0;
        *found = n;
        return 1;
}

static int network_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = calloc(m->n_networks + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_networks; i++) {
                l[i] = strdup(m->networks[i]->path);
                if (!l[i])
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

int network_dbus_register(Manager *m) {
        return bus_add_object_kind(m->bus, NETWORKD_ROOT, "network", "org.libvirt.Network", network_vtable,
                                   network_find, network_enumerate, m);
}
