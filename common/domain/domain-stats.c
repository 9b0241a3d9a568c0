/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain-manager.h"
#include "domain-stats.h"
#include "util.h"

static void put(StatsWriter *w, char type, const void *value, const char *fmt, va_list ap) {
        char sig[2] = { type, 0 }, name[128];
        int r;

        if (w->r < 0)
                return;
        vsnprintf(name, sizeof(name), fmt, ap);
        r = sd_bus_message_open_container(w->m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(w->m, 's', name);
        if (r >= 0)
                r = sd_bus_message_open_container(w->m, 'v', sig);
        if (r >= 0)
                r = sd_bus_message_append_basic(w->m, type, value);
        if (r >= 0)
                r = sd_bus_message_close_container(w->m);
        if (r >= 0)
                r = sd_bus_message_close_container(w->m);
        if (r < 0)
                w->r = r;
}

#define DEFINE_PUT(fn, ctype, letter, conv)                                    \
        void fn(StatsWriter *w, ctype v, const char *fmt, ...) {               \
                conv value = v;                                                \
                va_list ap;                                                    \
                va_start(ap, fmt);                                             \
                put(w, letter, &value, fmt, ap);                               \
                va_end(ap);                                                    \
        }

DEFINE_PUT(stats_put_int, int32_t, 'i', int32_t)
DEFINE_PUT(stats_put_uint, uint32_t, 'u', uint32_t)
DEFINE_PUT(stats_put_ullong, uint64_t, 't', uint64_t)
DEFINE_PUT(stats_put_llong, int64_t, 'x', int64_t)
DEFINE_PUT(stats_put_double, double, 'd', double)
DEFINE_PUT(stats_put_bool, bool, 'b', int)

void stats_put_string(StatsWriter *w, const char *v, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        put(w, 's', v, fmt, ap);
        va_end(ap);
}

void domain_stats_put_state(StatsWriter *w, const Domain *d) {
        stats_put_int(w, d->state, "state.state");
        stats_put_int(w, d->reason, "state.reason");
}

/* One counter of /sys/class/net/<dev>/statistics; a small file read with
 * one open and one read. */
static int read_counter(int dirfd, const char *name, uint64_t *ret) {
        char buf[32];
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = 0;
        *ret = strtoull(buf, NULL, 10);
        return 0;
}

void domain_stats_put_interfaces(StatsWriter *w, const Domain *d) {
        /* The guest's view: what the tap sends is what the guest receives. */
        static const struct {
                const char *field, *file;
        } rows[] = {
                { "rx.bytes", "tx_bytes" }, { "rx.pkts", "tx_packets" }, { "rx.errs", "tx_errors" },
                { "rx.drop", "tx_dropped" }, { "tx.bytes", "rx_bytes" }, { "tx.pkts", "rx_packets" },
                { "tx.errs", "rx_errors" }, { "tx.drop", "rx_dropped" },
        };
        const DomainDef *def = domain_current_def(d, false);

        stats_put_uint(w, def->n_nets, "net.count");
        if (!domain_is_active(d))
                return;
        for (size_t i = 0; i < def->n_nets; i++) {
                const char *ifname = def->nets[i].ifname;
                char path[128];
                int dirfd;

                if (!ifname)
                        continue;
                stats_put_string(w, ifname, "net.%zu.name", i);
                snprintf(path, sizeof(path), "/sys/class/net/%s/statistics", ifname);
                dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                        uint64_t v = 0;
                        if (read_counter(dirfd, rows[k].file, &v) >= 0)
                                stats_put_ullong(w, v, "net.%zu.%s", i, rows[k].field);
                }
                close(dirfd);
        }
}

bool domain_stats_flags_match(const Domain *d, uint32_t flags) {
        bool active = domain_is_active(d);

        if ((flags & (STATS_ACTIVE | STATS_INACTIVE)) && !(flags & (active ? STATS_ACTIVE : STATS_INACTIVE)))
                return false;
        if ((flags & (STATS_PERSISTENT | STATS_TRANSIENT)) &&
            !(flags & (d->persistent ? STATS_PERSISTENT : STATS_TRANSIENT)))
                return false;
        if (flags & (STATS_RUNNING | STATS_PAUSED | STATS_SHUTOFF | STATS_OTHER)) {
                uint32_t bit = d->state == DOMAIN_RUNNING  ? STATS_RUNNING
                               : d->state == DOMAIN_PAUSED  ? STATS_PAUSED
                               : d->state == DOMAIN_SHUTOFF ? STATS_SHUTOFF
                                                            : STATS_OTHER;
                if (!(flags & bit))
                        return false;
        }
        return true;
}
