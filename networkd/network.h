/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One network known to networkd: its definition(s), whether it runs, and
 * while it runs, its bridge, its dnsmasq and its share of the firewall. */

#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "network-conf.h"

typedef struct Manager Manager;

/* libvirt's virNetworkEventLifecycleType */
enum {
        NETWORK_EVENT_DEFINED = 0,
        NETWORK_EVENT_UNDEFINED = 1,
        NETWORK_EVENT_STARTED = 2,
        NETWORK_EVENT_STOPPED = 3,
};

/* virConnectListAllNetworksFlags */
enum {
        LIST_NETWORKS_INACTIVE = 1 << 0,
        LIST_NETWORKS_ACTIVE = 1 << 1,
        LIST_NETWORKS_PERSISTENT = 1 << 2,
        LIST_NETWORKS_TRANSIENT = 1 << 3,
        LIST_NETWORKS_AUTOSTART = 1 << 4,
        LIST_NETWORKS_NO_AUTOSTART = 1 << 5,
};

typedef enum NetworkState {
        NETWORK_INACTIVE,
        NETWORK_STARTING,
        NETWORK_ACTIVE,
        NETWORK_STOPPING,
} NetworkState;

typedef struct Network {
        Manager *manager;
        NetworkDef *def;     /* the definition (persistent, or the transient one) */
        NetworkDef *newdef;  /* redefined while running: becomes def when it stops */
        NetworkDef *live;    /* while active: what runs */
        char *path;          /* bus object path */
        char uuid_str[37];

        bool persistent;
        bool autostart;
        NetworkState state;
        bool fw_included;    /* its rules are in the firewall table */
        bool created_bridge; /* during a start: undo it on failure */

        /* dnsmasq, spawned by us or found again by its pid file */
        pid_t dnsmasq_pid;
        sd_event_source *dnsmasq_watch;
        sd_event_source *dnsmasq_timer; /* stop timeout, or restart after a crash */
        int dnsmasq_errfd;
        void (*dnsmasq_cb)(struct Network *n, int r, const char *errmsg);

        /* inbound floors of the ports, against the network's inbound average */
        uint64_t floor_sum;

        sd_bus_message *start_call;  /* answered when it runs (or failed) */
        bool start_reply_path;       /* NetworkCreateXML answers with the path */
        sd_bus_message *stop_call;
        bool remove_when_stopped;    /* transient: goes away with the stop */
} Network;

int network_new(Manager *m, NetworkDef *def, Network **ret);
Network *network_free(Network *n);

static inline bool network_is_active(const Network *n) {
        return n->state != NETWORK_INACTIVE;
}
/* The definition to show: live when running (unless inactive is asked). */
const NetworkDef *network_current_def(const Network *n, bool inactive);
unsigned network_count_ports(const Network *n);

/* Persistent configuration: <confdir>/network/<name>.xml and autostart link. */
int network_save_config(Network *n);
int network_remove_config(Network *n);
int network_set_autostart(Network *n, bool autostart);
/* Live state: <rundir>/network/<name>.xml. */
int network_save_state(Network *n);
/* Removes the live state and every run file of the network (dnsmasq's
 * files, the start record). */
int network_remove_state(Network *n);
/* <rundir>/network/<name>.starting: written (atomically) before a start
 * creates anything, removed once the start finished or was undone. Found
 * after a restart, it says what to clean up (network-recover.c). */
#define NETWORK_START_SUFFIX ".starting"
int network_save_start_record(Network *n);
int network_remove_start_record(Network *n);
char *network_run_file(Manager *m, const char *name, const char *suffix);
/* dnsmasq's files: <rundir>/network/<name>.{conf,pid,hostsfile,addnhosts};
 * leases in <statedir>/network/<name>.leases. */
char *network_file(const Network *n, const char *suffix);
char *network_lease_file(const Network *n);

/* network-lifecycle.c. Start and stop end asynchronously: msg (may be NULL)
 * is answered then. Errors found before anything changed are returned. */
int network_start(Network *n, sd_bus_message *msg, bool reply_path, sd_bus_error *error);
int network_stop(Network *n, sd_bus_message *msg, sd_bus_error *error);
/* After a restart: takes over a network whose live state was found. */
int network_adopt(Network *n, NetworkDef *live);
/* Applies a live Update: dnsmasq's files, a reload or a restart. */
int network_apply_live_update(Network *n, unsigned section, sd_bus_error *error);

/* dnsmasq.c */
typedef void (*dnsmasq_done_fn)(Network *n, int r, const char *errmsg);
int dnsmasq_write_files(Network *n);
int dnsmasq_start(Network *n, dnsmasq_done_fn cb);
/* 1 when a dnsmasq of this network was found running and is now watched. */
int dnsmasq_adopt(Network *n);
int dnsmasq_reload(Network *n);
int dnsmasq_stop(Network *n, dnsmasq_done_fn cb);
void dnsmasq_forget(Network *n);
/* Kills (SIGKILL, and waits a little for) every process that runs with
 * --conf-file=conf: what a start that failed or never finished left. Returns
 * how many. */
int dnsmasq_kill_by_conf(const char *conf);

/* network-recover.c: after a restart, undoes the starts that never finished
 * (their start records): bridge, dnsmasq, files. The caller then rebuilds
 * the firewall table. */
void network_recover_unfinished_starts(Manager *m);
