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
#include "error.h"

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

/* Puts QEMU into its cgroup and writes def's <cputune> there; what def
 * leaves unset gets the controller's default, so a change back to "unset"
 * is applied too. */
static int setup_cgroup(Domain *d, const DomainDef *def, char *msg, size_t size) {
        const DomainCputuneDef *t = &def->cputune;
        _cleanup_free_ char *dir = NULL;
        bool v2 = cgroup_is_v2();
        const char *what = "cgroup.procs";
        uint64_t period = t->period ? t->period : 100000;
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
        if (r >= 0)
                r = v2 ? write_value(dir, what = "cpu.weight", "%llu",
                                     (unsigned long long) (t->shares ? MIN(MAX(t->shares, 1ULL), 10000ULL) : 100))
                       : write_value(dir, what = "cpu.shares", "%llu",
                                     (unsigned long long) (t->shares ? t->shares : 1024));
        if (r >= 0) {
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
                snprintf(msg, size, "cannot apply <cputune> to '%s': %s/%s: %s", def->name, dir, what,
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
                r = setup_cgroup(d, d->live, msg, sizeof(msg));
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

        /* also when tuning made one live and the definition has none */
        if (!d->live || qemu_tune_cgroup_path(d, &dir) < 0)
                return;
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_debug("Cannot remove %s: %m", dir);
}

/* --- changes while the guest runs (DomainTuneOps) ------------------------- */

/* A live change waiting for QEMU's answer: holds the domain's handle, never
 * the domain (domain-handle.h). */
typedef struct LiveTune {
        DomainHandle *handle;
        DomainTuneWhat what;
        size_t index;
        char *cpuset;            /* VCPUPIN, EMULATORPIN: NULL = every CPU */
        DomainTuneDoneFn done;
        void *userdata;
} LiveTune;

static void live_tune_free(LiveTune *t) {
        domain_handle_unref(t->handle);
        free(t->cpuset);
        free(t);
}

static LiveTune *live_tune_new(Domain *d, DomainTuneWhat what, size_t index, const char *cpuset,
                               DomainTuneDoneFn done, void *userdata) {
        LiveTune *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        *t = (LiveTune) { .what = what, .index = index, .done = done, .userdata = userdata,
                          .handle = domain_handle_get(&d->handle, d) };
        if (!t->handle || (cpuset && !(t->cpuset = strdup(cpuset)))) {
                live_tune_free(t);
                return NULL;
        }
        return t;
}

/* Ends t: done() gets the domain (NULL once it went away). */
static void live_tune_finish(LiveTune *t, int r, const char *error_name, const char *message) {
        t->done(t->handle->owner, r, error_name, message, t->userdata);
        live_tune_free(t);
}

/* Every CPU of the host when a pin goes away. */
static int pin_set(pid_t tid, const char *cpuset, const char *what, char *msg, size_t size) {
        cpu_set_t set;
        long n;

        if (cpuset)
                return pin(tid, cpuset, what, msg, size);
        CPU_ZERO(&set);
        n = sysconf(_SC_NPROCESSORS_CONF);
        for (long i = 0; i < n && i < CPU_SETSIZE; i++)
                CPU_SET(i, &set);
        if (sched_setaffinity(tid, sizeof(set), &set) < 0) {
                snprintf(msg, size, "cannot unpin %s: %m", what);
                return -errno;
        }
        return 0;
}

static void on_live_cpus(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        LiveTune *t = userdata;
        Domain *d = t->handle->owner;
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        _cleanup_free_ pid_t *tids = calloc(n + 1, sizeof(pid_t));
        _cleanup_free_ char *taskdir = NULL;
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;
        char msg[512] = "";
        bool found = false;
        int r = 0;

        if (!d || error_class) {
                snprintf(msg, sizeof(msg), "cannot list the vCPUs: %s", error_desc ? error_desc : "domain gone");
                live_tune_finish(t, -EIO, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        if (!tids) {
                live_tune_finish(t, -ENOMEM, NULL, NULL);
                return;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                json_object *cpu = json_object_array_get_idx(result, i), *idx, *tid;
                char what[64];

                if (!json_object_object_get_ex(cpu, "cpu-index", &idx) ||
                    !json_object_object_get_ex(cpu, "thread-id", &tid))
                        continue;
                tids[i] = json_object_get_int(tid);
                if (t->what != DOMAIN_TUNE_VCPUPIN || (size_t) json_object_get_int(idx) != t->index)
                        continue;
                found = true;
                snprintf(what, sizeof(what), "vCPU %zu", t->index);
                r = pin_set(tids[i], t->cpuset, what, msg, sizeof(msg));
        }
        if (r >= 0 && t->what == DOMAIN_TUNE_VCPUPIN && !found) {
                snprintf(msg, sizeof(msg), "vCPU %zu is not online in the guest", t->index);
                r = -ENOENT;
        }
        if (r >= 0 && t->what == DOMAIN_TUNE_EMULATORPIN) {
                r = asprintf(&taskdir, "/proc/%d/task", (int) d->pid) < 0 ? -ENOMEM : 0;
                if (r >= 0 && !(dir = opendir(taskdir)))
                        r = -errno;
                while (r >= 0 && (de = readdir(dir))) {
                        int tid;
                        if (safe_atoi(de->d_name, &tid) < 0 || tid_in(tid, tids, n))
                                continue;
                        r = pin_set(tid, t->cpuset, "the emulator threads", msg, sizeof(msg));
                }
        }
        live_tune_finish(t, r, VB_ERROR_OPERATION_FAILED, msg);
}

static int apply_pin(Domain *d, DomainTuneWhat what, const DomainDef *newlive, size_t index, DomainTuneDoneFn done,
                     void *userdata, sd_bus_error *error) {
        const char *cpuset = what == DOMAIN_TUNE_VCPUPIN ? domain_tune_vcpu_cpuset(newlive, index)
                                                          : domain_tune_emulator_cpuset(newlive);
        LiveTune *t = live_tune_new(d, what, index, cpuset, done, userdata);
        int r;

        if (!t)
                return -ENOMEM;
        r = qemu_monitor_command(qemu_domain(d)->mon, "query-cpus-fast", NULL, on_live_cpus, t);
        if (r < 0) {
                live_tune_free(t);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot reach QEMU's monitor: %s",
                                     strerror(-r));
        }
        return 1;
}

static void on_throttle(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                        void *userdata) {
        LiveTune *t = userdata;
        char msg[512];

        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot set the I/O limits in QEMU: %s", error_desc);
                live_tune_finish(t, -EIO, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        live_tune_finish(t, 0, NULL, NULL);
}

/* A throttle filter put in at start (its throttle-group object) stops
 * limiting: from the first live change on, the device's own limits
 * (block_set_io_throttle) are the disk's. QEMU refuses a name it does not
 * have; that is fine. */
static void neutralize_group(QemuMonitor *mon, const char *group) {
        static const char *const keys[] = {
                "bps-total", "bps-read", "bps-write", "iops-total", "iops-read", "iops-write",
                "bps-total-max", "bps-read-max", "bps-write-max", "iops-total-max", "iops-read-max",
                "iops-write-max", "iops-size",
        };
        json_object *args = json_object_new_object(), *limits = json_object_new_object();
        char path[160];

        if (!args || !limits) {
                json_object_put(args);
                json_object_put(limits);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                json_object_object_add(limits, keys[i], json_object_new_int64(0));
        snprintf(path, sizeof(path), "throttle-%s", group);
        json_object_object_add(args, "path", json_object_new_string(path));
        json_object_object_add(args, "property", json_object_new_string("limits"));
        json_object_object_add(args, "value", limits);
        (void) qemu_monitor_command(mon, "qom-set", args, NULL, NULL);
}

static int apply_iotune(Domain *d, const DomainDef *old, const DomainDef *newlive, size_t index,
                        DomainTuneDoneFn done, void *userdata, sd_bus_error *error) {
        const DomainDiskDef *disk = &newlive->disks[index], *was = index < old->n_disks ? &old->disks[index] : NULL;
        const DomainDiskIotune *t = &disk->iotune;
        const struct {
                const char *name;
                uint64_t v;
                bool required;
        } limits[] = {
                { "bps", t->total_bytes_sec, true },         { "bps_rd", t->read_bytes_sec, true },
                { "bps_wr", t->write_bytes_sec, true },      { "iops", t->total_iops_sec, true },
                { "iops_rd", t->read_iops_sec, true },       { "iops_wr", t->write_iops_sec, true },
                { "bps_max", t->total_bytes_sec_max },       { "bps_rd_max", t->read_bytes_sec_max },
                { "bps_wr_max", t->write_bytes_sec_max },    { "iops_max", t->total_iops_sec_max },
                { "iops_rd_max", t->read_iops_sec_max },     { "iops_wr_max", t->write_iops_sec_max },
                { "iops_size", t->size_iops_sec },
        };
        QemuMonitor *mon = qemu_domain(d)->mon;
        json_object *args;
        char qom[200];
        LiveTune *lt;
        int r;

        if (!disk->alias)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "disk '%s' has no device in QEMU", disk->dst);
        if (was && was->alias)
                neutralize_group(mon, was->alias);
        if (was && was->has_iotune && was->iotune.group_name)
                neutralize_group(mon, was->iotune.group_name);
        args = json_object_new_object();
        lt = live_tune_new(d, DOMAIN_TUNE_IOTUNE, index, NULL, done, userdata);
        if (!args || !lt) {
                json_object_put(args);
                if (lt)
                        live_tune_free(lt);
                return -ENOMEM;
        }
        /* a virtio-blk-pci's block backend is on its inner virtio device */
        if (disk->bus == DOMAIN_DISK_BUS_VIRTIO)
                snprintf(qom, sizeof(qom), "/machine/peripheral/%s/virtio-backend", disk->alias);
        else
                snprintf(qom, sizeof(qom), "%s", disk->alias);
        json_object_object_add(args, "id", json_object_new_string(qom));
        for (size_t i = 0; i < ELEMENTSOF(limits); i++)
                if (limits[i].required || limits[i].v)
                        json_object_object_add(args, limits[i].name, json_object_new_int64((int64_t) limits[i].v));
        if (t->group_name)
                json_object_object_add(args, "group", json_object_new_string(t->group_name));
        r = qemu_monitor_command(mon, "block_set_io_throttle", args, on_throttle, lt);
        if (r < 0) {
                live_tune_free(lt);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot reach QEMU's monitor: %s",
                                     strerror(-r));
        }
        return 1;
}

static int apply_scheduler(Domain *d, const DomainDef *newlive, sd_bus_error *error) {
        char msg[512] = "";
        int r = setup_cgroup(d, newlive, msg, sizeof(msg));

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "%s", msg);
        return 0;
}

static int tune_apply(Domain *d, DomainTuneWhat what, const DomainDef *old, const DomainDef *newlive, size_t index,
                      DomainTuneDoneFn done, void *userdata, sd_bus_error *error) {
        if (!qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' has no monitor",
                                     d->def->name);
        switch (what) {
        case DOMAIN_TUNE_SCHEDULER:
                return apply_scheduler(d, newlive, error);
        case DOMAIN_TUNE_VCPUPIN:
        case DOMAIN_TUNE_EMULATORPIN:
                return apply_pin(d, what, newlive, index, done, userdata, error);
        case DOMAIN_TUNE_IOTUNE:
                return apply_iotune(d, old, newlive, index, done, userdata, error);
        case DOMAIN_TUNE_NUMA:
                break;
        }
        return -EINVAL;
}

const DomainTuneOps qemu_tune_ops = {
        .apply = tune_apply,
};
