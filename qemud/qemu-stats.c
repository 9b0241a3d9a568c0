/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
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

/* How long a call waits for the guests' QEMUs to answer. */
#define QUERY_TIMEOUT_USEC (1000 * 1000)
#define VCPUS_MAX 1024

/* What a call asks QEMU, per group. */
typedef enum StatsQuery {
        QUERY_BLOCKSTATS,    /* block */
        QUERY_IOTHREADS,     /* iothread */
        QUERY_DIRTY_RATE,    /* dirtyrate */
        QUERY_STATS_VM,      /* vm: the values ... */
        QUERY_STATS_SCHEMAS, /* ... and their kinds */
        _QUERY_MAX,
} StatsQuery;

/* One domain of a call, and what QEMU answered (NULL: nothing). */
typedef struct StatsDomain {
        DomainHandle *handle;
        json_object *replies[_QUERY_MAX];
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
                for (int q = 0; q < _QUERY_MAX; q++)
                        json_object_put(c->doms[i].replies[q]);
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
        if (def->memballoon.present && !streq_ptr(def->memballoon.model, "none") &&
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

/* virDomainGetVcpus' view of each online vCPU (domain-perf.h): its
 * thread's time, the CPU it last ran on and its affinity now. */
int qemu_stats_vcpu_info(Domain *d, sd_bus_message *reply, sd_bus_error *error) {
        const DomainDef *def = domain_current_def(d, false);
        unsigned cur = def->vcpus_current ? def->vcpus_current : def->vcpus;
        long ncpus = sysconf(_SC_NPROCESSORS_CONF);
        const pid_t *tids;
        int r;

        if (cur == 0 || cur > VCPUS_MAX || d->pid <= 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' has no vCPU threads",
                                     d->def->name);
        if (ncpus <= 0 || ncpus > CPU_SETSIZE)
                ncpus = CPU_SETSIZE;
        tids = vcpu_threads(d, cur);
        if (!tids)
                return -ENOMEM;
        r = sd_bus_message_open_container(reply, 'a', "(uitiab)");
        for (unsigned i = 0; r >= 0 && i < cur; i++) {
                pid_t tid = tids[i] ? tids[i] : d->pid;
                char path[96];
                ProcStat st = { .processor = -1 };
                cpu_set_t mask;

                snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int) d->pid, (int) tid);
                (void) read_proc_stat(path, &st);
                if (sched_getaffinity(tid, sizeof(mask), &mask) < 0)
                        CPU_ZERO(&mask);
                r = sd_bus_message_open_container(reply, 'r', "uitiab");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "uiti", i, 1 /* VIR_VCPU_RUNNING */,
                                                  ticks_to_ns(st.utime + st.stime), st.processor);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "b");
                for (long c = 0; r >= 0 && c < ncpus; c++)
                        r = sd_bus_message_append(reply, "b", (int) CPU_ISSET(c, &mask));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (!tids[0])
                qemu_domain(d)->vcpu_tids_pid = 0; /* look again next time */
        return r;
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
                /* the image may be a slice of the file: the guest sees that */
                off_t base = disk->slice.set ? (off_t) disk->slice.offset : 0;

                *physical = (uint64_t) sb.st_size;
                *allocated = (uint64_t) sb.st_blocks * 512;
                *capacity = disk->slice.set ? disk->slice.size : *physical;
                if (disk->format == DOMAIN_DISK_FORMAT_QCOW2) {
                        uint8_t hdr[32];
                        if (pread(fd, hdr, sizeof(hdr), base) == (ssize_t) sizeof(hdr) && memcmp(hdr, "QFI\xfb", 4) == 0) {
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

/* ---- IOThreads, dirty rate, the VM's own counters: from QEMU. ---- */

static bool json_int(json_object *o, const char *key, int64_t *ret) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

static const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static size_t json_len(json_object *a) {
        return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* query-iothreads: iothread.count, and per IOThread (by its number in
 * <iothreadids>, the QEMU id "iothread<N>") its polling figures. Nothing
 * for a guest without IOThreads, as libvirt gives it. */
void qemu_stats_put_iothreads(StatsWriter *w, json_object *reply) {
        size_t n = json_len(reply);

        if (n == 0)
                return;
        stats_put_uint(w, (uint32_t) n, "iothread.count");
        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(reply, i);
                const char *id = json_str(t, "id");
                int64_t max_ns, grow, shrink;
                unsigned num;
                char tail;

                if (!id || sscanf(id, "iothread%u%c", &num, &tail) != 1)
                        continue;
                if (!json_int(t, "poll-max-ns", &max_ns) || !json_int(t, "poll-grow", &grow) ||
                    !json_int(t, "poll-shrink", &shrink))
                        continue;
                stats_put_ullong(w, (uint64_t) max_ns, "iothread.%u.poll-max-ns", num);
                stats_put_uint(w, (uint32_t) grow, "iothread.%u.poll-grow", num);
                stats_put_uint(w, (uint32_t) shrink, "iothread.%u.poll-shrink", num);
        }
}

/* query-dirty-rate: libvirt's virDomainDirtyRateStatus and the rate once
 * measured (per vCPU too in dirty-ring mode). */
void qemu_stats_put_dirty_rate(StatsWriter *w, json_object *reply) {
        static const char *const statuses[] = { "unstarted", "measuring", "measured" };
        const char *status = json_str(reply, "status"), *mode = json_str(reply, "mode");
        int64_t start = 0, period = 0, rate;
        json_object *vcpus;
        int st = -1;

        for (size_t i = 0; status && i < ELEMENTSOF(statuses); i++)
                if (streq(status, statuses[i]))
                        st = (int) i;
        if (st < 0)
                return;
        (void) json_int(reply, "start-time", &start);
        (void) json_int(reply, "calc-time", &period);
        stats_put_int(w, st, "dirtyrate.calc_status");
        stats_put_llong(w, start, "dirtyrate.calc_start_time");
        stats_put_int(w, (int32_t) period, "dirtyrate.calc_period");
        stats_put_string(w, mode ? mode : "page-sampling", "dirtyrate.calc_mode");
        if (st != 2 || !json_int(reply, "dirty-rate", &rate))
                return;
        stats_put_llong(w, rate, "dirtyrate.megabytes_per_second");
        if (!mode || !streq(mode, "dirty-ring") || !json_object_object_get_ex(reply, "vcpu-dirty-rate", &vcpus))
                return;
        for (size_t i = 0; i < json_len(vcpus); i++) {
                json_object *v = json_object_array_get_idx(vcpus, i);
                int64_t id, vrate;
                if (json_int(v, "id", &id) && json_int(v, "dirty-rate", &vrate))
                        stats_put_ullong(w, (uint64_t) vrate, "dirtyrate.vcpu.%d.megabytes_per_second", (int) id);
        }
}

/* The kind of the VM statistic name of provider, from query-stats-schemas:
 * libvirt's suffix ("cur", "sum", "max"), NULL for one it leaves out
 * (histograms). */
static const char *vm_stat_suffix(json_object *schemas, const char *provider, const char *name) {
        for (size_t i = 0; i < json_len(schemas); i++) {
                json_object *p = json_object_array_get_idx(schemas, i), *stats;
                const char *prov = json_str(p, "provider"), *target = json_str(p, "target");
                if (!prov || !streq(prov, provider) || !target || !streq(target, "vm") ||
                    !json_object_object_get_ex(p, "stats", &stats))
                        continue;
                for (size_t k = 0; k < json_len(stats); k++) {
                        json_object *e = json_object_array_get_idx(stats, k);
                        const char *n = json_str(e, "name"), *type = json_str(e, "type");
                        if (!n || !streq(n, name) || !type)
                                continue;
                        return streq(type, "cumulative") ? "sum"
                               : streq(type, "instant")  ? "cur"
                               : streq(type, "peak")     ? "max"
                                                         : NULL;
                }
        }
        return NULL;
}

/* query-stats for the VM target: vm.<name>.<cur|sum|max> of each counter
 * of QEMU's providers (KVM's; none under TCG), as libvirt names them. */
void qemu_stats_put_vm(StatsWriter *w, json_object *stats, json_object *schemas) {
        for (size_t i = 0; i < json_len(stats); i++) {
                json_object *p = json_object_array_get_idx(stats, i), *list;
                const char *provider = json_str(p, "provider");
                if (!provider || !json_object_object_get_ex(p, "stats", &list))
                        continue;
                for (size_t k = 0; k < json_len(list); k++) {
                        json_object *e = json_object_array_get_idx(list, k), *v;
                        const char *name = json_str(e, "name"), *suffix;
                        if (!name || !json_object_object_get_ex(e, "value", &v))
                                continue;
                        suffix = vm_stat_suffix(schemas, provider, name);
                        if (!suffix)
                                continue;
                        if (json_object_is_type(v, json_type_boolean))
                                stats_put_bool(w, json_object_get_boolean(v), "vm.%s.%s", name, suffix);
                        else if (json_object_is_type(v, json_type_int))
                                stats_put_ullong(w, (uint64_t) json_object_get_int64(v), "vm.%s.%s", name, suffix);
                }
        }
}

/* ---- The records. ---- */

static void put_record(StatsWriter *w, Domain *d, uint32_t stats, json_object *const *replies) {
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
                put_blocks(w, d, replies[QUERY_BLOCKSTATS]);
        if (stats & DOMAIN_STATS_PERF && active)
                qemu_perf_put_stats(w, d);
        if (stats & DOMAIN_STATS_IOTHREAD && active)
                qemu_stats_put_iothreads(w, replies[QUERY_IOTHREADS]);
        /* DOMAIN_STATS_MEMORY: the memory bandwidth monitors of
         * <memorytune>, which no definition here has: nothing, as libvirt
         * gives for a guest without them */
        if (stats & DOMAIN_STATS_DIRTYRATE && active)
                qemu_stats_put_dirty_rate(w, replies[QUERY_DIRTY_RATE]);
        if (stats & DOMAIN_STATS_VM && active)
                qemu_stats_put_vm(w, replies[QUERY_STATS_VM], replies[QUERY_STATS_SCHEMAS]);
}

static int write_record(sd_bus_message *reply, Domain *d, uint32_t stats, uint32_t flags,
                        json_object *const *replies) {
        StatsWriter w = { .m = reply };

        w.r = sd_bus_message_open_container(reply, 'a', "{sv}");
        put_record(&w, d, stats, replies);
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
                        r = write_record(reply, d, c->stats, 0, c->doms[0].replies);
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
                                r = write_record(reply, d, c->stats, c->flags, c->doms[i].replies);
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

typedef struct StatsQueryCtx {
        StatsCall *call;
        size_t index;
        StatsQuery query;
} StatsQueryCtx;

/* Keeps what cannot change until asked again (qemu-perf.h). */
static void remember(Domain *d, StatsQuery query, json_object *result) {
        QemuStatsCache *cache = d && domain_is_active(d) ? qemu_perf_stats_cache(d) : NULL;
        const char *status;

        if (!cache)
                return;
        switch (query) {
        case QUERY_STATS_SCHEMAS:
                if (!cache->schemas)
                        cache->schemas = json_object_get(result);
                break;
        case QUERY_STATS_VM:
                cache->vm_none = json_len(result) == 0;
                break;
        case QUERY_DIRTY_RATE:
                status = json_str(result, "status");
                json_object_put(cache->dirty_rate);
                /* only a finished measure stays: QEMU answers "unstarted" for a
                 * moment after calc-dirty-rate, until its thread runs */
                cache->dirty_rate = streq_ptr(status, "measured") ? json_object_get(result) : NULL;
                break;
        default:
                break;
        }
}

static void on_query_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        StatsQueryCtx *q = userdata;
        StatsCall *c = q->call;

        if (result)
                remember(c->doms[q->index].handle->owner, q->query, result);
        if (result && !c->answered)
                c->doms[q->index].replies[q->query] = json_object_get(result);
        else if (error_class) /* a QEMU without the command: the group is left out */
                log_debug("statistics query %d failed: %s", (int) q->query, error_desc ? error_desc : error_class);
        free(q);
        if (--c->pending == 0 && !c->answered)
                (void) answer(c);
        stats_call_unref(c);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        StatsCall *c = userdata;

        log_debug("Statistics: %u answers of QEMU did not come in time", c->pending);
        if (!c->answered)
                (void) answer(c);
        return 0;
}

/* Asks the guest's QEMU one query; a closed monitor gives nothing. */
static int ask(StatsCall *c, size_t i, Domain *d, StatsQuery query, const char *command, json_object *args) {
        QemuDomain *qd = qemu_domain(d);
        StatsQueryCtx *q;
        int r;

        if (!qd->mon) {
                json_object_put(args);
                return 0;
        }
        q = malloc(sizeof(*q));
        if (!q) {
                json_object_put(args);
                return -ENOMEM;
        }
        *q = (StatsQueryCtx) { .call = c, .index = i, .query = query };
        r = qemu_monitor_command(qd->mon, command, args, on_query_reply, q);
        if (r < 0) {
                free(q);
                return 0;
        }
        c->n_ref++;
        c->pending++;
        return 0;
}

static json_object *vm_target(void) {
        json_object *o = json_object_new_object();

        if (o)
                json_object_object_add(o, "target", json_object_new_string("vm"));
        return o;
}

/* What the groups asked of d need from its QEMU. */
static int ask_queries(StatsCall *c, size_t i, Domain *d) {
        const DomainDef *def = domain_current_def(d, false);
        uint32_t stats = c->stats;
        QemuStatsCache *cache;
        int r = 0;

        if (!domain_is_active(d) || d->pid <= 0)
                return 0;
        cache = qemu_perf_stats_cache(d);
        if (stats & DOMAIN_STATS_BLOCK && def->n_disks > 0)
                r = ask(c, i, d, QUERY_BLOCKSTATS, "query-blockstats", NULL);
        if (r >= 0 && stats & DOMAIN_STATS_IOTHREAD && def->n_iothreadids > 0)
                r = ask(c, i, d, QUERY_IOTHREADS, "query-iothreads", NULL);
        if (r >= 0 && stats & DOMAIN_STATS_DIRTYRATE) {
                if (cache && cache->dirty_rate)
                        c->doms[i].replies[QUERY_DIRTY_RATE] = json_object_get(cache->dirty_rate);
                else
                        r = ask(c, i, d, QUERY_DIRTY_RATE, "query-dirty-rate", NULL);
        }
        /* a QEMU without VM counters (TCG) is not asked again */
        if (r >= 0 && stats & DOMAIN_STATS_VM && !(cache && cache->vm_none)) {
                r = ask(c, i, d, QUERY_STATS_VM, "query-stats", vm_target());
                if (r >= 0 && cache && cache->schemas)
                        c->doms[i].replies[QUERY_STATS_SCHEMAS] = json_object_get(cache->schemas);
                else if (r >= 0)
                        r = ask(c, i, d, QUERY_STATS_SCHEMAS, "query-stats-schemas", NULL);
        }
        return r;
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
                else
                        r = ask_queries(c, i, doms[i]);
        }
        if (r >= 0 && c->pending == 0)
                r = answer(c);
        else if (r >= 0)
                r = sd_event_add_time_relative(m->event, &c->timer, CLOCK_MONOTONIC, QUERY_TIMEOUT_USEC, 0,
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
