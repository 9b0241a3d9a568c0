/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starts that never finished. A start writes <name>.starting (the live
 * definition) before it creates anything, and removes it once the network
 * runs or the start was undone. A record found at startup is a start that
 * networkd's death cut short: whatever it made (bridge, dnsmasq, files) is
 * undone here, so that the network can start again. The firewall table is
 * rebuilt by the caller from the networks that do run. */
#include <dirent.h>

#include "log.h"
#include "manager.h"
#include "netlink.h"
#include "tc.h"
#include "util.h"

static bool bridge_used_by_active(Manager *m, const char *bridge) {
        for (size_t i = 0; i < m->n_networks; i++) {
                const Network *o = m->networks[i];
                if (network_is_active(o) && o->live && streq_ptr(o->live->bridge, bridge))
                        return true;
        }
        return false;
}

static void remove_bridge(Manager *m, const char *name, const char *bridge) {
        int ifindex, r;

        if (!bridge || bridge_used_by_active(m, bridge) || link_is_bridge(m->nl, bridge) <= 0)
                return;
        ifindex = link_ifindex(m->nl, bridge);
        if (ifindex <= 0)
                return;
        (void) tc_clear(m->nl, ifindex);
        r = link_delete(m->nl, ifindex);
        if (r < 0)
                log_warning_errno(r, "Network '%s': cannot delete bridge %s of an unfinished start: %m", name, bridge);
        else
                log_info("Network '%s': deleted bridge %s of an unfinished start.", name, bridge);
}

static void remove_files(Manager *m, const char *name) {
        static const char *const suffixes[] = { ".conf", ".pid", ".hostsfile", ".addnhosts", NETWORK_START_SUFFIX };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *path = network_run_file(m, name, suffixes[i]);
                if (path)
                        (void) unlink_if_exists(path);
        }
}

static void recover_one(Manager *m, const char *name) {
        _cleanup_free_ char *record = network_run_file(m, name, NETWORK_START_SUFFIX);
        _cleanup_free_ char *conf = network_run_file(m, name, ".conf");
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        Network *n = manager_find_network_by_name(m, name);
        ConfError err = {};
        size_t len;
        int r;

        if (!record || !conf)
                return;
        if (n && network_is_active(n)) {
                /* it got as far as its live state: it runs, taken over */
                (void) unlink_if_exists(record);
                return;
        }
        log_warning("Network '%s': a start did not finish before networkd stopped; undoing it.", name);
        r = read_full_file(record, 0, &xml, &len);
        if (r >= 0)
                r = network_def_parse(xml, len, &def, &err);
        if (r < 0)
                log_warning("Network '%s': cannot read %s (%s): its bridge, if any, stays.", name, record,
                            err.message[0] ? err.message : strerror(-r));
        /* dnsmasq first: it is bound to the bridge's addresses */
        (void) dnsmasq_kill_by_conf(conf);
        if (def && network_def_is_managed_bridge(def))
                remove_bridge(m, name, def->bridge);
        remove_files(m, name);
}

void network_recover_unfinished_starts(Manager *m) {
        _cleanup_(closedirp) DIR *d = opendir(m->rundir);
        struct dirent *de;

        if (!d) {
                log_warning_errno(errno, "Cannot read %s: %m", m->rundir);
                return;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *name = NULL;
                size_t len = strlen(de->d_name), slen = strlen(NETWORK_START_SUFFIX);

                if (len <= slen || !endswith(de->d_name, NETWORK_START_SUFFIX) || de->d_type == DT_DIR)
                        continue;
                name = strndup(de->d_name, len - slen);
                if (name)
                        recover_one(m, name);
        }
}
