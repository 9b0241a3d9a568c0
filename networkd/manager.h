/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* networkd's manager: the event loop, the bus, the netlink socket, the
 * tables of networks and ports, the firewall, and loading everything back
 * at start (after a restart, SIGKILL included, nothing running is touched:
 * bridges, dnsmasq instances, taps and veths are found again). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon.h"
#include "network.h"
#include "paths.h"
#include "port.h"

#define NETWORKD_BUS_NAME "org.virtbus.networkd"
#define NETWORKD_ROOT "/org/virtbus/networkd"
#define NETWORKD_PORT_IFACE "org.virtbus.NetworkPort1"

struct nl_sock;
typedef struct FirewallWaiter FirewallWaiter;
typedef struct LinkReaper LinkReaper;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        DaemonOptions options;
        VbPaths paths;
        char *confdir;      /* <confdir>/network: definitions */
        char *autostartdir;
        char *rundir;       /* <rundir>/network: live XML, dnsmasq files */
        char *portdir;      /* <rundir>/network/ports */
        char *statedir;     /* <statedir>/network: lease files */
        const char *dnsmasq_path;
        const char *nft_path;
        struct nl_sock *nl;
        struct nl_sock *nl_monitor;  /* link deletions (link-monitor.c) */
        sd_event_source *monitor_source;
        LinkReaper *reaper;          /* deletes links off the event loop */

        Network **networks;
        size_t n_networks, n_networks_allocated;
        Port **ports;
        size_t n_ports, n_ports_allocated;

        /* One nft run at a time; requests made meanwhile share the next run. */
        pid_t nft_pid;
        sd_event_source *nft_watch;
        int nft_errfd;
        FirewallWaiter *fw_running, *fw_pending;
        bool closing;       /* manager_free() runs: start nothing new */
} Manager;

int manager_new(const DaemonOptions *o, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_startup(Manager *m);
bool manager_is_busy(void *userdata);

int manager_add_network(Manager *m, Network *n);
void manager_remove_network(Manager *m, Network *n);
Network *manager_find_network_by_name(Manager *m, const char *name);
Network *manager_find_network_by_uuid(Manager *m, const uint8_t uuid[16]);
/* Picks "virbr<N>", used by no network and no host link. */
int manager_pick_bridge_name(Manager *m, char **ret);

int manager_add_port(Manager *m, Port *p);
void manager_remove_port(Manager *m, Port *p);
Port *manager_find_port(Manager *m, const char *uuid);

/* firewall.c: rebuilds the nft table from every network with fw_included
 * set, asynchronously. cb may be NULL; errmsg is nft's stderr. */
typedef void (*firewall_done_fn)(Manager *m, int r, const char *errmsg, void *userdata);
int firewall_apply(Manager *m, firewall_done_fn cb, void *userdata);
void firewall_done(Manager *m);
/* At startup: an nft run by a networkd that was killed is stopped. */
void firewall_stop_previous_nft(Manager *m);

/* link-reaper.c: deletes a link in the background (the kernel's deletion
 * waits for RCU grace periods); without the thread, at once. */
int link_reaper_start(Manager *m);
void link_reaper_delete(Manager *m, int ifindex);
void link_reaper_stop(Manager *m);

int link_monitor_start(Manager *m);
void link_monitor_stop(Manager *m);

/* *-dbus.c */
int connect_dbus_register(Manager *m);
int network_dbus_register(Manager *m);
int port_dbus_register(Manager *m);
void network_emit_event(Network *n, int event);
