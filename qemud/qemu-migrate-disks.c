/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Migration with copied storage (NON_SHARED_DISK / _INC), libvirt's way:
 * the destination creates the disks its guest will use, QEMU there
 * exports them writable over NBD (the port and the disks go back in the
 * cookie's <nbd>); the source's QEMU mirrors each disk into its export
 * (blockdev-add of an nbd node, blockdev-mirror), the memory goes once all
 * mirrors are ready, and while the guest is paused after it the mirrors are
 * cancelled (a ready mirror's cancel ends it in sync, as libvirt does). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-blockjob-internal.h"
#include "qemu-command.h"
#include "qemu-domain.h"
#include "qemu-migrate-internal.h"
#include "qemu-monitor.h"
#include "storaged-client.h"
#include "util.h"

extern char **environ;

#define MIRROR_POLL_USEC (50 * 1000ULL)
/* A cancelled mirror ends at once; this bounds the wait of a cleanup. */
#define CLEANUP_POLLS 200

static bool disk_copyable(const DomainDiskDef *disk) {
        return disk->src && !disk->readonly && !disk->shareable && disk->device == DOMAIN_DISK_DEVICE_DISK;
}

int migration_disks_select(const DomainDef *def, char *const *wanted, char ***ret, char *msg, size_t msg_size) {
        _cleanup_(strv_freep) char **out = NULL;

        for (size_t i = 0; wanted && wanted[i]; i++) {
                const DomainDiskDef *disk = NULL;
                for (size_t k = 0; k < def->n_disks && !disk; k++)
                        if (streq(def->disks[k].dst, wanted[i]))
                                disk = &def->disks[k];
                if (!disk) {
                        snprintf(msg, msg_size, "migrate_disks names '%s': domain '%s' has no such disk", wanted[i],
                                 def->name);
                        return -ENOENT;
                }
                if (!disk_copyable(disk)) {
                        snprintf(msg, msg_size, "disk '%s' cannot be copied (read-only, shareable, a cdrom or "
                                 "without a source)", wanted[i]);
                        return -EINVAL;
                }
        }
        for (size_t k = 0; k < def->n_disks; k++) {
                const DomainDiskDef *disk = &def->disks[k];
                bool asked = false;
                for (size_t i = 0; wanted && wanted[i] && !asked; i++)
                        asked = streq(wanted[i], disk->dst);
                if ((wanted && wanted[0]) ? !asked : !disk_copyable(disk))
                        continue;
                if (strv_extend(&out, disk->dst) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static const DomainDiskDef *disk_by_target(const DomainDef *def, const char *dst) {
        for (size_t k = 0; k < def->n_disks; k++)
                if (streq(def->disks[k].dst, dst))
                        return &def->disks[k];
        return NULL;
}

/* The guest-visible size of an image: a qcow2 header says it (bytes
 * 24..31, big endian), anything else is its size. */
int migration_image_capacity(const char *path, uint64_t *ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned char h[32];
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (pread(fd, h, sizeof(h), 0) == (ssize_t) sizeof(h) && memcmp(h, "QFI\xfb", 4) == 0) {
                uint64_t v = 0;
                for (size_t i = 24; i < 32; i++)
                        v = (v << 8) | h[i];
                *ret = v;
                return 0;
        }
        if (S_ISBLK(st.st_mode)) {
                off_t end = lseek(fd, 0, SEEK_END);
                if (end < 0)
                        return -errno;
                *ret = (uint64_t) end;
                return 0;
        }
        *ret = (uint64_t) st.st_size;
        return 0;
}

/* --- Begin3: what the destination must create ------------------------------------ */

int migration_disks_begin(Domain *d, const MigrateParams *p, unsigned flags, MigrationCookie *c,
                          sd_bus_error *error) {
        _cleanup_(strv_freep) char **sel = NULL;
        char msg[512];
        int r = migration_disks_select(domain_current_def(d, false), p->disks, &sel, msg, sizeof(msg));

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "%s", msg);
        if (flags & MIGRATE_NON_SHARED_INC)
                qemu_blockjob_fill_chains(d); /* the overlays' backing files */
        for (size_t i = 0; sel && sel[i]; i++) {
                const DomainDiskDef *disk = disk_by_target(domain_current_def(d, false), sel[i]);
                uint64_t cap = 0;
                r = migration_image_capacity(disk->src, &cap);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot read the size of disk '%s' (%s): %s",
                                             disk->dst, disk->src, strerror(-r));
                if (migration_cookie_add_nbd_disk(c, disk->dst, cap) < 0)
                        return -ENOMEM;
                /* INC copies the top image only: B makes an overlay of the
                 * same backing file, which it must have */
                if ((flags & MIGRATE_NON_SHARED_INC) && disk->n_backing > 0 &&
                    migration_cookie_set_nbd_backing(c, disk->backing[0].path,
                                                     disk->backing[0].format == DOMAIN_DISK_FORMAT_NONE ? NULL :
                                                     domain_disk_format_to_string(disk->backing[0].format)) < 0)
                        return -ENOMEM;
        }
        if (!sel || !sel[0])
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "copy-storage migration of domain '%s': it has no disk to copy", d->def->name);
        return 0;
}

/* --- Prepare3: the destination's disks ---------------------------------------------- */

/* Nothing but holes: a file made for this (truncate, qemu-img create of a raw). */
static bool file_is_empty_raw(const char *path, uint64_t cap) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if (st.st_size != 0 && (uint64_t) st.st_size != cap)
                return false;
        return lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO;
}

/* backing: the overlay's backing file (qcow2 only), bfmt its format or NULL. */
static int create_file(const char *path, const char *fmt, uint64_t cap, const char *backing, const char *bfmt,
                       char *why, size_t why_size) {
        char size[32];
        char *argv[16] = { (char *) "qemu-img", (char *) "create", (char *) "-q", (char *) "-f", (char *) fmt };
        size_t n = 5;
        pid_t pid;
        int status;

        snprintf(size, sizeof(size), "%" PRIu64, cap);
        if (backing) {
                argv[n++] = (char *) "-b";
                argv[n++] = (char *) backing;
                if (bfmt) {
                        argv[n++] = (char *) "-F";
                        argv[n++] = (char *) bfmt;
                }
        }
        argv[n++] = (char *) path;
        argv[n++] = size;
        if (streq(fmt, "raw")) {
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 || ftruncate(fd, (off_t) cap) < 0) {
                        snprintf(why, why_size, "%s", strerror(errno));
                        return -errno;
                }
                return 0;
        }
        /* the daemon waits: making an empty image is quick */
        int r = posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ);
        if (r != 0) {
                snprintf(why, why_size, "cannot run qemu-img: %s", strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                snprintf(why, why_size, "qemu-img create failed");
                return -EIO;
        }
        return 0;
}

/* The backing file B's overlay names: INC of an overlay only. */
static const char *backing_of(const QemuMigration *g, const MigrationCookieDisk *cd) {
        return (g->flags & MIGRATE_NON_SHARED_INC) ? cd->backing : NULL;
}

/* INC of an overlay: B has its backing file, and the disk is a qcow2. */
static int check_backing(const QemuMigration *g, const DomainDiskDef *disk, const MigrationCookieDisk *cd,
                         sd_bus_error *error) {
        const char *backing = backing_of(g, cd);

        if (!backing)
                return 0;
        if (disk->format != DOMAIN_DISK_FORMAT_QCOW2)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "disk '%s': copy-storage-inc of an overlay needs a qcow2 disk on this host to "
                                     "back it with '%s'", cd->target, backing);
        if (access(backing, R_OK) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "disk '%s': its backing file '%s' is not on this host (%s); copy-storage-inc "
                                     "copies the top image only, the rest of the chain must be here",
                                     cd->target, backing, strerror(errno));
        return 0;
}

int migration_disks_precreate(QemuMigration *g, const DomainDef *def, const MigrationCookie *c, sd_bus_error *error) {
        char why[256] = "";
        int r;

        g->created = strv_free_null(g->created);
        g->nbd_disks = strv_free_null(g->nbd_disks);
        if (!(c->present & MIGRATION_FEATURE_NBD) || c->n_nbd_disks == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "copy-storage migration: the source's cookie names no disk to copy");
        for (size_t i = 0; i < c->n_nbd_disks; i++) {
                const MigrationCookieDisk *cd = &c->nbd_disks[i];
                const DomainDiskDef *disk = disk_by_target(def, cd->target);
                struct stat st;
                if (!disk || (!disk->src && disk->type != DOMAIN_DISK_TYPE_VOLUME))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "copy-storage migration: the destination's definition has no disk "
                                             "'%s' with a source", cd->target);
                if (strv_extend(&g->nbd_disks, cd->target) < 0)
                        return -ENOMEM;
                if (disk->type == DOMAIN_DISK_TYPE_VOLUME)
                        continue; /* storaged made it (migration_volumes_create) */
                if (stat(disk->src, &st) >= 0) {
                        if (S_ISBLK(st.st_mode) || file_is_empty_raw(disk->src, cd->capacity))
                                continue; /* made for it: the copy fills it */
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "disk '%s': '%s' exists on this host with other content; a "
                                             "copy-storage migration does not overwrite it", cd->target, disk->src);
                }
                r = check_backing(g, disk, cd, error);
                if (r < 0)
                        return r;
                if (create_file(disk->src, disk->format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : "raw", cd->capacity,
                                backing_of(g, cd), cd->backing_format, why, sizeof(why)) < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot create disk '%s' (%s): %s",
                                             cd->target, disk->src, why);
                log_info("Created %s (%" PRIu64 " bytes) for an incoming copy of disk %s", disk->src, cd->capacity,
                         cd->target);
                if (strv_extend(&g->created, disk->src) < 0)
                        return -ENOMEM;
        }
        return 0;
}

void qemu_migrate_disks_discard(Domain *d) {
        QemuMigration *g = qemu_domain(d) ? qemu_domain(d)->migration : NULL;

        if (!g)
                return;
        migration_volumes_delete(d->manager, g->created_volumes);
        g->created_volumes = strv_free_null(g->created_volumes);
        for (size_t i = 0; g->created && g->created[i]; i++) {
                log_info("Removing %s, made for the migration of %s that did not arrive", g->created[i], d->def->name);
                if (unlink(g->created[i]) < 0 && errno != ENOENT)
                        log_warning("Cannot remove %s: %m", g->created[i]);
        }
        g->created = strv_free_null(g->created);
}

/* --- Prepare3: the NBD server, after migrate-incoming ------------------------------ */

static json_object *obj_str(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value));
        return o;
}

static char *export_name(const DomainDef *def, const DomainDiskDef *disk) {
        _cleanup_free_ char *alias = NULL;
        char *s;

        if (qemu_command_disk_alias(def, disk, &alias) < 0 || asprintf(&s, "drive-%s", alias) < 0)
                return NULL;
        return s;
}

typedef struct NbdStart {
        Domain *d;
        qemu_incoming_fn done;
        unsigned pending;
        char *error;
} NbdStart;

static void on_nbd_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        NbdStart *s = userdata;

        if (error_class && !s->error)
                s->error = strdup(error_desc ? error_desc : error_class);
        if (--s->pending > 0)
                return;
        if (s->error)
                log_error("Cannot export the disks of %s over NBD: %s", s->d->def->name, s->error);
        s->done(s->d, s->error ? -EIO : 0, s->error);
        free(s->error);
        free(s);
}

static int nbd_send(NbdStart *s, const char *cmd, json_object *args) {
        int r = qemu_monitor_command(qemu_domain(s->d)->mon, cmd, args, on_nbd_reply, s);

        if (r >= 0)
                s->pending++;
        return r;
}

int migration_disks_serve(Domain *d, const char *listen, int port, qemu_incoming_fn done) {
        QemuMigration *g = qemu_domain(d)->migration;
        NbdStart *s = calloc(1, sizeof(*s));
        char portbuf[16];
        json_object *addr, *data, *args;
        int r;

        if (!s)
                return -ENOMEM;
        *s = (NbdStart) { .d = d, .done = done };
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        data = obj_str(obj_str(json_object_new_object(), "host", listen), "port", portbuf);
        addr = obj_str(json_object_new_object(), "type", "inet");
        json_object_object_add(addr, "data", data);
        args = json_object_new_object();
        json_object_object_add(args, "addr", addr);
        /* one pending reply held until all are sent, so done runs once */
        s->pending = 1;
        r = nbd_send(s, "nbd-server-start", args);
        for (size_t i = 0; r >= 0 && g->nbd_disks && g->nbd_disks[i]; i++) {
                const DomainDiskDef *disk = disk_by_target(domain_current_def(d, false), g->nbd_disks[i]);
                _cleanup_free_ char *name = disk ? export_name(domain_current_def(d, false), disk) : NULL;
                _cleanup_free_ char *alias = NULL, *node = NULL, *id = NULL;
                if (!name || qemu_command_disk_alias(domain_current_def(d, false), disk, &alias) < 0 ||
                    asprintf(&node, "%s-fmt", alias) < 0 || asprintf(&id, "migrate-%s", disk->dst) < 0) {
                        r = -ENOMEM;
                        break;
                }
                args = obj_str(obj_str(obj_str(obj_str(json_object_new_object(), "type", "nbd"), "id", id),
                                       "node-name", node), "name", name);
                json_object_object_add(args, "writable", json_object_new_boolean(true));
                r = nbd_send(s, "block-export-add", args);
        }
        if (r < 0 && !s->error)
                s->error = strdup("cannot talk to QEMU's monitor");
        /* the held reply */
        on_nbd_reply(NULL, NULL, NULL, NULL, s);
        return 0;
}

void migration_disks_stop_server(Domain *d) {
        QemuMigration *g = qemu_domain(d)->migration;

        if (!g || !g->nbd_disks || !qemu_domain(d)->mon)
                return;
        (void) qemu_monitor_command(qemu_domain(d)->mon, "nbd-server-stop", NULL, NULL, NULL);
}

int migration_disks_cookie(QemuMigration *g, MigrationCookie *c) {
        c->nbd_port = g->nbd_port;
        for (size_t i = 0; g->nbd_disks && g->nbd_disks[i]; i++)
                if (migration_cookie_add_nbd_disk(c, g->nbd_disks[i], 0) < 0)
                        return -ENOMEM;
        return 0;
}

/* --- Perform3: the mirrors ------------------------------------------------------- */

static void mirrors_failed(QemuMigration *g, const char *why) {
        migration_disks_fn done = g->disks_done;

        g->disks_done = NULL;
        if (done)
                done(g, -EIO, why);
}

static void mirrors_succeeded(QemuMigration *g) {
        migration_disks_fn done = g->disks_done;

        g->disks_done = NULL;
        if (done)
                done(g, 0, NULL);
}

/* The job of ours in a query-block-jobs answer, or NULL. */
static json_object *find_job(json_object *result, const char *target) {
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        char id[64];

        snprintf(id, sizeof(id), "migrate-%s", target);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i);
                if (streq_ptr(json_str(e, "device"), id))
                        return e;
        }
        return NULL;
}

static int on_mirror_poll(sd_event_source *src, uint64_t usec, void *userdata);

static int schedule(QemuMigration *g) {
        uint64_t delay = g->kick ? 0 : MIRROR_POLL_USEC;

        g->kick = false;
        g->timer = sd_event_source_disable_unref(g->timer);
        g->poll_fn = NULL; /* MIGRATION events are not ours to act on */
        return sd_event_add_time_relative(g->d->manager->event, &g->timer, CLOCK_MONOTONIC, delay,
                                          POLL_ACCURACY_USEC, on_mirror_poll, g);
}

static bool is_ours(const QemuMigration *g, const char *device) {
        char id[64];

        for (size_t i = 0; device && g->nbd_disks && g->nbd_disks[i]; i++) {
                snprintf(id, sizeof(id), "migrate-%s", g->nbd_disks[i]);
                if (streq(id, device))
                        return true;
        }
        return false;
}

/* After the cancels, each mirror's end is its event: no query-block-jobs
 * round trip in the guest's pause. Returns true once all have ended. */
static bool count_ended(QemuMigration *g, const char *event, json_object *data) {
        if (!g->cancels_sent || (!streq(event, "BLOCK_JOB_COMPLETED") && !streq(event, "BLOCK_JOB_CANCELLED")) ||
            !is_ours(g, json_str(data, "device")))
                return false;
        /* a cancelled ready mirror completes in sync; an error is no copy */
        if (streq(event, "BLOCK_JOB_CANCELLED") || json_str(data, "error"))
                g->mirror_error = true;
        g->mirrors_ended++;
        return g->mirrors_ended >= strv_length(g->nbd_disks);
}

static void mirrors_all_ended(QemuMigration *g) {
        g->timer = sd_event_source_disable_unref(g->timer);
        if (g->mirror_error)
                mirrors_failed(g, "a copy of the disks ended with an error before it was in sync");
        else
                mirrors_succeeded(g);
}

void migration_disks_on_event(QemuMigration *g, const char *event, json_object *data) {
        bool all = g->nbd_disks && count_ended(g, event, data);

        if (!g->disks_done || !migration_job_alive(g) || !g->nbd_disks)
                return;
        if (all && g->mirrors_ending) {
                mirrors_all_ended(g);
                return;
        }
        if (!streq(event, "BLOCK_JOB_READY") && !streq(event, "BLOCK_JOB_COMPLETED") &&
            !streq(event, "BLOCK_JOB_CANCELLED") && !streq(event, "BLOCK_JOB_ERROR"))
                return;
        if (!g->timer) {
                g->kick = true; /* a query is under way: the one after it goes at once */
                return;
        }
        g->timer = sd_event_source_disable_unref(g->timer);
        (void) on_mirror_poll(NULL, 0, g);
}

/* The mirrors' figures (their "len" and "offset") for GetJobStats. */
static void disk_stats(QemuMigration *g, json_object *result) {
        uint64_t total = 0, done = 0;
        bool any = false;

        for (size_t i = 0; g->nbd_disks && g->nbd_disks[i]; i++) {
                json_object *j = find_job(result, g->nbd_disks[i]), *v;
                if (!j)
                        continue;
                any = true;
                total += json_object_object_get_ex(j, "len", &v) ? (uint64_t) json_object_get_int64(v) : 0;
                done += json_object_object_get_ex(j, "offset", &v) ? (uint64_t) json_object_get_int64(v) : 0;
        }
        if (!any)
                return; /* ended: the last figures stay */
        g->now.has_disk = true;
        g->now.disk_total = total;
        g->now.disk_processed = done < total ? done : total;
        g->now.disk_remaining = total - g->now.disk_processed;
        if (!g->now.has_memory) {
                g->now.data_total = g->now.disk_total;
                g->now.data_processed = g->now.disk_processed;
                g->now.data_remaining = g->now.disk_remaining;
        }
}

/* Until each mirror is ready (before the memory), or gone (after cancel). */
static void on_jobs(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                    void *userdata) {
        QemuMigration *g = userdata;
        size_t ready = 0, left = 0;

        if (!migration_job_alive(g) || !g->disks_done)
                return;
        if (error_class)
                return mirrors_failed(g, error_desc ? error_desc : error_class);
        disk_stats(g, result);
        for (size_t i = 0; g->nbd_disks && g->nbd_disks[i]; i++) {
                json_object *j = find_job(result, g->nbd_disks[i]);
                json_object *v;
                if (!j) {
                        if (!g->mirrors_ending) {
                                char msg[256];
                                snprintf(msg, sizeof(msg), "the copy of disk '%s' ended before it was in sync",
                                         g->nbd_disks[i]);
                                return mirrors_failed(g, msg);
                        }
                        continue;
                }
                left++;
                if (json_object_object_get_ex(j, "ready", &v) && json_object_get_boolean(v))
                        ready++;
        }
        if (g->mirrors_ending ? left == 0 : ready == left) {
                g->timer = sd_event_source_disable_unref(g->timer);
                return mirrors_succeeded(g);
        }
        if (g->cancelled && !g->mirrors_ending)
                return mirrors_failed(g, "cancelled");
        if (schedule(g) < 0)
                mirrors_failed(g, "cannot watch the copy of the disks");
}

static int on_mirror_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuMigration *g = userdata;
        QemuMonitor *mon = qemu_domain(g->d)->mon;

        g->timer = sd_event_source_disable_unref(g->timer);
        if (!mon || qemu_monitor_command(mon, "query-block-jobs", NULL, on_jobs, g) < 0)
                mirrors_failed(g, "cannot talk to QEMU's monitor");
        return 0;
}

typedef struct MirrorStart {
        QemuMigration *g;
        unsigned pending;
        char *error;
} MirrorStart;

static void on_mirror_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                            void *userdata) {
        MirrorStart *s = userdata;
        QemuMigration *g = s->g;

        if (error_class && !s->error)
                s->error = strdup(error_desc ? error_desc : error_class);
        if (--s->pending > 0)
                return;
        if (!s->error && schedule(g) < 0)
                s->error = strdup("cannot watch the copy of the disks");
        if (s->error && g->disks_done)
                mirrors_failed(g, s->error);
        free(s->error);
        free(s);
}

static int mirror_send(MirrorStart *s, const char *cmd, json_object *args) {
        int r = qemu_monitor_command(qemu_domain(s->g->d)->mon, cmd, args, on_mirror_reply, s);

        if (r >= 0)
                s->pending++;
        return r;
}

static int start_one(MirrorStart *s, json_object *blocks, const DomainDiskDef *disk) {
        QemuMigration *g = s->g;
        _cleanup_free_ char *alias = NULL, *name = export_name(domain_current_def(g->d, false), disk), *id = NULL;
        json_object *server, *a;
        const char *node;
        char port[16];

        if (!name || qemu_command_disk_alias(domain_current_def(g->d, false), disk, &alias) < 0 ||
            asprintf(&id, "migrate-%s", disk->dst) < 0)
                return -ENOMEM;
        node = json_str(json_child(blockjob_find_block_entry(blocks, alias), "inserted"), "node-name");
        if (!node)
                return -ENODEV;
        snprintf(port, sizeof(port), "%d", g->nbd_port);
        server = obj_str(obj_str(obj_str(json_object_new_object(), "type", "inet"), "host", g->nbd_host), "port",
                         port);
        a = obj_str(obj_str(obj_str(json_object_new_object(), "driver", "nbd"), "node-name", id), "export", name);
        json_object_object_add(a, "server", server);
        if (mirror_send(s, "blockdev-add", a) < 0)
                return -EIO;
        a = obj_str(obj_str(obj_str(json_object_new_object(), "job-id", id), "device", node), "target", id);
        obj_str(a, "sync", (g->flags & MIGRATE_NON_SHARED_INC) ? "top" : "full");
        if (g->mirror_speed)
                json_object_object_add(a, "speed", json_object_new_int64((int64_t) g->mirror_speed));
        if (g->flags & MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES)
                obj_str(a, "copy-mode", "write-blocking");
        return mirror_send(s, "blockdev-mirror", a) < 0 ? -EIO : 0;
}

static void on_blocks(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                      void *userdata) {
        QemuMigration *g = userdata;
        MirrorStart *s;
        int r = 0;

        if (!migration_job_alive(g) || !g->disks_done)
                return;
        if (error_class)
                return mirrors_failed(g, error_desc ? error_desc : error_class);
        s = calloc(1, sizeof(*s));
        if (!s)
                return mirrors_failed(g, "out of memory");
        *s = (MirrorStart) { .g = g, .pending = 1 };
        g->mirrors_started = true;
        for (size_t i = 0; r >= 0 && g->nbd_disks && g->nbd_disks[i]; i++) {
                const DomainDiskDef *disk = disk_by_target(domain_current_def(g->d, false), g->nbd_disks[i]);
                r = disk ? start_one(s, result, disk) : -ENODEV;
                if (r < 0 && !s->error)
                        (void) asprintf(&s->error, "cannot start the copy of disk '%s': %s", g->nbd_disks[i],
                                        r == -ENODEV ? "QEMU has no such disk" : strerror(-r));
        }
        on_mirror_reply(NULL, NULL, NULL, NULL, s);
}

/* The destination's NBD server: the host of disks_uri, else of the
 * migration's URI; the port the destination's cookie gives. */
static int nbd_target(QemuMigration *g, const MigrateParams *p, const char *uri, const MigrationCookie *c,
                      sd_bus_error *error) {
        const char *from = *p->disks_uri ? p->disks_uri : uri;
        const char *rest = migration_skip_prefix(from, "tcp://") ?: migration_skip_prefix(from, "tcp:");
        const char *colon;

        if (!rest)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "disks URI '%s' is not supported: only tcp://host[:port]", from);
        colon = strrchr(rest, ':');
        if (*rest == '[')
                colon = strchr(rest, ']') ? strchr(rest, ']') + 1 : NULL;
        free(g->nbd_host);
        g->nbd_host = *rest == '[' ? strndup(rest + 1, colon ? (size_t) (colon - rest - 2) : strlen(rest) - 1)
                                   : strndup(rest, colon && *colon == ':' ? (size_t) (colon - rest) : strlen(rest));
        if (!g->nbd_host)
                return -ENOMEM;
        g->nbd_port = c->nbd_port;
        if (*p->disks_uri && colon && *colon == ':' && safe_atoi(colon + 1, &g->nbd_port) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "disks URI '%s' has a bad port", from);
        if (g->nbd_port <= 0 || g->nbd_port > 65535)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "the destination did not say where its NBD server listens (no <nbd port> in "
                                     "its cookie)");
        return 0;
}

int migration_disks_mirror(QemuMigration *g, const MigrateParams *p, const char *uri, const MigrationCookie *c,
                           migration_disks_fn done, sd_bus_error *error) {
        uint64_t mib;
        char msg[512];
        int r;

        g->nbd_disks = strv_free_null(g->nbd_disks);
        g->mirrors_started = g->mirrors_ending = g->cancels_sent = g->mirror_error = false;
        g->mirrors_ended = 0;
        r = migration_disks_select(domain_current_def(g->d, false), p->disks, &g->nbd_disks, msg, sizeof(msg));
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "%s", msg);
        for (size_t i = 0; g->nbd_disks && g->nbd_disks[i]; i++) {
                bool there = false;
                for (size_t k = 0; k < c->n_nbd_disks && !there; k++)
                        there = streq(c->nbd_disks[k].target, g->nbd_disks[i]);
                if (!there)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "the destination does not export disk '%s' (its cookie's <nbd>)",
                                             g->nbd_disks[i]);
        }
        r = nbd_target(g, p, uri, c, error);
        if (r < 0)
                return r;
        mib = p->has_bandwidth ? p->bandwidth : g->max_speed_mib;
        g->mirror_speed = mib > 0 && mib < (1ULL << 40) ? mib << 20 : 0;
        g->disks_done = done;
        log_info("Copying the disks of %s to %s:%d over NBD", g->d->def->name, g->nbd_host, g->nbd_port);
        if (qemu_monitor_command(qemu_domain(g->d)->mon, "query-block", NULL, on_blocks, g) < 0) {
                g->disks_done = NULL;
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        }
        return 0;
}

static void send_each(QemuMigration *g, const char *cmd, const char *key, bool force) {
        QemuMonitor *mon = qemu_domain(g->d)->mon;

        for (size_t i = 0; mon && g->nbd_disks && g->nbd_disks[i]; i++) {
                json_object *a = json_object_new_object();
                char id[64];
                snprintf(id, sizeof(id), "migrate-%s", g->nbd_disks[i]);
                obj_str(a, key, id);
                if (force)
                        json_object_object_add(a, "force", json_object_new_boolean(true));
                (void) qemu_monitor_command(mon, cmd, a, NULL, NULL);
        }
}

/* The guest is paused: a ready mirror's cancel leaves the copy in sync. */
void migration_disks_end(QemuMigration *g) {
        if (!g->mirrors_started || g->cancels_sent)
                return;
        g->cancels_sent = true;
        send_each(g, "block-job-cancel", "device", false);
}

int migration_disks_complete(QemuMigration *g, migration_disks_fn done) {
        if (!g->mirrors_started)
                return 0;
        g->mirrors_ending = true;
        g->disks_done = done;
        migration_disks_end(g);
        if (g->mirrors_ended >= strv_length(g->nbd_disks)) {
                mirrors_all_ended(g); /* their events came before query-migrate's answer */
                return 1;
        }
        if (schedule(g) < 0) {
                g->disks_done = NULL;
                return -ENOMEM;
        }
        return 1;
}

void migration_disks_forget_nodes(QemuMigration *g) {
        if (!g->mirrors_started)
                return;
        send_each(g, "blockdev-del", "node-name", false);
        g->mirrors_started = g->mirrors_ending = false;
}

/* --- a failure: the mirrors go, detached from the call ---------------------------- */

static int on_cleanup_poll(sd_event_source *src, uint64_t usec, void *userdata);

static void on_cleanup_jobs(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                            void *userdata) {
        QemuMigration *g = userdata;
        bool left = false;

        for (size_t i = 0; !error_class && g->nbd_disks && g->nbd_disks[i]; i++)
                left = left || find_job(result, g->nbd_disks[i]);
        if (left && !error_class && ++g->cleanup_polls < CLEANUP_POLLS &&
            sd_event_add_time_relative(g->d->manager->event, &g->cleanup_timer, CLOCK_MONOTONIC, MIRROR_POLL_USEC,
                                       POLL_ACCURACY_USEC, on_cleanup_poll, g) >= 0)
                return;
        migration_disks_forget_nodes(g);
}

static int on_cleanup_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuMigration *g = userdata;
        QemuMonitor *mon = qemu_domain(g->d)->mon;

        g->cleanup_timer = sd_event_source_disable_unref(g->cleanup_timer);
        if (!mon || qemu_monitor_command(mon, "query-block-jobs", NULL, on_cleanup_jobs, g) < 0)
                g->mirrors_started = false;
        return 0;
}

void migration_disks_abandon(QemuMigration *g) {
        g->disks_done = NULL;
        if (!g->mirrors_started)
                return;
        log_info("Cancelling the copies of the disks of %s", g->d->def->name);
        send_each(g, "block-job-cancel", "device", true);
        g->cleanup_polls = 0;
        g->cleanup_timer = sd_event_source_disable_unref(g->cleanup_timer);
        (void) on_cleanup_poll(NULL, 0, g);
}

/* --- Prepare3: storaged volumes as copied disks ------------------------------------ */

typedef struct VolumeCreate {
        Manager *m;
        const DomainDef *def;
        const MigrationCookie *c;
        size_t next;              /* the cookie's disk looked at next */
        char **created;           /* the volumes' objects, in storaged */
        migration_volumes_fn done;
        void *userdata;
} VolumeCreate;

static const DomainDiskDef *copied_volume(const VolumeCreate *v, size_t i) {
        const DomainDiskDef *disk = disk_by_target(v->def, v->c->nbd_disks[i].target);

        return disk && disk->type == DOMAIN_DISK_TYPE_VOLUME ? disk : NULL;
}

bool migration_disks_have_volumes(const DomainDef *def, const MigrationCookie *c) {
        VolumeCreate v = { .def = def, .c = c };

        for (size_t i = 0; i < c->n_nbd_disks; i++)
                if (copied_volume(&v, i))
                        return true;
        return false;
}

static void volumes_end(VolumeCreate *v, int r, const sd_bus_error *error) {
        if (r < 0) {
                migration_volumes_delete(v->m, v->created);
                v->created = strv_free_null(v->created);
        }
        v->done(r, error, TAKE_PTR(v->created), v->userdata);
        free(v);
}

static void volumes_next(VolumeCreate *v);

static int on_volume_created(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        VolumeCreate *v = userdata;
        const DomainDiskDef *disk = copied_volume(v, v->next);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *path;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *be = sd_bus_message_get_error(reply);
                sd_bus_error_setf(&e, VB_ERROR_OPERATION_INVALID,
                                  "disk '%s': volume '%s' of pool '%s' cannot be made on this host for the copy: %s",
                                  disk->dst, disk->src_volume, disk->src_pool, be->message ?: be->name);
                volumes_end(v, -EEXIST, &e);
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &path) < 0 || strv_extend(&v->created, path) < 0) {
                volumes_end(v, -ENOMEM, NULL);
                return 0;
        }
        log_info("Created volume %s/%s (%" PRIu64 " bytes) for an incoming copy of disk %s", disk->src_pool,
                 disk->src_volume, v->c->nbd_disks[v->next].capacity, disk->dst);
        v->next++;
        volumes_next(v);
        return 0;
}

static int on_pool_found(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        VolumeCreate *v = userdata;
        const DomainDiskDef *disk = copied_volume(v, v->next);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *xml = NULL;
        const char *pool;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *be = sd_bus_message_get_error(reply);
                sd_bus_error_setf(&e, be->name, "disk '%s': pool '%s' on this host: %s", disk->dst, disk->src_pool,
                                  be->message ?: be->name);
                volumes_end(v, -ENOENT, &e);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &pool);
        if (r >= 0 && asprintf(&xml, "<volume><name>%s</name><capacity unit='bytes'>%" PRIu64 "</capacity>"
                               "<target><format type='%s'/></target></volume>", disk->src_volume,
                               v->c->nbd_disks[v->next].capacity,
                               disk->format == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : "raw") < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = sd_bus_call_method_async(v->m->bus, NULL, STORAGED_SERVICE, pool, "org.libvirt.StoragePool",
                                             "StorageVolCreateXML", on_volume_created, v, "su", xml, 0);
        if (r < 0)
                volumes_end(v, r, NULL);
        return 0;
}

static void volumes_next(VolumeCreate *v) {
        const DomainDiskDef *disk;
        int r;

        while (v->next < v->c->n_nbd_disks && !copied_volume(v, v->next))
                v->next++;
        if (v->next == v->c->n_nbd_disks) {
                volumes_end(v, 0, NULL);
                return;
        }
        disk = copied_volume(v, v->next);
        r = sd_bus_call_method_async(v->m->bus, NULL, STORAGED_SERVICE, STORAGED_PATH, "org.libvirt.Connect",
                                     "StoragePoolLookupByName", on_pool_found, v, "s", disk->src_pool);
        if (r < 0)
                volumes_end(v, r, NULL);
}

int migration_volumes_create(Manager *m, const DomainDef *def, const MigrationCookie *c, migration_volumes_fn done,
                             void *userdata) {
        VolumeCreate *v = calloc(1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        *v = (VolumeCreate) { .m = m, .def = def, .c = c, .done = done, .userdata = userdata };
        volumes_next(v);
        return 0;
}

void migration_volumes_delete(Manager *m, char **paths) {
        for (size_t i = 0; paths && paths[i]; i++) {
                log_info("Deleting volume %s, made for a migration that did not arrive", paths[i]);
                (void) sd_bus_call_method_async(m->bus, NULL, STORAGED_SERVICE, paths[i], "org.libvirt.StorageVol",
                                                "Delete", NULL, NULL, "u", 0);
        }
}
