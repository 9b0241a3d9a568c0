/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "command.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "vol-encrypt.h"
#include "vol-file.h"

#define SECRET_ID "sec0"
/* QEMU 7.2 times its PBKDF2 with the thread's CPU clock, whose tick is
 * coarse: a first batch of iterations inside one tick makes it give up
 * ("Unable to get accurate CPU usage"). Measuring again works. */
#define CREATE_TRIES 5

int vol_encrypt_check(const StorageVolDef *vdef, bool clone, ConfError *err) {
        const StorageVolEncryption *e = &vdef->encryption;

        if (e->format != STORAGE_ENC_LUKS)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED,
                                 "encryption format '%s' is not supported: only 'luks' volumes can be created",
                                 storage_enc_format_to_string(e->format));
        if (!e->has_secret)
                return conf_fail(err, VB_ERROR_XML,
                                 "<encryption format='luks'> needs a <secret type='passphrase'> to create the volume");
        if (vdef->backing_path)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "an encrypted volume with a backingStore is not supported");
        if (vdef->nocow && vdef->format != STORAGE_FORMAT_QCOW2)
                return conf_fail(err, VB_ERROR_NOT_SUPPORTED, "nocow is not supported for an encrypted raw volume");
        return 0;
}

/* "driver=...,file.filename=PATH,...": an image-opts string, where a comma
 * of the path is doubled. */
static char *target_image_opts(const VolRequest *req) {
        bool qcow2 = req->def->format == STORAGE_FORMAT_QCOW2;
        _cleanup_free_ char *path = calloc(2 * strlen(req->path) + 1, 1);
        char *s, *o;

        if (!path)
                return NULL;
        o = path;
        for (const char *p = req->path; *p; p++) {
                if (*p == ',')
                        *o++ = ',';
                *o++ = *p;
        }
        if (asprintf(&s, "driver=%s,file.filename=%s,%skey-secret=" SECRET_ID, qcow2 ? "qcow2" : "luks", path,
                     qcow2 ? "encrypt." : "") < 0)
                return NULL;
        return s;
}

int vol_encrypt_convert_argv(const VolRequest *req, const char *secret_file, const char *argv[], size_t max,
                             char **ret_object, char **ret_target) {
        size_t n = 0;

        if (max < 13)
                return -E2BIG;
        if (asprintf(ret_object, "secret,id=" SECRET_ID ",file=%s", secret_file) < 0 ||
            !(*ret_target = target_image_opts(req)))
                return -ENOMEM;
        argv[n++] = "qemu-img";
        argv[n++] = "convert";
        argv[n++] = "-n";
        argv[n++] = "--object";
        argv[n++] = *ret_object;
        argv[n++] = "-f";
        argv[n++] = storage_format_to_string(req->src_format == STORAGE_FORMAT_NONE ? STORAGE_FORMAT_RAW
                                                                                  : req->src_format);
        argv[n++] = req->src_path;
        argv[n++] = "--target-image-opts";
        argv[n++] = *ret_target;
        argv[n] = NULL;
        return 0;
}

int vol_encrypt_argv(const VolRequest *req, const char *secret_file, const char *argv[], size_t max, char **ret_opts,
                     char **ret_object, char **ret_size) {
        const StorageVolDef *d = req->def;
        bool qcow2 = d->format == STORAGE_FORMAT_QCOW2;
        _cleanup_free_ char *base = NULL;
        size_t n = 0;

        if (max < 13)
                return -E2BIG;
        if (qcow2) {
                base = vol_file_image_options(d, STORAGE_FORMAT_QCOW2, req->flags);
                if (!base)
                        return -ENOMEM;
        }
        if (asprintf(ret_object, "secret,id=" SECRET_ID ",file=%s", secret_file) < 0)
                return -ENOMEM;
        if (asprintf(ret_opts, qcow2 ? "%s%sencrypt.format=luks,encrypt.key-secret=" SECRET_ID
                                     : "%s%skey-secret=" SECRET_ID,
                     base ? base : "", base && *base ? "," : "") < 0 ||
            asprintf(ret_size, "%" PRIu64, d->capacity) < 0)
                return -ENOMEM;
        argv[n++] = "qemu-img";
        argv[n++] = "create";
        argv[n++] = "-q";
        argv[n++] = "--object";
        argv[n++] = *ret_object;
        argv[n++] = "-f";
        argv[n++] = qcow2 ? "qcow2" : "luks";
        argv[n++] = "-o";
        argv[n++] = *ret_opts;
        argv[n++] = req->path;
        argv[n++] = *ret_size;
        argv[n] = NULL;
        return 0;
}

/* The passphrase in a new 0600 file of the private directory. */
static int write_secret(const VolRequest *req, char **ret, ConfError *err) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;

        if (mkdir(req->secret_dir, 0700) < 0 && errno != EEXIST)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot make '%s': %m", req->secret_dir);
        if (asprintf(&path, "%s/vol-XXXXXX", req->secret_dir) < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
        fd = mkostemp(path, O_CLOEXEC); /* mode 0600 */
        if (fd < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot make a file for the secret in '%s': %m", req->secret_dir);
        if (write(fd, req->secret, req->secret_len) != (ssize_t) req->secret_len) {
                int r = conf_fail(err, VB_ERROR_SYSTEM, "cannot write the secret to '%s': %m", path);
                (void) unlink(path);
                return r;
        }
        *ret = TAKE_PTR(path);
        return 0;
}

/* A clone: the source's data into the encrypted volume just made. */
static int run_convert(Job *j, VolRequest *req, const char *secret_file, ConfError *err) {
        _cleanup_free_ char *object = NULL, *target = NULL;
        const char *argv[16];
        int r;

        r = vol_encrypt_convert_argv(req, secret_file, argv, ELEMENTSOF(argv), &object, &target);
        if (r < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "cannot build the qemu-img command: %s", strerror(-r));
        job_set_total(j, req->src_capacity);
        r = command_run(j, argv, NULL, err);
        if (r >= 0)
                job_add_done(j, req->src_capacity);
        return r;
}

static int run_create(Job *j, VolRequest *req, const char *secret_file, ConfError *err) {
        _cleanup_free_ char *opts = NULL, *object = NULL, *size = NULL;
        const char *argv[16];
        int r;

        r = vol_encrypt_argv(req, secret_file, argv, ELEMENTSOF(argv), &opts, &object, &size);
        if (r < 0)
                return conf_fail(err, VB_ERROR_NO_MEMORY, "cannot build the qemu-img command: %s", strerror(-r));
        for (int i = 1;; i++) {
                ConfError e = {};

                r = command_run(j, argv, NULL, &e);
                if (r >= 0 || i == CREATE_TRIES || !strstr(e.message, "accurate CPU usage")) {
                        if (r < 0)
                                *err = e;
                        return r;
                }
                log_info("qemu-img could not time PBKDF2 for %s (try %d): trying again.", req->path, i);
                (void) unlink(req->path);
        }
}

int vol_encrypt_create(Job *j, VolRequest *req, ConfError *err) {
        _cleanup_free_ char *secret_file = NULL;
        int r;

        if (access(req->path, F_OK) == 0)
                return conf_fail(err, VB_ERROR_STORAGE_VOL_EXISTS, "'%s' exists already", req->path);
        if (!req->secret)
                return conf_fail(err, VB_ERROR_INTERNAL, "no passphrase for the encrypted volume '%s'", req->name);
        r = write_secret(req, &secret_file, err);
        if (r < 0)
                return r;
        r = run_create(j, req, secret_file, err);
        if (r >= 0 && req->src_path)
                r = run_convert(j, req, secret_file, err);
        (void) unlink(secret_file);
        if (r >= 0)
                r = vol_file_finish(req, req->def->format == STORAGE_FORMAT_QCOW2 ? STORAGE_FORMAT_QCOW2
                                                                                : STORAGE_FORMAT_RAW, err);
        if (r < 0)
                (void) unlink(req->path);
        return r;
}

/* A job killed with storaged (SIGKILL) left its passphrase file behind. */
void vol_encrypt_cleanup(const char *secret_dir) {
        DIR *d = opendir(secret_dir);

        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));)
                if (strncmp(de->d_name, "vol-", 4) == 0 && unlinkat(dirfd(d), de->d_name, 0) < 0)
                        log_warning_errno(-errno, "Cannot remove %s/%s: %m", secret_dir, de->d_name);
        closedir(d);
}
