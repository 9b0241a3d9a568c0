/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's side of block jobs: see qemu-blockjob.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain-affect.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-blockjob.h"
#include "qemu-security.h"
#include "qemu-blockjob-internal.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "storaged-client.h"
#include "util.h"

extern char **environ;

static const struct {
        int type;
        const char *word;
} job_words[] = {
        { DOMAIN_BLOCK_JOB_TYPE_PULL, "pull" },
        { DOMAIN_BLOCK_JOB_TYPE_COPY, "copy" },
        { DOMAIN_BLOCK_JOB_TYPE_COMMIT, "commit" },
        { DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT, "activecommit" },
};

const char *blockjob_word(int type) {
        for (size_t i = 0; i < ELEMENTSOF(job_words); i++)
                if (job_words[i].type == type)
                        return job_words[i].word;
        return NULL;
}

int blockjob_type_of_word(const char *w) {
        for (size_t i = 0; w && i < ELEMENTSOF(job_words); i++)
                if (streq(job_words[i].word, w))
                        return job_words[i].type;
        return 0;
}


char *qemu_blockjob_id(int type, const char *dst) {
        char *id;

        for (size_t i = 0; dst && i < ELEMENTSOF(job_words); i++)
                if (job_words[i].type == type)
                        return asprintf(&id, "%s-%s", job_words[i].word, dst) < 0 ? NULL : id;
        return NULL;
}

int qemu_blockjob_parse_id(const char *id, int *type, char **dst) {
        const char *dash = id ? strchr(id, '-') : NULL;

        if (!dash || !dash[1])
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(job_words); i++)
                if (strlen(job_words[i].word) == (size_t) (dash - id) && strncmp(id, job_words[i].word, (size_t) (dash - id)) == 0) {
                        *dst = strdup(dash + 1);
                        if (!*dst)
                                return -ENOMEM;
                        *type = job_words[i].type;
                        return 0;
                }
        return -EINVAL;
}

int qemu_blockjob_event_status(const char *event, bool has_error, bool aborted) {
        if (streq(event, "BLOCK_JOB_READY"))
                return DOMAIN_BLOCK_JOB_READY;
        if (streq(event, "BLOCK_JOB_CANCELLED"))
                return DOMAIN_BLOCK_JOB_CANCELED;
        if (streq(event, "BLOCK_JOB_COMPLETED")) {
                if (has_error)
                        return DOMAIN_BLOCK_JOB_FAILED;
                return aborted ? DOMAIN_BLOCK_JOB_CANCELED : DOMAIN_BLOCK_JOB_COMPLETED;
        }
        return -1;
}

uint64_t qemu_blockjob_info_cur(uint64_t cur, uint64_t end, bool ready) {
        return !ready && end > 0 && cur >= end ? end - 1 : cur;
}

/* ---- the jobs kept per domain ---- */

/* Forgets the job on j's disk (the disk's node name stays). */
static void job_fields_clear(QemuBlockJob *j) {
        j->new_path = mfree(j->new_path);
        j->new_pool = mfree(j->new_pool);
        j->new_volume = mfree(j->new_volume);
        j->old_fmt = mfree(j->old_fmt);
        j->old_file = mfree(j->old_file);
        j->new_fmt = mfree(j->new_fmt);
        j->new_file = mfree(j->new_file);
        j->delete = strv_free_null(j->delete);
        j->recheck = sd_event_source_disable_unref(j->recheck);
        j->type = 0;
        j->ready = j->aborted = j->pivot = j->waiting = j->transient = j->new_block = false;
        j->new_format = DOMAIN_DISK_FORMAT_NONE;
}

void blockjob_free(QemuBlockJob *j) {
        if (!j)
                return;
        job_fields_clear(j);
        j->exit_watch = sd_event_source_disable_unref(j->exit_watch);
        free(j->dst);
        free(j->top_node);
        free(j);
}

void qemu_blockjob_free_all(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        while (q && q->block_jobs) {
                QemuBlockJob *j = q->block_jobs;
                q->block_jobs = j->next;
                blockjob_free(j);
        }
}

QemuBlockJob *blockjob_entry_find(Domain *d, const char *dst) {
        for (QemuBlockJob *j = qemu_domain(d)->block_jobs; j; j = j->next)
                if (streq(j->dst, dst))
                        return j;
        return NULL;
}

/* dst's job under way, NULL without one. */
QemuBlockJob *blockjob_find(Domain *d, const char *dst) {
        QemuBlockJob *j = blockjob_entry_find(d, dst);

        return j && j->type ? j : NULL;
}

static bool entry_alive(Domain *d, const QemuBlockJob *j) {
        for (QemuBlockJob *i = qemu_domain(d)->block_jobs; j && i; i = i->next)
                if (i == j)
                        return true;
        return false;
}

QemuBlockJob *blockjob_entry_get(Domain *d, const char *dst) {
        QemuBlockJob *j = blockjob_entry_find(d, dst);

        if (j)
                return j;
        j = calloc(1, sizeof(*j));
        if (!j || !(j->dst = strdup(dst))) {
                free(j);
                return NULL;
        }
        j->d = d;
        j->next = qemu_domain(d)->block_jobs;
        qemu_domain(d)->block_jobs = j;
        blockjob_watch_qemu_exit(j);
        return j;
}

/* The job kept for dst, made when a job starts (or, for a job not in the
 * live state, when its event comes). */
static QemuBlockJob *job_get(Domain *d, const char *dst, int type) {
        QemuBlockJob *j = blockjob_entry_get(d, dst);

        if (j && !j->type)
                j->type = type;
        return j;
}

void blockjob_entry_unlink(Domain *d, QemuBlockJob *gone) {
        for (QemuBlockJob **p = &qemu_domain(d)->block_jobs; *p; p = &(*p)->next)
                if (*p == gone) {
                        *p = gone->next;
                        blockjob_free(gone);
                        return;
                }
}

/* The job is over; what the disk still needs (its node name) stays. */
static void job_remove(Domain *d, QemuBlockJob *j) {
        if (!entry_alive(d, j))
                return;
        job_fields_clear(j);
        if (!j->top_node)
                blockjob_entry_unlink(d, j);
}

/* ---- small helpers ---- */

static int64_t json_int(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool json_true(json_object *o, const char *key) {
        json_object *v = json_child(o, key);

        return v && json_object_get_boolean(v);
}

static json_object *args_new(void) {
        return json_object_new_object();
}

static void arg_str(json_object *o, const char *key, const char *v) {
        json_object_object_add(o, key, json_object_new_string(v));
}

static void arg_int(json_object *o, const char *key, int64_t v) {
        json_object_object_add(o, key, json_object_new_int64(v));
}

static void arg_bool(json_object *o, const char *key, bool v) {
        json_object_object_add(o, key, json_object_new_boolean(v));
}

static int require_monitor(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d) || !qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (d->starting)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is still starting", d->def->name);
        return 0;
}

static const char *qemu_error(const char *error_class, const char *error_desc) {
        if (error_class && streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED))
                return "the domain stopped before QEMU answered";
        return error_desc && *error_desc ? error_desc : error_class;
}

static void job_failf(Domain *d, const char *name, const char *fmt, ...) _printf_(3, 4);
static void job_failf(Domain *d, const char *name, const char *fmt, ...) {
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        domain_job_fail(d->jobs, name, msg);
}

/* ---- one call's way through query-block / query-block-jobs ---- */

typedef enum CallKind {
        CALL_INFO,
        CALL_ABORT,
        CALL_SPEED,
        CALL_PULL,
        CALL_COMMIT,
        CALL_COPY,
        CALL_RESIZE,
        CALL_THRESHOLD,
} CallKind;

typedef struct BlockCall {
        Domain *d;
        CallKind kind;
        char *dst, *alias, *src;
        sd_bus_message *msg;     /* CALL_INFO: answered here */
        bool bytes;
        uint32_t flags;
        uint64_t value;          /* bandwidth, size or threshold */
        char *base, *top;
        DomainBlockCopyDest dest;
        char *dest_path;
        char *dest_pool, *dest_volume;
        DomainHandle *handle;    /* copy to a volume: while storaged resolves it */
        char *job_id;
        bool created;            /* copy: we made the destination file */
        bool leased;             /* copy: we hold the destination's lease, given back unless the mirror starts */
        char *node;              /* the disk's top node */
        QemuBlockJob *job;
} BlockCall;

static void call_free(BlockCall *c) {
        if (!c)
                return;
        if (c->leased)
                blockjob_lease_release(c->d, c->dest.path);
        sd_bus_message_unref(c->msg);
        free(c->dst);
        free(c->alias);
        free(c->src);
        free(c->base);
        free(c->top);
        free(c->dest_path);
        free(c->dest_pool);
        free(c->dest_volume);
        domain_handle_unref(c->handle);
        free(c->job_id);
        free(c->node);
        free(c);
}

static BlockCall *call_new(Domain *d, CallKind kind, const DomainDiskDef *disk) {
        BlockCall *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->d = d;
        c->kind = kind;
        c->dst = strdup(disk->dst);
        c->alias = strdup(disk->alias ?: "");
        c->src = strdup(disk->src ?: "");
        if (!c->dst || !c->alias || !c->src) {
                call_free(c);
                return NULL;
        }
        return c;
}

static int send(BlockCall *c, const char *command, json_object *args, QemuMonitorReplyFn fn, sd_bus_error *error) {
        int r = qemu_monitor_command(qemu_domain(c->d)->mon, command, args, fn, c);

        if (r < 0) {
                vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send %s to QEMU: %s", command, strerror(-r));
                call_free(c);
                return r;
        }
        return 1;
}

/* The query-block-jobs entry of dst's job, NULL if it has none. */
static json_object *find_job_entry(json_object *result, const char *dst, int *type) {
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i);
                _cleanup_free_ char *jdst = NULL;

                if (qemu_blockjob_parse_id(json_str(e, "device"), type, &jdst) >= 0 && streq(jdst, dst))
                        return e;
        }
        return NULL;
}

/* The query-block entry of the device called alias. */
json_object *blockjob_find_block_entry(json_object *result, const char *alias) {
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        _cleanup_free_ char *prefix = NULL;

        if (asprintf(&prefix, "/machine/peripheral/%s/", alias) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i);
                const char *qdev = json_str(e, "qdev");

                if (qdev && (streq(qdev, alias) || strncmp(qdev, prefix, strlen(prefix)) == 0))
                        return e;
        }
        return NULL;
}

/* The chain of a query-block entry: the active image first. */
static size_t chain_of(json_object *entry, json_object **images, size_t max) {
        json_object *img = json_child(json_child(entry, "inserted"), "image");
        size_t n = 0;

        while (img && n < max) {
                images[n++] = img;
                img = json_child(img, "backing-image");
        }
        return n;
}

static ssize_t chain_index(json_object **images, size_t n, const char *path) {
        for (size_t i = 0; path && i < n; i++)
                if (streq_ptr(json_str(images[i], "filename"), path))
                        return (ssize_t) i;
        return -1;
}

static void chain_text(json_object **images, size_t n, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = 0;
        for (size_t i = 0; i < n && len < size; i++)
                len += snprintf(buf + len, size - len, "%s%s", i ? " <- " : "", json_str(images[i], "filename") ?: "?");
}

/* ---- GetBlockJobInfo, BlockJobAbort, BlockJobSetSpeed ---- */

static void on_info(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                    void *userdata) {
        BlockCall *c = userdata;
        json_object *e;
        int type = 0, r;
        uint64_t speed = 0, cur = 0, end = 0;

        if (error_class) {
                r = sd_bus_reply_method_errorf(c->msg, VB_ERROR_OPERATION_FAILED, "query-block-jobs failed: %s",
                                               qemu_error(error_class, error_desc));
                goto out;
        }
        e = find_job_entry(result, c->dst, &type);
        if (e) {
                speed = (uint64_t) json_int(e, "speed");
                cur = qemu_blockjob_info_cur((uint64_t) json_int(e, "offset"), (uint64_t) json_int(e, "len"),
                                             json_true(e, "ready"));
                end = (uint64_t) json_int(e, "len");
                if (!c->bytes)
                        speed >>= 20;
        } else
                type = 0;
        r = sd_bus_reply_method_return(c->msg, "(ittt)", (int32_t) type, speed, cur, end);
out:
        if (r < 0)
                log_warning_errno(r, "Cannot answer GetBlockJobInfo: %m");
        call_free(c);
}

static int job_info(Domain *d, const DomainDiskDef *disk, bool bytes, sd_bus_message *msg, sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        c = call_new(d, CALL_INFO, disk);
        if (!c)
                return -ENOMEM;
        c->msg = sd_bus_message_ref(msg);
        c->bytes = bytes;
        return send(c, "query-block-jobs", NULL, on_info, error);
}

static void on_job_command(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        BlockCall *c = userdata;
        QemuBlockJob *j = blockjob_find(c->d, c->dst);

        if (error_class) {
                if (j)
                        j->waiting = false;
                if (j && c->kind == CALL_ABORT) {
                        /* nothing was asked after all: the job runs on as before */
                        j->pivot = j->aborted = false;
                        blockjob_mirror_ready(c->d, c->dst, j->ready ? "yes" : NULL);
                        blockjob_save_state(c->d);
                }
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "block job on disk '%s' of domain '%s': QEMU refused: %s",
                          c->dst, c->d->def->name, qemu_error(error_class, error_desc));
        } else if (!(j && j->waiting))
                domain_job_succeed(c->d->jobs);
        call_free(c);
}

static void on_jobs_for_abort(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        bool pivot = c->flags & DOMAIN_BLOCK_JOB_ABORT_PIVOT;
        json_object *e, *args;
        QemuBlockJob *j;
        int type = 0;

        if (error_class) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "query-block-jobs failed: %s",
                          qemu_error(error_class, error_desc));
                return call_free(c);
        }
        e = find_job_entry(result, c->dst, &type);
        if (!e || streq_ptr(json_str(e, "status"), "concluded")) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' does not have an active block job",
                          c->dst, c->d->def->name);
                return call_free(c);
        }
        if (pivot && type != DOMAIN_BLOCK_JOB_TYPE_COPY && type != DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID,
                          "the block job of disk '%s' is no copy or active commit: nothing to pivot to", c->dst);
                return call_free(c);
        }
        if (pivot && !json_true(e, "ready")) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "block job '%s' not ready for pivot yet", c->dst);
                return call_free(c);
        }
        j = job_get(c->d, c->dst, type);
        if (!j) {
                domain_job_fail(c->d->jobs, VB_ERROR_NO_MEMORY, "out of memory");
                return call_free(c);
        }
        j->pivot = pivot;
        j->aborted = !pivot;
        j->waiting = !(c->flags & DOMAIN_BLOCK_JOB_ABORT_ASYNC);
        /* kept before QEMU acts: a qemud killed now knows what was asked */
        blockjob_mirror_ready(c->d, c->dst, pivot ? "pivot" : "abort");
        blockjob_save_state(c->d);
        args = args_new();
        arg_str(args, "device", json_str(e, "device"));
        if (send(c, pivot ? "block-job-complete" : "block-job-cancel", args, on_job_command, NULL) < 0) {
                j->waiting = false;
                domain_job_fail(c->d->jobs, VB_ERROR_OPERATION_FAILED, "cannot send the abort to QEMU");
        }
}

static void on_jobs_for_speed(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        json_object *e, *args;
        int type;

        if (error_class) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "query-block-jobs failed: %s",
                          qemu_error(error_class, error_desc));
                return call_free(c);
        }
        e = find_job_entry(result, c->dst, &type);
        if (!e) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' does not have an active block job",
                          c->dst, c->d->def->name);
                return call_free(c);
        }
        args = args_new();
        arg_str(args, "device", json_str(e, "device"));
        arg_int(args, "speed", (int64_t) c->value);
        if (send(c, "block-job-set-speed", args, on_job_command, NULL) < 0)
                domain_job_fail(c->d->jobs, VB_ERROR_OPERATION_FAILED, "cannot send block-job-set-speed to QEMU");
}

static int with_jobs(Domain *d, const DomainDiskDef *disk, CallKind kind, uint32_t flags, uint64_t value,
                     QemuMonitorReplyFn fn, sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        c = call_new(d, kind, disk);
        if (!c)
                return -ENOMEM;
        c->flags = flags;
        c->value = value;
        return send(c, "query-block-jobs", NULL, fn, error);
}

static int job_abort(Domain *d, const DomainDiskDef *disk, uint32_t flags, sd_bus_error *error) {
        return with_jobs(d, disk, CALL_ABORT, flags, 0, on_jobs_for_abort, error);
}

static int job_set_speed(Domain *d, const DomainDiskDef *disk, uint64_t bandwidth, sd_bus_error *error) {
        return with_jobs(d, disk, CALL_SPEED, 0, bandwidth, on_jobs_for_speed, error);
}

/* ---- starting jobs: pull, commit, copy ---- */

static void on_job_started(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        BlockCall *c = userdata;

        if (error_class) {
                job_remove(c->d, c->job);
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "cannot start the block job on disk '%s' of domain '%s': %s",
                          c->dst, c->d->def->name, qemu_error(error_class, error_desc));
        } else {
                log_info("Domain %s: block job %s started.", c->d->def->name, c->job_id);
                if (entry_alive(c->d, c->job) && c->job->new_path)
                        blockjob_set_mirror(c->d, c->job, c->job->type == DOMAIN_BLOCK_JOB_TYPE_COPY ? "copy" : "active-commit");
                blockjob_save_state(c->d);
                domain_job_succeed(c->d->jobs);
        }
        call_free(c);
}

/* The common checks once query-block answered: the disk's entry, its top
 * node, and no job on it yet (another job's entry is in query-block-jobs,
 * but ours is kept: a job started by us is in the list). */
static json_object *started_entry(BlockCall *c, json_object *result, const char *error_class, const char *error_desc) {
        json_object *e;
        const char *node;

        if (error_class) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "query-block failed: %s", qemu_error(error_class, error_desc));
                return NULL;
        }
        e = blockjob_find_block_entry(result, c->alias);
        node = json_str(json_child(e, "inserted"), "node-name");
        if (!node) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' has no medium in QEMU", c->dst,
                          c->d->def->name);
                return NULL;
        }
        if (blockjob_find(c->d, c->dst)) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' already has a block job",
                          c->dst, c->d->def->name);
                return NULL;
        }
        c->node = strdup(node);
        if (!c->node) {
                domain_job_fail(c->d->jobs, VB_ERROR_NO_MEMORY, "out of memory");
                return NULL;
        }
        return e;
}

/* The top node (and, named by us, its file node) a pivot leaves behind. */
static void remember_old_nodes(QemuBlockJob *j, const char *node) {
        j->old_fmt = strdup(node);
        if (endswith(node, "-fmt") && (j->old_file = strdup(node)))
                strcpy(j->old_file + strlen(j->old_file) - 4, "-file");
}

static json_object *job_args(BlockCall *c, int type) {
        json_object *a = args_new();

        c->job_id = qemu_blockjob_id(type, c->dst);
        c->job = job_get(c->d, c->dst, type);
        arg_str(a, "job-id", c->job_id ?: "");
        arg_str(a, "device", c->node);
        if (c->value)
                arg_int(a, "speed", (int64_t) c->value);
        arg_bool(a, "auto-dismiss", false);
        return a;
}

static void on_block_for_pull(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        json_object *e = started_entry(c, result, error_class, error_desc), *images[64], *a;
        char chain[1024];
        size_t n;
        ssize_t b = -1;

        if (!e)
                return call_free(c);
        n = chain_of(e, images, ELEMENTSOF(images));
        chain_text(images, n, chain, sizeof(chain));
        if (n < 2) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' has no backing chain to pull (%s)",
                          c->dst, c->d->def->name, chain);
                return call_free(c);
        }
        if (c->base) {
                b = chain_index(images, n, c->base);
                if (b <= 0) {
                        job_failf(c->d, VB_ERROR_INVALID_ARG,
                                  "'%s' is not a backing file of disk '%s' of domain '%s' (chain: %s)", c->base, c->dst,
                                  c->d->def->name, chain);
                        return call_free(c);
                }
        }
        a = job_args(c, DOMAIN_BLOCK_JOB_TYPE_PULL);
        if (c->base)
                arg_str(a, "base", c->base);
        send(c, "block-stream", a, on_job_started, NULL);
}

static int pull(Domain *d, const DomainDiskDef *disk, const char *base, uint64_t bandwidth, uint32_t flags,
                sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        c = call_new(d, CALL_PULL, disk);
        if (!c || (base && !(c->base = strdup(base)))) {
                call_free(c);
                return -ENOMEM;
        }
        c->value = bandwidth;
        c->flags = flags;
        return send(c, "query-block", NULL, on_block_for_pull, error);
}

static void on_block_for_commit(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        json_object *e = started_entry(c, result, error_class, error_desc), *images[64], *a;
        bool active_flag = c->flags & DOMAIN_BLOCK_COMMIT_ACTIVE;
        char chain[1024];
        ssize_t t = 0, b;
        size_t n;
        int type;

        if (!e)
                return call_free(c);
        n = chain_of(e, images, ELEMENTSOF(images));
        chain_text(images, n, chain, sizeof(chain));
        if (n < 2) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID,
                          "disk '%s' of domain '%s' has no backing chain to commit into (%s)", c->dst, c->d->def->name,
                          chain);
                return call_free(c);
        }
        if (c->top && (t = chain_index(images, n, c->top)) < 0) {
                job_failf(c->d, VB_ERROR_INVALID_ARG, "'%s' is not in the backing chain of disk '%s' of domain '%s' (%s)",
                          c->top, c->dst, c->d->def->name, chain);
                return call_free(c);
        }
        if (c->base) {
                b = chain_index(images, n, c->base);
                if (b < 0 || b <= t) {
                        job_failf(c->d, VB_ERROR_INVALID_ARG,
                                  "'%s' is not below '%s' in the backing chain of disk '%s' of domain '%s' (%s)",
                                  c->base, json_str(images[t], "filename"), c->dst, c->d->def->name, chain);
                        return call_free(c);
                }
        } else
                b = (c->flags & DOMAIN_BLOCK_COMMIT_SHALLOW) ? t + 1 : (ssize_t) n - 1;
        if ((c->flags & DOMAIN_BLOCK_COMMIT_SHALLOW) && b != t + 1) {
                job_failf(c->d, VB_ERROR_INVALID_ARG, "SHALLOW: '%s' is not the backing file of '%s' of disk '%s'",
                          json_str(images[b], "filename"), json_str(images[t], "filename"), c->dst);
                return call_free(c);
        }
        if (t == 0 && !active_flag) {
                job_failf(c->d, VB_ERROR_INVALID_ARG,
                          "commit of the active layer '%s' of disk '%s' needs the ACTIVE flag (then a pivot)",
                          json_str(images[0], "filename"), c->dst);
                return call_free(c);
        }
        if (t > 0 && active_flag) {
                job_failf(c->d, VB_ERROR_INVALID_ARG, "active commit requested but '%s' is not the active layer of disk '%s'",
                          json_str(images[t], "filename"), c->dst);
                return call_free(c);
        }
        type = t == 0 ? DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT : DOMAIN_BLOCK_JOB_TYPE_COMMIT;
        a = job_args(c, type);
        if (!c->job) {
                json_object_put(a);
                domain_job_fail(c->d->jobs, VB_ERROR_NO_MEMORY, "out of memory");
                return call_free(c);
        }
        if (t > 0)
                arg_str(a, "top", json_str(images[t], "filename"));
        arg_str(a, "base", json_str(images[b], "filename"));
        if (t == 0) {
                const char *fmt = json_str(images[b], "format");
                /* after the pivot the old top goes: base must be a root node for the next job */
                remember_old_nodes(c->job, c->node);
                c->job->new_path = strdup(json_str(images[b], "filename"));
                c->job->new_format = streq_ptr(fmt, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 : DOMAIN_DISK_FORMAT_RAW;
        }
        if (c->flags & DOMAIN_BLOCK_COMMIT_DELETE) {
                for (ssize_t i = t; i < b; i++)
                        (void) strv_extend(&c->job->delete, json_str(images[i], "filename"));
        }
        send(c, "block-commit", a, on_job_started, NULL);
}

static int commit(Domain *d, const DomainDiskDef *disk, const char *base, const char *top, uint64_t bandwidth,
                  uint32_t flags, sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        c = call_new(d, CALL_COMMIT, disk);
        if (!c || (base && !(c->base = strdup(base))) || (top && !(c->top = strdup(top)))) {
                call_free(c);
                return -ENOMEM;
        }
        c->value = bandwidth;
        c->flags = flags;
        return send(c, "query-block", NULL, on_block_for_commit, error);
}

/* Another running guest (or this one) using path, with the disk. */
/* Whether disk reads or writes path: its image, a layer of its chain (a
 * base image guests share), or a copy's target. */
static bool disk_uses(const DomainDiskDef *disk, const char *path) {
        if (streq_ptr(disk->src, path) || (disk->mirror && streq_ptr(disk->mirror->path, path)))
                return true;
        for (size_t k = 0; k < disk->n_backing; k++)
                if (streq_ptr(disk->backing[k].path, path))
                        return true;
        return false;
}

static Domain *path_user(Manager *m, const char *path, const char **dst) {
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *o = m->domains[i];
                for (size_t k = 0; domain_is_active(o) && o->live && k < o->live->n_disks; k++)
                        if (disk_uses(&o->live->disks[k], path)) {
                                *dst = o->live->disks[k].dst;
                                return o;
                        }
        }
        return NULL;
}

/* Whether the lease on path is one of d's disks' own (taken at its start). */
static bool own_disk_lease(const Domain *d, const char *path) {
        for (size_t k = 0; d->live && k < d->live->n_disks; k++)
                if (streq_ptr(d->live->disks[k].src, path))
                        return true;
        return false;
}

/* qemu-img create; the daemon waits: creating an image is quick. */
int qemu_image_create(const char *path, const char *fmt, uint64_t size, const char *backing,
                      const char *backing_fmt, char *errbuf, size_t errsize) {
        char sz[32];
        char *argv[12];
        size_t n = 0;
        pid_t pid;
        int status, r;

        snprintf(sz, sizeof(sz), "%" PRIu64, size);
        argv[n++] = (char *) "qemu-img";
        argv[n++] = (char *) "create";
        argv[n++] = (char *) "-q";
        argv[n++] = (char *) "-f";
        argv[n++] = (char *) fmt;
        if (backing) {
                argv[n++] = (char *) "-b";
                argv[n++] = (char *) backing;
                argv[n++] = (char *) "-F";
                argv[n++] = (char *) backing_fmt;
        }
        argv[n++] = (char *) path;
        if (size || !backing)
                argv[n++] = sz;
        argv[n] = NULL;
        r = posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ);
        if (r != 0) {
                snprintf(errbuf, errsize, "cannot run qemu-img: %s", strerror(r));
                return -r;
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                snprintf(errbuf, errsize, "qemu-img create -f %s %s failed (status %d)", fmt, path, status);
                return -EIO;
        }
        return 0;
}

static void del_node(Domain *d, const char *node) {
        json_object *a;

        if (!node || !qemu_domain(d)->mon)
                return;
        a = args_new();
        arg_str(a, "node-name", node);
        (void) qemu_monitor_command(qemu_domain(d)->mon, "blockdev-del", a, NULL, NULL);
}

static void on_copy_started(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                            void *userdata) {
        BlockCall *c = userdata;

        if (error_class) {
                if (entry_alive(c->d, c->job)) {
                        qemu_security_blockjob_take(c->d, c->job->new_path, c->job->new_format, c->job->new_block);
                        del_node(c->d, c->job->new_fmt);
                        del_node(c->d, c->job->new_file);
                        job_remove(c->d, c->job);
                        c->job = NULL;
                }
                if (c->created)
                        (void) unlink(c->dest.path);
        } else
                c->leased = false; /* the job's now, given back at its end */
        on_job_started(mon, result, error_class, error_desc, c);
}

/* Replies of the two blockdev-add: the first error is kept for the mirror's. */
static void on_node_added(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        if (error_class)
                log_warning("blockdev-add of a copy's destination failed: %s", qemu_error(error_class, error_desc));
}

/* New node names for each copy ("<alias>-c<tag>-fmt"): the nodes the last
 * copy pivoted to are still the disk's, and may have been named by a qemud
 * before a restart, so the tag is never the one of the disk's top node. */
static unsigned copy_tag(const char *top_node) {
        static unsigned counter;
        unsigned tag = (unsigned) ((now_usec(CLOCK_REALTIME) >> 8) + ++counter) & 0xffffff;
        char mark[16];

        snprintf(mark, sizeof(mark), "-c%06x-", tag);
        if (top_node && strstr(top_node, mark))
                tag = (tag + 1) & 0xffffff;
        return tag;
}

static void on_block_for_copy(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        json_object *e = started_entry(c, result, error_class, error_desc), *images[2], *a, *f;
        const char *user_dst = NULL, *fmt;
        char errbuf[512];
        Domain *user;
        struct stat st;
        bool shallow = c->flags & DOMAIN_BLOCK_COPY_SHALLOW;
        size_t n;
        uint64_t size;
        int r;
        unsigned tag = copy_tag(c->node);

        if (!e)
                return call_free(c);
        n = chain_of(e, images, ELEMENTSOF(images));
        if (n == 0) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "QEMU tells nothing of the image of disk '%s'", c->dst);
                return call_free(c);
        }
        size = (uint64_t) json_int(images[0], "virtual-size");
        user = path_user(c->d->manager, c->dest.path, &user_dst);
        if (user) {
                job_failf(c->d, VB_ERROR_RESOURCE_BUSY, "'%s' is in use by disk '%s' of domain '%s': cannot copy onto it",
                          c->dest.path, user_dst, user->def->name);
                return call_free(c);
        }
        fmt = c->dest.format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" :
              c->dest.format == DOMAIN_DISK_FORMAT_RAW ? "raw" :
              streq_ptr(json_str(images[0], "format"), "qcow2") ? "qcow2" : "raw";
        if (c->flags & DOMAIN_BLOCK_COPY_REUSE_EXT) {
                if (stat(c->dest.path, &st) < 0) {
                        job_failf(c->d, VB_ERROR_INVALID_ARG, "REUSE_EXT: the copy's destination '%s' does not exist",
                                  c->dest.path);
                        return call_free(c);
                }
        } else if (c->dest.block) {
                job_failf(c->d, VB_ERROR_INVALID_ARG,
                          "a block device '%s' as the copy's destination needs REUSE_EXT", c->dest.path);
                return call_free(c);
        } else {
                const char *backing = shallow && n > 1 ? json_str(images[1], "filename") : NULL;
                const char *bfmt = n > 1 ? json_str(images[1], "format") : NULL;

                if (stat(c->dest.path, &st) >= 0) {
                        job_failf(c->d, VB_ERROR_INVALID_ARG,
                                  "the copy's destination '%s' exists: give REUSE_EXT to copy onto it", c->dest.path);
                        return call_free(c);
                }
                if (backing && !streq(fmt, "qcow2")) {
                        job_failf(c->d, VB_ERROR_INVALID_ARG, "a SHALLOW copy of disk '%s' needs a qcow2 destination",
                                  c->dst);
                        return call_free(c);
                }
                r = qemu_image_create(c->dest.path, fmt, size, backing, bfmt ?: "raw", errbuf, sizeof(errbuf));
                if (r < 0) {
                        job_failf(c->d, VB_ERROR_OPERATION_FAILED, "cannot create the copy's destination: %s", errbuf);
                        return call_free(c);
                }
                c->created = true;
        }
        /* QEMU's user gets the destination before QEMU opens it */
        if (qemu_security_blockjob_give(c->d, c->dest.path, streq(fmt, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 :
                                        DOMAIN_DISK_FORMAT_RAW, c->dest.block, errbuf, sizeof(errbuf)) < 0) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "cannot give the copy's destination to QEMU: %s", errbuf);
                if (c->created)
                        (void) unlink(c->dest.path);
                return call_free(c);
        }
        a = job_args(c, DOMAIN_BLOCK_JOB_TYPE_COPY);
        if (!c->job) {
                json_object_put(a);
                domain_job_fail(c->d->jobs, VB_ERROR_NO_MEMORY, "out of memory");
                return call_free(c);
        }
        c->job->transient = c->flags & DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
        c->job->new_path = strdup(c->dest.path);
        c->job->new_format = streq(fmt, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 : DOMAIN_DISK_FORMAT_RAW;
        c->job->new_block = c->dest.block;
        if (c->dest_pool) {
                c->job->new_pool = strdup(c->dest_pool);
                c->job->new_volume = strdup(c->dest_volume);
        }
        remember_old_nodes(c->job, c->node);
        (void) asprintf(&c->job->new_file, "%s-c%06x-file", c->alias, tag);
        (void) asprintf(&c->job->new_fmt, "%s-c%06x-fmt", c->alias, tag);

        f = args_new();
        arg_str(f, "driver", c->dest.block ? "host_device" : "file");
        arg_str(f, "filename", c->dest.path);
        arg_str(f, "node-name", c->job->new_file ?: "");
        /* what the guest discards, and the zeroes the mirror writes, stay holes */
        arg_str(f, "discard", "unmap");
        (void) qemu_monitor_command(qemu_domain(c->d)->mon, "blockdev-add", f, on_node_added, NULL);
        f = args_new();
        arg_str(f, "driver", fmt);
        arg_str(f, "node-name", c->job->new_fmt ?: "");
        arg_str(f, "file", c->job->new_file ?: "");
        arg_str(f, "discard", "unmap");
        (void) qemu_monitor_command(qemu_domain(c->d)->mon, "blockdev-add", f, on_node_added, NULL);

        arg_str(a, "target", c->job->new_fmt ?: "");
        arg_str(a, "sync", shallow ? "top" : "full");
        if (c->dest.granularity)
                arg_int(a, "granularity", c->dest.granularity);
        if (c->dest.buf_size)
                arg_int(a, "buf-size", (int64_t) c->dest.buf_size);
        if (c->flags & DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES)
                arg_str(a, "copy-mode", "write-blocking");
        send(c, "blockdev-mirror", a, on_copy_started, NULL);
}

/* lockd's answer for the copy's destination: refused means another guest
 * (here or on a host sharing the lockspace) holds it. No lockd on the bus:
 * no leases, as for the guest's own disks. */
static void on_dest_lease(int r, const sd_bus_error *error, void *userdata) {
        BlockCall *c = userdata;

        if (!c->handle->owner)
                return call_free(c); /* the domain stopped meanwhile: lockd dropped its leases */
        if (r < 0 && !blockjob_lease_no_manager(error)) {
                job_failf(c->d, r == -EBUSY ? VB_ERROR_RESOURCE_BUSY : VB_ERROR_OPERATION_FAILED,
                          "cannot copy disk '%s' of domain '%s' onto '%s': its lease was refused: %s", c->dst,
                          c->d->def->name, c->dest.path, error && error->message ? error->message : strerror(-r));
                return call_free(c);
        }
        /* a lease one of our disks holds already is not ours to give back
         * (on_block_for_copy refuses such a destination) */
        c->leased = r >= 0 && !own_disk_lease(c->d, c->dest.path);
        if (require_monitor(c->d, NULL) < 0) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "domain '%s' stopped during the copy's start",
                          c->d->def->name);
                return call_free(c);
        }
        (void) send(c, "query-block", NULL, on_block_for_copy, NULL);
}

/* The lease first, then QEMU's view of the disk (on_block_for_copy). */
static int take_dest_lease(BlockCall *c, sd_bus_error *error) {
        int r;

        if (!c->handle && !(c->handle = domain_handle_get(&c->d->handle, c->d))) {
                call_free(c);
                return -ENOMEM;
        }
        r = blockjob_lease_take(c->d, c->dest.path, on_dest_lease, c);
        if (r < 0) {
                if (error)
                        vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot ask lockd for a lease on %s: %s",
                                      c->dest.path, strerror(-r));
                else
                        job_failf(c->d, VB_ERROR_OPERATION_FAILED, "cannot ask lockd for a lease on %s: %s",
                                  c->dest.path, strerror(-r));
                call_free(c);
                return r;
        }
        return 1;
}

/* storaged's answer for a volume as the copy's destination: its path
 * (and format, unless the caller gave one), then as for a file. */
static void on_dest_volume(int r, const sd_bus_error *error, const char *path, const char *format, bool block,
                           void *userdata) {
        BlockCall *c = userdata;

        if (!c->handle->owner)
                return call_free(c); /* the domain went away meanwhile */
        if (r < 0) {
                job_failf(c->d, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                          "the copy's destination, volume '%s' of pool '%s': %s", c->dest_volume, c->dest_pool,
                          error && error->message ? error->message : strerror(-r));
                return call_free(c);
        }
        if (require_monitor(c->d, NULL) < 0 || !(c->dest_path = strdup(path))) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "domain '%s' stopped during the copy's start",
                          c->d->def->name);
                return call_free(c);
        }
        c->dest.path = c->dest_path;
        c->dest.block = block;
        if (c->dest.format == DOMAIN_DISK_FORMAT_NONE)
                c->dest.format = streq_ptr(format, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 : DOMAIN_DISK_FORMAT_RAW;
        (void) take_dest_lease(c, NULL);
}

static int copy(Domain *d, const DomainDiskDef *disk, const DomainBlockCopyDest *dest, uint32_t flags,
                sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        if (!d->persistent)
                flags |= DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
        c = call_new(d, CALL_COPY, disk);
        if (!c || (dest->path && !(c->dest_path = strdup(dest->path))) ||
            (dest->pool && (!(c->dest_pool = strdup(dest->pool)) || !(c->dest_volume = strdup(dest->volume))))) {
                call_free(c);
                return -ENOMEM;
        }
        c->dest = *dest;
        c->dest.path = c->dest_path;
        c->dest.pool = c->dest.volume = NULL;
        c->value = dest->bandwidth;
        c->flags = flags;
        if (!c->dest_pool)
                return take_dest_lease(c, error);
        c->handle = domain_handle_get(&d->handle, d);
        if (!c->handle) {
                call_free(c);
                return -ENOMEM;
        }
        r = storaged_resolve_volume_async(d->manager->bus, c->dest_pool, c->dest_volume, on_dest_volume, c, NULL);
        if (r < 0) {
                vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot ask storaged for volume %s/%s: %s",
                              c->dest_pool, c->dest_volume, strerror(-r));
                call_free(c);
                return r;
        }
        return 1;
}

/* ---- resize, threshold ---- */

static void on_done(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                    void *userdata) {
        BlockCall *c = userdata;

        if (error_class)
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "disk '%s' of domain '%s': QEMU refused: %s", c->dst,
                          c->d->def->name, qemu_error(error_class, error_desc));
        else
                domain_job_succeed(c->d->jobs);
        call_free(c);
}

static void on_block_for_resize(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        BlockCall *c = userdata;
        json_object *e, *images[1], *a;
        uint64_t now;
        const char *node;

        if (error_class) {
                job_failf(c->d, VB_ERROR_OPERATION_FAILED, "query-block failed: %s", qemu_error(error_class, error_desc));
                return call_free(c);
        }
        e = blockjob_find_block_entry(result, c->alias);
        node = json_str(json_child(e, "inserted"), "node-name");
        if (!node || chain_of(e, images, 1) < 1) {
                job_failf(c->d, VB_ERROR_OPERATION_INVALID, "disk '%s' of domain '%s' has no medium in QEMU", c->dst,
                          c->d->def->name);
                return call_free(c);
        }
        now = (uint64_t) json_int(images[0], "virtual-size");
        if (c->kind == CALL_RESIZE && c->value < now) {
                job_failf(c->d, VB_ERROR_INVALID_ARG,
                          "cannot shrink disk '%s' of domain '%s' from %" PRIu64 " to %" PRIu64
                          " bytes: BlockResize only grows a disk", c->dst, c->d->def->name, now, c->value);
                return call_free(c);
        }
        a = args_new();
        arg_str(a, "node-name", node);
        if (c->kind == CALL_RESIZE) {
                arg_int(a, "size", (int64_t) c->value);
                send(c, "block_resize", a, on_done, NULL);
        } else {
                arg_int(a, "write-threshold", (int64_t) c->value);
                send(c, "block-set-write-threshold", a, on_done, NULL);
        }
}

static int with_block(Domain *d, const DomainDiskDef *disk, CallKind kind, uint64_t value, sd_bus_error *error) {
        BlockCall *c;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        if (value > INT64_MAX)
                return vb_error_setf(error, VB_ERROR_OVERFLOW, "%" PRIu64 " is too big for disk '%s'", value, disk->dst);
        c = call_new(d, kind, disk);
        if (!c)
                return -ENOMEM;
        c->value = value;
        return send(c, "query-block", NULL, on_block_for_resize, error);
}

static int resize(Domain *d, const DomainDiskDef *disk, uint64_t size, sd_bus_error *error) {
        return with_block(d, disk, CALL_RESIZE, size, error);
}

static int set_threshold(Domain *d, const DomainDiskDef *disk, uint64_t threshold, sd_bus_error *error) {
        return with_block(d, disk, CALL_THRESHOLD, threshold, error);
}
/* ---- events ---- */

static void set_disk_source(DomainDiskDef *disk, const QemuBlockJob *j) {
        char *p = strdup(j->new_path);

        if (!p)
                return;
        free(disk->src);
        disk->src = p;
        disk->format = j->new_format;
        disk->type = j->new_block ? DOMAIN_DISK_TYPE_BLOCK : DOMAIN_DISK_TYPE_FILE;
        free(disk->src_pool);
        free(disk->src_volume);
        disk->src_pool = disk->src_volume = NULL;
        if (j->new_pool && j->new_volume) {
                disk->type = DOMAIN_DISK_TYPE_VOLUME;
                disk->src_pool = strdup(j->new_pool);
                disk->src_volume = strdup(j->new_volume);
        }
        /* read again from the new image's header when the state is written */
        domain_disk_clear_backing(disk);
}

/* After a pivot: the live disk's source, and the persistent one's too
 * (not for a transient copy). */
static void follow_pivot(Domain *d, const QemuBlockJob *j) {
        DomainDiskDef *disk = domain_block_find_disk(d->live, j->dst);
        _cleanup_free_ char *old = NULL;
        DomainDef **pdef;

        if (!disk || !j->new_path)
                return;
        old = disk->src ? strdup(disk->src) : NULL;
        set_disk_source(disk, j);
        /* a copy took its target's lease at its start; an active commit's base has none yet */
        blockjob_lease_follow_pivot(d, old, j->new_path, j->type != DOMAIN_BLOCK_JOB_TYPE_COPY);
        /* storaged keeps the volume from being deleted while the guest uses it */
        if (j->new_pool && j->new_volume)
                (void) storaged_set_in_use_async(d->manager->bus, j->new_pool, j->new_volume, d->uuid_str, true,
                                                 NULL, NULL, NULL);
        (void) domain_status_save(d);
        pdef = domain_persistent_def(d);
        if (!j->transient && d->persistent && pdef && *pdef && *pdef != d->live) {
                DomainDiskDef *cdisk = domain_block_find_disk(*pdef, j->dst);
                if (cdisk && cdisk->type != DOMAIN_DISK_TYPE_VOLUME && streq_ptr(cdisk->src, old)) {
                        set_disk_source(cdisk, j);
                        if (domain_save_config(d) < 0)
                                log_warning("Domain %s: cannot save the definition after the pivot of %s.",
                                            d->def->name, j->dst);
                }
        }
}

static void job_ended(Domain *d, QemuBlockJob *j, int status) {
        bool pivoted = j->pivot && status == DOMAIN_BLOCK_JOB_COMPLETED;
        _cleanup_strv_free_ char **before = qemu_security_blockjob_before(d, j->dst);

        blockjob_drop_mirror(d, j->dst);
        if (pivoted)
                follow_pivot(d, j);
        if (pivoted) {
                del_node(d, j->old_fmt);
                del_node(d, j->old_file);
        } else if (j->type == DOMAIN_BLOCK_JOB_TYPE_COPY) {
                del_node(d, j->new_fmt);
                del_node(d, j->new_file);
                blockjob_lease_release(d, j->new_path);
        }
        if (status == DOMAIN_BLOCK_JOB_COMPLETED && (j->type == DOMAIN_BLOCK_JOB_TYPE_COMMIT || pivoted))
                for (char **p = j->delete; p && *p; p++)
                        if (unlink(*p) < 0)
                                log_warning_errno(-errno, "Cannot delete %s after the commit: %m", *p);
        qemu_security_blockjob_end(d, j->dst, before, &(QemuSecurityJobEnd) {
                .copy = j->type == DOMAIN_BLOCK_JOB_TYPE_COPY, .pivoted = pivoted, .new_path = j->new_path,
                .new_format = j->new_format, .new_block = j->new_block });
        if (j->waiting) {
                j->waiting = false;
                if (status == DOMAIN_BLOCK_JOB_FAILED)
                        domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, "the block job failed");
                else
                        domain_job_succeed(d->jobs);
        }
}

/* The end of a job, from its event or found after a restart: QEMU's job
 * dismissed, the definitions follow a pivot, the signal. */
void blockjob_finish(Domain *d, QemuBlockJob *j, const char *id, int status) {
        _cleanup_free_ char *dst = strdup(j->dst);
        int type = j->type;
        json_object *a = args_new();

        arg_str(a, "id", id);
        (void) qemu_monitor_command(qemu_domain(d)->mon, "job-dismiss", a, NULL, NULL);
        job_ended(d, j, status);
        job_remove(d, j);
        if (dst) {
                /* the chain changed (commit, pull, pivot), or not: QEMU says */
                blockjob_refresh_disk(d, dst);
                blockjob_save_state(d);
                domain_emit_block_job(d, dst, type, status);
        }
}

void qemu_blockjob_on_event(Domain *d, const char *event, json_object *data) {
        _cleanup_free_ char *dst = NULL;
        const char *id = json_str(data, "device");
        QemuBlockJob *j;
        int type, status;

        if (qemu_blockjob_parse_id(id, &type, &dst) < 0) {
                log_debug("Domain %s: %s of a job not ours (%s).", d->def->name, event, id ?: "?");
                return;
        }
        j = job_get(d, dst, type);
        if (streq(event, "BLOCK_JOB_ERROR")) {
                log_warning("Domain %s: block job %s: I/O error in %s, %s.", d->def->name, id,
                            json_str(data, "operation") ?: "?", json_str(data, "action") ?: "?");
                return;
        }
        status = qemu_blockjob_event_status(event, json_str(data, "error") != NULL, j && j->aborted);
        if (status < 0)
                return;
        if (status == DOMAIN_BLOCK_JOB_FAILED)
                log_warning("Domain %s: block job %s failed: %s", d->def->name, id, json_str(data, "error"));
        else
                log_info("Domain %s: block job %s: %s.", d->def->name, id, event);
        if (status != DOMAIN_BLOCK_JOB_READY && j) {
                blockjob_finish(d, j, id, status);
                return;
        }
        if (j && status == DOMAIN_BLOCK_JOB_READY) {
                j->ready = true;
                blockjob_mirror_ready(d, dst, "yes");
                blockjob_save_state(d);
        }
        domain_emit_block_job(d, dst, type, status);
}

void qemu_blockjob_on_threshold(Domain *d, const char *event, json_object *data) {
        const char *node = json_str(data, "node-name");
        const DomainDiskDef *disk = NULL;
        size_t n = node ? strlen(node) : 0;

        for (size_t i = 0; d->live && node && i < d->live->n_disks; i++) {
                const char *alias = d->live->disks[i].alias;
                size_t a = alias ? strlen(alias) : 0;
                if (a && n > a && strncmp(node, alias, a) == 0 && node[a] == '-')
                        disk = &d->live->disks[i];
        }
        domain_emit_block_threshold(d, disk ? disk->dst : node ?: "", disk ? disk->src : "",
                                    (uint64_t) json_int(data, "write-threshold"),
                                    (uint64_t) json_int(data, "amount-exceeded"));
}

const DomainBlockOps qemu_block_ops = {
        .job_info = job_info,
        .job_abort = job_abort,
        .job_set_speed = job_set_speed,
        .pull = pull,
        .commit = commit,
        .copy = copy,
        .resize = resize,
        .set_threshold = set_threshold,
};
