/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-manager.h"
#include "domain-stats.h"
#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-node.h"
#include "qemu-perf.h"
#include "qemu-stats.h"
#include "util.h"

/* How long a call waits for the guests' block counters. */
#define BLOCK_STATS_TIMEOUT_USEC (1000 * 1000)
#define VCPUS_MAX 1024

/* One domain of a call, and what QEMU said of its disks. */
typedef struct StatsDomain {
        DomainHandle *handle;
        json_object *blockstats; /* query-blockstats, once answered */
} StatsDomain;

/* A call of GetAllDomainStats or GetStats. Each query in flight holds a
 * reference; the call is answered once (all answered, or the timeout). */
typedef struct StatsCall {
        unsigned n_ref;
        Manager *m;
        sd_bus_message *msg;
        uint32_t stats, flags;
        bool single, answered;
        StatsDomain *doms;
        size_t n;
        unsigned pending;
        sd_event_source *timer;
} StatsCall;

static StatsCall *stats_call_unref(StatsCall *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                domain_handle_unref(c->doms[i].handle);
                json_object_put(c->doms[i].blockstats);
        }
        free(c->doms);
        sd_event_source_unref(c->timer);
        sd_bus_message_unref(c->msg);
        free(c);
        return NULL;
}

/* ---- What is read from /proc and /sys: no QEMU needed. ---- */

static int read_small(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return (int) n;
}

/* utime, stime (clock ticks), rss (pages) and the CPU last run on, of
 * /proc/<pid>[/task/<tid>]/stat. */
typedef struct ProcStat {
        uint64_t utime, stime, rss;
        int processor;
} ProcStat;

static int read_proc_stat(const char *path, ProcStat *ret) {
        char buf[1024], *p;
        unsigned long long ut, st, rss;
        int cpu, r = read_small(path, buf, sizeof(buf));

        if (r < 0)
                return r;
        p = strrchr(buf, ')'); /* the command name may hold anything */
        if (!p)
                return -EIO;
        /* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
         * majflt cmajflt utime stime cutime cstime priority nice threads
         * itrealvalue starttime vsize rss ... processor (39) */
        if (sscanf(p + 2,
                   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %llu "
                   "%*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*d %d",
                   &ut, &st, &rss, &cpu) != 4)
                return -EIO;
        *ret = (ProcStat) { .utime = ut, .stime = st, .rss = rss, .processor = cpu };
        return 0;
}

static uint64_t ticks_to_ns(uint64_t ticks) {
        static long hz;

        if (!hz)
                hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
        return ticks * (1000000000ULL / (uint64_t) hz);
}

int qemu_stats_vcpu_of_thread(const char *comm) {
        unsigned n;
        char tail;

        if (strncmp(comm, "ALL CPUs/", 9) == 0)
                return -1;
        if (sscanf(comm, "CPU %u/%c", &n, &tail) == 2 && n < VCPUS_MAX)
                return (int) n;
        return -2;
}

int qemu_stats_parse_sched_wait(const char *text, uint64_t *ret) {
        /* "se.statistics.wait_sum" on older kernels, "wait_sum" on newer */
        const char *p = strstr(text, "wait_sum");
        double ms;

        if (!p || !(p = strchr(p, ':')) || sscanf(p + 1, "%lf", &ms) != 1)
                return -ENOENT;
        *ret = (uint64_t) (ms * 1000000.0 + 0.5);
        return 0;
}

/* The thread of each vCPU: tids[i] for vCPU i, 0 when not found. */
static void find_vcpu_threads(pid_t pid, pid_t *tids, size_t n) {
        char path[64], comm[64];
        _cleanup_(closedirp) DIR *dir = NULL;
        pid_t all = 0;
        struct dirent *de;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        dir = opendir(path);
        if (!dir)
                return;
        while ((de = readdir(dir))) {
                int tid, v;
                if (safe_atoi(de->d_name, &tid) < 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int) pid, tid);
                if (read_small(path, comm, sizeof(comm)) <= 0)
                        continue;
                v = qemu_stats_vcpu_of_thread(comm);
                if (v >= 0 && (size_t) v < n)
                        tids[v] = tid;
                else if (v == -1)
                        all = tid;
        }
        for (size_t i = 0; all && i < n; i++)
                if (!tids[i])
                        tids[i] = all;
}

/* KVM's halt polling of the guest's vCPUs (debugfs: <pid>-<fd>/vcpu<n>/),
 * 0 where the kernel shows none (TCG, no debugfs), as libvirt gives it. */
static void haltpoll_times(pid_t pid, uint64_t *success, uint64_t *fail) {
        _cleanup_(closedirp) DIR *kvm = opendir("/sys/kernel/debug/kvm");
        char prefix[32];
        struct dirent *de;

        *success = *fail = 0;
        snprintf(prefix, sizeof(prefix), "%d-", (int) pid);
        while (kvm && (de = readdir(kvm))) {
                char path[512], buf[32];
                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                for (int v = 0; v < VCPUS_MAX; v++) {
                        snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/vcpu%d/halt_poll_success_ns",
                                 de->d_name, v);
                        if (read_small(path, buf, sizeof(buf)) <= 0)
                                break;
                        *success += strtoull(buf, NULL, 10);
                        snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/vcpu%d/halt_poll_fail_ns",
                                 de->d_name, v);
                        if (read_small(path, buf, sizeof(buf)) > 0)
                                *fail += strtoull(buf, NULL, 10);
                }
        }
}

static void put_cpu(StatsWriter *w, const Domain *d) {
        uint64_t success, fail;
        char path[64];
        ProcStat st;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) d->pid);
        if (read_proc_stat(path, &st) < 0)
                return;
        stats_put_ullong(w, ticks_to_ns(st.utime + st.stime), "cpu.time");
        stats_put_ullong(w, ticks_to_ns(st.utime), "cpu.user");
        stats_put_ullong(w, ticks_to_ns(st.stime), "cpu.system");
        haltpoll_times(d->pid, &success, &fail);
        stats_put_ullong(w, success, "cpu.haltpoll.success.time");
        stats_put_ullong(w, fail, "cpu.haltpoll.fail.time");
        stats_put_uint(w, 0, "cpu.cache.monitor.count"); /* no <cachetune> monitors here */
}

static void put_balloon(StatsWriter *w, const Domain *d) {
        const DomainDef *def = domain_current_def(d, false);
        uint64_t cur = def->current_memory_kib ? def->current_memory_kib : def->memory_kib;
        char path[64];
        ProcStat st;

        stats_put_ullong(w, cur, "balloon.current");
        stats_put_ullong(w, def->memory_kib, "balloon.maximum");
        if (!domain_is_active(d))
                return;
        /* QEMU's guest statistics are never polled without a period: their
         * time is 0 (with a period they are the balloon helper's
         * MemoryStats) */
        if (def->memballoon.present && (!def->memballoon.model || streq(def->memballoon.model, "virtio")) &&
            def->memballoon.stats_period == 0)
                stats_put_ullong(w, 0, "balloon.last-update");
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) d->pid);
        if (read_proc_stat(path, &st) >= 0)
                stats_put_ullong(w, st.rss * (uint64_t) sysconf(_SC_PAGESIZE) / 1024, "balloon.rss");
}

/* The threads of the domain's vCPUs: found once per QEMU and number of
 * vCPUs (a scan of its threads' names), then kept. NULL when out of
 * memory. */
static const pid_t *vcpu_threads(const Domain *d, unsigned n) {
        QemuDomain *qd = qemu_domain(d);
        pid_t *tids;

        if (qd->vcpu_tids && qd->vcpu_tids_pid == d->pid && qd->n_vcpu_tids == n)
                return qd->vcpu_tids;
        tids = calloc(n, sizeof(pid_t));
        if (!tids)
                return NULL;
        find_vcpu_threads(d->pid, tids, n);
        free(qd->vcpu_tids);
        qd->vcpu_tids = tids;
        qd->n_vcpu_tids = n;
        qd->vcpu_tids_pid = d->pid;
        return tids;
}

static void put_vcpus(StatsWriter *w, const Domain *d) {
        const DomainDef *def = domain_current_def(d, false);
        unsigned cur = def->vcpus_current ? def->vcpus_current : def->vcpus;
        const pid_t *tids;
        bool stale = false;

        stats_put_uint(w, cur, "vcpu.current");
        stats_put_uint(w, def->vcpus, "vcpu.maximum");
        if (!domain_is_active(d) || d->pid <= 0 || cur == 0 || cur > VCPUS_MAX)
                return;
        tids = vcpu_threads(d, cur);
        if (!tids) {
                w->r = -ENOMEM;
                return;
        }
        for (unsigned i = 0; i < cur; i++) {
                char path[96], text[4096];
                ProcStat st;
                uint64_t wait = 0, delay = 0;

                stats_put_int(w, 1 /* VIR_VCPU_RUNNING */, "vcpu.%u.state", i);
                stale = stale || !tids[i];
                if (!tids[i])
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int) d->pid, (int) tids[i]);
                if (read_proc_stat(path, &st) < 0) {
                        stale = true;
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", (int) d->pid, (int) tids[i]);
                if (read_small(path, text, sizeof(text)) > 0)
                        (void) qemu_stats_parse_sched_wait(text, &wait);
                snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int) d->pid, (int) tids[i]);
                if (read_small(path, text, sizeof(text)) > 0) {
                        unsigned long long run, del;
                        if (sscanf(text, "%llu %llu", &run, &del) == 2)
                                delay = del;
                }
                stats_put_ullong(w, ticks_to_ns(st.utime + st.stime), "vcpu.%u.time", i);
                stats_put_ullong(w, wait, "vcpu.%u.wait", i);
                stats_put_ullong(w, delay, "vcpu.%u.delay", i);
        }
        /* a thread gone or not found (yet): look again next time */
        if (stale)
                qemu_domain(d)->vcpu_tids_pid = 0;
}

/* ---- Disks: the file's sizes here, the counters from QEMU. ---- */

static bool disk_has_source(const DomainDiskDef *disk) {
        return disk->src && *disk->src;
}

/* capacity (what the guest sees), physical (the file or device), and what
 * the image takes on the host. */
static int disk_sizes(const DomainDiskDef *disk, uint64_t *capacity, uint64_t *physical, uint64_t *allocated) {
        struct stat sb;
        int fd = open(disk->src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &sb) < 0)
                r = -errno;
        else if (S_ISBLK(sb.st_mode)) {
                uint64_t size = 0;
                if (ioctl(fd, BLKGETSIZE64, &size) < 0)
                        r = -errno;
                *capacity = *physical = *allocated = size;
        } else {
                *physical = (uint64_t) sb.st_size;
                *allocated = (uint64_t) sb.st_blocks * 512;
                *capacity = *physical;
                if (disk->format == DOMAIN_DISK_FORMAT_QCOW2) {
                        uint8_t hdr[32];
                        if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t) sizeof(hdr) && memcmp(hdr, "QFI\xfb", 4) == 0) {
                                uint64_t size = 0;
                                for (int i = 24; i < 32; i++)
                                        size = size << 8 | hdr[i];
                                *capacity = size;
                        }
                }
        }
        close(fd);
        return r;
}

static const char *qdev_below_peripheral(const char *qdev) {
        static const char prefix[] = "/machine/peripheral/";

        return strncmp(qdev, prefix, sizeof(prefix) - 1) == 0 ? qdev + sizeof(prefix) - 1 : qdev;
}

json_object *qemu_stats_find_blockstats(json_object *reply, const char *alias) {
        size_t n = reply && json_object_is_type(reply, json_type_array) ? json_object_array_length(reply) : 0;
        size_t len = alias ? strlen(alias) : 0;

        for (size_t i = 0; len && i < n; i++) {
                json_object *e = json_object_array_get_idx(reply, i), *qdev;
                const char *q;
                if (!json_object_object_get_ex(e, "qdev", &qdev) || !json_object_is_type(qdev, json_type_string))
                        continue;
                /* "virtio-disk0", or "/machine/peripheral/virtio-disk0/virtio-backend" */
                q = qdev_below_peripheral(json_object_get_string(qdev));
                if (strncmp(q, alias, len) == 0 && (q[len] == 0 || q[len] == '/'))
                        return e;
        }
        return NULL;
}

static bool json_u64(json_object *o, const char *key, uint64_t *ret) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = (uint64_t) json_object_get_int64(v);
        return true;
}

static void put_block_counters(StatsWriter *w, size_t i, json_object *entry) {
        static const struct {
                const char *field, *key;
        } rows[] = {
                { "rd.reqs", "rd_operations" },       { "rd.bytes", "rd_bytes" },
                { "rd.times", "rd_total_time_ns" },   { "wr.reqs", "wr_operations" },
                { "wr.bytes", "wr_bytes" },           { "wr.times", "wr_total_time_ns" },
                { "fl.reqs", "flush_operations" },    { "fl.times", "flush_total_time_ns" },
        };
        json_object *stats = NULL;

        if (!json_object_object_get_ex(entry, "stats", &stats))
                return;
        for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                uint64_t v;
                if (json_u64(stats, rows[k].key, &v))
                        stats_put_ullong(w, v, "block.%zu.%s", i, rows[k].field);
        }
}

static void put_blocks(StatsWriter *w, const Domain *d, json_object *blockstats) {
        const DomainDef *def = domain_current_def(d, false);
        bool active = domain_is_active(d);

        stats_put_uint(w, def->n_disks, "block.count");
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *disk = &def->disks[i];
                json_object *entry = active ? qemu_stats_find_blockstats(blockstats, disk->alias) : NULL;
                uint64_t capacity = 0, physical = 0, allocated = 0, highest;
                json_object *parent = NULL, *pstats = NULL;
                bool sized;

                stats_put_string(w, disk->dst, "block.%zu.name", i);
                if (!disk_has_source(disk))
                        continue;
                stats_put_string(w, disk->src, "block.%zu.path", i);
                stats_put_uint(w, (uint32_t) i + 1, "block.%zu.backingIndex", i);
                if (entry)
                        put_block_counters(w, i, entry);
                sized = disk_sizes(disk, &capacity, &physical, &allocated) >= 0;
                /* A running guest's allocation is the highest offset QEMU
                 * wrote, as libvirt gives it. */
                if (entry && json_object_object_get_ex(entry, "parent", &parent) &&
                    json_object_object_get_ex(parent, "stats", &pstats) && json_u64(pstats, "wr_highest_offset", &highest))
                        stats_put_ullong(w, highest, "block.%zu.allocation", i);
                else if (sized)
                        stats_put_ullong(w, allocated, "block.%zu.allocation", i);
                if (sized) {
                        stats_put_ullong(w, capacity, "block.%zu.capacity", i);
                        stats_put_ullong(w, physical, "block.%zu.physical", i);
                }
        }
}

/* ---- The records. ---- */

static void put_record(StatsWriter *w, Domain *d, uint32_t stats, json_object *blockstats) {
        bool active = domain_is_active(d) && d->pid > 0;

        if (stats & DOMAIN_STATS_STATE)
                domain_stats_put_state(w, d);
        if (stats & DOMAIN_STATS_CPU_TOTAL && active)
                put_cpu(w, d);
        if (stats & DOMAIN_STATS_BALLOON)
                put_balloon(w, d);
        if (stats & DOMAIN_STATS_VCPU)
                put_vcpus(w, d);
        if (stats & DOMAIN_STATS_INTERFACE)
                domain_stats_put_interfaces(w, d);
        if (stats & DOMAIN_STATS_BLOCK)
                put_blocks(w, d, blockstats);
        if (stats & DOMAIN_STATS_PERF && active)
                qemu_perf_put_stats(w, d);
}

static int write_record(sd_bus_message *reply, Domain *d, uint32_t stats, uint32_t flags,
                        json_object *blockstats) {
        StatsWriter w = { .m = reply };

        w.r = sd_bus_message_open_container(reply, 'a', "{sv}");
        put_record(&w, d, stats, blockstats);
        if (flags & STATS_PROXY_HANDLES) {
                stats_put_string(&w, d->uuid_str, "virtbus.uuid");
                stats_put_int(&w, domain_is_active(d) && d->id > 0 ? d->id : -1, "virtbus.id");
        }
        if (w.r >= 0)
                w.r = sd_bus_message_close_container(reply);
        return w.r;
}

static int answer(StatsCall *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        c->answered = true;
        c->timer = sd_event_source_disable_unref(c->timer);
        if (c->single) {
                Domain *d = c->doms[0].handle ? c->doms[0].handle->owner : NULL;
                if (!d)
                        return sd_bus_reply_method_errorf(c->msg, VB_ERROR_OPERATION_INVALID,
                                                          "the domain stopped while its statistics were read");
                r = sd_bus_message_new_method_return(c->msg, &reply);
                if (r >= 0)
                        r = write_record(reply, d, c->stats, 0, c->doms[0].blockstats);
        } else {
                r = sd_bus_message_new_method_return(c->msg, &reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(sa{sv})");
                for (size_t i = 0; r >= 0 && i < c->n; i++) {
                        Domain *d = c->doms[i].handle->owner;
                        if (!d) /* it went away meanwhile */
                                continue;
                        r = sd_bus_message_open_container(reply, 'r', "sa{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(reply, 's', d->def->name);
                        if (r >= 0)
                                r = write_record(reply, d, c->stats, c->flags, c->doms[i].blockstats);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(c->msg, VB_ERROR_INTERNAL, "cannot write the statistics: %s",
                                                  strerror(-r));
        return 0;
}

typedef struct BlockQuery {
        StatsCall *call;
        size_t index;
} BlockQuery;

static void on_blockstats(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        BlockQuery *q = userdata;
        StatsCall *c = q->call;

        if (result && !c->answered)
                c->doms[q->index].blockstats = json_object_get(result);
        else if (error_class)
                log_debug("query-blockstats failed: %s", error_desc ? error_desc : error_class);
        free(q);
        if (--c->pending == 0 && !c->answered)
                (void) answer(c);
        stats_call_unref(c);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        StatsCall *c = userdata;

        log_debug("Block statistics: %u guests did not answer in time", c->pending);
        if (!c->answered)
                (void) answer(c);
        return 0;
}

/* Asks the guest's QEMU for its disks' counters, when it has any. */
static int ask_blockstats(StatsCall *c, size_t i, Domain *d) {
        QemuDomain *qd = qemu_domain(d);
        BlockQuery *q;
        int r;

        if (!domain_is_active(d) || !qd->mon || domain_current_def(d, false)->n_disks == 0)
                return 0;
        q = malloc(sizeof(*q));
        if (!q)
                return -ENOMEM;
        *q = (BlockQuery) { .call = c, .index = i };
        r = qemu_monitor_command(qd->mon, "query-blockstats", NULL, on_blockstats, q);
        if (r < 0) {
                free(q);
                return 0; /* a closed monitor: no counters */
        }
        c->n_ref++;
        c->pending++;
        return 0;
}

static int get_stats(Manager *m, Domain **doms, size_t n, uint32_t stats, uint32_t flags, bool single,
                     sd_bus_message *msg, sd_bus_error *error) {
        StatsCall *c = calloc(1, sizeof(*c));
        int r = 0;

        if (!c)
                return -ENOMEM;
        *c = (StatsCall) { .n_ref = 1, .m = m, .msg = sd_bus_message_ref(msg), .stats = stats, .flags = flags,
                           .single = single, .n = n };
        c->doms = calloc(n ? n : 1, sizeof(StatsDomain));
        if (!c->doms) {
                stats_call_unref(c);
                return -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                c->doms[i].handle = domain_handle_get(&doms[i]->handle, doms[i]);
                if (!c->doms[i].handle)
                        r = -ENOMEM;
                else if (stats & DOMAIN_STATS_BLOCK)
                        r = ask_blockstats(c, i, doms[i]);
        }
        if (r >= 0 && c->pending == 0)
                r = answer(c);
        else if (r >= 0)
                r = sd_event_add_time_relative(m->event, &c->timer, CLOCK_MONOTONIC, BLOCK_STATS_TIMEOUT_USEC, 0,
                                               on_timeout, c);
        if (r < 0 && !c->answered) {
                c->answered = true; /* the queries in flight find it so */
                stats_call_unref(c);
                return r;
        }
        stats_call_unref(c);
        return 1;
}

const DomainStatsOps qemu_stats_ops = {
        .get_stats = get_stats,
        .cpu_model_names = qemu_node_cpu_model_names,
        .compare_cpu = qemu_node_compare_cpu,
        .baseline_cpu = qemu_node_baseline_cpu,
        .sysinfo = qemu_node_sysinfo,
        .node_cpu_stats = qemu_node_cpu_stats,
        .node_memory_stats = qemu_node_memory_stats,
        .node_free_memory = qemu_node_free_memory,
        .node_cpu_map = qemu_node_cpu_map,
        .node_memory_parameters = qemu_node_memory_parameters,
        .node_set_memory_parameters = qemu_node_set_memory_parameters,
};
