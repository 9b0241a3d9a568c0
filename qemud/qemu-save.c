/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Save, restore, core dump and their progress for QEMU (qemu-save.h says
 * how a save flows). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf-file.h"
#include "domain-prepare.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-process-internal.h"
#include "qemu-process.h"
#include "qemu-save-image.h"
#include "qemu-migrate.h"
#include "qemu-save.h"
#include "qemu-tune.h"
#include "util.h"

#define POLL_USEC (50ULL * 1000ULL)

struct QemuSaveState {
        Domain *d;
        /* The job under way (save or dump); NULL when none. */
        DomainJob *job;
        int operation;            /* DOMAIN_JOB_OPERATION_* */
        unsigned flags;
        bool managed;
        bool was_running;         /* we paused it: resumed when the save fails */
        bool migrate_done;
        bool writer_done;
        int writer_status;
        bool cancelled;
        char *path;
        char *fifo;
        int file_fd;
        int fifo_wfd;             /* ours: the writer sees EOF only once QEMU is done */
        pid_t writer_pid;
        sd_event_source *writer_watch;
        sd_event_source *timer;
        QemuSaveHeader hdr;
        int exit_reason, exit_detail; /* how the guest ends once QEMU is gone */
        uint64_t started_usec;
        DomainJobStats now;       /* the job under way */
        DomainJobStats completed; /* the last one that ended */
        bool has_completed;
        /* A restore. */
        char *restore_path;
        QemuSaveHeader restore_hdr;
        bool restore_managed;
        qemu_incoming_fn incoming_done;
};

static uint64_t mono_usec(void) {
        return now_usec(CLOCK_MONOTONIC);
}

static QemuSaveState *save_state(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (!q->save) {
                q->save = calloc(1, sizeof(*q->save));
                if (!q->save)
                        return NULL;
                q->save->d = d;
                q->save->file_fd = q->save->fifo_wfd = -1;
        }
        return q->save;
}

/* Ends what the job left running: timer, writer, FIFO, file. */
static void job_cleanup(QemuSaveState *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
        if (s->writer_pid > 0 && !s->writer_done)
                kill(s->writer_pid, SIGKILL);
        s->writer_watch = sd_event_source_disable_unref(s->writer_watch);
        s->writer_pid = 0;
        if (s->fifo_wfd >= 0)
                close(s->fifo_wfd);
        if (s->file_fd >= 0)
                close(s->file_fd);
        s->fifo_wfd = s->file_fd = -1;
        if (s->fifo) {
                (void) unlink(s->fifo);
                s->fifo = mfree(s->fifo);
        }
        s->path = mfree(s->path);
        s->job = domain_job_unref(s->job);
        s->migrate_done = s->writer_done = s->cancelled = false;
        s->operation = 0;
}

/* The job ended under us (Destroy broke in, QEMU died): what it began
 * writing is no image. */
static void job_gone(QemuSaveState *s) {
        if (s->path)
                (void) unlink(s->path);
        job_cleanup(s);
}

void qemu_save_state_free(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        QemuSaveState *s = q ? q->save : NULL;

        if (!s)
                return;
        if (s->job)
                job_gone(s);
        else
                job_cleanup(s);
        domain_job_stats_done(&s->now);
        domain_job_stats_done(&s->completed);
        free(s->restore_path);
        q->save = mfree(s);
}

/* --- configuration: <confdir>/qemud.conf ------------------------------ */

typedef struct SaveConf {
        QemuSaveFormat format;
        uint64_t bandwidth_mib;   /* 0: unlimited */
        char bad[128];
} SaveConf;

static int conf_apply(void *userdata, const char *key, const char *value) {
        SaveConf *c = userdata;
        int f;

        /* Other groups of settings may share the file: only ours are read. */
        if (streq(key, "save_bandwidth_limit")) {
                if (safe_atou64(value, &c->bandwidth_mib) < 0 || c->bandwidth_mib >= (1ULL << 20)) {
                        snprintf(c->bad, sizeof(c->bad), "save_bandwidth_limit = %s", value);
                        return -EINVAL;
                }
                return 0;
        }
        if (!streq(key, "save_image_format"))
                return 0;
        f = qemu_save_format_from_string(value);
        if (f < 0) {
                snprintf(c->bad, sizeof(c->bad), "save_image_format = %s (raw, gzip, zstd or xz)", value);
                return -EINVAL;
        }
        c->format = f;
        return 0;
}

/* The full path of a program from the usual places, NULL if none. */
static char *find_program(const char *name) {
        static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char *p = path_join(dirs[i], name);
                if (p && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

/* Read at each save: a changed setting needs no restart. */
static int save_conf(Manager *m, SaveConf *c, sd_bus_error *error) {
        int r;

        *c = (SaveConf) { .format = QEMU_SAVE_FORMAT_RAW };
        r = conf_load_file(m->paths.confdir, "qemud.conf", conf_apply, c);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s",
                                     m->paths.confdir, c->bad[0] ? c->bad : strerror(-r));
        return 0;
}

/* The writer's (or reader's) program: cat, or the compressor, checked. */
static int format_argv(QemuSaveFormat f, bool decompress, char ***ret, sd_bus_error *error) {
        const char *const *argv = qemu_save_format_argv(f, decompress);
        _cleanup_strv_free_ char **l = NULL;
        char *bin = find_program(argv ? argv[0] : "cat");

        if (!bin)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "save image format '%s' needs the program '%s', which this host does not have",
                                     qemu_save_format_to_string(f), argv ? argv[0] : "cat");
        if (strv_consume(&l, bin) < 0)
                return -ENOMEM;
        for (size_t i = 1; argv && argv[i]; i++)
                if (strv_extend(&l, argv[i]) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* --- progress ------------------------------------------------------------ */

static uint64_t json_u64(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return 0;
        return (uint64_t) json_object_get_int64(v);
}

void qemu_migrate_stats_parse(json_object *result, DomainJobStats *st) {
        json_object *ram = NULL, *v;

        st->setup_time_ms = json_u64(result, "setup-time");
        st->downtime_ms = json_u64(result, "downtime");
        if (!result || !json_object_object_get_ex(result, "ram", &ram))
                return;
        st->has_memory = true;
        st->memory_total = json_u64(ram, "total");
        st->memory_processed = json_u64(ram, "transferred");
        st->memory_remaining = json_u64(ram, "remaining");
        st->memory_constant = json_u64(ram, "duplicate");
        st->memory_normal = json_u64(ram, "normal");
        st->memory_normal_bytes = json_u64(ram, "normal-bytes");
        st->memory_dirty_rate = json_u64(ram, "dirty-pages-rate");
        st->memory_iteration = json_u64(ram, "dirty-sync-count");
        if (json_object_object_get_ex(ram, "mbps", &v)) /* a float, in megabits */
                st->memory_bps = (uint64_t) (json_object_get_double(v) * 1000000.0 / 8.0);
        st->data_total = st->memory_total;
        st->data_processed = st->memory_processed;
        st->data_remaining = st->memory_remaining;
}

static void stats_from_migrate(QemuSaveState *s, json_object *result) {
        DomainJobStats *st = &s->now;

        st->type = DOMAIN_JOB_TYPE_UNBOUNDED;
        st->operation = s->operation;
        st->time_elapsed_ms = (mono_usec() - s->started_usec) / 1000;
        qemu_migrate_stats_parse(result, st);
}

static void stats_finish(QemuSaveState *s, DomainJobType type, const char *error) {
        domain_job_stats_done(&s->completed);
        s->completed = s->now;
        s->now = (DomainJobStats) {};
        s->completed.type = type;
        s->completed.operation = s->operation;
        s->completed.time_elapsed_ms = (mono_usec() - s->started_usec) / 1000;
        if (type == DOMAIN_JOB_TYPE_COMPLETED) {
                s->completed.data_processed += s->completed.data_remaining;
                s->completed.memory_processed += s->completed.memory_remaining;
                s->completed.data_remaining = s->completed.memory_remaining = 0;
        }
        s->completed.error = error ? strdup(error) : NULL;
        s->has_completed = true;
}

/* --- the save ------------------------------------------------------------ */

static bool job_alive(QemuSaveState *s) {
        return s->job && s->job->owner;
}

/* The save failed or was cancelled: the guest goes on as it was. */
static void save_fail(QemuSaveState *s, const char *name, const char *msg) {
        Domain *d = s->d;
        QemuMonitor *mon = qemu_domain(d)->mon;
        bool alive = job_alive(s);

        log_error("%s", msg);
        if (mon && !s->migrate_done)
                (void) qemu_monitor_command(mon, "migrate_cancel", NULL, NULL, NULL);
        if (mon && s->was_running)
                (void) qemu_monitor_command(mon, "cont", NULL, NULL, NULL);
        if (s->path)
                (void) unlink(s->path);
        stats_finish(s, streq(name, VB_ERROR_OPERATION_ABORTED) ? DOMAIN_JOB_TYPE_CANCELLED : DOMAIN_JOB_TYPE_FAILED,
                     msg);
        job_cleanup(s);
        if (alive)
                domain_job_fail(d->jobs, name, msg);
}

static void fail_errno(QemuSaveState *s, const char *what, int r) {
        char msg[1024];

        snprintf(msg, sizeof(msg), "cannot save domain '%s' to %s: %s: %s", s->d->def->name,
                 s->path ? s->path : "?", what, strerror(-r));
        save_fail(s, VB_ERROR_OPERATION_FAILED, msg);
}

/* The guest is saved (or dumped with CRASH): QEMU goes, the domain is
 * shut off with the job's reason. This watch replaces qemu-process.c's for
 * that last exit; the job succeeds first. */
static void on_job_exit(pid_t pid, int code, int status, void *userdata) {
        Domain *d = userdata;
        QemuSaveState *s = qemu_domain(d)->save;

        d->pid = 0;
        domain_network_release(d);
        domain_storage_release(d);
        qemu_tune_cleanup(d);
        domain_job_succeed(d->jobs);
        process_finish_undone(d, s->exit_reason, s->exit_detail); /* may free d */
}

static void stop_guest(QemuSaveState *s, int reason, int detail) {
        Domain *d = s->d;
        int pidfd = pidfd_open_pid(d->pid);

        s->exit_reason = reason;
        s->exit_detail = detail;
        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        if (pidfd < 0 || process_watch(d->manager->event, d->pid, pidfd, on_job_exit, d, &d->pid_watch) < 0) {
                if (pidfd >= 0)
                        close(pidfd);
                kill(d->pid, SIGKILL);
                on_job_exit(d->pid, 0, 0, d);
                return;
        }
        kill(d->pid, SIGKILL);
}

static int finish_image(QemuSaveState *s) {
        struct stat st;

        if (fstat(s->file_fd, &st) < 0)
                return -errno;
        s->hdr.complete = true;
        s->hdr.data_len = (uint64_t) st.st_size - qemu_save_data_offset(&s->hdr);
        /* The data first, the magic that says it is whole last. */
        if (fdatasync(s->file_fd) < 0)
                return -errno;
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];
        qemu_save_header_encode(&s->hdr, buf);
        if (pwrite(s->file_fd, buf, sizeof(buf), 0) != (ssize_t) sizeof(buf))
                return -EIO;
        if (fdatasync(s->file_fd) < 0)
                return -errno;
        if (s->flags & DOMAIN_SAVE_BYPASS_CACHE)
                (void) posix_fadvise(s->file_fd, 0, 0, POSIX_FADV_DONTNEED);
        return 0;
}

static void save_maybe_done(QemuSaveState *s) {
        Domain *d = s->d;
        int r;

        if (!s->migrate_done || !s->writer_done)
                return;
        if (s->writer_status != 0) {
                char msg[1024];
                snprintf(msg, sizeof(msg), "cannot save domain '%s' to %s: the writer exited with status %d",
                         d->def->name, s->path, s->writer_status);
                save_fail(s, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        r = finish_image(s);
        if (r < 0) {
                fail_errno(s, "cannot complete the image", r);
                return;
        }
        log_info("Saved %s to %s (%" PRIu64 " bytes of data)", d->def->name, s->path, s->hdr.data_len);
        stats_finish(s, DOMAIN_JOB_TYPE_COMPLETED, NULL);
        domain_emit_job_completed(d, &s->completed);
        s->path = mfree(s->path); /* kept: it is the image */
        job_cleanup(s);
        /* QEMU holds nothing we need any more. */
        stop_guest(s, DOMAIN_SHUTOFF_SAVED, DOMAIN_EVENT_STOPPED_SAVED);
}

static void on_writer_exit(pid_t pid, int code, int status, void *userdata) {
        QemuSaveState *s = userdata;

        s->writer_done = true;
        s->writer_status = code == CLD_EXITED ? status : 128 + status;
        s->writer_watch = sd_event_source_disable_unref(s->writer_watch);
        if (!job_alive(s)) {
                job_gone(s);
                return;
        }
        if (!s->migrate_done && s->writer_status != 0) {
                char msg[1024];
                snprintf(msg, sizeof(msg), "cannot save domain '%s' to %s: the writer exited with status %d",
                         s->d->def->name, s->path, s->writer_status);
                save_fail(s, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        save_maybe_done(s);
}

static int schedule_poll(QemuSaveState *s);

static void on_query_migrate(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        QemuSaveState *s = userdata;
        json_object *st;
        const char *status;
        char msg[1024];

        if (!job_alive(s)) {
                job_gone(s);
                return;
        }
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot save domain '%s': QEMU's monitor: %s", s->d->def->name,
                         error_desc ? error_desc : error_class);
                save_fail(s, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        status = json_object_object_get_ex(result, "status", &st) ? json_object_get_string(st) : "";
        stats_from_migrate(s, result);
        if (streq(status, "completed")) {
                s->migrate_done = true;
                /* The writer sees the end once QEMU's exec child is done too. */
                if (s->fifo_wfd >= 0) {
                        close(s->fifo_wfd);
                        s->fifo_wfd = -1;
                }
                save_maybe_done(s);
                return;
        }
        if (streq(status, "failed") || streq(status, "cancelled")) {
                json_object *e;
                const char *why = json_object_object_get_ex(result, "error-desc", &e) ? json_object_get_string(e)
                                                                                       : status;
                if (s->cancelled || streq(status, "cancelled"))
                        snprintf(msg, sizeof(msg), "operation aborted: the save of domain '%s' was cancelled",
                                 s->d->def->name);
                else
                        snprintf(msg, sizeof(msg), "cannot save domain '%s' to %s: QEMU: %s", s->d->def->name,
                                 s->path, why);
                s->migrate_done = true; /* nothing to cancel */
                save_fail(s, s->cancelled ? VB_ERROR_OPERATION_ABORTED : VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        if (schedule_poll(s) < 0)
                fail_errno(s, "cannot watch the progress", -ENOMEM);
}

static int on_poll_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuSaveState *s = userdata;
        QemuMonitor *mon = qemu_domain(s->d)->mon;

        s->timer = sd_event_source_disable_unref(s->timer);
        if (!job_alive(s) || !mon) {
                job_gone(s);
                return 0;
        }
        if (qemu_monitor_command(mon, "query-migrate", NULL, on_query_migrate, s) < 0)
                fail_errno(s, "cannot talk to QEMU's monitor", -ENOTCONN);
        return 0;
}

static int schedule_poll_fn(QemuSaveState *s, sd_event_time_handler_t fn) {
        s->timer = sd_event_source_disable_unref(s->timer);
        return sd_event_add_time_relative(s->d->manager->event, &s->timer, CLOCK_MONOTONIC, POLL_USEC, POLL_ACCURACY_USEC,
                                          fn, s);
}

static int schedule_poll(QemuSaveState *s) {
        return schedule_poll_fn(s, on_poll_timer);
}

static void on_migrate_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        QemuSaveState *s = userdata;
        char msg[1024];

        if (!job_alive(s)) {
                job_gone(s);
                return;
        }
        if (!error_class)
                return;
        snprintf(msg, sizeof(msg), "cannot save domain '%s': QEMU refused to migrate: %s", s->d->def->name,
                 error_desc ? error_desc : error_class);
        s->migrate_done = true;
        save_fail(s, VB_ERROR_OPERATION_FAILED, msg);
}

static int require_active(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (d->starting || !qemu_domain(d)->mon || d->pid <= 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is still starting or has no monitor", d->def->name);
        if (d->state != DOMAIN_RUNNING && d->state != DOMAIN_PAUSED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' cannot be saved in state %s",
                                     d->def->name, domain_state_to_string(d->state));
        return 0;
}

/* The XML the image carries: the running definition, or the caller's
 * replacement for it (same name and uuid). */
static int image_xml(Domain *d, const char *xml, char **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r;

        if (xml && *xml) {
                r = domain_def_parse(xml, strlen(xml), &def, &err);
                if (r < 0)
                        return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s",
                                             err.message[0] ? err.message : strerror(-r));
                if (memcmp(def->uuid, d->def->uuid, 16) != 0 || !streq(def->name, d->def->name))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "the XML given is for domain '%s', not for '%s' (uuid %s)", def->name,
                                             d->def->name, d->uuid_str);
        }
        r = domain_def_format(def ? def : d->live, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, ret);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format the XML of '%s': %s", d->def->name,
                                     strerror(-r));
        return 0;
}

/* The FIFO QEMU writes into and the writer reads from. */
static int open_fifo(QemuSaveState *s, int *ret_rfd) {
        _cleanup_close_ int rfd = -1;

        if (status_path(s->d, ".save.fifo", &s->fifo) < 0)
                return -ENOMEM;
        (void) unlink(s->fifo);
        if (mkfifo(s->fifo, 0600) < 0)
                return -errno;
        rfd = open(s->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (rfd < 0)
                return -errno;
        s->fifo_wfd = open(s->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (s->fifo_wfd < 0)
                return -errno;
        /* The writer reads it blocking. */
        if (fd_nonblock(rfd, false) < 0)
                return -errno;
        *ret_rfd = TAKE_FD(rfd);
        return 0;
}

static int spawn_writer(QemuSaveState *s, sd_bus_error *error) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int rfd = -1;
        int pidfd, r;

        r = format_argv(s->hdr.format, false, &argv, error);
        if (r < 0)
                return r;
        r = open_fifo(s, &rfd);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot make the FIFO %s: %s", s->fifo, strerror(-r));
        if (lseek(s->file_fd, (off_t) qemu_save_data_offset(&s->hdr), SEEK_SET) < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot seek in %s: %s", s->path, strerror(errno));
        ProcessFd map[] = { { rfd, 0 }, { s->file_fd, 1 } };
        r = process_spawn(argv, map, ELEMENTSOF(map), 0, &s->writer_pid, &pidfd);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot run %s: %s", argv[0], strerror(-r));
        r = process_watch(s->d->manager->event, s->writer_pid, pidfd, on_writer_exit, s, &s->writer_watch);
        if (r < 0) {
                close(pidfd);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot watch %s: %s", argv[0], strerror(-r));
        }
        return 0;
}

/* save_bandwidth_limit (MiB/s) slows a save down (to watch its
 * progress); else unlimited, as libvirt saves. */
/* QEMU gets the FIFO's write end by fd: its seccomp filter lets it spawn
 * no program (-sandbox spawn=deny), and an unprivileged QEMU could not
 * open our FIFO. The monitor sends a copy; ours closes at once, so the
 * writer sees the end when QEMU and fifo_wfd are both done. */
static int send_fd(QemuMonitor *mon, int fd, const char *name) {
        json_object *args = json_object_new_object();

        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "fdname", json_object_new_string(name));
        return qemu_monitor_command_with_fd(mon, "getfd", args, fd, NULL, NULL);
}

static int send_fifo_fd(QemuSaveState *s, QemuMonitor *mon) {
        _cleanup_close_ int wfd = open(s->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

        if (wfd < 0)
                return -errno;
        if (fd_nonblock(wfd, false) < 0)
                return -errno;
        return send_fd(mon, wfd, "vb-save");
}

static int start_migrate(QemuSaveState *s, uint64_t bandwidth_mib) {
        QemuMonitor *mon = qemu_domain(s->d)->mon;
        json_object *params, *args;
        int r;

        r = send_fifo_fd(s, mon);
        if (r < 0)
                return r;
        params = json_object_new_object();
        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "max-bandwidth", json_object_new_int64(bandwidth_mib ? (int64_t) (bandwidth_mib << 20) : INT64_C(1) << 40));
        r = qemu_monitor_command(mon, "migrate-set-parameters", params, NULL, NULL);
        if (r < 0)
                return r;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string("fd:vb-save"));
        r = qemu_monitor_command(mon, "migrate", args, on_migrate_reply, s);
        if (r < 0)
                return r;
        return schedule_poll(s);
}

static int begin_job(QemuSaveState *s, Domain *d, int operation, const char *path, unsigned flags) {
        job_cleanup(s);
        s->job = domain_job_ref(d->jobs->active);
        s->operation = operation;
        s->flags = flags;
        s->started_usec = mono_usec();
        domain_job_stats_done(&s->now);
        s->now = (DomainJobStats) { .type = DOMAIN_JOB_TYPE_UNBOUNDED, .operation = operation };
        s->path = strdup(path);
        return s->path ? 0 : -ENOMEM;
}

static int qemu_save(Domain *d, const char *path, const char *xml, unsigned flags, bool managed,
                     sd_bus_error *error) {
        QemuSaveState *s;
        _cleanup_free_ char *text = NULL;
        SaveConf conf;
        int r;

        r = require_active(d, error);
        if (r >= 0)
                r = save_conf(d->manager, &conf, error);
        if (r >= 0)
                r = image_xml(d, xml, &text, error);
        if (r < 0)
                return r;
        s = save_state(d);
        if (!s || begin_job(s, d, DOMAIN_JOB_OPERATION_SAVE, path, flags) < 0)
                return -ENOMEM;
        s->managed = managed;
        if (managed) {
                _cleanup_free_ char *dir = strdup(path);
                char *slash = dir ? strrchr(dir, '/') : NULL;
                if (slash)
                        *slash = 0;
                if (!dir || (r = mkdir_p(dir, 0700)) < 0) {
                        job_cleanup(s);
                        return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot make the directory of %s: %s", path,
                                             strerror(dir ? -r : ENOMEM));
                }
        }
        s->file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (s->file_fd < 0) {
                r = -errno;
                s->path = mfree(s->path); /* not ours to remove */
                job_cleanup(s);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot create the save file '%s': %s", path,
                                     strerror(-r));
        }
        s->hdr = (QemuSaveHeader) {
                .xml_len = (uint32_t) strlen(text),
                .xml_space = qemu_save_xml_space(strlen(text)),
                .format = conf.format,
        };
        s->was_running = d->state == DOMAIN_RUNNING;
        if ((s->was_running && !(flags & DOMAIN_SAVE_PAUSED)) || (flags & DOMAIN_SAVE_RUNNING))
                s->hdr.flags |= QEMU_SAVE_IMAGE_WAS_RUNNING;
        r = qemu_save_image_write_head(s->file_fd, &s->hdr, text);
        if (r < 0) {
                (void) unlink(path);
                job_cleanup(s);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot write the save file '%s': %s", path,
                                     strerror(-r));
        }
        r = spawn_writer(s, error);
        if (r < 0) {
                (void) unlink(path);
                job_cleanup(s);
                return r;
        }
        /* The guest stops first: what is saved is what it was then. */
        if (s->was_running)
                r = qemu_monitor_command(qemu_domain(d)->mon, "stop", NULL, NULL, NULL);
        if (r >= 0)
                r = start_migrate(s, conf.bandwidth_mib);
        if (r < 0) {
                s->migrate_done = true;
                fail_errno(s, "cannot talk to QEMU's monitor", r);
                return 1; /* answered */
        }
        log_info("Saving %s to %s (%s)", d->def->name, path, qemu_save_format_to_string(conf.format));
        return 1;
}

/* --- the core dump ------------------------------------------------------- */

static void dump_done(QemuSaveState *s, const char *error) {
        Domain *d = s->d;
        QemuMonitor *mon = qemu_domain(d)->mon;
        unsigned flags = s->flags;

        if (error) {
                if (s->path)
                        (void) unlink(s->path);
                stats_finish(s, DOMAIN_JOB_TYPE_FAILED, error);
                job_cleanup(s);
                domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, error);
                return;
        }
        if (flags & DOMAIN_DUMP_BYPASS_CACHE) {
                _cleanup_close_ int fd = open(s->path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        (void) fdatasync(fd);
                        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
                }
        }
        stats_finish(s, DOMAIN_JOB_TYPE_COMPLETED, NULL);
        domain_emit_job_completed(d, &s->completed);
        job_cleanup(s);
        if (flags & DOMAIN_DUMP_RESET && mon)
                (void) qemu_monitor_command(mon, "system_reset", NULL, NULL, NULL);
        if (!(flags & DOMAIN_DUMP_CRASH)) {
                domain_job_succeed(d->jobs);
                return;
        }
        /* CRASH: the guest is shut off as crashed once QEMU is gone. */
        stop_guest(s, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_CRASHED);
}

static int on_dump_timer(sd_event_source *src, uint64_t usec, void *userdata);

static void on_query_dump(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        QemuSaveState *s = userdata;
        json_object *st;
        const char *status;
        char msg[1024];

        if (!job_alive(s)) {
                job_gone(s);
                return;
        }
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot dump domain '%s': QEMU: %s", s->d->def->name,
                         error_desc ? error_desc : error_class);
                dump_done(s, msg);
                return;
        }
        status = json_object_object_get_ex(result, "status", &st) ? json_object_get_string(st) : "";
        s->now.type = DOMAIN_JOB_TYPE_UNBOUNDED;
        s->now.operation = s->operation;
        s->now.time_elapsed_ms = (mono_usec() - s->started_usec) / 1000;
        s->now.data_total = json_u64(result, "total");
        s->now.data_processed = json_u64(result, "completed");
        s->now.data_remaining = s->now.data_total - s->now.data_processed;
        if (streq(status, "completed")) {
                dump_done(s, NULL);
                return;
        }
        if (streq(status, "failed")) {
                snprintf(msg, sizeof(msg), "cannot dump domain '%s' to %s: QEMU could not write it",
                         s->d->def->name, s->path);
                dump_done(s, msg);
                return;
        }
        if (schedule_poll_fn(s, on_dump_timer) < 0)
                dump_done(s, "cannot watch the dump's progress");
}

static int on_dump_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuSaveState *s = userdata;
        QemuMonitor *mon = qemu_domain(s->d)->mon;

        s->timer = sd_event_source_disable_unref(s->timer);
        if (!job_alive(s) || !mon) {
                job_gone(s);
                return 0;
        }
        if (qemu_monitor_command(mon, "query-dump", NULL, on_query_dump, s) < 0)
                dump_done(s, "cannot talk to QEMU's monitor");
        return 0;
}

static void on_dump_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        QemuSaveState *s = userdata;
        char msg[1024];

        if (!job_alive(s)) {
                job_gone(s);
                return;
        }
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot dump domain '%s' to %s: QEMU: %s", s->d->def->name, s->path,
                         error_desc ? error_desc : error_class);
                dump_done(s, msg);
                return;
        }
        if (schedule_poll_fn(s, on_dump_timer) < 0)
                dump_done(s, "cannot watch the dump's progress");
}

static int qemu_core_dump(Domain *d, const char *path, unsigned format, unsigned flags, sd_bus_error *error) {
        static const char *const formats[] = { "elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp" };
        _cleanup_free_ char *protocol = NULL;
        QemuSaveState *s;
        json_object *args;
        int fd, r;

        r = require_active(d, error);
        if (r < 0)
                return r;
        /* Created here, so that a path we cannot write is our error, named. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot create the dump file '%s': %s", path,
                                     strerror(errno));
        close(fd);
        s = save_state(d);
        if (!s || begin_job(s, d, DOMAIN_JOB_OPERATION_DUMP, path, flags) < 0 ||
            asprintf(&protocol, "file:%s", path) < 0)
                return -ENOMEM;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "paging", json_object_new_boolean(false));
        json_object_object_add(args, "protocol", json_object_new_string(protocol));
        json_object_object_add(args, "detach", json_object_new_boolean(true));
        json_object_object_add(args, "format", json_object_new_string(formats[format]));
        r = qemu_monitor_command(qemu_domain(d)->mon, "dump-guest-memory", args, on_dump_reply, s);
        if (r < 0) {
                (void) unlink(path);
                job_cleanup(s);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor: %s",
                                     strerror(-r));
        }
        return 1;
}

/* --- AbortJob, progress --------------------------------------------------- */

static int qemu_abort_job(Domain *d, sd_bus_error *error) {
        QemuSaveState *s = qemu_domain(d)->save;
        int r = qemu_migrate_abort(d, error); /* a migration's (qemu-migrate.h) */

        if (r != 0)
                return r < 0 ? r : 0;

        if (!s || !job_alive(s))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "no job is active on domain '%s'",
                                     d->def->name);
        if (s->operation == DOMAIN_JOB_OPERATION_DUMP)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot abort the core dump of domain '%s': QEMU cannot stop it",
                                     d->def->name);
        if (s->migrate_done)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "the save of domain '%s' is finishing and can no longer be aborted",
                                     d->def->name);
        s->cancelled = true;
        if (qemu_monitor_command(qemu_domain(d)->mon, "migrate_cancel", NULL, NULL, NULL) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        /* The poll sees "cancelled" and puts the guest back as it was. */
        return 0;
}

static int qemu_job_stats(Domain *d, bool completed, DomainJobStats *ret) {
        QemuSaveState *s = qemu_domain(d)->save;
        const DomainJobStats *src = NULL;
        int r = qemu_migrate_job_stats(d, completed, ret); /* a migration's (qemu-migrate.h) */

        if (r != 0)
                return r < 0 ? r : 0;

        *ret = (DomainJobStats) {};
        if (completed) {
                if (s && s->has_completed)
                        src = &s->completed;
        } else if (s && job_alive(s))
                src = &s->now;
        else if (qemu_domain(d)->restoring && d->starting) {
                ret->type = DOMAIN_JOB_TYPE_UNBOUNDED;
                ret->operation = DOMAIN_JOB_OPERATION_RESTORE;
                return 0;
        } else if (d->jobs->active && d->jobs->active->operation) {
                /* another job that reports itself (a snapshot): unbounded,
                 * as libvirt's */
                ret->type = DOMAIN_JOB_TYPE_UNBOUNDED;
                ret->operation = d->jobs->active->operation;
                ret->time_elapsed_ms = (mono_usec() - d->jobs->active->progress.started_usec) / 1000;
                return 0;
        }
        if (!src)
                return 0;
        *ret = *src;
        ret->error = src->error ? strdup(src->error) : NULL;
        if (!completed)
                ret->time_elapsed_ms = (mono_usec() - s->started_usec) / 1000;
        return 0;
}

/* --- the image, restore -------------------------------------------------- */

static int read_image(const char *path, QemuSaveHeader *hdr, char **ret_xml, sd_bus_error *error) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return vb_error_setf(error, errno == ENOENT ? VB_ERROR_INVALID_ARG : VB_ERROR_SYSTEM,
                                     "cannot open the save file '%s': %s", path, strerror(errno));
        r = qemu_save_image_read(fd, hdr, ret_xml);
        if (r < 0)
                return vb_error_setf(error, r == -ENOMEM ? VB_ERROR_NO_MEMORY : VB_ERROR_INVALID_ARG,
                                     "cannot use the save file '%s': %s", path, qemu_save_image_strerror(r));
        return 0;
}

static int qemu_image_read(Manager *m, const char *path, char **ret_xml, bool *ret_running, sd_bus_error *error) {
        QemuSaveHeader hdr;
        int r = read_image(path, &hdr, ret_xml, error);

        if (r >= 0 && ret_running)
                *ret_running = hdr.flags & QEMU_SAVE_IMAGE_WAS_RUNNING;
        return r;
}

static int qemu_image_update(Manager *m, const char *path, const char *xml, int running, sd_bus_error *error) {
        _cleanup_close_ int fd = -1;
        QemuSaveHeader hdr;
        int r;

        r = read_image(path, &hdr, NULL, error);
        if (r < 0)
                return r;
        if (strlen(xml) > hdr.xml_space)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the new XML (%zu bytes) does not fit in the save image %s (room for %u)",
                                     strlen(xml), path, hdr.xml_space);
        hdr.xml_len = (uint32_t) strlen(xml);
        if (running == 1)
                hdr.flags |= QEMU_SAVE_IMAGE_WAS_RUNNING;
        else if (running == 0)
                hdr.flags &= ~(uint32_t) QEMU_SAVE_IMAGE_WAS_RUNNING;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot open the save file '%s': %s", path,
                                     strerror(errno));
        r = qemu_save_image_write_head(fd, &hdr, xml);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot write the save file '%s': %s", path,
                                     strerror(-r));
        return 0;
}

static int qemu_restore(Domain *d, const char *path, unsigned flags, bool managed, sd_bus_message *call,
                        sd_bus_error *error) {
        _cleanup_strv_free_ char **argv = NULL;
        QemuSaveState *s;
        QemuSaveHeader hdr;
        bool paused;
        int r;

        r = read_image(path, &hdr, NULL, error);
        if (r >= 0)
                r = format_argv(hdr.format, true, &argv, error); /* the host has the program */
        if (r < 0)
                return r;
        s = save_state(d);
        if (!s)
                return -ENOMEM;
        free_and_replace_str(&s->restore_path, strdup(path));
        if (!s->restore_path)
                return -ENOMEM;
        s->restore_hdr = hdr;
        s->restore_managed = managed;
        paused = (flags & DOMAIN_SAVE_PAUSED) ||
                 (!(flags & DOMAIN_SAVE_RUNNING) && !(hdr.flags & QEMU_SAVE_IMAGE_WAS_RUNNING));
        return qemu_process_start(d, QEMU_START_RESTORE | (paused ? DOMAIN_START_PAUSED : 0), call, error);
}

static void incoming_done(QemuSaveState *s, int r, const char *msg) {
        qemu_incoming_fn done = s->incoming_done;

        s->incoming_done = NULL;
        s->timer = sd_event_source_disable_unref(s->timer);
        if (done)
                done(s->d, r, msg);
}

static int on_incoming_timer(sd_event_source *src, uint64_t usec, void *userdata);

static void on_query_incoming(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                              void *userdata) {
        QemuSaveState *s = userdata;
        json_object *st;
        const char *status;
        char msg[1024];

        if (!s->incoming_done)
                return;
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot restore domain '%s' from %s: QEMU: %s", s->d->def->name,
                         s->restore_path, error_desc ? error_desc : error_class);
                incoming_done(s, -EIO, msg);
                return;
        }
        status = json_object_object_get_ex(result, "status", &st) ? json_object_get_string(st) : "";
        if (streq(status, "completed")) {
                incoming_done(s, 0, NULL);
                return;
        }
        if (streq(status, "failed") || streq(status, "cancelled")) {
                snprintf(msg, sizeof(msg), "cannot restore domain '%s' from %s: QEMU could not load the image",
                         s->d->def->name, s->restore_path);
                incoming_done(s, -EIO, msg);
                return;
        }
        if (schedule_poll_fn(s, on_incoming_timer) < 0)
                incoming_done(s, -ENOMEM, "cannot watch the restore");
}

static int on_incoming_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuSaveState *s = userdata;
        QemuMonitor *mon = qemu_domain(s->d)->mon;

        s->timer = sd_event_source_disable_unref(s->timer);
        if (!s->incoming_done)
                return 0;
        if (!mon || qemu_monitor_command(mon, "query-migrate", NULL, on_query_incoming, s) < 0)
                incoming_done(s, -EIO, "lost QEMU's monitor while restoring");
        return 0;
}

static void on_incoming_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                              void *userdata) {
        QemuSaveState *s = userdata;
        char msg[1024];

        if (!s->incoming_done)
                return;
        if (error_class) {
                snprintf(msg, sizeof(msg), "cannot restore domain '%s' from %s: QEMU: %s", s->d->def->name,
                         s->restore_path, error_desc ? error_desc : error_class);
                incoming_done(s, -EIO, msg);
                return;
        }
        if (schedule_poll_fn(s, on_incoming_timer) < 0)
                incoming_done(s, -ENOMEM, "cannot watch the restore");
}

static void on_reader_exit(pid_t pid, int code, int status, void *userdata) {
        QemuSaveState *s = userdata;

        s->writer_done = true;
        s->writer_watch = sd_event_source_disable_unref(s->writer_watch);
        if (code != CLD_EXITED || status != 0)
                log_warning("The reader of the save image %s exited with status %d", s->restore_path,
                            code == CLD_EXITED ? status : 128 + status);
}

/* What QEMU reads the image's data from: the file itself at the data's
 * offset, or for a compressed image the pipe from the decompressor run on
 * it (its exit watched, killed with the state). */
static int restore_source(QemuSaveState *s, int *ret_fd) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int fd = -1;
        int p[2], pidfd, r;

        fd = open(s->restore_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (lseek(fd, (off_t) qemu_save_data_offset(&s->restore_hdr), SEEK_SET) < 0)
                return -errno;
        if (s->restore_hdr.format == QEMU_SAVE_FORMAT_RAW) {
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        sd_bus_error error = SD_BUS_ERROR_NULL;
        r = format_argv(s->restore_hdr.format, true, &argv, &error);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int rfd = p[0], wfd = p[1];
        ProcessFd map[] = { { fd, 0 }, { wfd, 1 } };
        r = process_spawn(argv, map, ELEMENTSOF(map), 0, &s->writer_pid, &pidfd);
        if (r < 0)
                return r;
        s->writer_done = false;
        r = process_watch(s->d->manager->event, s->writer_pid, pidfd, on_reader_exit, s, &s->writer_watch);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        *ret_fd = TAKE_FD(rfd);
        return 0;
}

int qemu_save_incoming(Domain *d, qemu_incoming_fn done) {
        QemuSaveState *s = qemu_domain(d)->save;
        QemuMonitor *mon = qemu_domain(d)->mon;
        _cleanup_close_ int fd = -1;
        json_object *args;
        int r;

        if (!s || !s->restore_path)
                return -EINVAL;
        r = restore_source(s, &fd);
        if (r >= 0)
                r = send_fd(mon, fd, "vb-restore");
        if (r < 0)
                return r;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "uri", json_object_new_string("fd:vb-restore"));
        s->incoming_done = done;
        r = qemu_monitor_command(mon, "migrate-incoming", args, on_incoming_reply, s);
        if (r < 0)
                s->incoming_done = NULL;
        return r;
}

void qemu_save_restored(Domain *d) {
        QemuSaveState *s = qemu_domain(d)->save;

        qemu_domain(d)->restoring = false;
        if (!s || !s->restore_path)
                return;
        /* A managed image is used once (libvirt's rule). */
        if (s->restore_managed && unlink(s->restore_path) < 0 && errno != ENOENT)
                log_warning("Cannot remove the managed save image %s: %s", s->restore_path, strerror(errno));
        s->restore_path = mfree(s->restore_path);
}

const DomainSaveOps qemu_save_ops = {
        .save = qemu_save,
        .core_dump = qemu_core_dump,
        .restore = qemu_restore,
        .image_read = qemu_image_read,
        .image_update = qemu_image_update,
        .abort_job = qemu_abort_job,
        .job_stats = qemu_job_stats,
};
