/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "cpuset.h"
#include "log.h"
#include "manager.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-tune.h"
#include "util.h"

#define CGROUP_V2_ROOT "/sys/fs/cgroup"
#define CGROUP_V1_CPU "/sys/fs/cgroup/cpu"

static bool cgroup_is_v2(void) {
        return access(CGROUP_V2_ROOT "/cgroup.controllers", F_OK) == 0;
}

static bool wants_cgroup(const DomainDef *def) {
        const DomainCputuneDef *t = &def->cputune;
        return t->shares || t->period || t->quota;
}

int qemu_tune_cgroup_path(const Domain *d, char **ret) {
        return asprintf(ret, "%s/virtbus/qemu-%s", cgroup_is_v2() ? CGROUP_V2_ROOT : CGROUP_V1_CPU,
                        d->uuid_str) < 0 ? -ENOMEM : 0;
}

static int write_value(const char *dir, const char *file, const char *fmt, ...) _printf_(3, 4);
static int write_value(const char *dir, const char *file, const char *fmt, ...) {
        _cleanup_free_ char *path = path_join(dir, file);
        _cleanup_fclose_ FILE *f = NULL;
        va_list ap;
        int r;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        va_start(ap, fmt);
        r = vfprintf(f, fmt, ap);
        va_end(ap);
        if (r < 0 || fflush(f) != 0)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* cgroup v2 hands a controller down only where each parent enables it. */
static int enable_cpu_controller(const char *dir) {
        int r = write_value(dir, "cgroup.subtree_control", "+cpu");
        return r == -EBUSY ? 0 : r; /* already enabled, or processes there: leave it */
}

static int setup_cgroup(Domain *d, char *msg, size_t size) {
        const DomainCputuneDef *t = &d->live->cputune;
        _cleanup_free_ char *dir = NULL;
        bool v2 = cgroup_is_v2();
        const char *what = "cgroup.procs";
        int r;

        if ((r = qemu_tune_cgroup_path(d, &dir)) < 0)
                return r;
        if (v2) {
                (void) enable_cpu_controller(CGROUP_V2_ROOT);
                (void) mkdir(CGROUP_V2_ROOT "/virtbus", 0755);
                (void) enable_cpu_controller(CGROUP_V2_ROOT "/virtbus");
        }
        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = write_value(dir, what, "%d", (int) d->pid);
        if (r >= 0 && t->shares)
                r = v2 ? write_value(dir, what = "cpu.weight", "%llu",
                                     (unsigned long long) MIN(MAX(t->shares, 1ULL), 10000ULL))
                       : write_value(dir, what = "cpu.shares", "%llu", (unsigned long long) t->shares);
        if (r >= 0 && (t->period || t->quota)) {
                uint64_t period = t->period ? t->period : 100000;
                if (v2)
                        r = t->quota > 0 ? write_value(dir, what = "cpu.max", "%lld %llu", (long long) t->quota,
                                                       (unsigned long long) period)
                                         : write_value(dir, what = "cpu.max", "max %llu", (unsigned long long) period);
                else {
                        r = write_value(dir, what = "cpu.cfs_period_us", "%llu", (unsigned long long) period);
                        if (r >= 0)
                                r = write_value(dir, what = "cpu.cfs_quota_us", "%lld",
                                                (long long) (t->quota > 0 ? t->quota : -1));
                }
        }
        if (r < 0)
                snprintf(msg, size, "cannot apply <cputune> to '%s': %s/%s: %s", d->def->name, dir, what,
                         strerror(-r));
        return r;
}

static const char *vcpu_cpuset(const DomainDef *def, unsigned vcpu) {
        for (size_t i = 0; i < def->cputune.n_vcpupin; i++)
                if (def->cputune.vcpupin[i].vcpu == vcpu)
                        return def->cputune.vcpupin[i].cpuset;
        return def->vcpu_cpuset;
}

static int pin(pid_t tid, const char *cpuset, const char *what, char *msg, size_t size) {
        cpu_set_t set;
        int r = cpuset_parse(cpuset, &set);

        if (r >= 0 && sched_setaffinity(tid, sizeof(set), &set) < 0)
                r = -errno;
        if (r < 0)
                snprintf(msg, size, "cannot pin %s to CPUs '%s': %s", what, cpuset, strerror(-r));
        return r;
}

static bool tid_in(pid_t tid, const pid_t *tids, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (tids[i] == tid)
                        return true;
        return false;
}

/* Every thread of QEMU that is not a vCPU is an emulator thread. */
static int pin_emulator(Domain *d, const pid_t *vcpu_tids, size_t n, char *msg, size_t size) {
        const char *cpuset = d->live->cputune.emulatorpin ? d->live->cputune.emulatorpin : d->live->vcpu_cpuset;
        _cleanup_free_ char *taskdir = NULL;
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;

        if (!cpuset)
                return 0;
        if (asprintf(&taskdir, "/proc/%d/task", (int) d->pid) < 0)
                return -ENOMEM;
        dir = opendir(taskdir);
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                int tid, r;

                if (safe_atoi(de->d_name, &tid) < 0 || tid_in(tid, vcpu_tids, n))
                        continue;
                r = pin(tid, cpuset, "the emulator threads", msg, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A pending query-cpus-fast. Like every request of a domain it holds the
 * domain's handle (domain-handle.h), not the domain: the monitor fails it
 * ("Disconnected") when the guest stops, by then the handle is cancelled. */
typedef struct TuneJob {
        DomainHandle *handle;
        qemu_tune_fn done;
} TuneJob;

static void tune_job_free(TuneJob *job) {
        domain_handle_unref(job->handle);
        free(job);
}

static void on_cpus(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                    void *userdata) {
        TuneJob *job = userdata;
        Domain *d = job->handle->owner;
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        _cleanup_free_ pid_t *tids = NULL;
        char msg[512] = "";
        int r;

        if (!d) {
                tune_job_free(job);
                return;
        }
        tids = calloc(n + 1, sizeof(pid_t));
        r = error_class ? -EIO : tids ? 0 : -ENOMEM;
        if (error_class)
                snprintf(msg, sizeof(msg), "cannot list the vCPUs of '%s': %s", d->def->name, error_desc);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *cpu = json_object_array_get_idx(result, i), *idx, *tid;
                const char *cpuset;
                char what[64];

                if (!json_object_object_get_ex(cpu, "cpu-index", &idx) ||
                    !json_object_object_get_ex(cpu, "thread-id", &tid))
                        continue;
                tids[i] = json_object_get_int(tid);
                cpuset = vcpu_cpuset(d->live, (unsigned) json_object_get_int(idx));
                snprintf(what, sizeof(what), "vCPU %d", json_object_get_int(idx));
                if (cpuset)
                        r = pin(tids[i], cpuset, what, msg, sizeof(msg));
        }
        if (r >= 0)
                r = pin_emulator(d, tids, n, msg, sizeof(msg));
        job->done(d, r, msg);
        tune_job_free(job);
}

static bool wants_affinity(const DomainDef *def) {
        return def->vcpu_cpuset || def->cputune.n_vcpupin > 0 || def->cputune.emulatorpin;
}

int qemu_tune_apply(Domain *d, qemu_tune_fn done) {
        char msg[512] = "";
        TuneJob *job;
        int r;

        if (wants_cgroup(d->live)) {
                r = setup_cgroup(d, msg, sizeof(msg));
                if (r < 0) {
                        done(d, r, msg);
                        return 0;
                }
        }
        if (!wants_affinity(d->live)) {
                done(d, 0, NULL);
                return 0;
        }
        job = calloc(1, sizeof(*job));
        if (!job)
                return -ENOMEM;
        *job = (TuneJob) { .handle = domain_handle_get(&d->handle, d), .done = done };
        if (!job->handle) {
                free(job);
                return -ENOMEM;
        }
        r = qemu_monitor_command(qemu_domain(d)->mon, "query-cpus-fast", NULL, on_cpus, job);
        if (r < 0)
                tune_job_free(job);
        return r;
}

void qemu_tune_cleanup(Domain *d) {
        _cleanup_free_ char *dir = NULL;

        if (!d->live || !wants_cgroup(d->live) || qemu_tune_cgroup_path(d, &dir) < 0)
                return;
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_debug("Cannot remove %s: %m", dir);
}
