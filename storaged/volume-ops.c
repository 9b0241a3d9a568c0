/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volume operations: create, clone, delete, resize, wipe, upload, download.
 * Each runs as a job; delete, wipe and shrink first make sure no running
 * guest uses the volume (qemud's in-use table, then lockd's leases). */
#include <fcntl.h>
#include <inttypes.h>

#include "backend.h"
#include "bus-util.h"
#include "chains.h"
#include "command.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "openers.h"
#include "transfer.h"
#include "util.h"
#include "vol-secret.h"
#include "vol-file.h"
#include "wipe.h"

typedef enum VolOp {
        VOL_OP_CREATE,
        VOL_OP_CLONE,
        VOL_OP_DELETE,
        VOL_OP_RESIZE,
        VOL_OP_WIPE,
        VOL_OP_UPLOAD,
        VOL_OP_DOWNLOAD,
} VolOp;

static const char *const op_names[] = {
        [VOL_OP_CREATE] = "create", [VOL_OP_CLONE] = "clone",   [VOL_OP_DELETE] = "delete",
        [VOL_OP_RESIZE] = "resize", [VOL_OP_WIPE] = "wipe",     [VOL_OP_UPLOAD] = "upload",
        [VOL_OP_DOWNLOAD] = "download",
};

typedef struct VolCall {
        Volume *vol;
        Volume *src;                /* clone: the source, kept busy meanwhile */
        VolOp op;
        VolRequest *req;
        StoragePoolDef *pool_def;   /* the worker's copy */
        const WipeAlgorithm *alg;
        TransferRequest transfer;
        bool refreshed;             /* req->info holds the volume as it is now */
        sd_bus_message *msg;
} VolCall;

static void vol_call_free(VolCall *c) {
        vol_request_free(c->req);
        storage_pool_def_free(c->pool_def);
        /* transfer.client_fd belongs to msg */
        sd_bus_message_unref(c->msg);
        free(c);
}

static VolCall *vol_call_new(Volume *v, VolOp op, sd_bus_message *msg) {
        VolCall *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->vol = v;
        c->op = op;
        c->msg = sd_bus_message_ref(msg);
        c->transfer.client_fd = -1;
        c->req = calloc(1, sizeof(*c->req));
        if (!c->req || storage_pool_def_copy(v->pool->def, &c->pool_def) < 0) {
                vol_call_free(c);
                return NULL;
        }
        c->req->name = strdup(v->name);
        c->req->path = strdup(v->path);
        c->req->lvm_no_dm = v->pool->manager->lvm_no_dm;
        if (!c->req->name || !c->req->path || vol_info_copy(&v->info, &c->req->cur) < 0) {
                vol_call_free(c);
                return NULL;
        }
        return c;
}

/* ---- the worker ------------------------------------------------------------- */

static void refresh_after(Job *j, VolCall *c, const PoolBackend *b) {
        ConfError ignored = {};

        /* Also after a failure: what the volume looks like now is the truth. */
        c->refreshed = b->vol_refresh(j, c->pool_def, c->req, &ignored) >= 0;
}

static int transfer_work(Job *j, VolCall *c, const PoolBackend *b) {
        bool upload = c->op == VOL_OP_UPLOAD;
        int fd = open(c->req->path, (upload ? O_WRONLY : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
        int r;

        if (fd < 0)
                return conf_fail(&j->error, VB_ERROR_SYSTEM, "cannot open volume '%s': %m", c->req->path);
        c->transfer.volume_fd = fd;
        r = upload ? transfer_upload(j, &c->transfer, &j->error) : transfer_download(j, &c->transfer, &j->error);
        close(fd);
        if (upload)
                refresh_after(j, c, b);
        return r;
}

static int wipe_work(Job *j, VolCall *c, const PoolBackend *b) {
        int r = wipe_run(j, c->req->path, c->alg, &j->error);

        /* A wiped qcow2 volume is an empty qcow2 image again, not garbage. */
        if (r >= 0 && c->req->cur.type == STORAGE_VOL_FILE && c->req->cur.format == STORAGE_FORMAT_QCOW2)
                r = vol_file_reformat(j, c->req, &j->error);
        refresh_after(j, c, b);
        return r;
}

static int vol_work(Job *j, void *userdata) {
        VolCall *c = userdata;
        const PoolBackend *b = backend_for(c->pool_def->type);
        int r;

        switch (c->op) {
        case VOL_OP_CREATE:
                return b->vol_create(j, c->pool_def, c->req, &j->error);
        case VOL_OP_CLONE:
                return b->vol_clone(j, c->pool_def, c->req, &j->error);
        case VOL_OP_DELETE:
                if (c->alg && (r = wipe_run(j, c->req->path, c->alg, &j->error)) < 0)
                        return r;
                return b->vol_delete(j, c->pool_def, c->req, &j->error);
        case VOL_OP_RESIZE:
                r = b->vol_resize(j, c->pool_def, c->req, &j->error);
                if (r < 0)
                        refresh_after(j, c, b);
                else
                        c->refreshed = true;
                return r;
        case VOL_OP_WIPE:
                return wipe_work(j, c, b);
        case VOL_OP_UPLOAD:
        case VOL_OP_DOWNLOAD:
                return transfer_work(j, c, b);
        }
        return -EINVAL;
}

/* ---- the end, on the loop ------------------------------------------------------ */

static void update_info(Volume *v, VolCall *c) {
        if (!c->refreshed)
                return;
        volume_account(v->pool, v->info.allocation, c->req->info.allocation);
        vol_info_done(&v->info);
        v->info = c->req->info;
        c->req->info = (VolInfo) {};
}

static void done_create(Volume *v, VolCall *c, Job *j, int r) {
        Pool *p = v->pool;

        pool_remove_volume(p, v);
        if (r >= 0) {
                r = volume_set_key(v, c->req->key);
                if (r >= 0)
                        r = pool_add_volume(p, v);
                if (r < 0)
                        conf_error_set(&j->error, VB_ERROR_NO_MEMORY, "out of memory");
        }
        if (r < 0) {
                (void) reply_job_error(c->msg, &j->error, r, "cannot %s volume '%s'", op_names[c->op], v->name);
                volume_free(v);
                return;
        }
        v->info = c->req->info;
        c->req->info = (VolInfo) {};
        v->building = false;
        volume_account(p, 0, v->info.allocation);
        (void) sd_bus_reply_method_return(c->msg, "o", v->bus_path);
}

static void vol_done(Job *j, int r, void *userdata) {
        VolCall *c = userdata;
        Volume *v = c->vol;

        v->busy = NULL;
        v->job = NULL;
        if (c->src)
                c->src->busy = NULL;
        if (c->op == VOL_OP_CREATE || c->op == VOL_OP_CLONE)
                done_create(v, c, j, r);
        else if (r < 0) {
                update_info(v, c);
                (void) reply_job_error(c->msg, &j->error, r, "cannot %s volume '%s'", op_names[c->op], v->name);
        } else if (c->op == VOL_OP_DELETE) {
                Manager *m = v->pool->manager;
                if (v->key)
                        inuse_forget_key(&m->inuse, v->key);
                volume_account(v->pool, v->info.allocation, 0);
                pool_remove_volume(v->pool, v);
                volume_free(v);
                (void) sd_bus_reply_method_return(c->msg, NULL);
        } else {
                update_info(v, c);
                if (c->op == VOL_OP_UPLOAD || c->op == VOL_OP_DOWNLOAD)
                        (void) sd_bus_reply_method_return(c->msg, "t", c->transfer.done);
                else
                        (void) sd_bus_reply_method_return(c->msg, NULL);
        }
        vol_call_free(c);
}

/* The fds a job holds at most (fd-budget.h). */
static unsigned op_fds(const VolCall *c) {
        if (c->op == VOL_OP_DOWNLOAD || (c->op == VOL_OP_UPLOAD && c->pool_def->type != STORAGE_POOL_LOGICAL))
                return FD_COST_TRANSFER;
        return FD_COST_HELPER;
}

static const char *op_phrase(VolOp op) {
        return op == VOL_OP_UPLOAD ? "upload to" : op == VOL_OP_DOWNLOAD ? "download from" : op_names[op];
}

static int launch(VolCall *c, sd_bus_error *error) {
        Volume *v = c->vol;
        JobQueue *q = &v->pool->manager->jobs;
        ConfError err = {};
        int r;

        if (job_queue_check_fds(q, op_fds(c), &err) < 0)
                return vb_error_setf(error, err.name, "cannot %s volume '%s': %s", op_phrase(c->op), v->name,
                                     err.message);
        r = job_start(q, op_names[c->op], v->bus_path ? v->bus_path : v->pool->path, op_fds(c), vol_work,
                      vol_done, c, &v->job);
        if (r < 0)
                return r;
        v->busy = op_names[c->op];
        return 1;
}

/* ---- guests using the volume ------------------------------------------------------ */

static int busy_error(sd_bus_error *error, const Volume *v, const char *what, const char *holder) {
        return vb_error_setf(error, VB_ERROR_RESOURCE_BUSY, "cannot %s volume '%s' (%s): it is in use by %s", what,
                             v->name, v->path, holder);
}

static void after_lease_check(const char *holder, void *userdata) {
        VolCall *c = userdata;
        Volume *v = c->vol;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        v->busy = NULL;
        if (holder)
                r = busy_error(&e, v, op_names[c->op], holder);
        else
                r = launch(c, &e);
        if (r >= 0)
                return;
        if (!sd_bus_error_is_set(&e))
                (void) vb_error_setf(&e, VB_ERROR_INTERNAL, "cannot start the %s job: %s", op_names[c->op],
                                     strerror(-r));
        (void) sd_bus_reply_method_error(c->msg, &e);
        sd_bus_error_free(&e);
        vol_call_free(c);
}

/* The local tables answer at once; lockd is asked, then the job starts. */
static int launch_unless_in_use(VolCall *c, sd_bus_error *error) {
        Volume *v = c->vol;
        Manager *m = v->pool->manager;
        const char *owner = inuse_owner_of(&m->inuse, v->key);
        const InUseEntry *reader = owner ? NULL : chains_user_of(m, v->path);
        _cleanup_free_ char *who = NULL;
        int r;

        if (owner) {
                if (asprintf(&who, "'%s'", owner) < 0)
                        return -ENOMEM;
                return busy_error(error, v, op_names[c->op], who);
        }
        if (reader) {
                if (asprintf(&who,
                             "guest '%s' (uuid %s), which reads it as a disk or a layer of a disk's backing chain",
                             reader->label ? reader->label : reader->owner, reader->owner) < 0)
                        return -ENOMEM;
                return busy_error(error, v, op_names[c->op], who);
        }
        /* what nobody told us: a guest that started while storaged was not
         * running, whose layer this is */
        if (v->info.type == STORAGE_VOL_FILE) {
                char opener[512];
                if (file_qemu_opener(v->path, opener, sizeof(opener)) > 0)
                        return busy_error(error, v, op_names[c->op], opener);
        }
        r = lease_holder_async(m->bus, v->path, after_lease_check, c);
        if (r < 0)
                return r;
        v->busy = "checking";
        return 1;
}

/* Runs c: at once, or after the in-use check; frees c on failure. */
static int run_call(VolCall *c, bool check_in_use, sd_bus_error *error) {
        int r = check_in_use ? launch_unless_in_use(c, error) : launch(c, error);

        if (r < 0)
                vol_call_free(c);
        return r;
}

/* ---- create and clone ------------------------------------------------------------ */

static int check_pool_usable(Pool *p, sd_bus_error *error) {
        if (!p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", p->def->name);
        if (p->busy && !streq(p->busy, "refreshing"))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "pool '%s' is busy: it is %s", p->def->name,
                                     p->busy);
        return 0;
}

static int parse_new_volume(Pool *p, const char *xml, Volume *src, StorageVolDef **ret, sd_bus_error *error) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *def = NULL;
        const PoolBackend *b = backend_for(p->def->type);
        ConfError err = {};
        int r;

        r = storage_vol_def_parse(xml, strlen(xml), &def, &err);
        if (r >= 0)
                r = b->vol_check(p->def, def, src != NULL, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s", err.message);
        if (pool_find_volume(p, def->name))
                return vb_error_setf(error, VB_ERROR_STORAGE_VOL_EXISTS, "storage volume '%s' exists already in pool '%s'",
                                     def->name, p->def->name);
        *ret = TAKE_PTR(def);
        return 0;
}

/* A volume that was never made: gone from the pool, c freed. */
static void abandon_create(VolCall *c) {
        Volume *v = c->vol;

        vol_call_free(c);
        pool_remove_volume(v->pool, v);
        volume_free(v);
}

static void after_secret(const sd_bus_error *error, const void *value, size_t len, void *userdata) {
        VolCall *c = userdata;
        Volume *v = c->vol;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = 0;

        v->busy = NULL;
        if (error)
                r = vb_error_setf(&e, error->name, "cannot create volume '%s': %s", v->name, error->message);
        else if (len == 0)
                r = vb_error_setf(&e, VB_ERROR_INVALID_SECRET, "cannot create volume '%s': the secret of its "
                                  "<encryption> has an empty value", v->name);
        else if (!(c->req->secret = malloc(len)) ||
                 !(c->req->secret_dir = path_join(v->pool->manager->rundir, "secrets")))
                r = -ENOMEM;
        if (r >= 0) {
                memcpy(c->req->secret, value, len);
                c->req->secret_len = len;
                r = launch(c, &e);
        }
        if (r >= 0)
                return;
        if (!sd_bus_error_is_set(&e))
                (void) vb_error_setf(&e, VB_ERROR_INTERNAL, "cannot start the create job: %s", strerror(-r));
        (void) sd_bus_reply_method_error(c->msg, &e);
        abandon_create(c);
}

/* With <encryption>, the passphrase first: a secret that is not there
 * fails the call before anything is made. */
static int launch_create(VolCall *c, sd_bus_error *error) {
        int r;

        if (c->req->def->encryption.format == STORAGE_ENC_NONE)
                return launch(c, error);
        r = vol_secret_fetch(c->vol->pool->manager->bus, &c->req->def->encryption, after_secret, c);
        if (r < 0)
                return r;
        c->vol->busy = "fetching its secret";
        return 1;
}

int volume_create_async(Pool *p, const char *xml, unsigned flags, Volume *src, sd_bus_message *msg,
                        sd_bus_error *error) {
        const PoolBackend *b = backend_for(p->def->type);
        _cleanup_(storage_vol_def_freep) StorageVolDef *def = NULL;
        _cleanup_free_ char *path = NULL;
        Volume *v = NULL;
        VolCall *c;
        int r;

        r = bus_check_flags(flags, VOL_CREATE_PREALLOC_METADATA | VOL_CREATE_VALIDATE | (src ? VOL_CREATE_REFLINK : 0),
                            error);
        if (r < 0 || (r = check_pool_usable(p, error)) < 0 || (r = parse_new_volume(p, xml, src, &def, error)) < 0)
                return r;
        if (src && (r = volume_check_idle(src, "clone", error)) < 0)
                return r;
        if (src && src->info.encryption.format != STORAGE_ENC_NONE)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "cloning the encrypted volume '%s' is not "
                                     "supported: storaged would need its passphrase too", src->name);
        path = b->vol_path(p->def, def->name);
        if (!path)
                return -ENOMEM;
        r = volume_new(p, def->name, path, &v);
        if (r < 0)
                return r;
        v->building = true;
        r = pool_add_volume(p, v);
        if (r < 0) {
                volume_free(v);
                return r;
        }
        c = vol_call_new(v, src ? VOL_OP_CLONE : VOL_OP_CREATE, msg);
        if (!c) {
                pool_remove_volume(p, v);
                volume_free(v);
                return -ENOMEM;
        }
        c->req->def = TAKE_PTR(def);
        c->req->flags = flags;
        if (src) {
                c->req->src_path = strdup(src->path);
                c->req->src_format = src->info.format;
                c->req->src_capacity = src->info.capacity;
        }
        if ((src && !c->req->src_path) || (r = launch_create(c, error)) < 0) {
                vol_call_free(c);
                pool_remove_volume(p, v);
                volume_free(v);
                return r < 0 ? r : -ENOMEM;
        }
        /* The source must stay as it is (and where it is) while it is read. */
        if (src) {
                c->src = src;
                src->busy = "clone source";
        }
        return 1;
}

/* ---- delete, resize, wipe ------------------------------------------------------------ */

int volume_delete_async(Volume *v, unsigned flags, sd_bus_message *msg, sd_bus_error *error) {
        VolCall *c;
        int r;

        if (flags & VOL_DELETE_WITH_SNAPSHOTS)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "deleting with snapshots is not supported");
        if (flags & ~VOL_DELETE_ZEROED)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        if ((r = volume_check_idle(v, "delete", error)) < 0)
                return r;
        c = vol_call_new(v, VOL_OP_DELETE, msg);
        if (!c)
                return -ENOMEM;
        if (flags & VOL_DELETE_ZEROED)
                c->alg = wipe_algorithm(WIPE_ALG_ZERO);
        return run_call(c, true, error);
}

/* libvirt's rules for the new capacity. */
static int resize_target(const Volume *v, uint64_t arg, unsigned flags, uint64_t *ret, sd_bus_error *error) {
        uint64_t cur = v->info.capacity, want;

        if (flags & VOL_RESIZE_DELTA) {
                if (flags & VOL_RESIZE_SHRINK) {
                        if (arg > cur)
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "cannot shrink volume '%s' by %" PRIu64 " bytes: its capacity is %" PRIu64,
                                                     v->name, arg, cur);
                        want = cur - arg;
                } else {
                        if (arg > STORAGE_SIZE_MAX - cur)
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "capacity %" PRIu64 " + %" PRIu64 " overflows (at most %" PRIu64 " bytes)",
                                                     cur, arg, STORAGE_SIZE_MAX);
                        want = cur + arg;
                }
        } else
                want = arg;
        if (want > STORAGE_SIZE_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "capacity %" PRIu64 " overflows (at most %" PRIu64 " bytes)",
                                     want, STORAGE_SIZE_MAX);
        if (want == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "capacity of volume '%s' cannot be 0", v->name);
        if (want < cur && !(flags & VOL_RESIZE_SHRINK))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "cannot shrink volume '%s' from %" PRIu64 " to %" PRIu64
                                     " bytes without the shrink flag", v->name, cur, want);
        if (want > cur && (flags & VOL_RESIZE_SHRINK))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "cannot grow volume '%s' from %" PRIu64 " to %" PRIu64 " bytes with the shrink flag",
                                     v->name, cur, want);
        *ret = want;
        return 0;
}

int volume_resize_async(Volume *v, uint64_t capacity, unsigned flags, sd_bus_message *msg, sd_bus_error *error) {
        Pool *p = v->pool;
        uint64_t want = 0;
        VolCall *c;
        int r;

        if (flags & ~(VOL_RESIZE_ALLOCATE | VOL_RESIZE_DELTA | VOL_RESIZE_SHRINK))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        if ((r = volume_check_idle(v, "resize", error)) < 0 || (r = resize_target(v, capacity, flags, &want, error)) < 0)
                return r;
        /* growing the file would not grow the LUKS payload's size, and
         * truncating it would cut the ciphertext (qemu-img resize would need
         * the passphrase, as libvirt does) */
        if (v->info.encryption.format != STORAGE_ENC_NONE)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "cannot resize volume '%s': resizing an encrypted volume is not supported", v->name);
        if ((flags & VOL_RESIZE_ALLOCATE) && want > v->info.allocation && want - v->info.allocation > p->available)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "not enough space left in pool '%s': %" PRIu64 " bytes needed, %" PRIu64 " available",
                                     p->def->name, want - v->info.allocation, p->available);
        c = vol_call_new(v, VOL_OP_RESIZE, msg);
        if (!c)
                return -ENOMEM;
        c->req->capacity = want;
        c->req->flags = flags;
        /* Only shrinking hurts a guest that uses the volume. */
        return run_call(c, want < v->info.capacity, error);
}

int volume_wipe_async(Volume *v, unsigned algorithm, unsigned flags, sd_bus_message *msg, sd_bus_error *error) {
        const WipeAlgorithm *alg = wipe_algorithm(algorithm);
        VolCall *c;
        int r;

        if (!alg)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "wiping algorithm %u is not supported (0 to %d)",
                                     algorithm, _WIPE_ALG_MAX - 1);
        if ((r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (alg->method == WIPE_METHOD_SCRUB && !command_find("scrub"))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "wiping with '%s' needs scrub, which is not installed",
                                     alg->name);
        if ((r = volume_check_idle(v, "wipe", error)) < 0)
                return r;
        /* a wiped qcow2 volume is made again empty, which needs the passphrase */
        if (v->info.format == STORAGE_FORMAT_QCOW2 && v->info.encryption.format != STORAGE_ENC_NONE)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "cannot wipe volume '%s': wiping an encrypted qcow2 volume is not supported",
                                     v->name);
        c = vol_call_new(v, VOL_OP_WIPE, msg);
        if (!c)
                return -ENOMEM;
        c->alg = alg;
        return run_call(c, true, error);
}

/* ---- upload, download -------------------------------------------------------------- */

static int check_fd_access(int fd, bool upload, sd_bus_error *error) {
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "bad file descriptor: %m");
        if (upload && (fl & O_ACCMODE) == O_WRONLY)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the file descriptor is not open for reading");
        if (!upload && (fl & O_ACCMODE) == O_RDONLY)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the file descriptor is not open for writing");
        return 0;
}

int volume_transfer_async(Volume *v, bool upload, int fd, uint64_t offset, uint64_t length, unsigned flags,
                          sd_bus_message *msg, sd_bus_error *error) {
        ConfError err = {};
        uint64_t len;
        VolCall *c;
        int r;

        if ((r = bus_check_flags(flags, VOL_TRANSFER_SPARSE, error)) >= 0 &&
            (r = volume_check_idle(v, upload ? "upload to" : "download from", error)) >= 0 &&
            (r = check_fd_access(fd, upload, error)) >= 0 &&
            transfer_check_range(v->name, offset, length, volume_transfer_limit(v), &len, &err) < 0)
                r = vb_error_setf(error, err.name, "%s", err.message);
        if (r < 0)
                return r;
        c = vol_call_new(v, upload ? VOL_OP_UPLOAD : VOL_OP_DOWNLOAD, msg);
        if (!c)
                return -ENOMEM;
        c->transfer = (TransferRequest) {
                .client_fd = fd,
                .volume_fd = -1,
                .offset = offset,
                .length = len,
                .to_end = length == 0 || (int64_t) length < 0,
                .fsync = upload,
        };
        return run_call(c, false, error);
}
