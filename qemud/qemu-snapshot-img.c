/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots without QMP (qemu-snapshot-internal.h): qemu-img for the
 * images (internal snapshots of a shut-off guest, overlays), what a
 * snapshot's definition is prepared with before anything is done, and
 * the checks a revert makes first. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "domain-driver.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "qemu-domain.h"
#include "qemu-snapshot-internal.h"
#include "storaged-client.h"
#include "util.h"

#define QEMU_IMG_OUTPUT_MAX (256 * 1024)

/* Runs qemu-img with args; its stdout into *ret_out (may be NULL), its
 * last stderr line into msg. 0, or -EIO when it failed. */
int snapshot_qemu_img(const char *const *args, char **ret_out, char *msg, size_t msg_size) {
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
        int r = snapshot_qemu_img(args, NULL, msg, sizeof(msg));

        if (r < 0 && error)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img snapshot %s '%s' of %s: %s", op,
                                     name, file, msg[0] ? msg : strerror(-r));
        return r;
}

/* Whether file holds an internal snapshot named name (qemu-img snapshot -l:
 * "ID TAG VM SIZE DATE ..." lines). */
bool snapshot_img_has_snapshot(const char *file, const char *name) {
        const char *args[] = { "snapshot", "-U", "-l", file, NULL };
        _cleanup_free_ char *out = NULL;
        char msg[512];

        if (snapshot_qemu_img(args, &out, msg, sizeof(msg)) < 0)
                return false;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                char id[64], tag[1024];
                if (sscanf(line, "%63s %1023s", id, tag) == 2 && streq(tag, name))
                        return true;
        }
        return false;
}

const DomainDiskDef *snapshot_find_disk(const DomainDef *def, const char *name) {
        for (size_t i = 0; i < def->n_disks; i++)
                if ((def->disks[i].dst && streq(def->disks[i].dst, name)) ||
                    (def->disks[i].src && streq(def->disks[i].src, name)))
                        return &def->disks[i];
        return NULL;
}

DomainDiskDef *snapshot_find_disk_rw(DomainDef *def, const char *name) {
        return (DomainDiskDef *) snapshot_find_disk(def, name);
}

bool snapshot_def_is_external(const DomainSnapshotDef *def) {
        if (def->memory == SNAPSHOT_LOCATION_EXTERNAL)
                return true;
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL)
                        return true;
        return false;
}

/* The snapshot was taken of a guest that ran: it has the memory state. */
bool snapshot_has_memory(const DomainSnapshotDef *def) {
        return def->memory == SNAPSHOT_LOCATION_INTERNAL || def->memory == SNAPSHOT_LOCATION_EXTERNAL;
}

/* libvirt's default name of an overlay: the image's with its suffix
 * replaced by the snapshot's name ("/a/b.qcow2" -> "/a/b.s1"), or the
 * name added (".s1") when it has none. */
char *snapshot_default_overlay(const char *src, const char *name) {
        const char *base = strrchr(src, '/'), *dot;
        char *p = NULL;

        base = base ? base + 1 : src;
        dot = strrchr(base, '.');
        if (dot && dot != base) {
                if (asprintf(&p, "%.*s.%s", (int) (dot - src), src, name) < 0)
                        return NULL;
        } else if (asprintf(&p, "%s.%s", src, name) < 0)
                return NULL;
        return p;
}

static int prepare_external_disk(const DomainDiskDef *disk, DomainSnapshotDiskDef *sd, const char *name,
                                 unsigned flags, sd_bus_error *error) {
        struct stat st;

        /* A volume's file is known once storaged resolved it, for a running guest. */
        if (disk->type == DOMAIN_DISK_TYPE_VOLUME && !disk->src)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot of disk '%s' of type 'volume' "
                                     "(%s/%s) of a shut-off domain is not supported yet", disk->dst,
                                     disk->src_pool, disk->src_volume);
        if ((disk->type != DOMAIN_DISK_TYPE_FILE && disk->type != DOMAIN_DISK_TYPE_VOLUME) || !disk->src)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot of disk '%s': only disks of "
                                     "type 'file' or 'volume' so far", disk->dst);
        if (disk->type == DOMAIN_DISK_TYPE_VOLUME && strncmp(disk->src, "/dev/", 5) == 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot of disk '%s': volume %s/%s is "
                                     "a block device", disk->dst, disk->src_pool, disk->src_volume);
        if (!sd->driver_type && !(sd->driver_type = strdup("qcow2")))
                return -ENOMEM;
        if (!streq(sd->driver_type, "qcow2"))
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot format for disk %s is "
                                     "unsupported: %s", disk->dst, sd->driver_type);
        if (!sd->source_file && !(sd->source_file = snapshot_default_overlay(disk->src, name)))
                return -ENOMEM;
        if (streq(sd->source_file, disk->src))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the overlay of disk '%s' cannot be its own image %s", disk->dst, disk->src);
        if (stat(sd->source_file, &st) < 0) {
                if (errno != ENOENT)
                        return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot stat '%s': %s", sd->source_file,
                                             strerror(errno));
                if (flags & SNAPSHOT_CREATE_REUSE_EXT)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "missing existing file for disk %s: %s", disk->dst, sd->source_file);
                return 0;
        }
        if (!S_ISREG(st.st_mode))
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot file for disk %s: %s is not "
                                     "a regular file", disk->dst, sd->source_file);
        /* As libvirt: an empty file is taken over, one with data only with REUSE_EXT. */
        if (!(flags & SNAPSHOT_CREATE_REUSE_EXT) && st.st_size > 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: external snapshot file for disk %s already "
                                     "exists and is not a block device: %s", disk->dst, sd->source_file);
        return 0;
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
        /* a vhostuser disk's image is its back end's: libvirt's default is snapshot='no' */
        if (sd->snapshot == SNAPSHOT_LOCATION_DEFAULT)
                sd->snapshot = disk->device == DOMAIN_DISK_DEVICE_CDROM || disk->readonly || disk->vhostuser
                                       ? SNAPSHOT_LOCATION_NO
                               : (flags & SNAPSHOT_CREATE_DISK_ONLY) || def->memory == SNAPSHOT_LOCATION_EXTERNAL
                                       ? SNAPSHOT_LOCATION_EXTERNAL
                                       : SNAPSHOT_LOCATION_INTERNAL;
        switch (sd->snapshot) {
        case SNAPSHOT_LOCATION_NO:
                return 0;
        case SNAPSHOT_LOCATION_INTERNAL:
                break;
        case SNAPSHOT_LOCATION_EXTERNAL:
                return prepare_external_disk(disk, sd, def->name, flags, error);
        default:
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: %s snapshot of disk '%s' is not supported",
                                     snapshot_location_to_string(sd->snapshot), disk->dst);
        }
        if (flags & SNAPSHOT_CREATE_DISK_ONLY)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: disk '%s' must use snapshot mode 'external' in a "
                                     "disk-only snapshot", disk->dst);
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

/* <memory snapshot='external' file=...>: a file that is not there yet
 * (libvirt would overwrite one; a snapshot's memory is never taken over). */
static int prepare_memory(const DomainSnapshotDef *def, sd_bus_error *error) {
        if (def->memory != SNAPSHOT_LOCATION_EXTERNAL)
                return 0;
        if (!def->memory_file)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "snapshot '%s': an external memory snapshot needs its file "
                                     "(<memory snapshot='external' file='...'/>)", def->name);
        if (access(def->memory_file, F_OK) == 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: the memory file %s of snapshot '%s' exists "
                                     "already", def->memory_file, def->name);
        return 0;
}

int snapshot_prepare(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        bool active = domain_is_active(d);
        const DomainDef *dom = active ? d->live : d->def;
        size_t n_int = 0, n_ext = 0;
        int r;

        if (active && !snapshot_guest_runs(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain '%s' is still starting",
                                     d->def->name);
        if (active && d->state != DOMAIN_RUNNING && d->state != DOMAIN_PAUSED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: a snapshot of domain '%s' in state %s",
                                     d->def->name, domain_state_to_string(d->state));
        if ((flags & SNAPSHOT_CREATE_QUIESCE) && !(flags & SNAPSHOT_CREATE_DISK_ONLY))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: quiesce requires disk-only");
        if ((flags & SNAPSHOT_CREATE_QUIESCE) && !active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: domain is not running");
        if ((flags & SNAPSHOT_CREATE_LIVE) && (!active || def->memory != SNAPSHOT_LOCATION_EXTERNAL))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: live snapshot creation is supported only "
                                     "using external snapshots");
        r = prepare_memory(def, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_CREATE_HALT) && !active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: the HALT flag needs a running domain");
        if (!active || (flags & SNAPSHOT_CREATE_DISK_ONLY)) {
                if (def->memory != SNAPSHOT_LOCATION_DEFAULT && def->memory != SNAPSHOT_LOCATION_NO)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: memory state cannot be saved with "
                                             "offline or disk-only snapshot");
                def->memory = SNAPSHOT_LOCATION_NO;
        } else if (def->memory != SNAPSHOT_LOCATION_EXTERNAL)
                def->memory = SNAPSHOT_LOCATION_INTERNAL;
        for (size_t i = 0; i < def->n_disks; i++)
                if (!snapshot_find_disk(dom, def->disks[i].name))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "no disk named '%s' in domain '%s'", def->disks[i].name, dom->name);
        for (size_t i = 0; i < dom->n_disks; i++) {
                r = prepare_disk(&dom->disks[i], def, flags, error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < def->n_disks; i++) {
                n_int += def->disks[i].snapshot == SNAPSHOT_LOCATION_INTERNAL;
                n_ext += def->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL;
                for (size_t k = 0; k < i; k++)
                        if (def->disks[i].source_file && def->disks[k].source_file &&
                            streq(def->disks[i].source_file, def->disks[k].source_file))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "disks '%s' and '%s' would share the overlay %s",
                                                     def->disks[k].name, def->disks[i].name,
                                                     def->disks[i].source_file);
        }
        /* An internal memory state counts as internal (libvirt's rule). */
        if ((n_int || def->memory == SNAPSHOT_LOCATION_INTERNAL) && n_ext)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: mixing internal and external targets for a "
                                     "snapshot is not yet supported");
        if (def->memory == SNAPSHOT_LOCATION_INTERNAL && n_int == 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: the memory state of '%s' needs a qcow2 disk with "
                                     "an internal snapshot", d->def->name);
        if (!(flags & SNAPSHOT_CREATE_DISK_ONLY) && !active && n_int == 0 && n_ext == 0)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: domain '%s' has no disk to snapshot", d->def->name);
        if ((flags & SNAPSHOT_CREATE_DISK_ONLY) && n_ext == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "disk-only snapshots require at least one disk to be selected for snapshot");
        free(def->state);
        def->state = strdup((flags & SNAPSHOT_CREATE_DISK_ONLY) ? "disk-snapshot"
                            : !active                             ? "shutoff"
                            : d->state == DOMAIN_PAUSED           ? "paused"
                                                                  : "running");
        return def->state ? 0 : -ENOMEM;
}

/* Disk i of the snapshot: its image when internal, else NULL. */
const char *snapshot_internal_image(const DomainDef *dom, const DomainSnapshotDiskDef *sd) {
        const DomainDiskDef *disk;

        if (sd->snapshot != SNAPSHOT_LOCATION_INTERNAL)
                return NULL;
        disk = snapshot_find_disk(dom, sd->name);
        return disk ? disk->src : NULL;
}

/* ---- a shut-off guest: qemu-img ---- */

/* The image's format and size as qemu-img sees them (-U: a running QEMU
 * holds its lock). */
int snapshot_img_info(const char *file, char **ret_format, uint64_t *ret_size, sd_bus_error *error) {
        const char *args[] = { "info", "-U", "--output=json", file, NULL };
        _cleanup_free_ char *out = NULL;
        json_object *o, *v;
        char msg[512];
        int r = snapshot_qemu_img(args, &out, msg, sizeof(msg));

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img info %s: %s", file, msg);
        o = json_tokener_parse(out);
        if (!o || !json_object_object_get_ex(o, "format", &v) || !(*ret_format = strdup(json_object_get_string(v)))) {
                json_object_put(o);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img info %s: no format", file);
        }
        *ret_size = json_object_object_get_ex(o, "virtual-size", &v) ? (uint64_t) json_object_get_int64(v) : 0;
        json_object_put(o);
        return 0;
}

/* A new qcow2 overlay on base; unsafe: the base is not opened (QEMU may
 * hold it), its format and size are given. */
int snapshot_img_create_overlay(const char *overlay, const char *base, sd_bus_error *error) {
        _cleanup_free_ char *format = NULL;
        uint64_t bytes = 0;
        int r = snapshot_img_info(base, &format, &bytes, error);

        return r < 0 ? r : snapshot_img_create_overlay_as(overlay, base, format, bytes, error);
}

int snapshot_img_create_overlay_as(const char *overlay, const char *base, const char *format, uint64_t bytes,
                                   sd_bus_error *error) {
        char size[32], msg[512];
        int r;

        snprintf(size, sizeof(size), "%" PRIu64, bytes);
        const char *args[] = { "create", "-q", "-f", "qcow2", "-u", "-F", format, "-b", base, overlay, size, NULL };
        r = snapshot_qemu_img(args, NULL, msg, sizeof(msg));
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot create the overlay %s of %s: %s",
                                     overlay, base, msg);
        return 0;
}

/* Who made the overlay: a file taken over with REUSE_EXT stays. */
void snapshot_unlink_overlays(const DomainSnapshotDef *def, unsigned flags, size_t n) {
        if (flags & SNAPSHOT_CREATE_REUSE_EXT)
                return;
        for (size_t i = 0; i < n && i < def->n_disks; i++)
                if (def->disks[i].snapshot == SNAPSHOT_LOCATION_EXTERNAL && def->disks[i].source_file)
                        (void) unlink(def->disks[i].source_file);
}

int snapshot_create_overlays(const DomainDef *dom, const DomainSnapshotDef *def, unsigned flags, char **formats,
                             const uint64_t *sizes, sd_bus_error *error) {
        for (size_t i = 0, k = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                const DomainDiskDef *disk = snapshot_find_disk(dom, sd->name);
                const char *format;
                int r;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                format = formats && strv_length(formats) > k ? formats[k] : NULL;
                k++;
                if ((flags & SNAPSHOT_CREATE_REUSE_EXT) || !disk)
                        continue;
                r = format && *format ? snapshot_img_create_overlay_as(sd->source_file, disk->src, format, sizes[k - 1],
                                                                       error)
                                      : snapshot_img_create_overlay(sd->source_file, disk->src, error);
                if (r < 0) {
                        snapshot_unlink_overlays(def, flags, i + 1);
                        return r;
                }
        }
        return 0;
}

/* The disks of dom switch to their overlays: a volume's disk becomes a
 * file one on the overlay, the volume's file below it (libvirt's way). */
int snapshot_follow_overlays(DomainDef *dom, const DomainSnapshotDef *def) {
        for (size_t i = 0; dom && i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                DomainDiskDef *disk;
                char *p;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                disk = snapshot_find_disk_rw(dom, sd->name);
                if (!disk)
                        continue;
                p = strdup(sd->source_file);
                if (!p)
                        return -ENOMEM;
                free(disk->src);
                disk->src = p;
                disk->format = DOMAIN_DISK_FORMAT_QCOW2;
                disk->type = DOMAIN_DISK_TYPE_FILE;
                disk->src_pool = mfree(disk->src_pool);
                disk->src_volume = mfree(disk->src_volume);
                /* The chain changed: overlay -> previous image. The live
                 * one is read again when the status is saved next. */
                domain_disk_clear_backing(disk);
        }
        return 0;
}

/* The running guest's disks switch to their overlays. A volume that
 * became the backing file of its disk's overlay is no longer the guest's
 * disk for storaged (its release at the stop looks for volume disks) but
 * a layer of its chain, which the saved status tells storaged first. */
int snapshot_follow_overlays_live(Domain *d, const DomainSnapshotDef *def) {
        _cleanup_strv_free_ char **vols = NULL;
        int r;

        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *disk = snapshot_find_disk(d->live, def->disks[i].name);

                if (def->disks[i].snapshot != SNAPSHOT_LOCATION_EXTERNAL || !disk ||
                    disk->type != DOMAIN_DISK_TYPE_VOLUME || !disk->src_pool || !disk->src_volume)
                        continue;
                if (strv_extend(&vols, disk->src_pool) < 0 || strv_extend(&vols, disk->src_volume) < 0)
                        return -ENOMEM;
        }
        r = snapshot_follow_overlays(d->live, def);
        if (r < 0)
                return r;
        (void) domain_status_save(d);
        for (size_t i = 0; vols && vols[i] && vols[i + 1]; i += 2)
                (void) storaged_set_in_use_async(d->manager->bus, vols[i], vols[i + 1], d->uuid_str, false, NULL,
                                                 NULL, NULL);
        return 0;
}

int snapshot_create_offline(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error) {
        int r = 0;
        size_t i;

        if (snapshot_def_is_external(def)) {
                r = snapshot_create_overlays(d->def, def, flags, NULL, NULL, error);
                if (r < 0)
                        return r;
                r = snapshot_follow_overlays(d->def, def);
                if (r >= 0 && d->persistent)
                        r = domain_save_config(d);
                if (r < 0)
                        log_warning("domain %s: cannot write its definition after the snapshot: %s",
                                    d->def->name, strerror(-r));
                return 0;
        }
        for (i = 0; i < def->n_disks; i++) {
                const char *file = snapshot_internal_image(d->def, &def->disks[i]);
                if (file && (r = img_snapshot("-c", def->name, file, error)) < 0)
                        break;
        }
        if (r >= 0)
                return 0;
        /* All or nothing: take back what was taken. */
        while (i-- > 0) {
                const char *file = snapshot_internal_image(d->def, &def->disks[i]);
                if (file)
                        (void) img_snapshot("-d", def->name, file, NULL);
        }
        return r;
}

/* The definition the snapshot holds, for revert: same name and uuid. */
int snapshot_domain(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret, sd_bus_error *error) {
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

/* Every image holds the snapshot: a revert that cannot finish does not begin. */
int snapshot_check_images(const DomainDef *dom, const DomainSnapshotDef *def, sd_bus_error *error) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                const char *file = snapshot_internal_image(dom, sd);
                if (sd->snapshot == SNAPSHOT_LOCATION_INTERNAL && !file)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': disk '%s' is gone "
                                             "from the definition", def->name, sd->name);
                if (file && access(file, F_OK) < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the image %s of "
                                             "disk '%s' is gone", def->name, file, sd->name);
                if (file && !snapshot_img_has_snapshot(file, def->name))
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the image %s of "
                                             "disk '%s' does not hold it (deleted outside?)", def->name, file,
                                             sd->name);
        }
        return 0;
}

int snapshot_revert_offline(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        int r = snapshot_domain(d, def, &dom, error);

        if (r < 0)
                return r;
        r = snapshot_check_images(dom ? dom : d->def, def, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                const char *file = snapshot_internal_image(dom ? dom : d->def, &def->disks[i]);
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

int snapshot_remove_offline(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;

        (void) snapshot_domain(d, def, &dom, NULL);
        for (size_t i = 0; i < def->n_disks; i++) {
                const char *file = snapshot_internal_image(dom ? dom : d->def, &def->disks[i]);
                if (!file || access(file, F_OK) < 0 || !snapshot_img_has_snapshot(file, def->name))
                        continue; /* already gone: nothing to take back */
                int r = img_snapshot("-d", def->name, file, error);
                if (r < 0)
                        return r;
        }
        return 0;
}
