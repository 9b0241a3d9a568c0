/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a start checks on the host for the disks before QEMU is built:
 * a device='lun' disk is on a SCSI device (SG_IO answers) and, with
 * rawio='yes', QEMU keeps CAP_SYS_RAWIO (qemu-confine.c); a source gone missing is
 * dealt with by its startupPolicy (libvirt's: mandatory and requisite
 * fail, optional goes on without it: a CD-ROM or floppy ejected, a disk
 * left out of the live definition); what only a start refuses (an
 * fdgroup, an iSCSI pool's volume mode) is refused here. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "error.h"
#include "log.h"
#include "qemu-blockjob.h"
#include "qemu-disk-prepare.h"
#include "util.h"

static int check_lun(const DomainDiskDef *disk, unsigned confine_flags, ConfError *err) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int version;

        if (disk->device != DOMAIN_DISK_DEVICE_LUN || !disk->src)
                return 0;       /* an iSCSI LUN: QEMU's iscsi driver speaks to it */
        if (stat(disk->src, &st) < 0 || !S_ISBLK(st.st_mode)) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "disk '%s': device='lun' needs a SCSI block device, "
                               "'%s' is %s", disk->dst, disk->src,
                               access(disk->src, F_OK) < 0 ? "missing" : "not a block device");
                return -ENODEV;
        }
        fd = open(disk->src, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "disk '%s': device='lun' needs a SCSI device, and "
                               "'%s' does not take SCSI commands (SG_IO): %m", disk->dst, disk->src);
                return -ENOTTY;
        }
        /* rawio='yes': QEMU keeps CAP_SYS_RAWIO (qemu-confine.c) */
        return 0;
}

static int fdgroup_refused(const DomainDiskDef *disk, const char *group, ConfError *err) {
        conf_error_set(err, VB_ERROR_INVALID_ARG, "disk '%s': file descriptor group '%s' was not associated with "
                       "the domain (qemud has no call to pass a domain file descriptors)", disk->dst, group);
        return -EBADF;
}

/* An NVMe disk's controller must be here and given to VFIO: qemud does not
 * rebind a managed one (libvirt's managed='yes' does). */
static int check_nvme(const DomainDiskDef *disk, ConfError *err) {
        char dev[32], path[96], driver[PATH_MAX];
        ssize_t n;

        if (!disk->nvme)
                return 0;
        snprintf(dev, sizeof(dev), "%04x:%02x:%02x.%x", disk->nvme->pci_domain, disk->nvme->pci_bus,
                 disk->nvme->pci_slot, disk->nvme->pci_function);
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", dev);
        if (access(path, F_OK) < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "disk '%s': NVMe device %s is not on this host "
                               "(no %s)", disk->dst, dev, path);
                return -ENODEV;
        }
        snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev);
        n = readlink(path, driver, sizeof(driver) - 1);
        driver[n > 0 ? n : 0] = '\0';
        if (n <= 0 || !streq(basename(driver), "vfio-pci")) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "disk '%s': NVMe device %s is bound to %s, not "
                               "vfio-pci (bind it to vfio-pci first: qemud does not rebind devices)", disk->dst, dev,
                               n > 0 ? basename(driver) : "no driver");
                return -EBUSY;
        }
        return 0;
}

/* What libvirt takes at define and only a start can answer: an fdgroup
 * (fds handed over by the client, which no call of qemud takes), and a
 * volume's mode or <auth> (an iSCSI pool's, and storaged has none). */
static int check_source_extras(const DomainDiskDef *disk, ConfError *err) {
        if (disk->fdgroup)
                return fdgroup_refused(disk, disk->fdgroup, err);
        for (size_t i = 0; i < disk->n_backing; i++) {
                if (disk->backing[i].fdgroup)
                        return fdgroup_refused(disk, disk->backing[i].fdgroup, err);
                /* QEMU opens the backing files the image names: no node of ours to slice */
                if (disk->backing[i].slice.set) {
                        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: disk '%s': "
                                       "the storage slice of backing layer '%s' is not supported by qemud",
                                       disk->dst, disk->backing[i].path);
                        return -EOPNOTSUPP;
                }
        }
        if (disk->slice.set && disk->guest.transient) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: disk '%s': a transient "
                               "disk with a storage slice is not supported by qemud", disk->dst);
                return -EOPNOTSUPP;
        }
        if (disk->type != DOMAIN_DISK_TYPE_VOLUME || !disk->src_pool || (!disk->src_mode && !disk->auth))
                return 0;
        conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: disk '%s': %s is only valid "
                       "when storage pool is of iscsi type, and pool '%s' is not (storaged has no iscsi pools)",
                       disk->dst, disk->src_mode ? "disk source mode" : "<auth> of a volume", disk->src_pool);
        return -EOPNOTSUPP;
}

static bool source_missing(const DomainDiskDef *disk) {
        return disk->src && !disk->net && access(disk->src, F_OK) < 0;
}

/* 1: the disk is to be left out, 0: go on, or -errno. */
static int apply_startup_policy(DomainDiskDef *disk, const char *name, ConfError *err) {
        if (!disk->startup_policy || !source_missing(disk))
                return 0;
        if (!streq(disk->startup_policy, "optional")) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot access storage file '%s' of disk '%s' "
                               "(startupPolicy '%s')", disk->src, disk->dst, disk->startup_policy);
                return -ENOENT;
        }
        log_info("Domain %s: the source '%s' of disk '%s' is missing: %s, as its startupPolicy 'optional' allows",
                 name, disk->src, disk->dst,
                 disk->device == DOMAIN_DISK_DEVICE_DISK ? "left out" : "ejected");
        if (disk->device == DOMAIN_DISK_DEVICE_CDROM || disk->device == DOMAIN_DISK_DEVICE_FLOPPY) {
                free(disk->src);
                disk->src = NULL;
                return 0;
        }
        return 1;
}

char *qemu_disk_transient_overlay(const DomainDef *def, const DomainDiskDef *disk) {
        char *s;

        if (!disk->src || asprintf(&s, "%s.TRANSIENT-%s", disk->src, def->name) < 0)
                return NULL;
        return s;
}

/* The overlay the guest writes to instead of its image: a qcow2 whose
 * backing file is the image, made empty at each start. */
static int make_transient_overlay(const DomainDef *live, DomainDiskDef *disk, ConfError *err) {
        _cleanup_free_ char *overlay = NULL;
        char why[256] = "";
        int r;

        if (!disk->guest.transient)
                return 0;
        overlay = qemu_disk_transient_overlay(live, disk);
        if (!overlay)
                return -ENOMEM;
        if (access(overlay, F_OK) == 0) {
                conf_error_set(err, VB_ERROR_OPERATION_UNSUPPORTED, "Overlay file '%s' for transient disk '%s' "
                               "already exists", overlay, disk->dst);
                return -EEXIST;
        }
        r = qemu_image_create(overlay, "qcow2", 0, disk->src,
                              disk->format == DOMAIN_DISK_FORMAT_QCOW2  ? "qcow2"
                              : disk->format == DOMAIN_DISK_FORMAT_VMDK ? "vmdk"
                                                                        : "raw",
                              why, sizeof(why));
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot make the overlay of transient disk '%s': %s",
                               disk->dst, why[0] ? why : strerror(-r));
                return r;
        }
        disk->guest.transient_overlay = true;
        return 0;
}

/* After a restart: the overlays the live state says this run made are
 * ours to remove (never one that was there before the start). */
void qemu_disk_transient_mark(DomainDef *live, char **dsts) {
        for (size_t i = 0; live && i < live->n_disks; i++)
                if (live->disks[i].guest.transient && strv_contains(dsts, live->disks[i].dst))
                        live->disks[i].guest.transient_overlay = true;
}

void qemu_disk_transient_remove(DomainDef *live) {
        for (size_t i = 0; live && i < live->n_disks; i++) {
                DomainDiskDef *disk = &live->disks[i];
                _cleanup_free_ char *overlay = NULL;

                if (!disk->guest.transient_overlay)
                        continue;
                overlay = qemu_disk_transient_overlay(live, disk);
                if (overlay && unlink(overlay) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Domain %s: cannot remove the overlay '%s' of transient disk '%s': %m",
                                          live->name, overlay, disk->dst);
                disk->guest.transient_overlay = false;
        }
}

int qemu_disk_prepare(DomainDef *live, unsigned confine_flags, ConfError *err) {
        for (size_t i = 0; i < live->n_disks;) {
                int r = apply_startup_policy(&live->disks[i], live->name, err);

                if (r < 0)
                        return r;
                if (r > 0) {
                        r = domain_def_remove_device(live, "disk", i);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = check_source_extras(&live->disks[i], err);
                if (r >= 0)
                        r = check_nvme(&live->disks[i], err);
                if (r >= 0)
                        r = check_lun(&live->disks[i], confine_flags, err);
                if (r >= 0)
                        r = make_transient_overlay(live, &live->disks[i], err);
                if (r < 0)
                        return r;
                i++;
        }
        return 0;
}
