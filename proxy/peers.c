/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-peer.h"
#include "log.h"
#include "peers.h"
#include "util.h"

#define PEER_RETRY_USEC (1000ULL * 1000)
#define PEERS_MAX 8

typedef struct PeerLink {
        Peers *peers;
        char *bus_name;          /* "org.virtbus.qemud" */
        sd_bus *conn;            /* NULL: use the bus */
        sd_bus_slot *disconnected;
        uint64_t retry_usec;     /* no new try before */
} PeerLink;

struct Peers {
        sd_event *event;
        sd_bus *bus;
        char *rundir;
        PeerLink links[PEERS_MAX];
        size_t n_links;
};

static void link_drop(PeerLink *l) {
        l->disconnected = sd_bus_slot_unref(l->disconnected);
        if (l->conn) {
                (void) sd_bus_detach_event(l->conn);
                l->conn = sd_bus_flush_close_unref(l->conn);
        }
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PeerLink *l = userdata;

        log_debug("The private connection to %s is gone; by the bus until it is back.", l->bus_name);
        /* calls still in flight on it have had their error replies already */
        link_drop(l);
        l->retry_usec = now_usec(CLOCK_MONOTONIC) + PEER_RETRY_USEC;
        return 0;
}

static int link_connect(Peers *p, PeerLink *l) {
        const char *name = l->bus_name + strlen("org.virtbus.");
        int r;

        r = bus_peer_connect(p->rundir, name, &l->conn);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(l->conn, &l->disconnected, "org.freedesktop.DBus.Local",
                                "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local", "Disconnected",
                                on_disconnected, l);
        if (r >= 0)
                r = sd_bus_attach_event(l->conn, p->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                link_drop(l);
                return r;
        }
        log_debug("Private connection to %s.", l->bus_name);
        return 0;
}

static PeerLink *link_find(Peers *p, const char *bus_name) {
        for (size_t i = 0; i < p->n_links; i++)
                if (streq(p->links[i].bus_name, bus_name))
                        return &p->links[i];
        if (p->n_links >= PEERS_MAX || strncmp(bus_name, "org.virtbus.", strlen("org.virtbus.")) != 0)
                return NULL;
        p->links[p->n_links] = (PeerLink) { .peers = p, .bus_name = strdup(bus_name) };
        if (!p->links[p->n_links].bus_name)
                return NULL;
        return &p->links[p->n_links++];
}

sd_bus *peers_bus(Peers *p, const char *bus_name, const char *interface, bool read_only) {
        PeerLink *l;
        uint64_t now;

        if (!p || !bus_name || !read_only || !bus_peer_carries(interface))
                return p ? p->bus : NULL;
        l = link_find(p, bus_name);
        if (!l)
                return p->bus;
        if (l->conn)
                return l->conn;
        now = now_usec(CLOCK_MONOTONIC);
        if (now < l->retry_usec)
                return p->bus;
        if (link_connect(p, l) < 0) {
                l->retry_usec = now + PEER_RETRY_USEC;
                return p->bus;
        }
        return l->conn;
}

int peers_new(sd_event *e, sd_bus *bus, const char *rundir, Peers **ret) {
        Peers *p = calloc(1, sizeof(*p));

        if (!p || !(p->rundir = strdup(rundir))) {
                free(p);
                return -ENOMEM;
        }
        p->event = sd_event_ref(e);
        p->bus = sd_bus_ref(bus);
        *ret = p;
        return 0;
}

Peers *peers_free(Peers *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_links; i++) {
                link_drop(&p->links[i]);
                free(p->links[i].bus_name);
        }
        sd_bus_unref(p->bus);
        sd_event_unref(p->event);
        free(p->rundir);
        free(p);
        return NULL;
}
