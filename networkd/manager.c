/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <net/if.h>

#include "def-dir.h"
#include "log.h"
#include "manager.h"
#include "netlink.h"
#include "ptr-array.h"
#include "util.h"

#define DEFAULT_DNSMASQ "/usr/sbin/dnsmasq"
#define DEFAULT_NFT "/usr/sbin/nft"

static const char *env_or(const char *name, const char *def) {
        const char *v = getenv(name);
        return v && *v ? v : def;
}

int manager_new(const DaemonOptions *o, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *o;
        m->nft_errfd = -1;
        /* for tests and unusual installs */
        m->dnsmasq_path = env_or("VIRTBUS_DNSMASQ", DEFAULT_DNSMASQ);
        m->nft_path = env_or("VIRTBUS_NFT", DEFAULT_NFT);
        r = vb_paths_init(&m->paths, o->root);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the directory layout: %m");
        if ((r = vb_paths_make_dir(m->paths.confdir, "network", &m->confdir)) < 0 ||
            (r = vb_paths_make_dir(m->confdir, "autostart", &m->autostartdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.rundir, "network", &m->rundir)) < 0 ||
            (r = vb_paths_make_dir(m->rundir, "ports", &m->portdir)) < 0 ||
            (r = vb_paths_make_dir(m->paths.statedir, "network", &m->statedir)) < 0)
                return r;
        r = nl_route_open(&m->nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open a netlink socket: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->closing = true;
        firewall_done(m);
        link_monitor_stop(m);
        link_reaper_stop(m);
        for (size_t i = 0; i < m->n_ports; i++)
                port_free(m->ports[i]);
        free(m->ports);
        for (size_t i = 0; i < m->n_networks; i++)
                network_free(m->networks[i]);
        free(m->networks);
        nl_route_close(m->nl);
        free(m->confdir);
        free(m->autostartdir);
        free(m->rundir);
        free(m->portdir);
        free(m->statedir);
        vb_paths_done(&m->paths);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_add_network(Manager *m, Network *n) {
        int r = ptr_array_grow((void ***) &m->networks, m->n_networks, &m->n_networks_allocated);

        if (r < 0)
                return r;
        m->networks[m->n_networks++] = n;
        return 0;
}

void manager_remove_network(Manager *m, Network *n) {
        (void) ptr_array_remove((void **) m->networks, &m->n_networks, n);
}

Network *manager_find_network_by_name(Manager *m, const char *name) {
        for (size_t i = 0; name && i < m->n_networks; i++)
                if (streq(m->networks[i]->def->name, name))
                        return m->networks[i];
        return NULL;
}

Network *manager_find_network_by_uuid(Manager *m, const uint8_t uuid[16]) {
        for (size_t i = 0; i < m->n_networks; i++)
                if (memcmp(m->networks[i]->def->uuid, uuid, 16) == 0)
                        return m->networks[i];
        return NULL;
}

int manager_add_port(Manager *m, Port *p) {
        int r = ptr_array_grow((void ***) &m->ports, m->n_ports, &m->n_ports_allocated);

        if (r < 0)
                return r;
        m->ports[m->n_ports++] = p;
        return 0;
}

void manager_remove_port(Manager *m, Port *p) {
        (void) ptr_array_remove((void **) m->ports, &m->n_ports, p);
}

Port *manager_find_port(Manager *m, const char *uuid) {
        for (size_t i = 0; i < m->n_ports; i++)
                if (strcasecmp(m->ports[i]->uuid, uuid) == 0)
                        return m->ports[i];
        return NULL;
}

static bool bridge_name_taken(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_networks; i++) {
                Network *n = m->networks[i];
                if (streq_ptr(n->def->bridge, name) || (n->newdef && streq_ptr(n->newdef->bridge, name)) ||
                    (n->live && streq_ptr(n->live->bridge, name)))
                        return true;
        }
        return link_ifindex(m->nl, name) > 0;
}

int manager_pick_bridge_name(Manager *m, char **ret) {
        char name[IFNAMSIZ];

        for (unsigned i = 0; i < 1000; i++) {
                snprintf(name, sizeof(name), "virbr%u", i);
                if (!bridge_name_taken(m, name)) {
                        *ret = strdup(name);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return -ENOSPC;
}

bool manager_is_busy(void *userdata) {
        Manager *m = userdata;

        for (size_t i = 0; i < m->n_networks; i++)
                if (network_is_active(m->networks[i]))
                        return true;
        return m->n_ports > 0 || m->nft_pid > 0;
}

/* ---- loading at start ------------------------------------------------------------- */

static int read_def(const char *dir, const char *file, NetworkDef **ret) {
        _cleanup_free_ char *path = NULL, *xml = NULL;
        ConfError err = {};
        size_t len;
        int r;

        r = def_dir_read(dir, file, &path, &xml, &len);
        if (r < 0)
                return r;
        r = network_def_parse(xml, len, ret, &err);
        if (r < 0)
                return log_warning_errno(r, "Ignoring %s: %s", path, err.message);
        return 0;
}

static int load_config(void *userdata, const char *file) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        Manager *m = userdata;
        Network *n;
        int r;

        r = read_def(m->confdir, file, &def);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (manager_find_network_by_name(m, def->name) || manager_find_network_by_uuid(m, def->uuid))
                return log_warning_errno(EEXIST, "Ignoring %s: name or uuid already defined", file);
        r = network_new(m, TAKE_PTR(def), &n);
        if (r < 0)
                return r;
        n->persistent = true;
        r = def_dir_has(m->autostartdir, n->def->name);
        if (r < 0 || manager_add_network(m, n) < 0) {
                network_free(n);
                return -ENOMEM;
        }
        n->autostart = r > 0;
        return 0;
}

static int load_state(void *userdata, const char *file) {
        _cleanup_(network_def_freep) NetworkDef *live = NULL;
        Manager *m = userdata;
        Network *n;
        int r;

        r = read_def(m->rundir, file, &live);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        n = manager_find_network_by_uuid(m, live->uuid);
        if (!n) {
                /* a transient network: its live definition is all there is */
                NetworkDef *def;
                r = network_def_copy(live, &def);
                if (r < 0)
                        return r;
                r = network_new(m, def, &n);
                if (r < 0) {
                        network_def_free(def);
                        return r;
                }
                if (manager_add_network(m, n) < 0) {
                        network_free(n);
                        return -ENOMEM;
                }
        }
        r = network_adopt(n, TAKE_PTR(live));
        if (r == 0 && !n->persistent) {
                manager_remove_network(m, n);
                network_free(n);
        } else if (r > 0)
                log_info("Network '%s' is running: taken over.", n->def->name);
        return 0;
}

static void on_startup_firewall(Manager *m, int r, const char *errmsg, void *userdata) {
        if (r < 0)
                log_error("Cannot restore the firewall table: %s", errmsg);
}

int manager_startup(Manager *m) {
        int r;

        r = link_reaper_start(m);
        if (r < 0)
                return log_error_errno(r, "Cannot start the link reaper thread: %m");
        r = link_monitor_start(m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch the links: %m");
        r = def_dir_load(m->confdir, load_config, m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->confdir);
        r = def_dir_load(m->rundir, load_state, m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->rundir);
        network_recover_unfinished_starts(m);
        r = port_load_all(m);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", m->portdir);
        /* the table is still in the kernel: applying the same rules again is
         * atomic and changes nothing, but heals a table someone flushed, and
         * drops the rules of a start or a stop that networkd's death cut
         * short (with no network running, the table goes) */
        firewall_stop_previous_nft(m);
        (void) firewall_apply(m, on_startup_firewall, NULL);
        for (size_t i = 0; i < m->n_networks; i++) {
                Network *n = m->networks[i];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (!n->autostart || network_is_active(n))
                        continue;
                log_info("Autostarting network '%s'.", n->def->name);
                if (network_start(n, NULL, false, &e) < 0)
                        log_warning("Cannot autostart network '%s': %s", n->def->name, e.message);
                sd_bus_error_free(&e);
        }
        return 0;
}
