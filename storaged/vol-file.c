/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "command.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "vol-encrypt.h"
#include "vol-file.h"

/* libvirt's default mode of a new volume. */
#define VOL_DEFAULT_MODE 0600

int vol_file_check(const StorageVolDef *vdef, bool clone, ConfError *err) {
        StorageFormat f = vdef->format;
        int r;

        if (f != STORAGE_FORMAT_NONE && f != STORAGE_FORMAT_RAW && f != STORAGE_FORMAT_QCOW2)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED,
                                 "volume format '%s' is not supported: only raw and qcow2 volumes can be created",
                                 storage_format_to_string(f));
        if (vdef->type_given && vdef->type != STORAGE_VOL_FILE)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "volume type '%s' is not supported in this pool",
                                 storage_vol_type_to_string(vdef->type));
        if (f != STORAGE_FORMAT_QCOW2 && (vdef->compat || vdef->cluster_size || vdef->lazy_refcounts ||
                                          vdef->extended_l2 || vdef->backing_path))
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED,
                                 "compat, clusterSize, features and backingStore need format 'qcow2', not '%s'",
                                 storage_format_to_string(f == STORAGE_FORMAT_NONE ? STORAGE_FORMAT_RAW : f));
        if (clone && vdef->backing_path)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "a clone cannot have a backingStore");
        if (vdef->backing_path && vdef->backing_format != STORAGE_FORMAT_NONE &&
            vdef->backing_format != STORAGE_FORMAT_RAW && vdef->backing_format != STORAGE_FORMAT_QCOW2)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "backing format '%s' is not supported (raw or qcow2)",
                                 storage_format_to_string(vdef->backing_format));
        if (vdef->encryption.format != STORAGE_ENC_NONE && (r = vol_encrypt_check(vdef, clone, err)) < 0)
                return r;
        if (!clone && !vdef->has_capacity && !vdef->backing_path)
                return conf_fail(err, VB_ERROR_XML, "missing element <capacity>");
        if (vdef->has_capacity && vdef->capacity == 0 && !clone)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "volume capacity must not be 0");
        return 0;
}

int vol_file_set_nocow(int fd, const char *path, ConfError *err) {
        struct statfs sf;
        int flags = 0;

        if (fstatfs(fd, &sf) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot stat the file system of '%s': %m", path);
        /* The flag means something on btrfs only (libvirt does the same). */
        if (sf.f_type != BTRFS_SUPER_MAGIC) {
                log_debug("%s is not on btrfs: no NOCOW flag to set.", path);
                return 0;
        }
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot read the flags of '%s': %m", path);
        flags |= FS_NOCOW_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot set the NOCOW flag on '%s': %m", path);
        return 0;
}

/* Mode, owner, group and the declared format of a new file. */
static int finish_file(int fd, const VolRequest *req, StorageFormat format, ConfError *err) {
        const StoragePerms *p = &req->def->perms;
        int r;

        if (fchmod(fd, p->has_mode ? p->mode : VOL_DEFAULT_MODE) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot set the mode of '%s': %m", req->path);
        if ((p->has_owner || p->has_group) &&
            fchown(fd, p->has_owner ? p->owner : (uid_t) -1, p->has_group ? p->group : (gid_t) -1) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot set the owner of '%s': %m", req->path);
        r = vol_format_set_declared(fd, format);
        if (r < 0)
                /* Without user xattrs the header is probed, as libvirt does. */
                log_warning_errno(r, "Cannot record the format of %s (it will be probed): %m", req->path);
        if (req->def->encryption.format != STORAGE_ENC_NONE &&
            (r = vol_secret_set_declared(fd, &req->def->encryption)) < 0)
                /* The header still says it is LUKS; only the secret's name is lost. */
                log_warning_errno(r, "Cannot record the secret of %s: %m", req->path);
        return 0;
}

static int create_raw(Job *j, VolRequest *req, ConfError *err) {
        const StorageVolDef *d = req->def;
        _cleanup_close_ int fd = -1;
        uint64_t alloc = d->has_allocation ? MIN(d->allocation, d->capacity) : d->capacity;
        int r;

        fd = open(req->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, VOL_DEFAULT_MODE);
        if (fd < 0)
                return conf_fail(err, errno == EEXIST ? VB_ERROR_STORAGE_VOL_EXISTS : VB_ERROR_SYSTEM,
                                 "cannot create '%s': %m", req->path);
        /* NOCOW must be set before the first byte is written. */
        if (d->nocow && (r = vol_file_set_nocow(fd, req->path, err)) < 0)
                goto fail;
        if (ftruncate(fd, (off_t) d->capacity) < 0) {
                r = conf_fail(err, VB_ERROR_SYSTEM, "cannot size '%s' to %" PRIu64 " bytes: %m", req->path,
                              d->capacity);
                goto fail;
        }
        if (alloc > 0 && fallocate(fd, 0, 0, (off_t) alloc) < 0) {
                if (errno != EOPNOTSUPP) {
                        r = conf_fail(err, VB_ERROR_SYSTEM, "cannot allocate %" PRIu64 " bytes for '%s': %m", alloc,
                                      req->path);
                        goto fail;
                }
                log_debug("No fallocate() on %s: left sparse.", req->path);
        }
        r = finish_file(fd, req, STORAGE_FORMAT_RAW, err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        (void) unlink(req->path);
        return r;
}

/* qemu-img's -o list for a qcow2 (or, for nocow, raw) target. */
char *vol_file_image_options(const StorageVolDef *d, StorageFormat format, unsigned flags) {
        _cleanup_strv_free_ char **o = NULL;

        if (format == STORAGE_FORMAT_QCOW2) {
                if (strv_extendf(&o, "compat=%s", d->compat ? d->compat : "1.1") < 0)
                        return NULL;
                if (d->cluster_size && strv_extendf(&o, "cluster_size=%" PRIu64, d->cluster_size) < 0)
                        return NULL;
                if (d->lazy_refcounts && strv_extend(&o, "lazy_refcounts=on") < 0)
                        return NULL;
                if (d->extended_l2 && strv_extend(&o, "extended_l2=on") < 0)
                        return NULL;
                if ((flags & 1 /* PREALLOC_METADATA */) && strv_extend(&o, "preallocation=metadata") < 0)
                        return NULL;
        }
        if (d->nocow && strv_extend(&o, "nocow=on") < 0)
                return NULL;
        return o ? strv_join(o, ",") : strdup("");
}

/* The format of a backing file we were not told: recorded by us, or what
 * qemu-img finds (libvirt probes it too at creation). */
static int backing_format(Job *j, const char *path, StorageFormat given, StorageFormat *ret, ConfError *err) {
        _cleanup_close_ int fd = -1;
        QemuImgInfo info = {};
        int r;

        if (given != STORAGE_FORMAT_NONE) {
                *ret = given;
                return 0;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "cannot open backing store '%s': %m", path);
        *ret = vol_format_get_declared(fd);
        if (*ret != STORAGE_FORMAT_NONE)
                return 0;
        r = qemu_img_info(j, path, STORAGE_FORMAT_NONE, &info, err);
        if (r < 0)
                return r;
        *ret = info.format;
        qemu_img_info_done(&info);
        if (*ret != STORAGE_FORMAT_RAW && *ret != STORAGE_FORMAT_QCOW2)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "backing store '%s' has format '%s' (raw or qcow2)",
                                 path, storage_format_to_string(*ret));
        return 0;
}

int vol_file_finish(VolRequest *req, StorageFormat format, ConfError *err) {
        _cleanup_close_ int fd = open(req->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s' after qemu-img created it: %m", req->path);
        return finish_file(fd, req, format, err);
}

static int create_qcow2(Job *j, VolRequest *req, ConfError *err) {
        const StorageVolDef *d = req->def;
        _cleanup_free_ char *opts = vol_file_image_options(d, STORAGE_FORMAT_QCOW2, req->flags), *size = NULL;
        _cleanup_close_ int fd = -1;
        StorageFormat bfmt = STORAGE_FORMAT_NONE;
        const char *argv[16];
        size_t n = 0;
        int r;

        if (!opts)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        if (d->backing_path && (r = backing_format(j, d->backing_path, d->backing_format, &bfmt, err)) < 0)
                return r;
        if (access(req->path, F_OK) == 0)
                return conf_fail(err, VB_ERROR_STORAGE_VOL_EXISTS, "'%s' exists already", req->path);
        argv[n++] = "qemu-img";
        argv[n++] = "create";
        argv[n++] = "-q";
        argv[n++] = "-f";
        argv[n++] = "qcow2";
        argv[n++] = "-o";
        argv[n++] = opts;
        if (d->backing_path) {
                argv[n++] = "-b";
                argv[n++] = d->backing_path;
                argv[n++] = "-F";
                argv[n++] = storage_format_to_string(bfmt);
        }
        argv[n++] = req->path;
        if (d->has_capacity) {
                if (asprintf(&size, "%" PRIu64, d->capacity) < 0)
                        return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
                argv[n++] = size;
        }
        argv[n] = NULL;
        r = command_run(j, argv, NULL, err);
        if (r < 0) {
                (void) unlink(req->path);
                return r;
        }
        fd = open(req->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                r = conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s' after qemu-img created it: %m", req->path);
        else
                r = finish_file(fd, req, STORAGE_FORMAT_QCOW2, err);
        if (r < 0)
                (void) unlink(req->path);
        return r;
}

int vol_file_create(Job *j, VolRequest *req, ConfError *err) {
        int r;

        if (req->def->encryption.format != STORAGE_ENC_NONE)
                r = vol_encrypt_create(j, req, err);
        else if (req->def->format == STORAGE_FORMAT_QCOW2)
                r = create_qcow2(j, req, err);
        else
                r = create_raw(j, req, err);
        if (r < 0)
                return r;
        return vol_file_refresh(j, req, err);
}

int qemu_img_parse_progress(const char *text, size_t len, unsigned *ret) {
        /* The last "(NN.NN/100%)" in the chunk. */
        for (size_t i = len; i-- > 0;) {
                unsigned whole = 0, frac = 0;

                if (text[i] != '(')
                        continue;
                if (sscanf(text + i, "(%u.%2u/100%%)", &whole, &frac) == 2 && whole <= 100) {
                        *ret = whole * 100 + frac;
                        return 1;
                }
        }
        return 0;
}

typedef struct ConvertProgress {
        uint64_t total;
        uint64_t last;
} ConvertProgress;

static void on_convert_output(Job *j, const char *chunk, size_t n, void *userdata) {
        ConvertProgress *p = userdata;
        unsigned bp;

        if (qemu_img_parse_progress(chunk, n, &bp) > 0) {
                uint64_t done = p->total / 10000 * bp;
                if (done > p->last) {
                        job_add_done(j, done - p->last);
                        p->last = done;
                }
        }
}

static int clone_reflink(VolRequest *req, ConfError *err) {
        _cleanup_close_ int src = open(req->src_path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int dst = -1;

        if (src < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s': %m", req->src_path);
        dst = open(req->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, VOL_DEFAULT_MODE);
        if (dst < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot create '%s': %m", req->path);
        if (ioctl(dst, FICLONE, src) < 0) {
                int r = conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot reflink '%s' to '%s': %m", req->src_path,
                                  req->path);
                (void) unlink(req->path);
                return r;
        }
        return 0;
}

static int clone_convert(Job *j, VolRequest *req, StorageFormat format, ConfError *err) {
        _cleanup_free_ char *opts = vol_file_image_options(req->def, format, 0);
        ConvertProgress progress = { .total = req->src_capacity };
        const char *argv[16];
        size_t n = 0;

        if (!opts)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = "qemu-img";
        argv[n++] = "convert";
        argv[n++] = "-p";
        argv[n++] = "-f";
        argv[n++] = storage_format_to_string(req->src_format == STORAGE_FORMAT_NONE ? STORAGE_FORMAT_RAW
                                                                                  : req->src_format);
        argv[n++] = "-O";
        argv[n++] = storage_format_to_string(format);
        if (*opts) {
                argv[n++] = "-o";
                argv[n++] = opts;
        }
        argv[n++] = req->src_path;
        argv[n++] = req->path;
        argv[n] = NULL;
        job_set_total(j, req->src_capacity);
        return command_run_full(j, argv, on_convert_output, &progress, NULL, err);
}

static int clone_encrypted(Job *j, VolRequest *req, ConfError *err) {
        StorageVolDef *d = req->def;
        int r;

        if (req->flags & 2 /* REFLINK */)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "a reflink clone cannot be encrypted: it shares the "
                                 "source's plain blocks");
        if (!d->has_capacity || d->capacity < req->src_capacity) {
                d->capacity = req->src_capacity;
                d->has_capacity = true;
        }
        r = vol_encrypt_create(j, req, err);
        return r < 0 ? r : vol_file_refresh(j, req, err);
}

int vol_file_clone(Job *j, VolRequest *req, ConfError *err) {
        StorageVolDef *d = req->def;
        StorageFormat format = d->format != STORAGE_FORMAT_NONE ? d->format : req->src_format;
        _cleanup_close_ int fd = -1;
        int r;

        if (format == STORAGE_FORMAT_NONE)
                format = STORAGE_FORMAT_RAW;
        if (access(req->path, F_OK) == 0)
                return conf_fail(err, VB_ERROR_STORAGE_VOL_EXISTS, "'%s' exists already", req->path);
        if (d->encryption.format != STORAGE_ENC_NONE)
                return clone_encrypted(j, req, err);
        if (req->flags & 2 /* REFLINK */) {
                if (format != (req->src_format == STORAGE_FORMAT_NONE ? STORAGE_FORMAT_RAW : req->src_format))
                        return conf_fail(err, VB_ERROR_INVALID_ARG, "a reflink clone keeps the format '%s'",
                                         storage_format_to_string(req->src_format));
                r = clone_reflink(req, err);
        } else
                r = clone_convert(j, req, format, err);
        if (r < 0) {
                (void) unlink(req->path);
                return r;
        }
        fd = open(req->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        r = fd < 0 ? conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s': %m", req->path)
                   : finish_file(fd, req, format, err);
        if (r >= 0 && d->has_capacity && d->capacity > req->src_capacity) {
                /* A larger clone: grown like a resize. */
                req->capacity = d->capacity;
                req->flags = 0;
                r = vol_file_refresh(j, req, err);
                if (r >= 0) {
                        vol_info_done(&req->cur);
                        req->cur = req->info;
                        req->info = (VolInfo) {};
                        r = vol_file_resize(j, req, err);
                }
        }
        if (r < 0) {
                (void) unlink(req->path);
                return r;
        }
        return vol_file_refresh(j, req, err);
}

int vol_file_delete(Job *j, VolRequest *req, ConfError *err) {
        if (unlink(req->path) < 0 && errno != ENOENT)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot remove '%s': %m", req->path);
        return 0;
}

static int resize_raw(VolRequest *req, ConfError *err) {
        _cleanup_close_ int fd = open(req->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        uint64_t old = req->cur.physical;

        if (fd < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s': %m", req->path);
        if (ftruncate(fd, (off_t) req->capacity) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot resize '%s' to %" PRIu64 " bytes: %m", req->path,
                                 req->capacity);
        if ((req->flags & 1 /* ALLOCATE */) && req->capacity > old &&
            fallocate(fd, 0, (off_t) old, (off_t) (req->capacity - old)) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot allocate the new space of '%s': %m", req->path);
        return 0;
}

static int resize_qcow2(Job *j, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *size = NULL;
        const char *argv[12];
        size_t n = 0;

        if (asprintf(&size, "%" PRIu64, req->capacity) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = "qemu-img";
        argv[n++] = "resize";
        argv[n++] = "-q";
        argv[n++] = "-f";
        argv[n++] = "qcow2";
        if (req->capacity < req->cur.capacity)
                argv[n++] = "--shrink";
        if (req->flags & 1 /* ALLOCATE */)
                argv[n++] = "--preallocation=falloc";
        argv[n++] = req->path;
        argv[n++] = size;
        argv[n] = NULL;
        return command_run(j, argv, NULL, err);
}

int vol_file_resize(Job *j, VolRequest *req, ConfError *err) {
        int r;

        if (req->cur.format == STORAGE_FORMAT_QCOW2)
                r = resize_qcow2(j, req, err);
        else if (req->cur.format == STORAGE_FORMAT_RAW || req->cur.format == STORAGE_FORMAT_NONE)
                r = resize_raw(req, err);
        else
                r = conf_fail(err, VB_ERROR_NOT_SUPPORTED, "cannot resize a volume of format '%s'",
                              storage_format_to_string(req->cur.format));
        if (r < 0)
                return r;
        return vol_file_refresh(j, req, err);
}

int vol_file_refresh(Job *j, VolRequest *req, ConfError *err) {
        int r;

        vol_info_done(&req->info);
        r = vol_info_from_path(req->path, &req->info);
        if (r < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot read volume '%s': %s", req->path, strerror(-r));
        free(req->key);
        req->key = strdup(req->path);
        return req->key ? 0 : conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
}

/* ---- qemu-img info ----------------------------------------------------------- */

void qemu_img_info_done(QemuImgInfo *i) {
        free(i->backing);
        *i = (QemuImgInfo) {};
}

static StorageFormat json_format(json_object *o, const char *key) {
        json_object *v;
        int f;

        if (!json_object_object_get_ex(o, key, &v))
                return STORAGE_FORMAT_NONE;
        f = storage_format_from_string(json_object_get_string(v));
        return f < 0 ? STORAGE_FORMAT_UNKNOWN : (StorageFormat) f;
}

int qemu_img_info_parse(const char *text, QemuImgInfo *ret) {
        json_object *o = json_tokener_parse(text), *v;
        int r = 0;

        *ret = (QemuImgInfo) {};
        if (!o || !json_object_is_type(o, json_type_object)) {
                r = -EBADMSG;
                goto out;
        }
        ret->format = json_format(o, "format");
        if (json_object_object_get_ex(o, "virtual-size", &v))
                ret->virtual_size = (uint64_t) json_object_get_int64(v);
        if (json_object_object_get_ex(o, "actual-size", &v))
                ret->actual_size = (uint64_t) json_object_get_int64(v);
        ret->backing_format = json_format(o, "backing-filename-format");
        if (json_object_object_get_ex(o, "full-backing-filename", &v) ||
            json_object_object_get_ex(o, "backing-filename", &v)) {
                ret->backing = strdup(json_object_get_string(v));
                if (!ret->backing)
                        r = -ENOMEM;
        }
        if (ret->format == STORAGE_FORMAT_NONE)
                r = -EBADMSG;
out:
        json_object_put(o);
        return r;
}

int qemu_img_info(Job *j, const char *path, StorageFormat format, QemuImgInfo *ret, ConfError *err) {
        _cleanup_free_ char *out = NULL;
        const char *argv[10];
        size_t n = 0;
        int r;

        argv[n++] = "qemu-img";
        argv[n++] = "info";
        argv[n++] = "-U"; /* a running guest may hold the image's lock */
        argv[n++] = "--output=json";
        if (format != STORAGE_FORMAT_NONE) {
                argv[n++] = "-f";
                argv[n++] = storage_format_to_string(format);
        }
        argv[n++] = path;
        argv[n] = NULL;
        r = command_run(j, argv, &out, err);
        if (r < 0)
                return r;
        r = qemu_img_info_parse(out, ret);
        if (r < 0)
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot understand qemu-img info of '%s'", path);
        return 0;
}

int vol_file_reformat(Job *j, VolRequest *req, ConfError *err) {
        const VolInfo *cur = &req->cur;
        _cleanup_free_ char *opts = NULL, *size = NULL, *cluster = NULL;
        const char *argv[16];
        size_t n = 0;

        /* An empty image of the same shape: what a wiped qcow2 volume is. */
        if (cur->cluster_size && asprintf(&cluster, ",cluster_size=%" PRIu64, cur->cluster_size) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        if (asprintf(&opts, "compat=%s%s%s", cur->compat ? cur->compat : "1.1", cluster ? cluster : "",
                     cur->lazy_refcounts ? ",lazy_refcounts=on" : "") < 0 ||
            asprintf(&size, "%" PRIu64, cur->capacity) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        argv[n++] = "qemu-img";
        argv[n++] = "create";
        argv[n++] = "-q";
        argv[n++] = "-f";
        argv[n++] = "qcow2";
        argv[n++] = "-o";
        argv[n++] = opts;
        if (cur->backing_path) {
                argv[n++] = "-b";
                argv[n++] = cur->backing_path;
                argv[n++] = "-F";
                argv[n++] = storage_format_to_string(cur->backing_format != STORAGE_FORMAT_NONE ? cur->backing_format
                                                                                               : STORAGE_FORMAT_RAW);
        }
        argv[n++] = req->path;
        argv[n++] = size;
        argv[n] = NULL;
        return command_run(j, argv, NULL, err);
}
