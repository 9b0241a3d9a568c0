/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool operations that take time (mount, mkfs, vgcreate, scanning a
 * directory of thousands of images) run as jobs; their end, on the loop,
 * changes the pool, writes its state, sends the events and the reply. */
#include "backend.h"
#include "error.h"
#include "log.h"
#include "manager.h"

typedef enum PoolOp {
        POOL_OP_START,
        POOL_OP_STOP,
        POOL_OP_BUILD,
        POOL_OP_DELETE,
        POOL_OP_REFRESH,
        POOL_OP_RECOVER,
} PoolOp;

static const char *const op_busy[] = {
        [POOL_OP_START] = "starting",     [POOL_OP_STOP] = "stopping",
        [POOL_OP_BUILD] = "building",     [POOL_OP_DELETE] = "deleting",
        [POOL_OP_REFRESH] = "refreshing", [POOL_OP_RECOVER] = "recovering",
};

static const char *const op_verb[] = {
        [POOL_OP_START] = "start",     [POOL_OP_STOP] = "stop",       [POOL_OP_BUILD] = "build",
        [POOL_OP_DELETE] = "delete",   [POOL_OP_REFRESH] = "refresh", [POOL_OP_RECOVER] = "recover",
};

typedef struct PoolCall {
        Pool *pool;
        PoolOp op;
        unsigned flags;
        bool build;            /* start: build first */
        bool reply_path;       /* CreateXML answers with the pool's path */
        bool transient_new;    /* CreateXML: the pool goes away if it fails */
        bool still_active;     /* recover: the pool was found */
        bool startup;          /* autostart: the manager waits for it to take the bus name */
        StoragePoolDef *def;   /* the worker's copy */
        char *state_file;      /* start: the worker writes it */
        PoolScan scan;
        sd_bus_message *msg;
} PoolCall;

static void pool_call_free(PoolCall *c) {
        storage_pool_def_free(c->def);
        free(c->state_file);
        pool_scan_done(&c->scan);
        sd_bus_message_unref(c->msg);
        free(c);
}

static int start_work(Job *j, PoolCall *c, const PoolBackend *b) {
        ConfError ignored = {};
        int r;

        if (c->build && (r = b->build(j, c->def, c->flags, &j->error)) < 0)
                return r;
        r = b->start(j, c->def, &j->error);
        if (r < 0)
                return r;
        r = b->refresh(j, c->def, &c->scan, &j->error);
        /* Active means "found again after a restart": without its state
         * file the pool is not started. */
        if (r >= 0 && (r = pool_write_state(c->state_file, c->def, c->scan.capacity, c->scan.allocation,
                                            c->scan.available)) < 0)
                r = conf_fail(&j->error, VB_ERROR_OPERATION_FAILED, "cannot save the state of pool '%s' in %s: %s",
                              c->def->name, c->state_file, strerror(-r));
        if (r < 0)
                (void) b->stop(j, c->def, &ignored); /* a half-started pool is stopped again */
        return r;
}

static int pool_work(Job *j, void *userdata) {
        PoolCall *c = userdata;
        const PoolBackend *b = backend_for(c->def->type);
        int r;

        switch (c->op) {
        case POOL_OP_START:
                return start_work(j, c, b);
        case POOL_OP_STOP:
                return b->stop(j, c->def, &j->error);
        case POOL_OP_BUILD:
                return b->build(j, c->def, c->flags, &j->error);
        case POOL_OP_DELETE:
                return b->delete(j, c->def, c->flags, &j->error);
        case POOL_OP_REFRESH:
                return b->refresh(j, c->def, &c->scan, &j->error);
        case POOL_OP_RECOVER:
                r = b->is_active(j, c->def, &j->error);
                c->still_active = r > 0;
                if (!c->still_active)
                        return 0;
                return b->refresh(j, c->def, &c->scan, &j->error);
        }
        return -EINVAL;
}

static void reply_ok(PoolCall *c) {
        if (!c->msg)
                return;
        if (c->reply_path)
                (void) sd_bus_reply_method_return(c->msg, "o", c->pool->path);
        else
                (void) sd_bus_reply_method_return(c->msg, NULL);
}

static void reply_error(PoolCall *c, Job *j, int r) {
        if (c->msg)
                (void) reply_job_error(c->msg, &j->error, r, "cannot %s pool '%s'", op_verb[c->op], c->def->name);
        else
                log_warning("Pool %s: %s", c->def->name, j->error.message);
}

static void done_start(Pool *p, PoolCall *c, Job *j, int r) {
        if (r >= 0 && (r = pool_apply_scan(p, &c->scan)) < 0)
                (void) pool_remove_state(p); /* not active after a restart either */
        if (r < 0) {
                reply_error(c, j, r);
                if (c->transient_new) {
                        manager_remove_pool(p->manager, p);
                        pool_free(p);
                }
                return;
        }
        p->active = true;
        p->def->has_sizes = true; /* as the state file has them */
        p->def->capacity = p->capacity;
        p->def->allocation = p->allocation;
        p->def->available = p->available;
        if (c->build)
                pool_emit_event(p, POOL_EVENT_CREATED);
        pool_emit_event(p, POOL_EVENT_STARTED);
        reply_ok(c);
}

static void done_recover(Pool *p, PoolCall *c, Job *j, int r) {
        Manager *m = p->manager;

        if (r >= 0 && c->still_active)
                r = pool_apply_scan(p, &c->scan);
        if (r >= 0 && c->still_active) {
                log_info("Pool %s is active, with %zu volume(s).", p->def->name, p->n_vols);
                /* The state file read at start stays if this fails: only the sizes are old. */
                if ((r = pool_save_state(p)) < 0)
                        log_warning_errno(r, "Cannot update the state of pool %s: %m", p->def->name);
        } else {
                log_warning("Pool %s was active but is gone (%s): now inactive.", p->def->name,
                            r < 0 ? j->error.message : "not mounted or not found");
                if ((r = pool_remove_state(p)) < 0)
                        log_error_errno(r, "Cannot remove the state of pool %s: %m", p->def->name);
                (void) pool_finish_stop(p);
        }
        manager_startup_step_done(m);
}

static void pool_done(Job *j, int r, void *userdata) {
        PoolCall *c = userdata;
        Pool *p = c->pool;
        Manager *m = p->manager;
        bool startup = c->startup;

        p->busy = NULL;
        switch (c->op) {
        case POOL_OP_START:
                done_start(p, c, j, r);
                break;
        case POOL_OP_RECOVER:
                done_recover(p, c, j, r);
                break;
        case POOL_OP_STOP:
                if (r < 0) {
                        reply_error(c, j, r);
                        break;
                }
                pool_emit_event(p, POOL_EVENT_STOPPED);
                if ((r = pool_remove_state(p)) < 0) {
                        /* Stopped, but a restart would find it active again: say so. */
                        conf_error_set(&j->error, VB_ERROR_OPERATION_FAILED,
                                       "pool '%s' is stopped, but its state file cannot be removed (%s): it "
                                       "would be found active after a restart", c->def->name, strerror(-r));
                        reply_error(c, j, r);
                } else
                        reply_ok(c);
                (void) pool_finish_stop(p);
                break;
        case POOL_OP_BUILD:
        case POOL_OP_DELETE:
                if (r < 0) {
                        reply_error(c, j, r);
                        break;
                }
                pool_emit_event(p, c->op == POOL_OP_BUILD ? POOL_EVENT_CREATED : POOL_EVENT_DELETED);
                reply_ok(c);
                break;
        case POOL_OP_REFRESH:
                if (r >= 0)
                        r = pool_apply_scan(p, &c->scan);
                if (r >= 0 && (r = pool_save_state(p)) < 0)
                        conf_error_set(&j->error, VB_ERROR_OPERATION_FAILED,
                                       "pool '%s' was refreshed but its state could not be saved: %s", c->def->name,
                                       strerror(-r));
                if (r < 0) {
                        reply_error(c, j, r);
                        break;
                }
                pool_emit_refresh(p);
                reply_ok(c);
                break;
        }
        pool_call_free(c);
        if (startup)
                manager_startup_step_done(m);
}

static int check_not_busy(Pool *p, sd_bus_error *error) {
        if (p->busy)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "pool '%s' is busy: it is %s", p->def->name,
                                     p->busy);
        return 0;
}

static int launch(Pool *p, PoolOp op, unsigned flags, bool build, sd_bus_message *msg, sd_bus_error *error,
                  PoolCall **ret) {
        ConfError err = {};
        PoolCall *c;
        int r;

        if (job_queue_check_fds(&p->manager->jobs, FD_COST_HELPER, &err) < 0)
                return vb_error_setf(error, err.name, "cannot %s pool '%s': %s", op_verb[op], p->def->name,
                                     err.message);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (PoolCall) { .pool = p, .op = op, .flags = flags, .build = build, .msg = sd_bus_message_ref(msg) };
        r = storage_pool_def_copy(p->def, &c->def);
        if (r >= 0 && op == POOL_OP_START && !(c->state_file = pool_state_file(p)))
                r = -ENOMEM;
        if (r < 0) {
                pool_call_free(c);
                return r;
        }
        r = job_start(&p->manager->jobs, op_busy[op], p->path, FD_COST_HELPER, pool_work, pool_done, c, NULL);
        if (r < 0) {
                pool_call_free(c);
                return r;
        }
        p->busy = op_busy[op];
        if (ret)
                *ret = c;
        return 1;
}

static int check_backend(Pool *p, sd_bus_error *error) {
        const PoolBackend *b = backend_for(p->def->type);
        ConfError err = {};

        if (!b)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "storage pool type '%s' is not supported",
                                     storage_pool_type_to_string(p->def->type));
        if (b->check(p->def, &err) < 0)
                return vb_error_setf(error, err.name, "%s", err.message);
        return 0;
}

static int start_pool(Pool *p, unsigned build_flags, bool created, bool startup, sd_bus_message *msg,
                      sd_bus_error *error) {
        bool build = build_flags & (POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE |
                                    POOL_CREATE_WITH_BUILD_NO_OVERWRITE);
        unsigned flags = 0;
        PoolCall *c = NULL;
        int r;

        if (p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is already active",
                                     p->def->name);
        if ((r = check_not_busy(p, error)) < 0 || (r = check_backend(p, error)) < 0)
                return r;
        if ((build_flags & POOL_CREATE_WITH_BUILD_OVERWRITE) && (build_flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "build flags 'overwrite' and 'no-overwrite' exclude each other");
        if (build_flags & POOL_CREATE_WITH_BUILD_OVERWRITE)
                flags |= POOL_BUILD_OVERWRITE;
        if (build_flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)
                flags |= POOL_BUILD_NO_OVERWRITE;
        r = launch(p, POOL_OP_START, flags, build, msg, error, &c);
        if (r > 0 && created) {
                /* StoragePoolCreateXML: a new transient pool, answered with its path */
                c->reply_path = true;
                c->transient_new = true;
        }
        if (r > 0)
                c->startup = startup;
        return r;
}

int pool_start_async(Pool *p, unsigned build_flags, bool created, sd_bus_message *msg, sd_bus_error *error) {
        return start_pool(p, build_flags, created, false, msg, error);
}

int pool_stop_async(Pool *p, sd_bus_message *msg, sd_bus_error *error) {
        unsigned n;
        int r;

        if (!p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                                     p->def->name);
        if ((r = check_not_busy(p, error)) < 0)
                return r;
        n = pool_count_volume_jobs(p);
        if (n > 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "pool '%s' has asynchronous jobs running (%u).", p->def->name, n);
        return launch(p, POOL_OP_STOP, 0, false, msg, error, NULL);
}

int pool_build_async(Pool *p, unsigned flags, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        if (p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is already active",
                                     p->def->name);
        if ((flags & POOL_BUILD_OVERWRITE) && (flags & POOL_BUILD_NO_OVERWRITE))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "build flags 'overwrite' and 'no-overwrite' exclude each other");
        if ((r = check_not_busy(p, error)) < 0 || (r = check_backend(p, error)) < 0)
                return r;
        return launch(p, POOL_OP_BUILD, flags, false, msg, error, NULL);
}

int pool_delete_async(Pool *p, unsigned flags, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        if (p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is still active",
                                     p->def->name);
        if (flags & POOL_DELETE_ZEROED)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "deleting pool '%s' zeroed is not supported",
                                     p->def->name);
        if ((r = check_not_busy(p, error)) < 0)
                return r;
        return launch(p, POOL_OP_DELETE, flags, false, msg, error, NULL);
}

int pool_refresh_async(Pool *p, sd_bus_message *msg, sd_bus_error *error) {
        int r;

        if (!p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                                     p->def->name);
        if ((r = check_not_busy(p, error)) < 0)
                return r;
        return launch(p, POOL_OP_REFRESH, 0, false, msg, error, NULL);
}

int pool_autostart_async(Pool *p) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = start_pool(p, 0, false, true, NULL, &error);

        if (r < 0)
                log_warning("Cannot autostart pool %s: %s", p->def->name, error.message);
        sd_bus_error_free(&error);
        return r;
}

int pool_recover_async(Pool *p) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = launch(p, POOL_OP_RECOVER, 0, false, NULL, &error, NULL);

        sd_bus_error_free(&error);
        return r;
}
