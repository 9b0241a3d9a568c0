/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots of a QEMU guest (qemu-snapshot.h).
 *
 * A shut-off guest: internal snapshots of its qcow2 disks with `qemu-img
 * snapshot -c/-a/-d`, external ones with `qemu-img create -b` (the
 * definition then names the overlay), run synchronously (milliseconds):
 * qemu-snapshot-img.c, with what prepares a snapshot's definition.
 *
 * A running guest (QEMU 7.2's QMP): internal snapshots with memory state
 * are the jobs snapshot-save, snapshot-load and snapshot-delete on the
 * disks' top nodes (query-block), the guest paused around them as libvirt
 * does, polled with query-jobs until concluded; external disk-only ones
 * are new overlay files (qemu-img create -u: QEMU holds the image's lock)
 * opened with blockdev-add and put on top with one `transaction` of
 * blockdev-snapshot, then the live and persistent definitions name them.
 *
 * External with memory: the guest paused (unless LIVE), QEMU migrates
 * into the memory file (a save image, qemu-save-image.h), then the
 * overlays' transaction, then it runs again (or HALT shuts it off).
 *
 * Revert to an external snapshot (qemu-snapshot-external.c has the files'
 * side): the guest goes off, new overlays on the images the snapshot kept,
 * then a restore from the memory file, a boot when asked, or it stays off.
 * Delete of an external snapshot merges its overlays down: qemu-img commit
 * of a shut-off guest, block-commit of a running one. A revert's stop and
 * start say FROM_SNAPSHOT (QemuDomain.from_snapshot), as libvirt's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain-affect.h"
#include "domain-agent.h"
#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-status.h"
#include "domain-manager.h"
#include "domain-save.h"
#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "qemu-snapshot.h"
#include "qemu-snapshot-internal.h"
#include "util.h"

/* ---- a running guest: QMP ---- */

/* How often query-jobs is asked while a snapshot job runs: the guest is
 * paused meanwhile, so its end is seen soon. */
#define POLL_USEC (5 * 1000)
/* How long a guest started for a revert may take to run. */
#define START_WAIT_USEC (30ULL * 1000 * 1000)

typedef enum OpKind {
        OP_SAVE,      /* snapshot-save: disks and memory */
        OP_LOAD,      /* snapshot-load */
        OP_DELETE,    /* snapshot-delete */
        OP_EXTERNAL,  /* overlays put on top with blockdev-snapshot */
        OP_START,     /* the guest is started paused, then OP_LOAD */
        OP_STOP,      /* the running guest is stopped, its disks reverted, then maybe OP_START */
        OP_MEMORY,    /* external with memory: QEMU migrates into the memory file, then OP_EXTERNAL */
        OP_COMMIT,    /* delete of an external snapshot: block-commit of its overlays */
} OpKind;

typedef struct SnapOp {
        SnapshotTask *task;
        Domain *d;               /* only while the task is alive */
        OpKind kind;
        const DomainSnapshotDef *def; /* the task's: lives as long as it */
        unsigned flags;
        char **disks;            /* the targets concerned */
        char **nodes;            /* their top nodes, from query-block */
        char **added;            /* OP_EXTERNAL: the nodes blockdev-add made, to take back */
        char **formats;          /* OP_EXTERNAL: the format and size of each disk's image, from query-block */
        uint64_t *sizes;
        unsigned pending;        /* OP_EXTERNAL: blockdev-add replies awaited */
        bool add_failed;
        char *job_id;
        sd_event_source *timer;
        uint64_t deadline;
        bool stopped;            /* we paused the guest: it runs again after */
        bool run_after;          /* OP_LOAD: cont at the end */
        bool halt;               /* OP_SAVE: destroy at the end */
        bool frozen;             /* OP_EXTERNAL with QUIESCE: the guest's file systems are frozen */
        bool load;               /* OP_START: snapshot-load once it runs */
        bool in_place;           /* OP_LOAD of a guest that was running or paused: libvirt's events */
        bool paused_quietly;     /* in_place: we paused it, no Suspended said yet */
        int start_after;         /* OP_STOP: start flags once reverted, -1 to stay off */
        int mem_fd;              /* OP_MEMORY: the memory file, QEMU writes at the data offset */
        QemuSaveHeader mem_hdr;
        bool mem_made;           /* the memory file is ours to remove when the snapshot fails */
        bool mem_running;        /* the guest ran when its memory was taken */
        SnapshotCommitPlan plan; /* OP_COMMIT */
        size_t commit_index;
        bool completing;         /* OP_COMMIT: job-complete sent */
        bool recorded;           /* a create: qemu_snapshot_record_write() made the record */
        int result;              /* what op_end gets once cont is answered */
        sd_bus_error error;
} SnapOp;

static int close_fd(int fd) {
        if (fd >= 0)
                close(fd);
        return -1;
}

static SnapOp *op_free(SnapOp *o) {
        if (!o)
                return NULL;
        sd_event_source_disable_unref(o->timer);
        strv_free(o->disks);
        strv_free(o->nodes);
        strv_free(o->added);
        strv_free(o->formats);
        free(o->sizes);
        free(o->job_id);
        close_fd(o->mem_fd);
        snapshot_commit_plan_done(&o->plan);
        sd_bus_error_free(&o->error);
        free(o);
        return NULL;
}

/* The end: the task goes on (or learns of the failure in o->error). */
static void op_end(SnapOp *o, int r) {
        SnapshotTask *t = o->task;
        /* The records of the work go once the tree has its outcome. */
        Domain *recorded = domain_snapshot_task_alive(t) ? o->d : NULL;
        bool create_record = o->recorded, delete_record = o->kind == OP_COMMIT;

        /* A failed load leaves the guest paused: say so. */
        if (recorded && o->paused_quietly && domain_is_active(o->d)) {
                domain_emit_event(o->d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT);
                (void) domain_status_save(o->d);
        }

        if (r < 0 && !sd_bus_error_is_set(&o->error))
                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED, "snapshot '%s': %s", o->def->name,
                                     strerror(-r));
        if (r < 0 && domain_snapshot_task_alive(t))
                log_error("Domain %s: %s", o->d->def->name, o->error.message);
        if (domain_snapshot_task_alive(t) && o->d->jobs->active)
                domain_job_set_phase(o->d->jobs, NULL);
        domain_snapshot_task_done(t, r < 0 ? r : 0, &o->error);
        op_free(o);
        if (recorded && create_record)
                qemu_snapshot_record_remove(recorded);
        if (recorded && delete_record)
                qemu_snapshot_delete_record_remove(recorded);
}

static const char *qemu_text(const char *error_class, const char *error_desc) {
        return error_desc && *error_desc ? error_desc : error_class;
}

/* Whether the reply came from a QEMU that still runs our task; when not,
 * the op ends here (true returned: o is gone). */
static bool op_gone(SnapOp *o, const char *error_class) {
        if (!domain_snapshot_task_alive(o->task)) {
                op_end(o, -ESRCH);
                return true;
        }
        if (error_class && streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED)) {
                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED,
                                     "domain '%s' stopped during the snapshot '%s'", o->d->def->name, o->def->name);
                op_end(o, -EIO);
                return true;
        }
        return false;
}

static int op_send(SnapOp *o, const char *command, json_object *args, QemuMonitorReplyFn cb) {
        QemuMonitor *mon = qemu_domain(o->d)->mon;

        if (!mon) {
                json_object_put(args);
                return -ENOTCONN;
        }
        return qemu_monitor_command(mon, command, args, cb, cb ? o : NULL);
}

/* The guest goes on as it was before a failed step. */
static void op_fail(SnapOp *o, const char *fmt, const char *what) {
        if (o->stopped)
                (void) op_send(o, "cont", NULL, NULL);
        (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED, fmt, o->def->name, what);
        op_end(o, -EIO);
}

/* The disk's entry of query-block: its qdev is the device's id (alias)
 * or a path under it; its "inserted" object. */
static json_object *inserted_of(json_object *list, const char *alias) {
        size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        size_t len = strlen(alias);

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(list, i), *v, *ins;
                const char *qdev;

                if (!json_object_object_get_ex(e, "qdev", &v) || !(qdev = json_object_get_string(v)))
                        continue;
                if (!streq(qdev, alias)) {
                        const char *p = strstr(qdev, alias);
                        if (!p || p == qdev || p[-1] != '/' || (p[len] && p[len] != '/'))
                                continue;
                }
                if (json_object_object_get_ex(e, "inserted", &ins))
                        return ins;
        }
        return NULL;
}

static const char *top_node(json_object *list, const char *alias) {
        json_object *ins = inserted_of(list, alias), *node;

        return ins && json_object_object_get_ex(ins, "node-name", &node) ? json_object_get_string(node) : NULL;
}

/* The image's format and virtual size: no qemu-img info for the overlay. */
static int note_image(SnapOp *o, json_object *list, const char *alias) {
        json_object *ins = inserted_of(list, alias), *img, *v;
        size_t n = strv_length(o->formats);
        uint64_t *sizes = realloc(o->sizes, (n + 1) * sizeof(*sizes));
        const char *format = "";

        if (!sizes)
                return -ENOMEM;
        o->sizes = sizes;
        o->sizes[n] = 0;
        if (ins && json_object_object_get_ex(ins, "image", &img)) {
                if (json_object_object_get_ex(img, "format", &v))
                        format = json_object_get_string(v);
                if (json_object_object_get_ex(img, "virtual-size", &v))
                        o->sizes[n] = (uint64_t) json_object_get_int64(v);
        }
        if (o->sizes[n] == 0)
                format = ""; /* qemu-img info then */
        return strv_extend(&o->formats, format);
}

static json_object *strv_to_json(char **l) {
        json_object *a = json_object_new_array();

        for (size_t i = 0; l && l[i]; i++)
                json_object_array_add(a, json_object_new_string(l[i]));
        return a;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata);
static void on_memory_status(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata);
static void external_fail(SnapOp *o, const char *what);
static void on_commit_jobs(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata);

static void poll_again(SnapOp *o) {
        (void) sd_event_source_set_time_relative(o->timer, POLL_USEC);
        (void) sd_event_source_set_enabled(o->timer, SD_EVENT_ONESHOT);
}
static void on_query_block(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata);

static void on_resumed(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                       void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (error_class)
                log_warning("Domain %s: cannot run it again after the snapshot %s: %s", o->d->def->name,
                            o->def->name, qemu_text(error_class, error_desc));
        if (o->kind == OP_LOAD) {
                if (error_class)
                        domain_set_state(o->d, DOMAIN_PAUSED, DOMAIN_PAUSED_FROM_SNAPSHOT);
                domain_emit_event(o->d, error_class ? DOMAIN_EVENT_SUSPENDED : DOMAIN_EVENT_RESUMED,
                                  error_class ? DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT
                                              : DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT);
                (void) domain_status_save(o->d);
        }
        op_end(o, o->result);
}

/* The call is answered once QEMU answered cont: its RESUME event came
 * before, so the state says running then, as libvirt's does. After a
 * load the state is set first (QEMU's RESUME then changes nothing) and
 * the detail is FROM_SNAPSHOT, as libvirt's qemuProcessStartCPUs with
 * RUNNING_FROM_SNAPSHOT. */
static void resume_then_end(SnapOp *o, int r) {
        o->result = r;
        if (o->kind == OP_LOAD)
                domain_set_state(o->d, DOMAIN_RUNNING, DOMAIN_RUNNING_FROM_SNAPSHOT);
        if (op_send(o, "cont", NULL, on_resumed) < 0)
                op_end(o, r);
}

/* libvirt 9.0 reverts a running or paused guest to a snapshot with memory
 * by stopping its QEMU and starting another with -loadvm: Stopped and
 * Started FROM_SNAPSHOT, then Resumed or Suspended FROM_SNAPSHOT. Here the
 * same QEMU loads it (snapshot-load); the events are libvirt's. */
static void loaded_in_place(SnapOp *o) {
        o->paused_quietly = false;
        domain_set_state(o->d, DOMAIN_PAUSED, DOMAIN_PAUSED_FROM_SNAPSHOT);
        domain_emit_event(o->d, DOMAIN_EVENT_STOPPED, DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT);
        domain_emit_event(o->d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_FROM_SNAPSHOT);
        if (!o->run_after) {
                domain_emit_event(o->d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT);
                (void) domain_status_save(o->d);
        }
}

static void on_job_dismissed(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        SnapOp *o = userdata;
        bool ran = o->stopped;

        if (op_gone(o, error_class))
                return;
        if (sd_bus_error_is_set(&o->error)) {
                op_fail(o, "%s: %s", o->error.message);
                return;
        }
        if (o->kind == OP_SAVE && o->halt) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                /* libvirt's HALT: the guest is shut off once its state is kept. */
                qemu_domain(o->d)->from_snapshot = true;
                (void) o->d->manager->driver->destroy(o->d, NULL, &e);
                ran = false;
        }
        if (o->kind == OP_LOAD && o->in_place)
                loaded_in_place(o);
        if ((o->kind == OP_SAVE && ran) || (o->kind == OP_LOAD && o->run_after)) {
                resume_then_end(o, 0);
                return;
        }
        op_end(o, 0);
}

static void on_jobs(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                    void *userdata) {
        SnapOp *o = userdata;
        bool found = false;
        size_t n;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                op_fail(o, "snapshot '%s': query-jobs failed: %s", qemu_text(error_class, error_desc));
                return;
        }
        n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *v;
                json_object *args;

                if (!json_object_object_get_ex(e, "id", &v) || !streq(json_object_get_string(v), o->job_id))
                        continue;
                found = true;
                if (!json_object_object_get_ex(e, "status", &v) || !streq(json_object_get_string(v), "concluded"))
                        break;
                if (json_object_object_get_ex(e, "error", &v))
                        (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED, "%s", json_object_get_string(v));
                args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(o->job_id));
                if (op_send(o, "job-dismiss", args, on_job_dismissed) < 0)
                        op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
                return;
        }
        if (!found) {
                op_fail(o, "snapshot '%s': %s", "QEMU's job is gone");
                return;
        }
        poll_again(o);
}

/* Starts d for a revert (start_flags: DOMAIN_START_PAUSED or 0). The
 * start answers no call: the revert's stays with its job (the start would
 * take it). The op then waits for the guest to run (OP_START). */
static int start_guest(Domain *d, unsigned start_flags, sd_bus_error *error) {
        sd_bus_message *call = domain_job_take_call(d->jobs);
        int r;

        qemu_domain(d)->from_snapshot = true;
        r = d->manager->driver->start(d, start_flags, NULL, error);
        if (r < 0)
                qemu_domain(d)->from_snapshot = false;

        if (d->jobs->active && !d->jobs->active->call)
                d->jobs->active->call = call;
        else
                sd_bus_message_unref(call);
        return r;
}

static bool is_disk_snapshot(const DomainSnapshotDef *def) {
        return snapshot_def_is_external(def) || streq_ptr(def->state, "disk-snapshot");
}

/* A shut-off guest goes back to external snapshot def: its definition,
 * each disk on a new overlay of the snapshot's image. */
static int revert_external_offline(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        DomainDef *dom = NULL;
        int r = snapshot_external_revert_def(d, def, &dom, error);

        if (r < 0)
                return r;
        domain_def_free(d->def);
        d->def = dom;
        r = domain_save_config(d);
        if (r < 0)
                log_warning("domain %s: cannot write its definition after revert: %s", d->def->name, strerror(-r));
        return 0;
}

/* As start_guest, from the snapshot's memory file (a save image). */
static int restore_guest(Domain *d, const DomainSnapshotDef *def, unsigned start_flags, sd_bus_error *error) {
        sd_bus_message *call = domain_job_take_call(d->jobs);
        int r;

        qemu_domain(d)->from_snapshot = true;
        r = d->manager->driver->save->restore(d, def->memory_file,
                                              (start_flags & DOMAIN_START_PAUSED) ? DOMAIN_SAVE_PAUSED
                                                                                  : DOMAIN_SAVE_RUNNING,
                                              false, NULL, error);
        if (r < 0)
                qemu_domain(d)->from_snapshot = false;

        if (d->jobs->active && !d->jobs->active->call)
                d->jobs->active->call = call;
        else
                sd_bus_message_unref(call);
        return r;
}

/* OP_STOP: the guest is gone; its disks go back, and it starts again
 * when asked (then OP_START waits for it to run). */
static void stopped_for_revert(SnapOp *o) {
        int r;

        o->d->jobs->active->stops_guest = false;
        r = is_disk_snapshot(o->def) ? revert_external_offline(o->d, o->def, &o->error)
                                     : snapshot_revert_offline(o->d, o->def, &o->error);
        if (r < 0 || o->start_after < 0) {
                op_end(o, r);
                return;
        }
        r = o->def->memory == SNAPSHOT_LOCATION_EXTERNAL ? restore_guest(o->d, o->def, o->start_after, &o->error)
                                                          : start_guest(o->d, o->start_after, &o->error);
        if (r < 0) {
                op_end(o, r);
                return;
        }
        o->kind = OP_START;
        o->deadline = now_usec(CLOCK_MONOTONIC) + START_WAIT_USEC;
        poll_again(o);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, NULL))
                return 0;
        if (o->kind == OP_STOP) {
                if (!domain_is_active(o->d))
                        stopped_for_revert(o);
                else if (now_usec(CLOCK_MONOTONIC) > o->deadline) {
                        o->d->jobs->active->stops_guest = false;
                        (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_TIMEOUT,
                                             "domain '%s' did not stop for the revert to '%s'", o->d->def->name,
                                             o->def->name);
                        op_end(o, -ETIMEDOUT);
                } else
                        poll_again(o);
                return 0;
        }
        if (o->kind == OP_START) {
                if (snapshot_guest_runs(o->d) && !o->load)
                        op_end(o, 0);
                else if (snapshot_guest_runs(o->d)) {
                        o->kind = OP_LOAD;
                        if (op_send(o, "query-block", NULL, on_query_block) < 0)
                                op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
                } else if (!domain_is_active(o->d)) {
                        (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED,
                                             "domain '%s' could not be started for the revert to '%s' (see its log)",
                                             o->d->def->name, o->def->name);
                        op_end(o, -EIO);
                } else if (now_usec(CLOCK_MONOTONIC) > o->deadline) {
                        (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_TIMEOUT,
                                             "domain '%s' did not start for the revert to '%s'", o->d->def->name,
                                             o->def->name);
                        op_end(o, -ETIMEDOUT);
                } else
                        poll_again(o);
                return 0;
        }
        if (o->kind == OP_COMMIT) {
                if (op_send(o, "query-jobs", NULL, on_commit_jobs) < 0)
                        op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
                return 0;
        }
        if (o->kind == OP_MEMORY) {
                if (op_send(o, "query-migrate", NULL, on_memory_status) < 0)
                        external_fail(o, "cannot talk to QEMU's monitor");
                return 0;
        }
        if (op_send(o, "query-jobs", NULL, on_jobs) < 0)
                op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
        return 0;
}

static int arm_poll(SnapOp *o) {
        if (o->timer) {
                int r = sd_event_source_set_time_relative(o->timer, POLL_USEC);
                return r < 0 ? r : sd_event_source_set_enabled(o->timer, SD_EVENT_ONESHOT);
        }
        /* Accuracy 1 us: 0 would be sd-event's default of 250 ms, and each
         * poll (a commit's ready, concluded...) came up to that late. */
        return sd_event_add_time_relative(o->d->manager->event, &o->timer, CLOCK_MONOTONIC, POLL_USEC, 1, on_poll, o);
}

static void on_job_started(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                op_fail(o, "snapshot '%s': QEMU refused: %s", qemu_text(error_class, error_desc));
                return;
        }
        if (arm_poll(o) < 0)
                op_fail(o, "snapshot '%s': %s", "cannot arm a timer");
}

/* snapshot-save, -load, -delete on the nodes found. */
static void start_qmp_job(SnapOp *o) {
        static const char *const commands[] = {
                [OP_SAVE] = "snapshot-save", [OP_LOAD] = "snapshot-load", [OP_DELETE] = "snapshot-delete",
        };
        json_object *args = json_object_new_object();

        o->job_id = strdup(commands[o->kind]);
        json_object_object_add(args, "job-id", json_object_new_string(commands[o->kind]));
        json_object_object_add(args, "tag", json_object_new_string(o->def->name));
        if (o->kind != OP_DELETE)
                json_object_object_add(args, "vmstate", json_object_new_string(o->nodes[0]));
        json_object_object_add(args, "devices", strv_to_json(o->nodes));
        /* The memory state is what the guest was at this moment: its vCPUs
         * stop first (snapshot-save would stop them too, unseen by us). */
        if (o->kind != OP_DELETE && o->d->state == DOMAIN_RUNNING) {
                o->stopped = o->kind == OP_SAVE;
                /* In place: QEMU's STOP finds it paused already and says
                 * nothing; the events come once it is loaded. */
                if (o->in_place) {
                        domain_set_state(o->d, DOMAIN_PAUSED, DOMAIN_PAUSED_FROM_SNAPSHOT);
                        o->paused_quietly = true;
                }
                (void) op_send(o, "stop", NULL, NULL);
        }
        domain_job_set_phase(o->d->jobs, commands[o->kind]);
        if (!o->job_id || op_send(o, commands[o->kind], args, on_job_started) < 0)
                op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
}

/* ---- external: overlays on top ---- */

static void del_added(SnapOp *o) {
        for (size_t n = strv_length(o->added); n-- > 0;) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "node-name", json_object_new_string(o->added[n]));
                (void) op_send(o, "blockdev-del", a, NULL);
        }
}

static void on_thawed(Domain *d, json_object *result, const char *error_name, const char *error_message,
                      void *userdata) {
        if (d && error_name)
                log_warning("Domain %s: cannot thaw the file systems after a snapshot: %s", d->def->name,
                            error_message ? error_message : error_name);
}

/* QUIESCE: the file systems frozen for the snapshot work again, whatever
 * became of it. */
static void thaw(SnapOp *o) {
        const DomainAgentOps *agent = o->d->manager->driver->agent;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!o->frozen || !agent || !agent->command)
                return;
        o->frozen = false;
        (void) agent->command(o->d, "guest-fsfreeze-thaw", NULL, false, on_thawed, NULL, &e);
}

/* The overlays are on: a guest paused for its memory goes on, or is shut
 * off (HALT); then the op ends with r. */
static void external_end(SnapOp *o, int r) {
        bool stopped = o->stopped;

        o->stopped = false;
        if (o->halt) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                qemu_domain(o->d)->from_snapshot = true;
                (void) o->d->manager->driver->destroy(o->d, NULL, &e);
        } else if (stopped) {
                resume_then_end(o, r);
                return;
        }
        op_end(o, r);
}

static void start_memory(SnapOp *o);

static void external_fail(SnapOp *o, const char *what) {
        thaw(o);
        o->mem_fd = close_fd(o->mem_fd);
        if (o->mem_made)
                (void) unlink(o->def->memory_file);
        del_added(o);
        snapshot_unlink_overlays(o->def, o->flags, o->def->n_disks);
        op_fail(o, "snapshot '%s': %s", what);
}

static void on_transaction(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        SnapOp *o = userdata;
        Domain *d;
        DomainDef **pdef;
        int r;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                external_fail(o, qemu_text(error_class, error_desc));
                return;
        }
        d = o->d;
        thaw(o);
        /* The live definition names the overlays, and so does the
         * persistent one, as libvirt's. */
        r = snapshot_follow_overlays_live(d, o->def);
        pdef = domain_persistent_def(d);
        if (r >= 0 && d->persistent && pdef && *pdef && *pdef != d->live) {
                r = snapshot_follow_overlays(*pdef, o->def);
                if (r >= 0 && domain_save_config(d) < 0)
                        log_warning("Domain %s: cannot save the definition after snapshot %s.", d->def->name,
                                    o->def->name);
        }
        external_end(o, r);
}

static void on_blockdev_add(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                            void *userdata) {
        SnapOp *o = userdata;
        json_object *actions, *args;

        /* Several replies are awaited: o stays until the last one. */
        if (error_class && !o->add_failed) {
                o->add_failed = true;
                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED, "snapshot '%s': cannot open an overlay: %s",
                                     o->def->name, qemu_text(error_class, error_desc));
        }
        if (--o->pending > 0)
                return;
        if (op_gone(o, error_class))
                return;
        if (o->add_failed) {
                _cleanup_free_ char *msg = strdup(o->error.message ? o->error.message : "?");
                sd_bus_error_free(&o->error);
                external_fail(o, msg ? msg : "?");
                return;
        }
        /* All or nothing: one transaction for every disk (ATOMIC is so
         * whatever the flag says, as libvirt's with -blockdev). */
        actions = json_object_new_array();
        for (size_t i = 0, k = 0; i < o->def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &o->def->disks[i];
                json_object *a, *data;
                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                a = json_object_new_object();
                data = json_object_new_object();
                json_object_object_add(data, "node", json_object_new_string(o->nodes[k]));
                json_object_object_add(data, "overlay", json_object_new_string(o->added[2 * k + 1]));
                json_object_object_add(a, "type", json_object_new_string("blockdev-snapshot"));
                json_object_object_add(a, "data", data);
                json_object_array_add(actions, a);
                k++;
        }
        args = json_object_new_object();
        json_object_object_add(args, "actions", actions);
        domain_job_set_phase(o->d->jobs, "blockdev-snapshot");
        if (op_send(o, "transaction", args, on_transaction) < 0)
                external_fail(o, "cannot talk to QEMU's monitor");
}

/* Each overlay is opened by QEMU (file and qcow2 nodes, no backing yet:
 * blockdev-snapshot puts the disk's top under it). */
static void add_overlays(SnapOp *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        uint64_t tag = now_usec(CLOCK_REALTIME) & 0xffffff;
        int r;

        domain_job_set_phase(o->d->jobs, "overlays");
        r = snapshot_create_overlays(o->d->live, o->def, o->flags, o->formats, o->sizes, &e);
        if (r < 0) {
                (void) sd_bus_error_copy(&o->error, &e);
                op_end(o, r);
                return;
        }
        for (size_t i = 0, k = 0; i < o->def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &o->def->disks[i];
                json_object *file, *fmt;
                char *nf = NULL, *nq = NULL;
                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                if (asprintf(&nf, "%s-s%06" PRIx64 "-file", o->disks[k], tag) < 0 ||
                    strv_consume(&o->added, nf) < 0 ||
                    asprintf(&nq, "%s-s%06" PRIx64 "-fmt", o->disks[k], tag) < 0 || strv_consume(&o->added, nq) < 0) {
                        external_fail(o, "out of memory");
                        return;
                }
                file = json_object_new_object();
                json_object_object_add(file, "driver", json_object_new_string("file"));
                json_object_object_add(file, "filename", json_object_new_string(sd->source_file));
                json_object_object_add(file, "node-name", json_object_new_string(nf));
                fmt = json_object_new_object();
                json_object_object_add(fmt, "driver", json_object_new_string("qcow2"));
                json_object_object_add(fmt, "file", json_object_new_string(nf));
                json_object_object_add(fmt, "node-name", json_object_new_string(nq));
                json_object_object_add(fmt, "backing", NULL);
                o->pending += 2;
                if (op_send(o, "blockdev-add", file, on_blockdev_add) < 0 ||
                    op_send(o, "blockdev-add", fmt, on_blockdev_add) < 0) {
                        o->pending = 0;
                        external_fail(o, "cannot talk to QEMU's monitor");
                        return;
                }
                k++;
        }
}

/* ---- external with memory: QEMU's migration stream into the memory file ---- */

static void on_memory_status(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        SnapOp *o = userdata;
        json_object *v;
        const char *status;
        int r;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                external_fail(o, qemu_text(error_class, error_desc));
                return;
        }
        status = json_object_object_get_ex(result, "status", &v) ? json_object_get_string(v) : "";
        if (streq(status, "failed") || streq(status, "cancelled")) {
                external_fail(o, json_object_object_get_ex(result, "error-desc", &v) ? json_object_get_string(v)
                                                                                       : "QEMU could not save the memory");
                return;
        }
        if (!streq(status, "completed")) {
                poll_again(o);
                return;
        }
        r = snapshot_memory_finish(o->mem_fd, &o->mem_hdr);
        o->mem_fd = close_fd(o->mem_fd);
        if (r < 0) {
                external_fail(o, "cannot complete the memory file");
                return;
        }
        /* A LIVE one: QEMU stopped the vCPUs at the end of the stream. */
        o->stopped = o->mem_running;
        o->kind = OP_EXTERNAL;
        add_overlays(o);
}

static void on_memory_migrate(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                external_fail(o, qemu_text(error_class, error_desc));
                return;
        }
        if (arm_poll(o) < 0)
                external_fail(o, "cannot arm a timer");
}

/* As a save does (qemu-save.h), but into the snapshot's file and QEMU
 * goes on after: the guest paused first unless LIVE (then QEMU pauses it
 * at the stream's end), the overlays follow while it stays paused, so
 * that memory and disks are of the same moment. */
static void start_memory(SnapOp *o) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *xml = NULL;
        QemuMonitor *mon = qemu_domain(o->d)->mon;
        json_object *args;
        int r;

        o->mem_running = o->d->state == DOMAIN_RUNNING;
        r = domain_def_format(o->d->live, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &xml);
        if (r >= 0)
                r = snapshot_memory_open(o->def->memory_file, xml, o->mem_running, &o->mem_hdr, &o->mem_fd, &e);
        if (r < 0) {
                (void) sd_bus_error_copy(&o->error, &e);
                op_end(o, r);
                return;
        }
        o->mem_made = true;
        if (o->mem_running && !(o->flags & SNAPSHOT_CREATE_LIVE)) {
                o->stopped = true;
                (void) op_send(o, "stop", NULL, NULL);
        }
        domain_job_set_phase(o->d->jobs, "memory");
        o->kind = OP_MEMORY;
        args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("vb-snapshot"));
        r = mon ? qemu_monitor_command_with_fd(mon, "getfd", args, o->mem_fd, NULL, NULL) : -ENOTCONN;
        if (r >= 0) {
                args = json_object_new_object();
                uint64_t mib = snapshot_memory_bandwidth(o->d);
                json_object_object_add(args, "max-bandwidth",
                                       json_object_new_int64(mib ? (int64_t) (mib << 20) : INT64_C(1) << 40));
                r = op_send(o, "migrate-set-parameters", args, NULL);
        }
        if (r >= 0) {
                args = json_object_new_object();
                json_object_object_add(args, "uri", json_object_new_string("fd:vb-snapshot"));
                r = op_send(o, "migrate", args, on_memory_migrate);
        }
        if (r < 0)
                external_fail(o, "cannot talk to QEMU's monitor");
}

static void on_frozen(Domain *d, json_object *result, const char *error_name, const char *error_message,
                      void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, NULL))
                return;
        if (error_name) {
                (void) sd_bus_error_set(&o->error, error_name, error_message);
                op_end(o, -EIO);
                return;
        }
        o->frozen = true;
        add_overlays(o);
}

/* QUIESCE: the guest agent freezes the file systems first; the overlays
 * are made only once it did (an agent that is not there fails the
 * snapshot before anything is done, as libvirt's). */
static void start_external(SnapOp *o) {
        const DomainAgentOps *agent = o->d->manager->driver->agent;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        if (o->def->memory == SNAPSHOT_LOCATION_EXTERNAL) {
                start_memory(o);
                return;
        }
        if (!(o->flags & SNAPSHOT_CREATE_QUIESCE)) {
                add_overlays(o);
                return;
        }
        if (!agent || !agent->command) {
                (void) vb_error_setf(&o->error, VB_ERROR_ARGUMENT_UNSUPPORTED,
                                     "argument unsupported: QEMU guest agent is not configured");
                op_end(o, -EOPNOTSUPP);
                return;
        }
        domain_job_set_phase(o->d->jobs, "fsfreeze");
        r = agent->command(o->d, "guest-fsfreeze-freeze", NULL, false, on_frozen, o, &e);
        if (r < 0) {
                (void) sd_bus_error_copy(&o->error, &e);
                op_end(o, r);
        }
}

static void on_query_block(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                op_fail(o, "snapshot '%s': query-block failed: %s", qemu_text(error_class, error_desc));
                return;
        }
        for (size_t i = 0; o->disks && o->disks[i]; i++) {
                const DomainDiskDef *disk = snapshot_find_disk(o->d->live, o->disks[i]);
                const char *node = disk && disk->alias ? top_node(result, disk->alias) : NULL;
                if (!node) {
                        op_fail(o, "snapshot '%s': disk '%s' has no image open in QEMU", o->disks[i]);
                        return;
                }
                if (strv_extend(&o->nodes, node) < 0 || (o->kind == OP_EXTERNAL && note_image(o, result, disk->alias) < 0)) {
                        op_fail(o, "snapshot '%s': %s", "out of memory");
                        return;
                }
        }
        /* From here the disk's alias names its nodes (external). */
        for (size_t i = 0; o->disks && o->disks[i]; i++) {
                const DomainDiskDef *disk = snapshot_find_disk(o->d->live, o->disks[i]);
                char *a = strdup(disk->alias);
                if (!a) {
                        op_fail(o, "snapshot '%s': %s", "out of memory");
                        return;
                }
                free(o->disks[i]);
                o->disks[i] = a;
        }
        if (o->kind == OP_EXTERNAL)
                start_external(o);
        else
                start_qmp_job(o);
}

/* Begins op kind on the disks of def with location loc; 1 (the task goes
 * on later) or -errno with error set. */
static int op_start(Domain *d, SnapshotTask *t, OpKind kind, const DomainSnapshotDef *def, unsigned flags,
                    SnapshotLocation loc, SnapOp **ret, sd_bus_error *error) {
        SnapOp *o = calloc(1, sizeof(*o));

        if (!o)
                return -ENOMEM;
        *o = (SnapOp) { .task = t, .d = d, .kind = kind, .def = def, .flags = flags, .mem_fd = -1 };
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].snapshot == loc && strv_extend(&o->disks, def->disks[i].name) < 0) {
                        op_free(o);
                        return -ENOMEM;
                }
        if (kind != OP_START && kind != OP_STOP && strv_length(o->disks) == 0) {
                op_free(o);
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s' has no disk for QEMU",
                                     def->name);
        }
        if (ret)
                *ret = o;
        if (kind == OP_START || kind == OP_STOP) {
                o->deadline = now_usec(CLOCK_MONOTONIC) + START_WAIT_USEC;
                if (arm_poll(o) < 0) {
                        op_free(o);
                        return -ENOMEM;
                }
                return 1;
        }
        if (op_send(o, "query-block", NULL, on_query_block) < 0) {
                op_free(o);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor of '%s'",
                                     d->def->name);
        }
        return 1;
}

/* ---- the hooks ---- */

static int create(Domain *d, DomainSnapshotDef *def, unsigned flags, SnapshotTask *t, sd_bus_error *error) {
        SnapOp *o = NULL;
        int r;

        if (!domain_is_active(d))
                return snapshot_create_offline(d, def, flags, error);
        if (!snapshot_guest_runs(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain '%s' is not running", d->def->name);
        r = op_start(d, t, snapshot_def_is_external(def) ? OP_EXTERNAL : OP_SAVE, def, flags,
                     snapshot_def_is_external(def) ? SNAPSHOT_LOCATION_EXTERNAL : SNAPSHOT_LOCATION_INTERNAL, &o,
                     error);
        if (r <= 0)
                return r;
        o->halt = flags & SNAPSHOT_CREATE_HALT;
        /* Before QEMU is asked anything that changes the guest. */
        o->recorded = qemu_snapshot_record_write(d, def, flags) >= 0;
        if (!o->recorded)
                log_warning("Domain %s: cannot record the snapshot %s under way: a qemud stop would leave it "
                            "half made", d->def->name, def->name);
        return r;
}

/* A shut-off guest reverted to a snapshot with memory: the definition the
 * snapshot holds comes back, and the guest starts paused; snapshot-load
 * follows once it runs. */
static int start_for_load(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        int r = snapshot_domain(d, def, &dom, error);

        if (r < 0)
                return r;
        r = snapshot_check_images(dom ? dom : d->def, def, error);
        if (r < 0)
                return r;
        if (dom && d->persistent) {
                domain_def_free(d->def);
                d->def = TAKE_PTR(dom);
                if (domain_save_config(d) < 0)
                        log_warning("domain %s: cannot write its definition after revert", d->def->name);
        }
        return start_guest(d, DOMAIN_START_PAUSED, error);
}

/* A running guest reverted to a shut-off snapshot: as libvirt, it is
 * stopped first (the revert's job survives the stop), then its disks go
 * back (OP_STOP), then it starts when start >= 0. */
static int stop_for_revert(Domain *d, SnapshotTask *t, const DomainSnapshotDef *def, unsigned flags, int start,
                           sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        SnapOp *o = NULL;
        int r;

        /* A transient guest would be gone with its stop. */
        if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: transient domain '%s' cannot be stopped "
                                     "for the revert to the shut-off snapshot '%s'", d->def->name, def->name);
        /* What would fail after the stop is checked while it still runs. */
        r = snapshot_domain(d, def, &dom, error);
        if (r < 0)
                return r;
        r = is_disk_snapshot(def) ? snapshot_external_check(d, def, error) : snapshot_check_images(dom ? dom : d->def, def, error);
        if (r < 0)
                return r;
        r = op_start(d, t, OP_STOP, def, flags, SNAPSHOT_LOCATION_INTERNAL, &o, error);
        if (r < 0)
                return r;
        o->start_after = start;
        d->jobs->active->stops_guest = true;
        domain_job_set_phase(d->jobs, "stop");
        qemu_domain(d)->from_snapshot = true;
        r = d->manager->driver->destroy(d, NULL, error);
        if (r < 0) {
                qemu_domain(d)->from_snapshot = false;
                d->jobs->active->stops_guest = false;
                /* the op's poll sees the guest still there until its deadline: end it now */
                op_free(o);
                return r;
        }
        return 1;
}

/* libvirt 9.0 refuses these; newer libvirt (9.7) does as here: the guest
 * goes off, new overlays on the snapshot's images, then it is restored
 * from the memory file, or booted when asked, or stays off. */
static int revert_external(Domain *d, const DomainSnapshotDef *def, unsigned flags, SnapshotTask *t,
                           sd_bus_error *error) {
        bool memory = def->memory == SNAPSHOT_LOCATION_EXTERNAL;
        int start, r;

        if (memory)
                start = (flags & SNAPSHOT_REVERT_PAUSED) ||
                                        (!(flags & SNAPSHOT_REVERT_RUNNING) && streq_ptr(def->state, "paused"))
                                ? DOMAIN_START_PAUSED
                                : 0;
        else
                start = (flags & SNAPSHOT_REVERT_PAUSED)    ? DOMAIN_START_PAUSED
                        : (flags & SNAPSHOT_REVERT_RUNNING) ? 0
                                                            : -1;
        r = snapshot_external_check(d, def, error);
        if (r < 0)
                return r;
        if (domain_is_active(d))
                return stop_for_revert(d, t, def, flags, start, error);
        r = revert_external_offline(d, def, error);
        if (r < 0 || start < 0)
                return r;
        r = memory ? restore_guest(d, def, start, error) : start_guest(d, start, error);
        if (r < 0)
                return r;
        return op_start(d, t, OP_START, def, flags, SNAPSHOT_LOCATION_INTERNAL, NULL, error);
}

static int revert(Domain *d, const DomainSnapshotDef *def, unsigned flags, SnapshotTask *t, sd_bus_error *error) {
        bool active = domain_is_active(d);
        SnapOp *o = NULL;
        int r;

        if (is_disk_snapshot(def))
                return revert_external(d, def, flags, t, error);
        if (!snapshot_has_memory(def)) {
                /* REVERT_RUNNING/PAUSED: the guest starts (boots) from the
                 * disks as they were, as libvirt's. */
                int start = (flags & SNAPSHOT_REVERT_PAUSED)    ? DOMAIN_START_PAUSED
                            : (flags & SNAPSHOT_REVERT_RUNNING) ? 0
                                                                : -1;
                if (!active) {
                        r = snapshot_revert_offline(d, def, error);
                        if (r < 0 || start < 0)
                                return r;
                        r = start_guest(d, start, error);
                        if (r < 0)
                                return r;
                        return op_start(d, t, OP_START, def, flags, SNAPSHOT_LOCATION_INTERNAL, NULL, error);
                }
                return stop_for_revert(d, t, def, flags, start, error);
        }
        if (!active) {
                r = start_for_load(d, def, error);
                if (r < 0)
                        return r;
                r = op_start(d, t, OP_START, def, flags, SNAPSHOT_LOCATION_INTERNAL, &o, error);
                if (r > 0) {
                        o->load = true;
                        o->run_after = (flags & SNAPSHOT_REVERT_RUNNING) ||
                                       (!(flags & SNAPSHOT_REVERT_PAUSED) && streq_ptr(def->state, "running"));
                }
                return r;
        }
        if (!snapshot_guest_runs(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain '%s' is still starting",
                                     d->def->name);
        r = snapshot_check_images(d->live, def, error);
        if (r < 0)
                return r;
        r = op_start(d, t, OP_LOAD, def, flags, SNAPSHOT_LOCATION_INTERNAL, &o, error);
        if (r > 0) {
                o->in_place = true;
                o->run_after = (flags & SNAPSHOT_REVERT_RUNNING) ||
                               (!(flags & SNAPSHOT_REVERT_PAUSED) && streq_ptr(def->state, "running"));
        }
        return r;
}

/* ---- delete of a running guest's external snapshot: block-commit ---- */

#define COMMIT_JOB "snapshot-commit"

static void commit_next(SnapOp *o);

/* The format node QEMU opened file with (query-named-block-nodes). */
static const char *node_of_file(json_object *list, const char *file) {
        size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(list, i), *v, *name;
                if (!json_object_object_get_ex(e, "file", &v) || !streq_ptr(json_object_get_string(v), file))
                        continue;
                if (json_object_object_get_ex(e, "drv", &v) &&
                    (streq(json_object_get_string(v), "file") || streq(json_object_get_string(v), "host_device") ||
                     streq(json_object_get_string(v), "throttle")))
                        continue;
                if (json_object_object_get_ex(e, "node-name", &name))
                        return json_object_get_string(name);
        }
        return NULL;
}

static void commit_done(SnapOp *o) {
        int r = snapshot_commit_apply(o->d, o->def, domain_snapshot_task_list(o->task), &o->plan);

        if (r < 0)
                (void) vb_error_setf(&o->error, VB_ERROR_SYSTEM,
                                     "snapshot '%s' was merged but the other snapshots could not be rewritten: %s",
                                     o->def->name, strerror(-r));
        op_end(o, r);
}

/* The merged overlay's nodes, when the monitor made them (blockdev-add,
 * -blockdev), stay until deleted; QEMU refuses for the others, unheard. */
static void drop_top_nodes(SnapOp *o) {
        const char *top = o->nodes[3 * o->commit_index + 1];
        size_t len = strlen(top);
        json_object *a = json_object_new_object();

        json_object_object_add(a, "node-name", json_object_new_string(top));
        (void) op_send(o, "blockdev-del", a, NULL);
        if (len > 4 && streq(top + len - 4, "-fmt")) {
                _cleanup_free_ char *file = NULL;
                if (asprintf(&file, "%.*s-file", (int) (len - 4), top) < 0)
                        return;
                a = json_object_new_object();
                json_object_object_add(a, "node-name", json_object_new_string(file));
                (void) op_send(o, "blockdev-del", a, NULL);
        }
}

static void on_commit_dismissed(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (sd_bus_error_is_set(&o->error)) {
                op_end(o, -EIO);
                return;
        }
        drop_top_nodes(o);
        o->commit_index++;
        o->completing = false;
        commit_next(o);
}

static void on_commit_jobs(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        SnapOp *o = userdata;
        size_t n = json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        if (op_gone(o, error_class))
                return;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *v, *args;
                const char *status;

                if (!json_object_object_get_ex(e, "id", &v) || !streq(json_object_get_string(v), COMMIT_JOB))
                        continue;
                status = json_object_object_get_ex(e, "status", &v) ? json_object_get_string(v) : "";
                if (streq(status, "ready") && !o->completing) {
                        /* An active commit: the disk pivots onto the base. */
                        o->completing = true;
                        args = json_object_new_object();
                        json_object_object_add(args, "id", json_object_new_string(COMMIT_JOB));
                        (void) op_send(o, "job-complete", args, NULL);
                } else if (streq(status, "concluded")) {
                        if (json_object_object_get_ex(e, "error", &v))
                                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED,
                                                     "snapshot '%s': the merge of %s into %s failed: %s",
                                                     o->def->name, o->plan.items[o->commit_index].top,
                                                     o->plan.items[o->commit_index].base, json_object_get_string(v));
                        args = json_object_new_object();
                        json_object_object_add(args, "id", json_object_new_string(COMMIT_JOB));
                        if (op_send(o, "job-dismiss", args, on_commit_dismissed) < 0)
                                op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
                        return;
                }
                poll_again(o);
                return;
        }
        op_fail(o, "snapshot '%s': %s", "QEMU's block-commit job is gone");
}

static void on_commit_started(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        SnapOp *o = userdata;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED, "snapshot '%s': QEMU refused to merge %s "
                                     "into %s: %s", o->def->name, o->plan.items[o->commit_index].top,
                                     o->plan.items[o->commit_index].base, qemu_text(error_class, error_desc));
                op_end(o, -EIO);
                return;
        }
        if (arm_poll(o) < 0)
                op_fail(o, "snapshot '%s': %s", "cannot arm a timer");
}

/* One disk at a time: o->nodes holds root, top and base of each. */
static void commit_next(SnapOp *o) {
        json_object *args;
        size_t k = o->commit_index;

        if (k >= o->plan.n) {
                commit_done(o);
                return;
        }
        args = json_object_new_object();
        json_object_object_add(args, "job-id", json_object_new_string(COMMIT_JOB));
        json_object_object_add(args, "device", json_object_new_string(o->nodes[3 * k]));
        json_object_object_add(args, "top-node", json_object_new_string(o->nodes[3 * k + 1]));
        json_object_object_add(args, "base-node", json_object_new_string(o->nodes[3 * k + 2]));
        json_object_object_add(args, "auto-dismiss", json_object_new_boolean(false));
        if (op_send(o, "block-commit", args, on_commit_started) < 0)
                op_fail(o, "snapshot '%s': %s", "cannot talk to QEMU's monitor");
}

static void on_named_nodes(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        SnapOp *o = userdata;
        int r;

        if (op_gone(o, error_class))
                return;
        if (error_class) {
                op_fail(o, "snapshot '%s': query-named-block-nodes failed: %s", qemu_text(error_class, error_desc));
                return;
        }
        if (!json_object_is_type(result, json_type_array)) {
                op_fail(o, "snapshot '%s': %s", "query-named-block-nodes answered no list");
                return;
        }
        r = snapshot_commit_plan(o->d, o->d->live, o->def, domain_snapshot_task_list(o->task), result, &o->plan,
                                 &o->error);
        if (r < 0) {
                op_end(o, r);
                return;
        }
        if (qemu_snapshot_delete_record_write(o->d, o->def, &o->plan) < 0)
                log_warning("Domain %s: cannot record the delete of snapshot %s under way: a qemud stop would "
                            "leave it half done", o->d->def->name, o->def->name);
        for (size_t k = 0; k < o->plan.n; k++) {
                const SnapshotCommit *c = &o->plan.items[k];
                const DomainDiskDef *disk = snapshot_find_disk(o->d->live, c->disk);
                const char *files[] = { disk ? disk->src : NULL, c->top, c->base };
                for (size_t i = 0; i < 3; i++) {
                        const char *node = files[i] ? node_of_file(result, files[i]) : NULL;
                        if (!node) {
                                (void) vb_error_setf(&o->error, VB_ERROR_OPERATION_FAILED,
                                                     "snapshot '%s': QEMU has no node for %s of disk '%s'",
                                                     o->def->name, files[i] ? files[i] : "?", c->disk);
                                op_end(o, -EIO);
                                return;
                        }
                        if (strv_extend(&o->nodes, node) < 0) {
                                op_end(o, -ENOMEM);
                                return;
                        }
                }
        }
        commit_next(o);
}

/* libvirt 9.0's delete of an external snapshot (its data merged), of a
 * shut-off guest with qemu-img (libvirt starts QEMU paused for it), of a
 * running one with QEMU's block-commit. */
static int remove_external(Domain *d, const DomainSnapshotDef *def, SnapshotTask *t, sd_bus_error *error) {
        _cleanup_(snapshot_commit_plan_done) SnapshotCommitPlan p = {};
        bool active = domain_is_active(d);
        SnapOp *o = NULL;
        int r;

        if (active && !snapshot_guest_runs(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain '%s' is still starting",
                                     d->def->name);
        if (!active) {
                r = snapshot_commit_plan(d, d->def, def, domain_snapshot_task_list(t), NULL, &p, error);
                if (r < 0)
                        return r;
                r = snapshot_commit_offline(&p, error);
                if (r < 0)
                        return r;
                r = snapshot_commit_apply(d, def, domain_snapshot_task_list(t), &p);
                return r < 0 ? vb_error_setf(error, VB_ERROR_SYSTEM,
                                             "snapshot '%s' was merged but the other snapshots could not be "
                                             "rewritten: %s", def->name, strerror(-r))
                             : 0;
        }
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        /* The plan once QEMU said what its chains are (on_named_nodes). */
        *o = (SnapOp) { .task = t, .d = d, .kind = OP_COMMIT, .def = def, .mem_fd = -1 };
        domain_job_set_phase(d->jobs, "block-commit");
        if (op_send(o, "query-named-block-nodes", NULL, on_named_nodes) < 0) {
                op_free(o);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor of '%s'",
                                     d->def->name);
        }
        return 1;
}

static int remove_snapshot(Domain *d, const DomainSnapshotDef *def, SnapshotTask *t, sd_bus_error *error) {
        size_t n = 0;

        if (snapshot_def_is_external(def))
                return remove_external(d, def, t, error);
        if (!domain_is_active(d))
                return snapshot_remove_offline(d, def, error);
        if (!snapshot_guest_runs(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain '%s' is still starting",
                                     d->def->name);
        /* Only the disks that still hold it (a disk may be gone since). */
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].snapshot == SNAPSHOT_LOCATION_INTERNAL && snapshot_find_disk(d->live, def->disks[i].name))
                        n++;
        if (n == 0)
                return 0;
        return op_start(d, t, OP_DELETE, def, 0, SNAPSHOT_LOCATION_INTERNAL, NULL, error);
}

const DomainSnapshotOps qemu_snapshot_ops = {
        .prepare = snapshot_prepare,
        .create = create,
        .revert = revert,
        .remove = remove_snapshot,
};
