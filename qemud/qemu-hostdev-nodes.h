/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device nodes QEMU opens itself for a guest's <hostdev> and <tpm>,
 * which its own /dev must hold, its device filter let through and, under
 * DAC, its user own (as libvirt gives them):
 *   pci, mdev        /dev/vfio/vfio and /dev/vfio/<group>, the group the
 *                    device's sysfs iommu_group link names
 *   usb              /dev/bus/usb/BBB/DDD (by vendor and product: the
 *                    busnum and devnum of the sysfs device with those ids)
 *   scsi             /dev/sgN of the LUN's scsi_generic directory
 *   scsi_host        /dev/vhost-scsi
 *   tpm passthrough  its <device path=''/>, /dev/tpm0 when not given
 * A device sysfs_root does not show gives nothing here (the start's checks,
 * qemu_hostdev_prepare(), name it). Pure but for reading sysfs_root
 * ("/sys"; a made-up tree in tests). */

#include "domain-conf.h"

#define QEMU_VFIO_CONTAINER "/dev/vfio/vfio"

/* The sysfs qemud finds host devices in: "/sys", or the made-up tree
 * VIRTBUS_HOSTDEV_SYSFS names (for tests, as VIRTBUS_DMI_TABLE). */
const char *qemu_hostdev_sysfs_root(void);

int qemu_hostdev_nodes(const DomainDef *def, const char *sysfs_root, char ***ret);

/* The nodes def->hostdevs[index] needs that nothing else of def (its
 * other host devices, its TPM) does: what a hot-plug gives QEMU before
 * device_add and an unplug takes back once the device is gone (VFIO's
 * container stays while another VFIO device uses it). */
int qemu_hostdev_nodes_own(const DomainDef *def, size_t index, const char *sysfs_root, char ***ret);
