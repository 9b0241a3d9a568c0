/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetStats of containers, from their cgroup: state, cpu-total (cpu.time)
 * and balloon (balloon.current: the memory the container uses now;
 * balloon.maximum: <memory>), as libvirt's LXC driver names them. Read at
 * once: nothing to ask a guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-stats.h"
#include "error.h"
#include "lxc-cgroup.h"
#include "lxc-domain.h"
#include "util.h"

static int read_u64(const char *dir, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *path = path_join(dir, file), *text = NULL;
        unsigned long long v;
        int r;

        if (!path)
                return -ENOMEM;
        if ((r = read_full_file(path, 65536, &text, NULL)) < 0)
                return r;
        if (!key)
                return sscanf(text, "%llu", &v) == 1 ? (*ret = v, 0) : -EBADMSG;
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                size_t len = strlen(key);
                if (strncmp(line, key, len) == 0 && line[len] == ' ' && sscanf(line + len + 1, "%llu", &v) == 1) {
                        *ret = v;
                        return 0;
                }
        }
        return -ENOENT;
}

static void put_cpu(StatsWriter *w, Domain *d) {
        _cleanup_free_ char *dir = NULL;
        uint64_t v;

        if (lxc_cgroup_is_v2()) {
                if (lxc_cgroup_path(d, NULL, &dir) >= 0 && read_u64(dir, "cpu.stat", "usage_usec", &v) >= 0)
                        stats_put_ullong(w, v * 1000, "cpu.time");
        } else if (lxc_cgroup_path(d, "cpuacct", &dir) >= 0 && read_u64(dir, "cpuacct.usage", NULL, &v) >= 0)
                stats_put_ullong(w, v, "cpu.time");
}

static void put_balloon(StatsWriter *w, Domain *d) {
        _cleanup_free_ char *dir = NULL;
        uint64_t v;
        bool v2 = lxc_cgroup_is_v2();

        if (lxc_cgroup_path(d, "memory", &dir) >= 0 &&
            read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", NULL, &v) >= 0)
                stats_put_ullong(w, v / 1024, "balloon.current");
        if (d->live && d->live->memory_kib)
                stats_put_ullong(w, d->live->memory_kib, "balloon.maximum");
}

static int write_record(sd_bus_message *reply, Domain *d, uint32_t stats, uint32_t flags) {
        StatsWriter w = { .m = reply };

        w.r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (stats & DOMAIN_STATS_STATE)
                domain_stats_put_state(&w, d);
        if (domain_is_active(d) && (stats & DOMAIN_STATS_CPU_TOTAL))
                put_cpu(&w, d);
        if (domain_is_active(d) && (stats & DOMAIN_STATS_BALLOON))
                put_balloon(&w, d);
        if (flags & STATS_PROXY_HANDLES) {
                stats_put_string(&w, d->uuid_str, "virtbus.uuid");
                stats_put_int(&w, domain_is_active(d) && d->id > 0 ? d->id : -1, "virtbus.id");
        }
        if (w.r >= 0)
                w.r = sd_bus_message_close_container(reply);
        return w.r;
}

static int get_stats(Manager *m, Domain **doms, size_t n, uint32_t stats, uint32_t flags, bool single,
                     sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (stats == 0)
                stats = DOMAIN_STATS_KNOWN;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0 && single)
                r = write_record(reply, doms[0], stats, 0);
        else if (r >= 0) {
                r = sd_bus_message_open_container(reply, 'a', "(sa{sv})");
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        r = sd_bus_message_open_container(reply, 'r', "sa{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(reply, 's', doms[i]->def->name);
                        if (r >= 0)
                                r = write_record(reply, doms[i], stats, flags);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot write the statistics: %s", strerror(-r));
        return 1;
}

const DomainStatsOps lxc_stats_ops = {
        .get_stats = get_stats,
};
