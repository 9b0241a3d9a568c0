/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps of SnapshotCreateXML, Revert and Delete (domain-snapshot.h).
 *
 * A call runs as the domain's modify job. Its steps call the driver's
 * hooks; a hook that has QEMU work for a while returns 1 and later calls
 * domain_snapshot_task_done(), which goes on with the next step. The task
 * holds a reference to the job, never to the domain: when the domain went
 * away meanwhile (the job ended under it), the task only frees itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-snapshot.h"
#include "error.h"
#include "log.h"
#include "util.h"

struct SnapshotTask {
        DomainJob *job;
        Domain *d;              /* only while job->owner */
        SnapshotTaskKind kind;
        DomainSnapshotDef *def;
        unsigned flags;
        unsigned phase;
        /* delete */
        SnapshotList list;
        const DomainSnapshotDef *self;
        bool cur_below;
        const DomainSnapshotDef *cur;
        size_t index;
};

static SnapshotTask *task_free(SnapshotTask *t) {
        if (!t)
                return NULL;
        domain_job_unref(t->job);
        domain_snapshot_def_free(t->def);
        snapshot_list_done(&t->list);
        free(t);
        return NULL;
}

SnapshotList *domain_snapshot_task_list(SnapshotTask *t) {
        return t->kind == SNAPSHOT_TASK_DELETE ? &t->list : NULL;
}

bool domain_snapshot_task_alive(const SnapshotTask *t) {
        return t->job && t->job->owner;
}

static const DomainSnapshotOps *ops_of(const SnapshotTask *t) {
        return t->d->manager->driver->snapshot;
}

/* ---- create ---- */

static int create_step(SnapshotTask *t, sd_bus_error *error) {
        Domain *d = t->d;
        int r;

        switch (t->phase++) {
        case 0:
                r = ops_of(t)->create(d, t->def, t->flags, t, error);
                if (r != 0)
                        return r;
                /* fall through */
        case 1:
                if (t->flags & SNAPSHOT_CREATE_NO_METADATA)
                        return 0;
                r = domain_snapshot_write(d, t->def);
                if (r >= 0)
                        r = domain_snapshot_set_current(d, t->def->name);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_SYSTEM,
                                             "snapshot '%s' was taken but its metadata could not be written: %s",
                                             t->def->name, strerror(-r));
                return 0;
        }
        return 0;
}

/* ---- revert ---- */

static int revert_step(SnapshotTask *t, sd_bus_error *error) {
        int r;

        switch (t->phase++) {
        case 0:
                r = ops_of(t)->revert(t->d, t->def, t->flags, t, error);
                if (r != 0)
                        return r;
                /* fall through */
        case 1:
                return domain_snapshot_set_current(t->d, t->def->name);
        }
        return 0;
}

/* ---- delete ---- */

static bool snapshot_is_external(const DomainSnapshotDef *s) {
        if (s->memory == SNAPSHOT_LOCATION_EXTERNAL)
                return true;
        for (size_t i = 0; i < s->n_disks; i++)
                if (s->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL)
                        return true;
        return false;
}

static int delete_prepare(SnapshotTask *t, sd_bus_error *error) {
        int r = domain_snapshot_list_load(t->d, &t->list);
        size_t n_ext;

        if (r < 0)
                return r;
        t->self = snapshot_list_find(&t->list, t->def->name);
        if (!t->self)
                return snapshot_not_found(t->d, t->def->name, error);
        t->cur = snapshot_list_current(&t->list);
        t->cur_below = t->cur && snapshot_list_is_descendant(&t->list, t->cur, t->self);
        t->index = t->list.n;
        if (t->flags & SNAPSHOT_DELETE_METADATA_ONLY)
                return 0;
        /* libvirt 9.0's rules: an external snapshot's overlay is merged
         * back one at a time (alone, without its children), before
         * anything of the tree is removed. */
        n_ext = 0;
        for (size_t i = 0; i < t->list.n; i++) {
                const DomainSnapshotDef *s = t->list.items[i];
                if (s != t->self && snapshot_list_is_descendant(&t->list, s, t->self))
                        n_ext += snapshot_is_external(s);
        }
        if ((t->flags & (SNAPSHOT_DELETE_CHILDREN | SNAPSHOT_DELETE_CHILDREN_ONLY)) && n_ext > 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: deletion of external children disk snapshots "
                                     "not supported (%zu below '%s')", n_ext, t->self->name);
        if ((t->flags & SNAPSHOT_DELETE_CHILDREN) && snapshot_is_external(t->self) &&
            snapshot_list_n_children(&t->list, t->self->name) > 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: deletion of external disk snapshots with "
                                     "children not supported ('%s')", t->self->name);
        return 0;
}

/* CHILDREN, CHILDREN_ONLY: children before their parents (the data of a
 * child may sit on its parent's: an overlay on a backing file). Each
 * snapshot's record goes once its data is gone, so that a failure in the
 * middle leaves a consistent tree. */
static int delete_children_step(SnapshotTask *t, sd_bus_error *error) {
        bool with_top = !(t->flags & SNAPSHOT_DELETE_CHILDREN_ONLY);
        bool metadata_only = t->flags & SNAPSHOT_DELETE_METADATA_ONLY;
        Domain *d = t->d;
        int r;

        for (;;) {
                const DomainSnapshotDef *s;

                if (t->phase == 2) {
                        /* The hook of item index is done: its record goes. */
                        s = t->list.items[t->index];
                        r = domain_snapshot_unlink(d, s->name);
                        if (r < 0)
                                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot remove snapshot '%s': %s",
                                                     s->name, strerror(-r));
                        t->phase = 1;
                }
                if (t->index == 0)
                        break;
                s = t->list.items[--t->index];
                if (!snapshot_list_is_descendant(&t->list, s, t->self) || (s == t->self && !with_top))
                        continue;
                t->phase = 2;
                if (metadata_only)
                        continue;
                if (!ops_of(t) || !ops_of(t)->remove)
                        return domain_not_supported(d, "virDomainSnapshotDelete", error);
                r = ops_of(t)->remove(d, s, t, error);
                if (r != 0)
                        return r;
        }
        if (t->cur_below)
                return domain_snapshot_set_current(d, with_top ? t->self->parent : t->self->name);
        return 0;
}

/* One snapshot: its data, then its children hang on its parent. */
static int delete_one_step(SnapshotTask *t, sd_bus_error *error) {
        const DomainSnapshotDef *self = t->self;
        Domain *d = t->d;
        int r;

        if (t->phase == 1) {
                t->phase = 2;
                if (!(t->flags & SNAPSHOT_DELETE_METADATA_ONLY)) {
                        if (!ops_of(t) || !ops_of(t)->remove)
                                return domain_not_supported(d, "virDomainSnapshotDelete", error);
                        r = ops_of(t)->remove(d, self, t, error);
                        if (r != 0)
                                return r;
                }
        }
        for (size_t i = 0; i < t->list.n; i++) {
                DomainSnapshotDef *c = t->list.items[i];
                if (!c->parent || !streq(c->parent, self->name))
                        continue;
                free(c->parent);
                c->parent = self->parent ? strdup(self->parent) : NULL;
                if (self->parent && !c->parent)
                        return -ENOMEM;
                r = domain_snapshot_write(d, c);
                if (r < 0)
                        return r;
        }
        r = domain_snapshot_unlink(d, self->name);
        if (r >= 0 && t->cur == self && self->parent)
                r = domain_snapshot_set_current(d, self->parent);
        return r;
}

static int delete_step(SnapshotTask *t, sd_bus_error *error) {
        int r;

        if (t->phase == 0) {
                r = delete_prepare(t, error);
                if (r < 0)
                        return r;
                t->phase = 1;
        }
        if (t->flags & (SNAPSHOT_DELETE_CHILDREN | SNAPSHOT_DELETE_CHILDREN_ONLY))
                return delete_children_step(t, error);
        return delete_one_step(t, error);
}

/* ---- the run ---- */

static int task_step(SnapshotTask *t, sd_bus_error *error) {
        switch (t->kind) {
        case SNAPSHOT_TASK_CREATE:
                return create_step(t, error);
        case SNAPSHOT_TASK_REVERT:
                return revert_step(t, error);
        case SNAPSHOT_TASK_DELETE:
                return delete_step(t, error);
        }
        return -EINVAL;
}

static void task_answer(SnapshotTask *t, int r, const sd_bus_error *error) {
        DomainJobs *jobs = t->d->jobs;

        if (r < 0) {
                if (error && sd_bus_error_is_set(error))
                        domain_job_fail(jobs, error->name, error->message ? error->message : error->name);
                else
                        domain_job_fail(jobs, r == -ENOMEM ? VB_ERROR_NO_MEMORY : VB_ERROR_INTERNAL, strerror(-r));
                return;
        }
        if (t->kind == SNAPSHOT_TASK_CREATE) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = domain_job_take_call(jobs);
                _cleanup_free_ char *path = domain_snapshot_path(t->d, t->def->name);
                if (call && path)
                        (void) sd_bus_reply_method_return(call, "o", path);
                else if (call)
                        (void) sd_bus_reply_method_errorf(call, VB_ERROR_NO_MEMORY, "out of memory");
                domain_job_end(jobs);
                return;
        }
        domain_job_succeed(jobs);
}

/* Goes on until a hook waits or the call is answered (then frees t). */
static void task_continue(SnapshotTask *t, int r, sd_bus_error *error) {
        if (r >= 0)
                r = task_step(t, error);
        if (r > 0)
                return;
        task_answer(t, r, error);
        task_free(t);
}

void domain_snapshot_task_done(SnapshotTask *t, int r, const sd_bus_error *e) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        if (!domain_snapshot_task_alive(t)) {
                task_free(t);
                return;
        }
        if (r < 0 && e && sd_bus_error_is_set(e))
                (void) sd_bus_error_copy(&error, e);
        task_continue(t, r, &error);
}

void domain_snapshot_task_run(Domain *d, SnapshotTaskKind kind, DomainSnapshotDef *def, unsigned flags) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SnapshotTask *t = calloc(1, sizeof(*t));

        if (!t) {
                domain_snapshot_def_free(def);
                domain_job_fail(d->jobs, VB_ERROR_NO_MEMORY, "out of memory");
                return;
        }
        /* GetJobInfo reports the job while the task runs. */
        d->jobs->active->operation = kind == SNAPSHOT_TASK_CREATE   ? SNAPSHOT_JOB_OPERATION_CREATE
                                     : kind == SNAPSHOT_TASK_REVERT ? SNAPSHOT_JOB_OPERATION_REVERT
                                                                    : SNAPSHOT_JOB_OPERATION_DELETE;
        *t = (SnapshotTask) {
                .job = domain_job_ref(d->jobs->active),
                .d = d,
                .kind = kind,
                .def = def,
                .flags = flags,
        };
        task_continue(t, 0, &error);
}
