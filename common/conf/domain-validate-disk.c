/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's define-time rules on a <disk>'s guest-visible options,
 * <driver> extras and startupPolicy (domain-disk-guest.c,
 * domain-disk-driver.c), with libvirt's words. Called by
 * domain_def_validate() for each disk. */
#include "domain-conf-internal.h"

static bool removable(const DomainDiskDef *d) {
        return d->device == DOMAIN_DISK_DEVICE_CDROM || d->device == DOMAIN_DISK_DEVICE_FLOPPY;
}

static int validate_startup_policy(const DomainDiskDef *d, ConfError *err) {
        if (!d->startup_policy)
                return 0;
        if (d->type == DOMAIN_DISK_TYPE_NETWORK)
                return xml_err_xml(err, "disk '%s': startupPolicy '%s' is not allowed for disk of 'network' type",
                                   d->dst, d->startup_policy);
        if (streq(d->startup_policy, "requisite") && !removable(d))
                return xml_err_xml(err, "disk '%s': startupPolicy 'requisite' is allowed only for cdrom or floppy",
                                   d->dst);
        return 0;
}

/* What only virtio-blk has. */
static int validate_virtio_only(const DomainDiskDef *d, ConfError *err) {
        if (d->bus == DOMAIN_DISK_BUS_VIRTIO)
                return 0;
        if (d->model)
                return xml_err_unsupported(err, "disk '%s': disk model '%s' not supported for bus '%s'", d->dst,
                                           d->model, domain_disk_bus_to_string(d->bus));
        if (d->drv.queues)
                return xml_err_unsupported(err, "disk '%s': queues attribute in disk driver element is only "
                                           "supported by virtio-blk", d->dst);
        if (domain_virtio_opts_set(&d->drv.virtio))
                return xml_err_unsupported(err, "disk '%s': iommu, ats, packed and page_per_vq of "
                                           "<devices/disk/driver> are only for virtio devices", d->dst);
        return 0;
}

/* device='lun': SCSI commands go to the host's device, so it is one (a
 * block device, a volume or iSCSI) and raw. */
static int validate_lun(const DomainDiskDef *d, ConfError *err) {
        if (d->device != DOMAIN_DISK_DEVICE_LUN) {
                if (d->rawio != TRISTATE_ABSENT)
                        return xml_err_unsupported(err, "disk '%s': rawio can be used only with device='lun'", d->dst);
                if (d->sgio)
                        return xml_err_unsupported(err, "disk '%s': sgio can be used only with device='lun'", d->dst);
                return 0;
        }
        if (streq_ptr(d->sgio, "unfiltered"))
                return xml_err_unsupported(err, "disk '%s': unfiltered sgio is no longer supported", d->dst);
        if (d->net && d->net->protocol != DOMAIN_DISK_PROTOCOL_ISCSI)
                return xml_err_unsupported(err, "disk '%s': disk device='lun' is not supported for protocol='%s'",
                                           d->dst, domain_disk_protocol_to_string(d->net->protocol));
        if (d->type != DOMAIN_DISK_TYPE_BLOCK && d->type != DOMAIN_DISK_TYPE_VOLUME &&
            d->type != DOMAIN_DISK_TYPE_NETWORK)
                return xml_err_unsupported(err, "disk '%s': disk device='lun' is only valid for block type disk "
                                           "source", d->dst);
        if (d->format != DOMAIN_DISK_FORMAT_NONE && d->format != DOMAIN_DISK_FORMAT_RAW)
                return xml_err_unsupported(err, "disk '%s': disk device 'lun' must use 'raw' format", d->dst);
        if (d->slice.set)
                return xml_err_unsupported(err, "disk '%s': disk device 'lun' doesn't support storage slice", d->dst);
        return 0;
}

int domain_validate_disk_extras(const DomainDiskDef *d, ConfError *err) {
        int r;

        if (d->guest.tray_open && !removable(d))
                return xml_err_unsupported(err, "disk '%s': tray is only valid for cdrom and floppy", d->dst);
        /* NVMe namespaces start from 1 */
        if (d->nvme && d->nvme->ns == 0)
                return xml_err_unsupported(err, "disk '%s': NVMe namespace can't be zero", d->dst);
        r = validate_startup_policy(d, err);
        if (r >= 0)
                r = domain_validate_disk_vhostuser(d, err);
        if (r >= 0)
                r = domain_validate_disk_reservations(d, err);
        if (r >= 0)
                r = validate_lun(d, err);
        if (r >= 0)
                r = validate_virtio_only(d, err);
        return r;
}
