/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemud's define-time rules on what the guest sees of a disk and on the
 * <driver> extras: which QEMU device has the property (wwn on ide-hd and
 * scsi-hd, vendor and product on scsi-hd, rotation_rate on the drive
 * buses, CHS translation on IDE), libvirt's words. */
#include "qemu-validate.h"
#include "qemu-virtiofs.h"
#include "util.h"
#include "xml-util.h"

static bool on_drive_bus(DomainDiskBus b) {
        return b == DOMAIN_DISK_BUS_SCSI || b == DOMAIN_DISK_BUS_IDE || b == DOMAIN_DISK_BUS_SATA;
}

static int validate_ids(const DomainDiskDef *d, ConfError *err) {
        const DomainDiskGuestOpts *g = &d->guest;

        /* libvirt's words: its SATA disks are ide-hd, and take no wwn */
        if (g->wwn && d->bus != DOMAIN_DISK_BUS_IDE && d->bus != DOMAIN_DISK_BUS_SCSI)
                return xml_err_unsupported(err, "disk '%s': Only ide and scsi disk support wwn "
                                           "(<devices/disk/wwn>)", d->dst);
        if ((g->vendor || g->product) && d->bus != DOMAIN_DISK_BUS_SCSI)
                return xml_err_unsupported(err, "disk '%s': Only scsi disk supports vendor and product "
                                           "(<devices/disk/vendor>, <devices/disk/product>)", d->dst);
        if (g->rotation_rate && !on_drive_bus(d->bus))
                return xml_err_unsupported(err, "disk '%s': rotation rate is only valid for SCSI/IDE/SATA bus",
                                           d->dst);
        if (g->rotation_rate && d->device != DOMAIN_DISK_DEVICE_DISK)
                return xml_err_unsupported(err, "disk '%s': rotation rate is only valid for disk device", d->dst);
        return 0;
}

static int validate_geometry(const DomainDiskDef *d, ConfError *err) {
        const DomainDiskGuestOpts *g = &d->guest;

        if (!g->cyls || !g->heads || !g->secs)
                return 0;
        if (d->bus == DOMAIN_DISK_BUS_USB || d->bus == DOMAIN_DISK_BUS_SD)
                return xml_err_unsupported(err, "disk '%s': CHS geometry can not be set for '%s' bus", d->dst,
                                           domain_disk_bus_to_string(d->bus));
        if (g->trans && d->bus != DOMAIN_DISK_BUS_IDE)
                return xml_err_unsupported(err, "disk '%s': CHS translation mode can only be set for 'ide' bus "
                                           "not '%s'", d->dst, domain_disk_bus_to_string(d->bus));
        return 0;
}

static int validate_copy_on_read(const DomainDiskDef *d, ConfError *err) {
        if (d->drv.copy_on_read != TRISTATE_ON)
                return 0;
        if (d->readonly)
                return xml_err_unsupported(err, "copy_on_read is not compatible with read-only disk '%s'", d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_CDROM || d->device == DOMAIN_DISK_DEVICE_FLOPPY)
                return xml_err_unsupported(err, "copy_on_read is not supported with removable disk '%s'", d->dst);
        return 0;
}

/* libvirt makes a transient disk an overlay file over the image, so the
 * image must be a writable file. */
static int validate_transient(const DomainDiskDef *d, ConfError *err) {
        if (!d->guest.transient)
                return 0;
        if (!d->src && !d->src_pool && !d->net)
                return xml_err_unsupported(err, "transient disk '%s' must not be empty", d->dst);
        if (d->readonly)
                return xml_err_unsupported(err, "transient disk '%s' must not be read-only", d->dst);
        if (d->type != DOMAIN_DISK_TYPE_FILE)
                return xml_err_unsupported(err, "transient disk supported only with 'file' type (%s)", d->dst);
        if (d->device != DOMAIN_DISK_DEVICE_DISK)
                return xml_err_unsupported(err, "transient disk supported only with 'disk' device (%s)", d->dst);
        if (d->guest.transient_share_backing && d->bus != DOMAIN_DISK_BUS_USB && d->bus != DOMAIN_DISK_BUS_VIRTIO &&
            d->bus != DOMAIN_DISK_BUS_SCSI)
                return xml_err_unsupported(err, "disk bus '%s' doesn't support transient disk backing image sharing",
                                           domain_disk_bus_to_string(d->bus));
        return 0;
}

/* <acpi index=''/>: a property of a PCI device. */
static int validate_acpi_index(const DomainDiskDef *d, ConfError *err) {
        if (d->acpi_index && d->bus != DOMAIN_DISK_BUS_VIRTIO)
                return xml_err_unsupported(err, "disk '%s': ACPI index is only supported for PCI devices "
                                           "(<devices/disk/acpi>)", d->dst);
        return 0;
}

/* scsi-block on a SCSI controller, virtio-blk's scsi=on: SG_IO needs one of them. */
static int validate_lun(const DomainDiskDef *d, ConfError *err) {
        if (d->device != DOMAIN_DISK_DEVICE_LUN)
                return 0;
        if (d->bus != DOMAIN_DISK_BUS_VIRTIO && d->bus != DOMAIN_DISK_BUS_SCSI)
                return xml_err_unsupported(err, "disk '%s': disk device='lun' is not supported for bus='%s'", d->dst,
                                           domain_disk_bus_to_string(d->bus));
        if (d->drv.copy_on_read == TRISTATE_ON)
                return xml_err_unsupported(err, "copy_on_read is not compatible with 'lun' disk '%s'", d->dst);
        if (d->guest.wwn)
                return xml_err_unsupported(err, "disk '%s': Setting wwn is not supported for lun device", d->dst);
        if (d->guest.vendor || d->guest.product)
                return xml_err_unsupported(err, "disk '%s': Setting vendor or product is not supported for lun "
                                           "device", d->dst);
        if (d->serial && d->bus == DOMAIN_DISK_BUS_SCSI)
                return xml_err_unsupported(err, "disk '%s': scsi-block 'lun' devices do not support the serial "
                                           "property", d->dst);
        return 0;
}

/* type='dir': QEMU's vvfat makes a FAT image of the directory, read-only
 * (its write support is not safe), libvirt's words. */
static int validate_dir(const DomainDiskDef *d, ConfError *err) {
        if (d->format == DOMAIN_DISK_FORMAT_FAT && d->type != DOMAIN_DISK_TYPE_DIR && d->type != DOMAIN_DISK_TYPE_VOLUME)
                return xml_err_unsupported(err, "disk '%s': storage format 'fat' is supported only with 'dir' "
                                           "storage type", d->dst);
        if (d->type != DOMAIN_DISK_TYPE_DIR)
                return 0;
        if (d->format != DOMAIN_DISK_FORMAT_NONE && d->format != DOMAIN_DISK_FORMAT_FAT)
                return xml_err_unsupported(err, "disk '%s': storage type 'dir' requires use of storage format 'fat'",
                                           d->dst);
        if (!d->readonly)
                return xml_err_unsupported(err, "disk '%s': virtual FAT storage can't be accessed in read-write mode",
                                           d->dst);
        return 0;
}

/* An SD card has no serial and no tray (libvirt's words). */
static int validate_sd(const DomainDiskDef *d, ConfError *err) {
        if (d->bus != DOMAIN_DISK_BUS_SD)
                return 0;
        if (d->serial)
                return xml_err_unsupported(err, "disk '%s': Serial property not supported for drive bus 'sd'",
                                           d->dst);
        if (d->device == DOMAIN_DISK_DEVICE_CDROM)
                return xml_err_unsupported(err, "disk type of '%s' does not support ejectable media", d->dst);
        if (d->iothread)
                return xml_err_unsupported(err, "IOThreads not available for bus sd target %s", d->dst);
        return 0;
}

int qemu_validate_disk_extras(const DomainDiskDef *d, ConfError *err) {
        int r = validate_sd(d, err);

        if (r >= 0)
                r = validate_ids(d, err);

        if (r >= 0)
                r = validate_geometry(d, err);
        if (r >= 0)
                r = validate_copy_on_read(d, err);
        if (r >= 0)
                r = validate_transient(d, err);
        if (r >= 0)
                r = validate_acpi_index(d, err);
        if (r >= 0)
                r = validate_lun(d, err);
        if (r >= 0)
                r = validate_dir(d, err);
        return r;
}

/* A vhost-user back end maps the guest's RAM: libvirt's
 * qemuValidateDomainDefVhostUserRequireSharedMemory(). */
int qemu_validate_disks_machine(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainDiskDef *d = &def->disks[i];

                if (d->vhostuser && !qemu_memory_shared(def))
                        return xml_err_unsupported(err, "disk '%s': 'vhostuser' requires shared memory "
                                                   "(<memoryBacking><access mode='shared'/>, or memAccess='shared' "
                                                   "on every NUMA cell)", d->dst);
        }
        return 0;
}
