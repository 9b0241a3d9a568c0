/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "domain.h"
#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-perf.h"
#include "qemu-stats.h"
#include "util.h"

/* One event's counters: one fd per thread the process had when it was
 * opened (each also counts the threads that thread makes later). */
typedef struct PerfCounter {
        int *fds;
        size_t n;
} PerfCounter;

struct QemuPerf {
        pid_t pid; /* the QEMU the counters (and the cache) are of */
        PerfCounter events[_DOMAIN_PERF_MAX];
        QemuStatsCache cache;
};

/* perf's type and config of each libvirt event; type UINT32_MAX: none
 * (cmt, mbmt, mbml were Intel CQM's, which perf no longer has since Linux
 * 4.14: libvirt cannot enable them either). */
static const struct {
        uint32_t type;
        uint64_t config;
} event_attrs[_DOMAIN_PERF_MAX] = {
        [DOMAIN_PERF_CMT] = { UINT32_MAX, 0 },
        [DOMAIN_PERF_MBMT] = { UINT32_MAX, 0 },
        [DOMAIN_PERF_MBML] = { UINT32_MAX, 0 },
        [DOMAIN_PERF_CPU_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
        [DOMAIN_PERF_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
        [DOMAIN_PERF_CACHE_REFERENCES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
        [DOMAIN_PERF_CACHE_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
        [DOMAIN_PERF_BRANCH_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
        [DOMAIN_PERF_BRANCH_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
        [DOMAIN_PERF_BUS_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
        [DOMAIN_PERF_STALLED_CYCLES_FRONTEND] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
        [DOMAIN_PERF_STALLED_CYCLES_BACKEND] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
        [DOMAIN_PERF_REF_CPU_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
        [DOMAIN_PERF_CPU_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
        [DOMAIN_PERF_TASK_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
        [DOMAIN_PERF_PAGE_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
        [DOMAIN_PERF_CONTEXT_SWITCHES] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
        [DOMAIN_PERF_CPU_MIGRATIONS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
        [DOMAIN_PERF_PAGE_FAULTS_MIN] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
        [DOMAIN_PERF_PAGE_FAULTS_MAJ] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
        [DOMAIN_PERF_ALIGNMENT_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
        [DOMAIN_PERF_EMULATION_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
};

int qemu_perf_open_counter(DomainPerfEvent event, pid_t tid) {
        struct perf_event_attr attr = {
                .size = sizeof(attr),
                .inherit = 1, /* and the threads it makes from now on */
        };
        long fd;

        if ((unsigned) event >= _DOMAIN_PERF_MAX || event_attrs[event].type == UINT32_MAX)
                return -EOPNOTSUPP;
        attr.type = event_attrs[event].type;
        attr.config = event_attrs[event].config;
        fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
        return fd < 0 ? -errno : (int) fd;
}

static void counter_close(PerfCounter *c) {
        for (size_t i = 0; i < c->n; i++)
                close(c->fds[i]);
        c->fds = mfree(c->fds);
        c->n = 0;
}

static uint64_t counter_read(const PerfCounter *c) {
        uint64_t sum = 0;

        for (size_t i = 0; i < c->n; i++) {
                uint64_t v;
                if (read(c->fds[i], &v, sizeof(v)) == (ssize_t) sizeof(v))
                        sum += v;
        }
        return sum;
}

/* Opens event on every thread of pid. A thread that ends meanwhile is
 * skipped; any other failure fails the whole event. */
static int counter_open(PerfCounter *c, DomainPerfEvent event, pid_t pid) {
        _cleanup_(closedirp) DIR *dir = NULL;
        char path[64];
        struct dirent *de;
        int r = 0;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        dir = opendir(path);
        if (!dir)
                return -errno;
        while (r >= 0 && (de = readdir(dir))) {
                int tid, fd, *fds;
                if (safe_atoi(de->d_name, &tid) < 0)
                        continue;
                fd = qemu_perf_open_counter(event, tid);
                if (fd == -ESRCH)
                        continue;
                if (fd < 0) {
                        r = fd;
                        break;
                }
                fds = reallocarray(c->fds, c->n + 1, sizeof(int));
                if (!fds) {
                        close(fd);
                        r = -ENOMEM;
                        break;
                }
                c->fds = fds;
                c->fds[c->n++] = fd;
        }
        if (r >= 0 && c->n == 0)
                r = -ESRCH; /* the process is gone */
        if (r < 0)
                counter_close(c);
        return r;
}

static QemuPerf *perf_of(Domain *d, bool create) {
        QemuDomain *qd = qemu_domain(d);

        if (!qd->perf && create) {
                qd->perf = calloc(1, sizeof(QemuPerf));
                if (qd->perf)
                        qd->perf->pid = d->pid;
        }
        return qd->perf;
}

static void cache_clear(QemuStatsCache *c) {
        json_object_put(c->schemas);
        json_object_put(c->dirty_rate);
        *c = (QemuStatsCache) {};
}

static void perf_close_all(QemuPerf *p) {
        for (int i = 0; i < _DOMAIN_PERF_MAX; i++)
                counter_close(&p->events[i]);
        cache_clear(&p->cache);
}

void qemu_perf_free(Domain *d) {
        QemuDomain *qd = qemu_domain(d);

        if (!qd || !qd->perf)
                return;
        perf_close_all(qd->perf);
        qd->perf = mfree(qd->perf);
}

/* The counters of the QEMU running now: those of an earlier one go. */
static QemuPerf *perf_current(Domain *d, bool create) {
        QemuPerf *p = perf_of(d, false);

        if (p && (p->pid != d->pid || !domain_is_active(d) || d->pid <= 0)) {
                perf_close_all(p);
                p->pid = d->pid;
        }
        if (!domain_is_active(d) || d->pid <= 0)
                return NULL;
        return p ? p : perf_of(d, create);
}

QemuStatsCache *qemu_perf_stats_cache(Domain *d) {
        QemuPerf *p = perf_current(d, true);

        return p ? &p->cache : NULL;
}

static int explain(int r, DomainPerfEvent event, pid_t pid, sd_bus_error *error) {
        const char *name = domain_perf_event_to_string(event);

        switch (r) {
        case -EOPNOTSUPP:
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "perf event '%s' is not supported: the kernel's perf has no such event", name);
        case -ENOENT:
        case -ENODEV:
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "perf event '%s' is not supported by this host (perf_event_open: %s)", name,
                                     strerror(-r));
        case -ENOSYS:
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this host's kernel has no perf events");
        case -EACCES:
        case -EPERM:
                return vb_error_setf(error, VB_ERROR_SYSTEM,
                                     "unable to open perf event '%s' for pid %d: %s (see "
                                     "/proc/sys/kernel/perf_event_paranoid)",
                                     name, (int) pid, strerror(-r));
        default:
                return vb_error_setf(error, VB_ERROR_SYSTEM, "unable to open perf event '%s' for pid %d: %s", name,
                                     (int) pid, strerror(-r));
        }
}

static int perf_set(Domain *d, DomainPerfEvent event, bool on, sd_bus_error *error) {
        QemuPerf *p = perf_current(d, on);
        int r;

        if ((unsigned) event >= _DOMAIN_PERF_MAX)
                return -EINVAL;
        if (!on) {
                if (p)
                        counter_close(&p->events[event]);
                return 0;
        }
        if (!p)
                return domain_is_active(d) ? -ENOMEM
                                           : vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                                           "domain '%s' is not running", d->def->name);
        if (p->events[event].n > 0)
                return 0;
        r = counter_open(&p->events[event], event, d->pid);
        if (r < 0)
                return error ? explain(r, event, d->pid, error) : r;
        return 0;
}

/* The counters made to match d's live definition; the first event that
 * cannot be counted in *failed and its -errno (the others are still done). */
static int sync_counters(Domain *d, DomainPerfEvent *failed) {
        const DomainDef *def = d->live;
        bool any = false;
        QemuPerf *p;
        int ret = 0;

        for (int i = 0; def && i < _DOMAIN_PERF_MAX; i++)
                any = any || def->perf[i] == TRISTATE_ON;
        /* No QEMU yet (or any more): nothing to count; the counters open
         * with the next sync once it runs. */
        if (!domain_is_active(d) || d->pid <= 0)
                return 0;
        p = perf_current(d, any && def);
        if (!p && any && def) {
                for (int i = 0; i < _DOMAIN_PERF_MAX; i++)
                        if (def->perf[i] == TRISTATE_ON) {
                                *failed = (DomainPerfEvent) i;
                                break;
                        }
                return -ENOMEM;
        }
        if (!p)
                return 0;
        for (int i = 0; i < _DOMAIN_PERF_MAX; i++) {
                bool on = def && def->perf[i] == TRISTATE_ON;
                if (on == (p->events[i].n > 0))
                        continue;
                if (!on) {
                        counter_close(&p->events[i]);
                        continue;
                }
                int r = counter_open(&p->events[i], (DomainPerfEvent) i, d->pid);
                if (r < 0 && ret == 0) {
                        *failed = (DomainPerfEvent) i;
                        ret = r;
                }
        }
        return ret;
}

void qemu_perf_sync(Domain *d) {
        DomainPerfEvent failed;
        int r = sync_counters(d, &failed);

        if (r < 0)
                log_warning("Domain %s: cannot count perf event '%s': %s", d->def->name,
                            domain_perf_event_to_string(failed), strerror(-r));
}

int qemu_perf_start(Domain *d, char *msg, size_t size) {
        DomainPerfEvent failed;
        int r = sync_counters(d, &failed);

        if (r < 0)
                snprintf(msg, size, "cannot count perf event '%s' on this host: %s",
                         domain_perf_event_to_string(failed), strerror(-r));
        return r;
}

void qemu_perf_put_stats(StatsWriter *w, Domain *d) {
        QemuPerf *p;

        qemu_perf_sync(d);
        p = perf_current(d, false);
        for (int i = 0; p && i < _DOMAIN_PERF_MAX; i++)
                if (p->events[i].n > 0)
                        stats_put_ullong(w, counter_read(&p->events[i]), "perf.%s",
                                         domain_perf_event_to_string((DomainPerfEvent) i));
}

/* ---- virDomainStartDirtyRateCalc ---- */

static void on_dirty_rate_reply(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        Domain *d = userdata; /* the monitor calls back only while d lives */
        char msg[512];

        if (!error_class) {
                domain_job_succeed(d->jobs);
                return;
        }
        if (streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED))
                snprintf(msg, sizeof(msg), "domain '%s' stopped before QEMU answered", d->def->name);
        else
                snprintf(msg, sizeof(msg), "QEMU refused to calculate the dirty rate: %s",
                         error_desc && *error_desc ? error_desc : error_class);
        domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, msg);
}

static int start_dirty_rate(Domain *d, int32_t seconds, uint32_t flags, sd_bus_error *error) {
        QemuDomain *qd = qemu_domain(d);
        QemuStatsCache *cache;
        json_object *args;
        int r;

        if (!qd->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "calc-time", json_object_new_int64(seconds));
        /* page sampling is QEMU's default: named only when another is asked */
        if (flags & DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP)
                json_object_object_add(args, "mode", json_object_new_string("dirty-bitmap"));
        else if (flags & DOMAIN_DIRTYRATE_MODE_DIRTY_RING)
                json_object_object_add(args, "mode", json_object_new_string("dirty-ring"));
        /* what the statistics kept of the last measure is no more */
        cache = qemu_perf_stats_cache(d);
        if (cache) {
                json_object_put(cache->dirty_rate);
                cache->dirty_rate = NULL;
        }
        r = qemu_monitor_command(qd->mon, "calc-dirty-rate", args, on_dirty_rate_reply, d);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send calc-dirty-rate to QEMU: %s",
                                     strerror(-r));
        return 1;
}

const DomainPerfOps qemu_perf_ops = {
        .set = perf_set,
        .vcpu_info = qemu_stats_vcpu_info,
        .start_dirty_rate = start_dirty_rate,
};
