/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting and stopping a network.
 *
 * start: checks (nothing changed yet) -> start record -> bridge, addresses,
 *        bridge QoS (netlink) -> firewall table (nft, async) -> dnsmasq
 *        (async) -> live state saved, start record removed, STARTED, reply.
 *        A failure at any step undoes the steps before it; a start cut short
 *        by networkd's death is undone from its record at the next start
 *        (network-recover.c).
 * stop:  dnsmasq (SIGTERM, async) -> bridge deleted -> firewall table
 *        without it (async) -> live state removed, STOPPED, reply. */
#include <net/if.h>

#include "dnsmasq-conf.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "netlink.h"
#include "tc.h"
#include "util.h"

static void reply_error(sd_bus_message **call, const char *name, const char *fmt, const char *arg1,
                        const char *arg2) {
        if (!*call)
                return;
        (void) sd_bus_reply_method_errorf(*call, name, fmt, arg1, arg2);
        *call = sd_bus_message_unref(*call);
}

/* ---- checks ----------------------------------------------------------------- */

static int check_can_start(Network *n, const NetworkDef *def, sd_bus_error *error) {
        Manager *m = n->manager;
        ConfError err = {};
        int r;

        for (size_t i = 0; i < m->n_networks; i++) {
                Network *o = m->networks[i];
                if (o == n || !network_is_active(o))
                        continue;
                r = network_def_check_conflict(def, o->live, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name, "%s", err.message);
        }
        if (!def->bridge)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "network '%s' has no bridge name", def->name);
        r = link_is_bridge(m->nl, def->bridge);
        if (def->forward == NETWORK_FORWARD_BRIDGE) {
                if (r == -ENODEV)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "host bridge '%s' of network '%s' does not exist", def->bridge, def->name);
                if (r == 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "host interface '%s' of network '%s' is not a bridge", def->bridge,
                                             def->name);
                return r < 0 ? vb_error_setf(error, VB_ERROR_SYSTEM, "cannot look up '%s': %s", def->bridge,
                                             strerror(-r))
                             : 0;
        }
        if (r != -ENODEV)
                return vb_error_setf(error, VB_ERROR_RESOURCE_BUSY,
                                     "bridge name '%s' of network '%s' is already in use by a host interface",
                                     def->bridge, def->name);
        if (dnsmasq_needed(def) && access(m->dnsmasq_path, X_OK) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot run dnsmasq '%s': %s",
                                     m->dnsmasq_path, strerror(errno));
        return 0;
}

/* ---- the bridge ----------------------------------------------------------------- */

static void teardown_bridge(Network *n) {
        int ifindex;

        if (!n->live || !network_def_is_managed_bridge(n->live))
                return;
        ifindex = link_ifindex(n->manager->nl, n->live->bridge);
        if (ifindex > 0) {
                (void) tc_clear(n->manager->nl, ifindex);
                int r = link_delete(n->manager->nl, ifindex);
                if (r < 0)
                        log_warning_errno(r, "Cannot delete bridge %s: %m", n->live->bridge);
        }
        n->created_bridge = false;
}

static int setup_bridge(Network *n, sd_bus_error *error) {
        Manager *m = n->manager;
        const NetworkDef *def = n->live;
        BridgeSettings s = {
                .mac = def->has_mac ? def->mac : NULL,
                .mtu = def->mtu,
                .vlan_filtering = network_def_uses_vlans(def),
                .stp = def->stp == TRISTATE_ON,
                .delay = def->delay,
        };
        char a[NET_ADDR_STRING_MAX];
        int r, ifindex;

        r = bridge_create(m->nl, def->bridge, &s);
        if (r == -EOPNOTSUPP && s.vlan_filtering)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "network '%s' uses VLANs, but this kernel's bridge cannot filter VLANs "
                                     "(CONFIG_BRIDGE_VLAN_FILTERING)",
                                     def->name);
        if (r < 0)
                return vb_error_setf(error, r == -EEXIST ? VB_ERROR_RESOURCE_BUSY : VB_ERROR_SYSTEM,
                                     "cannot create bridge '%s': %s", def->bridge, strerror(-r));
        n->created_bridge = true;
        ifindex = link_ifindex(m->nl, def->bridge);
        if (ifindex < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "bridge '%s' vanished: %s", def->bridge,
                                     strerror(-ifindex));
        for (size_t i = 0; i < def->n_ips; i++) {
                r = addr_add(m->nl, ifindex, &def->ips[i].address, def->ips[i].prefix);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot add address %s/%u to '%s': %s",
                                             net_addr_format(&def->ips[i].address, a), def->ips[i].prefix, def->bridge,
                                             strerror(-r));
        }
        r = link_set_up(m->nl, ifindex, true);
        if (r >= 0 && def->bandwidth.present)
                r = tc_bridge_set(m->nl, ifindex, &def->bandwidth);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot set up bridge '%s': %s", def->bridge,
                                     strerror(-r));
        /* nat and route forward between the bridge and the host's uplinks */
        if (def->forward == NETWORK_FORWARD_NAT || def->forward == NETWORK_FORWARD_ROUTE)
                for (size_t i = 0; i < def->n_ips; i++) {
                        r = sysctl_enable_forwarding(def->ips[i].address.family);
                        if (r < 0)
                                log_warning_errno(r, "Cannot enable IP forwarding: %m");
                }
        return 0;
}

/* ---- start -------------------------------------------------------------------------- */

/* Undoes a start, whichever step it reached: dnsmasq however far it got
 * (the launcher, a daemon whose pid file we never read), the bridge if this
 * start made it, the firewall rules, the run files, the start record last. */
static void start_undo(Network *n) {
        _cleanup_free_ char *conf = network_file(n, ".conf");
        Manager *m = n->manager;

        dnsmasq_forget(n);
        if (conf)
                (void) dnsmasq_kill_by_conf(conf);
        if (n->created_bridge)
                teardown_bridge(n);
        if (n->fw_included) {
                n->fw_included = false;
                (void) firewall_apply(m, NULL, NULL);
        }
        (void) network_remove_state(n);
        n->live = network_def_free(n->live);
        n->state = NETWORK_INACTIVE;
}

static void start_fail(Network *n, const char *fmt, const char *what) {
        Manager *m = n->manager;

        log_error(fmt, n->def->name, what);
        start_undo(n);
        reply_error(&n->start_call, VB_ERROR_OPERATION_FAILED, fmt, n->def->name, what);
        if (n->remove_when_stopped) {
                manager_remove_network(m, n);
                network_free(n);
        }
}

static void start_finish(Network *n) {
        int r;

        /* without its live state, a restart would not know the network: it
         * would undo it from the start record */
        r = network_save_state(n);
        if (r < 0) {
                start_fail(n, "cannot save the live state of network '%s': %s", strerror(-r));
                return;
        }
        (void) network_remove_start_record(n);
        n->state = NETWORK_ACTIVE;
        /* ports still registered on this network (it was destroyed and started
         * again): plug them back in */
        for (size_t i = 0; i < n->manager->n_ports; i++)
                if (streq(n->manager->ports[i]->network, n->def->name))
                        (void) port_replug(n->manager->ports[i]);
        log_info("Network '%s' started (bridge %s).", n->def->name, n->live->bridge);
        network_emit_event(n, NETWORK_EVENT_STARTED);
        if (n->start_call) {
                if (n->start_reply_path)
                        (void) sd_bus_reply_method_return(n->start_call, "o", n->path);
                else
                        (void) sd_bus_reply_method_return(n->start_call, NULL);
                n->start_call = sd_bus_message_unref(n->start_call);
        }
}

static void on_start_dnsmasq(Network *n, int r, const char *errmsg) {
        if (r < 0) {
                start_fail(n, "cannot start dnsmasq for network '%s': %s", errmsg ? errmsg : strerror(-r));
                return;
        }
        start_finish(n);
}

static void on_start_firewall(Manager *m, int r, const char *errmsg, void *userdata) {
        Network *n = userdata;

        if (n->state != NETWORK_STARTING)
                return;
        if (r < 0) {
                start_fail(n, "cannot apply the firewall rules of network '%s': %s", errmsg);
                return;
        }
        if (!dnsmasq_needed(n->live)) {
                start_finish(n);
                return;
        }
        r = dnsmasq_start(n, on_start_dnsmasq);
        if (r < 0)
                start_fail(n, "cannot start dnsmasq for network '%s': %s", strerror(-r));
}

int network_start(Network *n, sd_bus_message *msg, bool reply_path, sd_bus_error *error) {
        Manager *m = n->manager;
        int r;

        if (network_is_active(n))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "network '%s' is already active", n->def->name);
        r = check_can_start(n, n->def, error);
        if (r < 0)
                return r;
        r = network_def_copy(n->def, &n->live);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot copy the definition of '%s': %s",
                                     n->def->name, strerror(-r));
        n->floor_sum = 0;
        n->created_bridge = false;
        r = network_save_start_record(n);
        if (r < 0) {
                n->live = network_def_free(n->live);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot record the start of '%s': %s",
                                     n->def->name, strerror(-r));
        }
        if (network_def_is_managed_bridge(n->live)) {
                r = setup_bridge(n, error);
                if (r < 0) {
                        start_undo(n);
                        return r;
                }
        }
        n->state = NETWORK_STARTING;
        n->start_call = sd_bus_message_ref(msg);
        n->start_reply_path = reply_path;
        n->fw_included = true;
        r = firewall_apply(m, on_start_firewall, n);
        if (r < 0) {
                n->start_call = sd_bus_message_unref(n->start_call);
                n->fw_included = false; /* nft did not run */
                start_undo(n);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot run nft for network '%s': %s",
                                     n->def->name, strerror(-r));
        }
        return 0;
}

/* ---- stop -------------------------------------------------------------------------- */

static void on_stop_firewall(Manager *m, int r, const char *errmsg, void *userdata) {
        Network *n = userdata;

        if (r < 0)
                log_warning("Network '%s': cannot remove its firewall rules: %s", n->def->name, errmsg);
        (void) network_remove_state(n);
        n->live = network_def_free(n->live);
        n->floor_sum = 0;
        n->state = NETWORK_INACTIVE;
        if (n->newdef) {
                network_def_free(n->def);
                n->def = TAKE_PTR(n->newdef);
        }
        log_info("Network '%s' stopped.", n->def->name);
        network_emit_event(n, NETWORK_EVENT_STOPPED);
        if (n->stop_call) {
                (void) sd_bus_reply_method_return(n->stop_call, NULL);
                n->stop_call = sd_bus_message_unref(n->stop_call);
        }
        if (n->remove_when_stopped || !n->persistent) {
                manager_remove_network(m, n);
                network_free(n);
        }
}

static void on_stop_dnsmasq(Network *n, int r, const char *errmsg) {
        teardown_bridge(n);
        n->fw_included = false;
        r = firewall_apply(n->manager, on_stop_firewall, n);
        if (r < 0)
                on_stop_firewall(n->manager, r, strerror(-r), n);
}

int network_stop(Network *n, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        if (n->state != NETWORK_ACTIVE)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "network '%s' is not active (%s)",
                                     n->def->name, n->state == NETWORK_INACTIVE ? "stopped" : "busy starting or stopping");
        n->state = NETWORK_STOPPING;
        n->stop_call = sd_bus_message_ref(msg);
        r = dnsmasq_stop(n, on_stop_dnsmasq);
        if (r < 0) {
                log_warning_errno(r, "Cannot stop dnsmasq of '%s': %m", n->def->name);
                dnsmasq_forget(n);
                on_stop_dnsmasq(n, 0, NULL);
        }
        return 0;
}

/* ---- after a restart -------------------------------------------------------------------- */

static void on_adopt_dnsmasq(Network *n, int r, const char *errmsg) {
        if (r < 0)
                log_error("Network '%s': cannot start its dnsmasq again: %s", n->def->name, errmsg ? errmsg : "");
}

int network_adopt(Network *n, NetworkDef *live) {
        Manager *m = n->manager;
        int r;

        n->live = live;
        if (live->bridge && link_is_bridge(m->nl, live->bridge) <= 0) {
                /* the bridge went away while we were not looking: the network is gone */
                log_warning("Network '%s': bridge %s is gone, the network is stopped.", n->def->name,
                            live->bridge ? live->bridge : "?");
                r = dnsmasq_adopt(n);
                if (r > 0)
                        (void) kill(n->dnsmasq_pid, SIGTERM);
                dnsmasq_forget(n);
                (void) network_remove_state(n);
                n->live = network_def_free(n->live);
                return 0;
        }
        n->state = NETWORK_ACTIVE;
        n->fw_included = true;
        if (!dnsmasq_needed(live))
                return 1;
        r = dnsmasq_adopt(n);
        if (r > 0)
                return 1;
        log_warning("Network '%s': its dnsmasq is not running, starting it again.", n->def->name);
        r = dnsmasq_start(n, on_adopt_dnsmasq);
        if (r < 0)
                log_error_errno(r, "Network '%s': cannot start dnsmasq: %m", n->def->name);
        return 1;
}

/* ---- Update, live --------------------------------------------------------------------------- */

static void on_update_restart(Network *n, int r, const char *errmsg) {
        if (r < 0)
                log_error("Network '%s': dnsmasq did not come back after the update: %s", n->def->name,
                          errmsg ? errmsg : "");
}

static void on_update_stopped(Network *n, int r, const char *errmsg) {
        r = dnsmasq_start(n, on_update_restart);
        if (r < 0)
                log_error_errno(r, "Network '%s': cannot restart dnsmasq: %m", n->def->name);
}

int network_apply_live_update(Network *n, unsigned section, sd_bus_error *error) {
        int r;

        if (!dnsmasq_needed(n->live))
                return 0;
        switch (section) {
        case NETWORK_SECTION_IP_DHCP_HOST:
        case NETWORK_SECTION_DNS_HOST:
                /* the hosts files are re-read on SIGHUP */
                r = n->dnsmasq_pid > 0 ? dnsmasq_reload(n) : dnsmasq_write_files(n);
                break;
        case NETWORK_SECTION_IP_DHCP_RANGE:
                /* ranges live in the configuration: a new dnsmasq reads it */
                r = dnsmasq_write_files(n);
                if (r >= 0)
                        r = n->dnsmasq_pid > 0 ? dnsmasq_stop(n, on_update_stopped) : dnsmasq_start(n, on_update_restart);
                break;
        default:
                r = 0;
        }
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot update dnsmasq of network '%s': %s",
                                     n->def->name, strerror(-r));
        return 0;
}
