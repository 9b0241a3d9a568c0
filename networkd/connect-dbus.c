/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Connect on networkd's root: the network part of it. */
#include "bus-connect.h"
#include "bus-util.h"
#include "error.h"
#include "log.h"
#include "manager.h"

static const char *network_listed(const void *item, uint32_t flags) {
        const Network *n = item;
        bool match = list_flags_match(flags, LIST_NETWORKS_ACTIVE, LIST_NETWORKS_INACTIVE, network_is_active(n)) &&
                     list_flags_match(flags, LIST_NETWORKS_PERSISTENT, LIST_NETWORKS_TRANSIENT, n->persistent) &&
                     list_flags_match(flags, LIST_NETWORKS_AUTOSTART, LIST_NETWORKS_NO_AUTOSTART, n->autostart);

        return match ? n->path : NULL;
}

static int method_list_networks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 63, &flags, error);

        if (r < 0)
                return r;
        return bus_reply_object_list(msg, (void *const *) m->networks, m->n_networks, network_listed, flags);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        Network *n;
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0)
                return r;
        n = manager_find_network_by_name(userdata, name);
        if (!n)
                return vb_error_setf(error, VB_ERROR_NO_NETWORK,
                                     "Network not found: no network with matching name '%s'", name);
        return bus_reply_object_path(msg, n->path);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        uint8_t uuid[16];
        Network *n;
        int r = bus_read_uuid(msg, &s, uuid, error);

        if (r < 0)
                return r;
        n = manager_find_network_by_uuid(userdata, uuid);
        if (!n)
                return vb_error_setf(error, VB_ERROR_NO_NETWORK,
                                     "Network not found: no network with matching uuid '%s'", s);
        return bus_reply_object_path(msg, n->path);
}

/* Bridge and MAC are given at define time, as libvirt does, so that they stay
 * the same across starts and show in the stored definition. */
static int complete_definition(Manager *m, NetworkDef *def, const Network *existing, sd_bus_error *error) {
        int r;

        if (!network_def_is_managed_bridge(def))
                return 0;
        if (!def->bridge && existing) {
                const NetworkDef *old = existing->newdef ? existing->newdef : existing->def;
                if (old->bridge && !(def->bridge = strdup(old->bridge)))
                        return -ENOMEM;
        }
        if (!def->bridge) {
                r = manager_pick_bridge_name(m, &def->bridge);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot pick a bridge name: %s",
                                             strerror(-r));
        }
        for (size_t i = 0; i < m->n_networks; i++) {
                const Network *o = m->networks[i];
                if (o == existing)
                        continue;
                if (streq_ptr(o->def->bridge, def->bridge) || (o->live && streq_ptr(o->live->bridge, def->bridge)))
                        return vb_error_setf(error, VB_ERROR_RESOURCE_BUSY,
                                             "bridge name '%s' is already in use by network '%s'", def->bridge,
                                             o->def->name);
        }
        if (!def->has_mac) {
                r = mac_generate(def->mac);
                if (r < 0)
                        return r;
                def->has_mac = true;
        }
        return 0;
}

static int parse_definition(Manager *m, const char *xml, NetworkDef **ret, Network **ret_existing,
                            sd_bus_error *error) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        ConfError err = {};
        Network *by_name, *by_uuid;
        int r;

        r = network_def_parse(xml, strlen(xml), &def, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s",
                                     err.message[0] ? err.message : strerror(-r));
        by_name = manager_find_network_by_name(m, def->name);
        by_uuid = manager_find_network_by_uuid(m, def->uuid);
        if (by_uuid && by_uuid != by_name)
                return vb_error_setf(error, VB_ERROR_NETWORK_EXISTS, "network '%s' is already defined with uuid %s",
                                     by_uuid->def->name, by_uuid->uuid_str);
        if (by_name && by_name != by_uuid)
                return vb_error_setf(error, VB_ERROR_NETWORK_EXISTS, "network '%s' already exists with uuid %s",
                                     def->name, by_name->uuid_str);
        r = complete_definition(m, def, by_name, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(def);
        *ret_existing = by_name;
        return 0;
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        const char *xml;
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r < 0)
                return r;
        r = parse_definition(m, xml, &def, &n, error);
        if (r < 0)
                return r;
        if (!n) {
                r = network_new(m, TAKE_PTR(def), &n);
                if (r < 0)
                        return r;
                n->persistent = true;
                r = network_save_config(n);
                if (r < 0 || (r = manager_add_network(m, n)) < 0) {
                        (void) network_remove_config(n);
                        network_free(n);
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                             strerror(-r));
                }
        } else {
                NetworkDef **slot = network_is_active(n) ? &n->newdef : &n->def;
                NetworkDef *old = *slot;
                bool was_persistent = n->persistent;

                *slot = TAKE_PTR(def);
                n->persistent = true;
                r = network_save_config(n);
                if (r < 0) {
                        def = *slot;
                        *slot = old;
                        n->persistent = was_persistent;
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                             strerror(-r));
                }
                network_def_free(old);
        }
        network_emit_event(n, NETWORK_EVENT_DEFINED);
        return bus_reply_object_path(msg, n->path);
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        const char *xml;
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r < 0)
                return r;
        r = parse_definition(m, xml, &def, &n, error);
        if (r < 0)
                return r;
        if (n)
                return vb_error_setf(error, network_is_active(n) ? VB_ERROR_OPERATION_INVALID : VB_ERROR_NETWORK_EXISTS,
                                     network_is_active(n) ? "network '%s' is already active"
                                                          : "network '%s' is already defined: start it with Create",
                                     def->name);
        r = network_new(m, TAKE_PTR(def), &n);
        if (r < 0)
                return r;
        r = manager_add_network(m, n);
        if (r < 0) {
                network_free(n);
                return r;
        }
        n->remove_when_stopped = true;
        r = network_start(n, msg, true, error);
        if (r < 0) {
                manager_remove_network(m, n);
                network_free(n);
                return r;
        }
        return 1;
}

void network_emit_event(Network *n, int event) {
        int r = sd_bus_emit_signal(n->manager->bus, NETWORKD_ROOT, "org.libvirt.Connect", "NetworkEvent", "oi",
                                   n->path, event);
        if (r < 0)
                log_warning_errno(r, "Cannot emit NetworkEvent for %s: %m", n->def->name);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable connect_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListNetworks", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(networks),
                                 method_list_networks, READ),
        SD_BUS_METHOD_WITH_NAMES("NetworkCreateXML", "s", SD_BUS_PARAM(xml), "o", SD_BUS_PARAM(network),
                                 method_create_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("NetworkDefineXML", "s", SD_BUS_PARAM(xml), "o", SD_BUS_PARAM(network),
                                 method_define_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("NetworkLookupByName", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(network),
                                 method_lookup_by_name, READ),
        SD_BUS_METHOD_WITH_NAMES("NetworkLookupByUUID", "s", SD_BUS_PARAM(uuid), "o", SD_BUS_PARAM(network),
                                 method_lookup_by_uuid, READ),
        SD_BUS_SIGNAL_WITH_NAMES("NetworkEvent", "oi", SD_BUS_PARAM(network) SD_BUS_PARAM(event), 0),
        SD_BUS_VTABLE_END,
};

int connect_dbus_register(Manager *m) {
        return sd_bus_add_object_vtable(m->bus, NULL, NETWORKD_ROOT, "org.libvirt.Connect", connect_vtable, m);
}
