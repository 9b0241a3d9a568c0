/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots of a QEMU guest (qemu-snapshot.h).
 *
 * Done: internal snapshots of the qcow2 disks of a shut-off guest, with
 * `qemu-img snapshot -c/-a/-d/-l`, run synchronously (a snapshot of a
 * qcow2 image writes only its tables: milliseconds). Revert also brings
 * back the definition the snapshot holds. Not yet: a running guest
 * (QMP snapshot-save/-load/-delete), external snapshots. Those are refused
 * with NotSupported naming what is missing, before anything is done. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain-driver.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "qemu-snapshot.h"
#include "util.h"

#define QEMU_IMG_OUTPUT_MAX (256 * 1024)

/* Runs qemu-img with args; its stdout into *ret_out (may be NULL), its
 * last stderr line into msg. 0, or -EIO when it failed. */
static int qemu_img(const char *const *args, char **ret_out, char *msg, size_t msg_size) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int pfd[2], status;
        pid_t pid;

        msg[0] = 0;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return -errno;
        }
        if (pid == 0) {
                const char *argv[16] = { "qemu-img" };
                size_t n = 1;
                for (size_t i = 0; args[i] && n < 15; i++)
                        argv[n++] = args[i];
                argv[n] = NULL;
                dup2(pfd[1], STDOUT_FILENO);
                dup2(pfd[1], STDERR_FILENO);
                execvp("qemu-img", (char *const *) argv);
                _exit(127);
        }
        close(pfd[1]);
        out = malloc(QEMU_IMG_OUTPUT_MAX + 1);
        if (out)
                for (ssize_t k; len < QEMU_IMG_OUTPUT_MAX &&
                                (k = read(pfd[0], out + len, QEMU_IMG_OUTPUT_MAX - len)) > 0;)
                        len += k;
        close(pfd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!out)
                return -ENOMEM;
        out[len] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char *end = out + len, *start;
                while (end > out && (end[-1] == '\n' || end[-1] == ' '))
                        *--end = 0;
                start = strrchr(out, '\n');
                snprintf(msg, msg_size, "%s", start ? start + 1 : out[0] ? out : "qemu-img failed");
                return -EIO;
        }
        if (ret_out)
                *ret_out = TAKE_PTR(out);
        return 0;
}

static int img_snapshot(const char *op, const char *name, const char *file, sd_bus_error *error) {
        const char *args[] = { "snapshot", op, name, file, NULL };
        char msg[512];
        int r = qemu_img(args, NULL, msg, sizeof(msg));

        if (r < 0 && error)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img snapshot %s '%s' of %s: %s", op,
                                     name, file, msg[0] ? msg : strerror(-r));
        return r;
}

/* Whether file holds an internal snapshot named name (qemu-img snapshot -l:
 * "ID TAG VM SIZE DATE ..." lines). */
static bool img_has_snapshot(const char *file, const char *name) {
        const char *args[] = { "snapshot", "-l", file, NULL };
        _cleanup_free_ char *out = NULL;
        char msg[512];

        if (qemu_img(args, &out, msg, sizeof(msg)) < 0)
                return false;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                char id[64], tag[1024];
                if (sscanf(line, "%63s %1023s", id, tag) == 2 && streq(tag, name))
                        return true;
        }
        return false;
}

static const DomainDiskDef *find_disk(const DomainDef *def, const char *name) {
        for (size_t i = 0; i < def->n_disks; i++)
                if ((def->disks[i].dst && streq(def->disks[i].dst, name)) ||
                    (def->disks[i].src && streq(def->disks[i].src, name)))
                        return &def->disks[i];
        return NULL;
}

static int prepare_disk(const DomainDiskDef *disk, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        DomainSnapshotDiskDef *sd = domain_snapshot_def_find_disk(def, disk->dst);

        if (!sd && disk->src)
                sd = domain_snapshot_def_find_disk(def, disk->src);
        if (!sd) {
                sd = domain_snapshot_def_add_disk(def, disk->dst);
                if (!sd)
                        return -ENOMEM;
        } else if (!streq(sd->name, disk->dst)) {
                /* Named by its path: kept by its target, as libvirt does. */
                char *t = strdup(disk->dst);
                if (!t)
                        return -ENOMEM;
                free(sd->name);
                sd->name = t;
        }
        if (sd->snapshot == SNAPSHOT_LOCATION_DEFAULT)
                sd->snapshot = disk->device == DOMAIN_DISK_DEVICE_CDROM || disk->readonly
                                       ? SNAPSHOT_LOCATION_NO
                                       : (flags & SNAPSHOT_CREATE_DISK_ONLY) ? SNAPSHOT_LOCATION_EXTERNAL
                                                                             : SNAPSHOT_LOCATION_INTERNAL;
        switch (sd->snapshot) {
        case SNAPSHOT_LOCATION_NO:
                return 0;
        case SNAPSHOT_LOCATION_INTERNAL:
                break;
        default:
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: %s snapshot of disk '%s' is not supported yet "
                                     "(internal snapshots of qcow2 disks only)",
                                     snapshot_location_to_string(sd->snapshot), disk->dst);
        }
        if (disk->type != DOMAIN_DISK_TYPE_FILE || !disk->src)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: internal snapshot of disk '%s': only disks of "
                                     "type 'file' so far", disk->dst);
        if (disk->format != DOMAIN_DISK_FORMAT_QCOW2)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: internal snapshot for disk %s unsupported for "
                                     "storage type %s", disk->dst,
                                     disk->format == DOMAIN_DISK_FORMAT_NONE ? "raw"
                                                                             : domain_disk_format_to_string(disk->format));
        if (access(disk->src, R_OK | W_OK) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: disk '%s' image %s: %s", disk->dst, disk->src,
                                     strerror(errno));
        return 0;
}

static int prepare(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        const DomainDef *dom = d->def;
        int r;

        if (domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the qemu driver: a snapshot of a running "
                                     "guest (not yet; shut '%s' off first)", d->def->name);
        if (flags & (SNAPSHOT_CREATE_DISK_ONLY | SNAPSHOT_CREATE_REUSE_EXT | SNAPSHOT_CREATE_LIVE))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the qemu driver: external (disk-only) "
                                     "snapshots (not yet)");
        if (flags & SNAPSHOT_CREATE_QUIESCE)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: QUIESCE needs a running guest with its agent");
        if (def->memory != SNAPSHOT_LOCATION_DEFAULT && def->memory != SNAPSHOT_LOCATION_NO)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: memory state cannot be saved with "
                                     "offline or disk-only snapshot");
        def->memory = SNAPSHOT_LOCATION_NO;
        for (size_t i = 0; i < def->n_disks; i++)
                if (!find_disk(dom, def->disks[i].name))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "no disk named '%s' in domain '%s'", def->disks[i].name, dom->name);
        for (size_t i = 0; i < dom->n_disks; i++) {
                r = prepare_disk(&dom->disks[i], def, flags, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Disk i of the snapshot: its image when internal, else NULL. */
static const char *internal_image(const Domain *d, const DomainDef *dom, const DomainSnapshotDiskDef *sd) {
        const DomainDiskDef *disk;

        if (sd->snapshot != SNAPSHOT_LOCATION_INTERNAL)
                return NULL;
        disk = find_disk(dom ? dom : d->def, sd->name);
        return disk ? disk->src : NULL;
}

static int create(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        int r = 0;
        size_t i;

        for (i = 0; i < def->n_disks; i++) {
                const char *file = internal_image(d, NULL, &def->disks[i]);
                if (file && (r = img_snapshot("-c", def->name, file, error)) < 0)
                        break;
        }
        if (r >= 0)
                return 0;
        /* All or nothing: take back what was taken. */
        while (i-- > 0) {
                const char *file = internal_image(d, NULL, &def->disks[i]);
                if (file)
                        (void) img_snapshot("-d", def->name, file, NULL);
        }
        return r;
}

/* The definition the snapshot holds, for revert: same name and uuid. */
static int snapshot_domain(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret, sd_bus_error *error) {
        ConfError err = {};
        int r;

        *ret = NULL;
        if (!def->domain_xml)
                return 0;
        r = domain_def_parse(def->domain_xml, 0, ret, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "snapshot '%s': %s", def->name,
                                     err.message);
        if (memcmp((*ret)->uuid, d->def->uuid, 16) != 0 || !streq((*ret)->name, d->def->name)) {
                *ret = domain_def_free(*ret);
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "snapshot '%s' holds the definition of another domain", def->name);
        }
        return 0;
}

static int revert(Domain *d, const DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        int r;

        if (domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the qemu driver: revert of a running guest "
                                     "(not yet; shut '%s' off first)", d->def->name);
        if (!def->state || !streq(def->state, "shutoff"))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the qemu driver: revert to snapshot '%s' "
                                     "of a %s guest (not yet)", def->name, def->state ? def->state : "?");
        if (flags & (SNAPSHOT_REVERT_RUNNING | SNAPSHOT_REVERT_PAUSED))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the qemu driver: starting the guest after "
                                     "a revert (REVERT_RUNNING/PAUSED; not yet: Create it after)");
        r = snapshot_domain(d, def, &dom, error);
        if (r < 0)
                return r;
        /* Every image first: a revert that cannot finish does not begin. */
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                const char *file = internal_image(d, dom, sd);
                if (sd->snapshot == SNAPSHOT_LOCATION_INTERNAL && !file)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': disk '%s' is gone "
                                             "from the definition", def->name, sd->name);
                if (file && access(file, F_OK) < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the image %s of "
                                             "disk '%s' is gone", def->name, file, sd->name);
                if (file && !img_has_snapshot(file, def->name))
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the image %s of "
                                             "disk '%s' does not hold it (deleted outside?)", def->name, file,
                                             sd->name);
        }
        for (size_t i = 0; i < def->n_disks; i++) {
                const char *file = internal_image(d, dom, &def->disks[i]);
                if (file && (r = img_snapshot("-a", def->name, file, error)) < 0)
                        return r;
        }
        if (dom && d->persistent) {
                domain_def_free(d->def);
                d->def = TAKE_PTR(dom);
                r = domain_save_config(d);
                if (r < 0)
                        log_warning("domain %s: cannot write its definition after revert: %s", d->def->name,
                                    strerror(-r));
        }
        return 0;
}

static int remove_snapshot(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;

        if (domain_is_active(d)) {
                for (size_t i = 0; i < def->n_disks; i++)
                        if (def->disks[i].snapshot == SNAPSHOT_LOCATION_INTERNAL)
                                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                                     "this function is not supported by the qemu driver: deleting "
                                                     "internal snapshot '%s' of a running guest (not yet; "
                                                     "METADATA_ONLY removes only its record)", def->name);
        }
        (void) snapshot_domain(d, def, &dom, NULL);
        for (size_t i = 0; i < def->n_disks; i++) {
                const char *file = internal_image(d, dom, &def->disks[i]);
                if (!file || access(file, F_OK) < 0 || !img_has_snapshot(file, def->name))
                        continue; /* already gone: nothing to take back */
                int r = img_snapshot("-d", def->name, file, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

const DomainSnapshotOps qemu_snapshot_ops = {
        .prepare = prepare,
        .create = create,
        .revert = revert,
        .remove = remove_snapshot,
};
