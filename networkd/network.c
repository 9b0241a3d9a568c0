/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "network.h"
#include "util.h"
#include "uuid.h"

int network_new(Manager *m, NetworkDef *def, Network **ret) {
        Network *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        n->manager = m;
        n->def = def;
        n->dnsmasq_errfd = -1;
        uuid_format(def->uuid, n->uuid_str);
        n->path = bus_path_from_uuid(NETWORKD_ROOT, "network", def->uuid);
        if (!n->path) {
                free(n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}

Network *network_free(Network *n) {
        if (!n)
                return NULL;
        dnsmasq_forget(n);
        network_def_free(n->def);
        network_def_free(n->newdef);
        network_def_free(n->live);
        free(n->path);
        sd_bus_message_unref(n->start_call);
        sd_bus_message_unref(n->stop_call);
        free(n);
        return NULL;
}

const NetworkDef *network_current_def(const Network *n, bool inactive) {
        if (inactive)
                return n->newdef ? n->newdef : n->def;
        return n->live ? n->live : n->def;
}

unsigned network_count_ports(const Network *n) {
        Manager *m = n->manager;
        unsigned c = 0;

        for (size_t i = 0; i < m->n_ports; i++)
                if (streq(m->ports[i]->network, n->def->name))
                        c++;
        return c;
}

static char *dir_file(const char *dir, const char *name, const char *suffix) {
        char *p;

        if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0)
                return NULL;
        return p;
}

char *network_run_file(Manager *m, const char *name, const char *suffix) {
        return dir_file(m->rundir, name, suffix);
}

char *network_file(const Network *n, const char *suffix) {
        return dir_file(n->manager->rundir, n->def->name, suffix);
}

char *network_lease_file(const Network *n) {
        return dir_file(n->manager->statedir, n->def->name, ".leases");
}

int network_save_config(Network *n) {
        const NetworkDef *def = n->newdef ? n->newdef : n->def;
        _cleanup_free_ char *xml = NULL, *path = dir_file(n->manager->confdir, def->name, ".xml");
        int r;

        if (!path)
                return -ENOMEM;
        r = network_def_format(def, NETWORK_FORMAT_INACTIVE, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(path, xml, strlen(xml), 0600);
}

int network_remove_config(Network *n) {
        _cleanup_free_ char *path = dir_file(n->manager->confdir, n->def->name, ".xml");
        _cleanup_free_ char *link = dir_file(n->manager->autostartdir, n->def->name, ".xml");

        if (!path || !link)
                return -ENOMEM;
        (void) unlink_if_exists(link);
        return unlink_if_exists(path);
}

int network_set_autostart(Network *n, bool autostart) {
        _cleanup_free_ char *link = dir_file(n->manager->autostartdir, n->def->name, ".xml");
        _cleanup_free_ char *target = NULL;
        int r;

        if (!link)
                return -ENOMEM;
        if (!autostart) {
                r = unlink_if_exists(link);
                if (r < 0)
                        return r;
        } else {
                if (asprintf(&target, "../%s.xml", n->def->name) < 0)
                        return -ENOMEM;
                (void) unlink_if_exists(link);
                if (symlink(target, link) < 0)
                        return -errno;
        }
        n->autostart = autostart;
        return 0;
}

int network_save_state(Network *n) {
        _cleanup_free_ char *xml = NULL, *path = network_file(n, ".xml");
        int r;

        if (!path || !n->live)
                return -ENOMEM;
        n->live->connections = network_count_ports(n);
        r = network_def_format(n->live, 0, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(path, xml, strlen(xml), 0600);
}

int network_save_start_record(Network *n) {
        _cleanup_free_ char *xml = NULL, *path = network_file(n, NETWORK_START_SUFFIX);
        int r;

        if (!path || !n->live)
                return -ENOMEM;
        r = network_def_format(n->live, NETWORK_FORMAT_INACTIVE, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(path, xml, strlen(xml), 0600);
}

int network_remove_start_record(Network *n) {
        _cleanup_free_ char *path = network_file(n, NETWORK_START_SUFFIX);

        return path ? unlink_if_exists(path) : -ENOMEM;
}

int network_remove_state(Network *n) {
        static const char *const suffixes[] = { ".xml", ".conf", ".pid", ".hostsfile", ".addnhosts",
                                                NETWORK_START_SUFFIX };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *path = network_file(n, suffixes[i]);
                if (!path)
                        return -ENOMEM;
                (void) unlink_if_exists(path);
        }
        return 0;
}
