/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "cgroup-devices.h"
#include "cpuset.h"
#include "domain-cgroup.h"
#include "log.h"
#include "manager.h"
#include "qemu-domain.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-monitor.h"
#include "qemu-tune.h"
#include "qemu-tune-threads.h"
#include "qemu-tune-sched.h"
#include "util.h"
#include "error.h"

/* Removing the cgroup waits this long for QEMU's last threads. */
#define CGROUP_REMOVE_TIMEOUT_MS 2000

/* The guest's id and name as it runs (its live definition; the persistent
 * one before that exists). */
int qemu_tune_cgroup_path(const Domain *d, char **ret) {
        const DomainDef *def = d->live ? d->live : d->def;
        int id = def->id >= 0 ? def->id : d->id;

        *ret = cgroup_machine_path(d->manager->paths.root, "qemu", id, def->name);
        return *ret ? 0 : -ENOMEM;
}

static int open_cgroup(const Domain *d, bool create, Cgroup **ret) {
        _cleanup_free_ char *path = NULL;
        int r = qemu_tune_cgroup_path(d, &path);

        return r < 0 ? r : cgroup_open(path, create, ret);
}

int qemu_tune_disk_devices(Domain *d, const DomainDiskDef *disk, bool allow, char *msg, size_t size) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r = open_cgroup(d, false, &cg);

        if (r == -ENOENT || r == -EOPNOTSUPP)
                return 0;
        if (r < 0) {
                snprintf(msg, size, "cannot open the cgroup of '%s': %s", d->def->name, strerror(-r));
                return r;
        }
        return domain_cgroup_disk_devices(cg, disk, allow, msg, size);
}

/* QEMU's host devices and TPM (qemu-hostdev-nodes.h) through its device
 * filter, on top of what domain_cgroup_apply() allowed. */
static int allow_hostdev_nodes(const Cgroup *cg, const DomainDef *def, char *msg, size_t size) {
        _cleanup_strv_free_ char **nodes = NULL;
        int r;

        if (!cgroup_devices_enabled(cg) || (def->n_hostdevs == 0 && def->n_tpms == 0))
                return 0;
        r = qemu_hostdev_nodes(def, qemu_hostdev_sysfs_root(), &nodes);
        for (size_t i = 0; r >= 0 && nodes && nodes[i]; i++) {
                r = cgroup_devices_allow(cg, nodes[i], false);
                if (r == -ENOENT)
                        r = 0;  /* the start's checks name a device the host lacks */
                if (r < 0)
                        snprintf(msg, size, "cannot allow the device %s in the device cgroup of '%s': %s", nodes[i],
                                 def->name, strerror(-r));
        }
        if (r >= 0 && nodes) {
                r = cgroup_devices_commit(cg);
                if (r < 0)
                        snprintf(msg, size, "cannot attach the device filter of '%s': %s", def->name, strerror(-r));
        }
        return r;
}

/* Every guest gets its own cgroup, QEMU in it, and def's tuning there. */
static int setup_cgroup(Domain *d, const DomainDef *def, char *msg, size_t size) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        int r = open_cgroup(d, true, &cg);

        if (r == -EOPNOTSUPP) {
                /* No cgroup hierarchy we can use here (a container, or /sys
                 * remounted by "ip netns exec"): as libvirt, the guest runs
                 * without one unless its definition asks for what only a
                 * cgroup gives (that answer names the controller). */
                const Cgroup none = {};
                log_info("Domain %s: no cgroup controller is usable on this host; running it without a cgroup.",
                         def->name);
                return domain_cgroup_apply(&none, def, msg, size);
        }
        if (r < 0) {
                snprintf(msg, size, "cannot make the cgroup of '%s': %s", def->name, strerror(-r));
                return r;
        }
        r = cgroup_attach(cg, d->pid);
        if (r < 0) {
                snprintf(msg, size, "cannot move QEMU of '%s' into the cgroup %s: %s", def->name, cg->path,
                         strerror(-r));
                return r;
        }
        r = domain_cgroup_apply(cg, def, msg, size);
        if (r >= 0)
                r = qemu_tune_threads_apply(cg, d->pid, def, msg, size);
        return r < 0 ? r : allow_hostdev_nodes(cg, def, msg, size);
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

/* query-iothreads: [{ "id": "iothread3", "thread-id": N }, ...]; each
 * <cputune><iothreadpin> becomes its thread's affinity. */
static void on_iothreads(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        TuneJob *job = userdata;
        Domain *d = job->handle->owner;
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        char msg[512] = "";
        int r = 0;

        if (!d) {
                tune_job_free(job);
                return;
        }
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot list the IOThreads of '%s': %s", d->def->name, error_desc);
                r = -EIO;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *it = json_object_array_get_idx(result, i), *id, *tid;
                const char *cpuset;
                unsigned num;
                char what[64];

                if (!json_object_object_get_ex(it, "id", &id) || !json_object_object_get_ex(it, "thread-id", &tid) ||
                    sscanf(json_object_get_string(id), "iothread%u", &num) != 1)
                        continue;
                cpuset = domain_def_iothread_pin(d->live, num);
                snprintf(what, sizeof(what), "IOThread %u", num);
                if (cpuset)
                        r = pin(json_object_get_int(tid), cpuset, what, msg, sizeof(msg));
                if (r >= 0)
                        r = qemu_tune_sched_thread(json_object_get_int(tid), domain_def_thread_sched(d->live, true, num),
                                                   what, msg, sizeof(msg));
        }
        job->done(d, r, msg);
        tune_job_free(job);
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
                if (r >= 0)
                        r = qemu_tune_sched_thread(tids[i], domain_def_thread_sched(d->live, false,
                                                   (unsigned) json_object_get_int(idx)), what, msg, sizeof(msg));
        }
        if (r >= 0)
                r = pin_emulator(d, tids, n, msg, sizeof(msg));
        /* the IOThreads were pinned with the emulator: those with a pin or
         * a scheduler of their own get it now */
        if (r >= 0 && (d->live->cputune.n_iothreadpin > 0 || d->live->cputune.n_iothreadsched > 0)) {
                r = qemu_monitor_command(qemu_domain(d)->mon, "query-iothreads", NULL, on_iothreads, job);
                if (r >= 0)
                        return;
                snprintf(msg, sizeof(msg), "cannot list the IOThreads of '%s': %s", d->def->name, strerror(-r));
        }
        job->done(d, r, msg);
        tune_job_free(job);
}

static bool wants_affinity(const DomainDef *def) {
        return def->vcpu_cpuset || def->cputune.n_vcpupin > 0 || def->cputune.emulatorpin ||
               def->cputune.n_iothreadpin > 0 || def->cputune.n_vcpusched > 0 || def->cputune.n_iothreadsched > 0;
}

int qemu_tune_apply(Domain *d, qemu_tune_fn done) {
        char msg[512] = "";
        TuneJob *job;
        int r;

        r = setup_cgroup(d, d->live, msg, sizeof(msg));
        if (r < 0) {
                done(d, r, msg);
                return 0;
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

/* A cgroup whose QEMU is still going away (a failed start undoes its steps
 * before QEMU's exit is seen): tried again until it is empty. It holds the
 * path only, never the domain. */
typedef struct CgroupReaper {
        Cgroup *cg;
        sd_event_source *timer;
        unsigned tries;
} CgroupReaper;

#define REAPER_INTERVAL_USEC (200 * 1000)
#define REAPER_TRIES 150

static int on_reaper(sd_event_source *s, uint64_t usec, void *userdata) {
        CgroupReaper *rp = userdata;

        qemu_tune_threads_remove(rp->cg);
        if (cgroup_remove(rp->cg, 0) == -EBUSY && ++rp->tries < REAPER_TRIES)
                return sd_event_source_set_time_relative(s, REAPER_INTERVAL_USEC) < 0
                               ? 0
                               : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (rp->tries >= REAPER_TRIES)
                log_warning("The cgroup %s still has processes: left behind", rp->cg->path);
        cgroup_free(rp->cg);
        sd_event_source_disable_unref(rp->timer);
        free(rp);
        return 0;
}

static void reap_later(Domain *d, Cgroup *cg) {
        CgroupReaper *rp = calloc(1, sizeof(*rp));

        if (!rp || sd_event_add_time_relative(d->manager->event, &rp->timer, CLOCK_MONOTONIC, REAPER_INTERVAL_USEC,
                                              0, on_reaper, rp) < 0) {
                log_warning("Cannot remove the cgroup %s later", cg->path);
                cgroup_free(cg);
                free(rp);
                return;
        }
        rp->cg = cg;
}

void qemu_tune_cleanup(Domain *d) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;

        /* also when tuning made one live and the definition has none */
        if (!d->live || open_cgroup(d, false, &cg) < 0)
                return;
        qemu_tune_threads_remove(cg);
        /* QEMU still there is a failed start's: its exit comes later */
        if (cgroup_remove(cg, d->pid > 0 && kill(d->pid, 0) == 0 ? 200 : CGROUP_REMOVE_TIMEOUT_MS) == -EBUSY)
                reap_later(d, TAKE_PTR(cg));
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

/* One part of the tuning written to the cgroup; when the kernel refuses it
 * half way, the old values go back, so that the guest runs as its live
 * definition says. */
static int set_part(const Cgroup *cg, DomainTuneWhat what, const DomainDef *old, const DomainDef *def, char *msg,
                    size_t size) {
        switch (what) {
        case DOMAIN_TUNE_SCHEDULER:
                return domain_cgroup_set_cputune(cg, def, msg, size);
        case DOMAIN_TUNE_MEMORY:
                return domain_cgroup_set_memtune(cg, def, msg, size);
        case DOMAIN_TUNE_BLKIO:
                return domain_cgroup_set_blkiotune(cg, old, def, msg, size);
        case DOMAIN_TUNE_NUMA:
                return domain_cgroup_set_numatune(cg, def, msg, size);
        default:
                return -EINVAL;
        }
}

static int apply_cgroup(Domain *d, DomainTuneWhat what, const DomainDef *old, const DomainDef *newlive,
                        sd_bus_error *error) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        char msg[512] = "", ignored[512];
        int r;

        /* a guest started by a qemud before this one may have none yet */
        r = open_cgroup(d, true, &cg);
        if (r >= 0)
                r = cgroup_attach(cg, d->pid);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot put '%s' into its cgroup: %s",
                                     d->def->name, strerror(-r));
        r = set_part(cg, what, old, newlive, msg, sizeof(msg));
        /* every change: the attach above put all of QEMU's threads back
         * in the guest's cgroup */
        if (r >= 0)
                r = qemu_tune_threads_apply(cg, d->pid, newlive, msg, sizeof(msg));
        if (r < 0) {
                (void) set_part(cg, what, newlive, old, ignored, sizeof(ignored));
                (void) qemu_tune_threads_apply(cg, d->pid, old, ignored, sizeof(ignored));
                return vb_error_setf(error, r == -EOPNOTSUPP ? VB_ERROR_OPERATION_INVALID : VB_ERROR_OPERATION_FAILED,
                                     "%s", msg);
        }
        return 0;
}

static int tune_apply(Domain *d, DomainTuneWhat what, const DomainDef *old, const DomainDef *newlive, size_t index,
                      DomainTuneDoneFn done, void *userdata, sd_bus_error *error) {
        if (!qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' has no monitor",
                                     d->def->name);
        switch (what) {
        case DOMAIN_TUNE_SCHEDULER:
        case DOMAIN_TUNE_MEMORY:
        case DOMAIN_TUNE_BLKIO:
        case DOMAIN_TUNE_NUMA:
                return apply_cgroup(d, what, old, newlive, error);
        case DOMAIN_TUNE_VCPUPIN:
        case DOMAIN_TUNE_EMULATORPIN:
                return apply_pin(d, what, newlive, index, done, userdata, error);
        case DOMAIN_TUNE_IOTUNE:
                return apply_iotune(d, old, newlive, index, done, userdata, error);
        }
        return -EINVAL;
}

const DomainTuneOps qemu_tune_ops = {
        .apply = tune_apply,
};
