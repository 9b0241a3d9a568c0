/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <hostdev> in a QEMU guest: what qemud takes of the model's forms, and
 * the host side checked at start.
 *
 * Taken (mode='subsystem'): pci (vfio-pci host=), usb (usb-host by bus
 * and device, or vendor and product), scsi (scsi-generic on the /dev/sgN of
 * an adapter's LUN), scsi_host (vhost-scsi-pci wwpn=) and mdev of model
 * vfio-pci (vfio-pci sysfsdev=). Refused naming what is wrong, as libvirt
 * refuses it: mode='capabilities' (a container's), a PCI driver other than
 * vfio, mdev models of other architectures (vfio-ccw, vfio-ap), an address
 * of the wrong type, an mdev display='on' without <graphics>, ramfb='on'
 * without display='on' or on more than one mdev, a boot order on
 * vhost-scsi, a SCSI drive address a disk or another hostdev has.
 *
 * The host side is not known at define time (a definition may name a
 * device the host gets later): qemu_hostdev_prepare() looks at start and
 * refuses, naming it, a device the host lacks or QEMU cannot open. */

#include "domain-conf.h"
#include "qemu-device.h"
#include "qemu-hostdev-nodes.h"

int qemu_hostdev_validate(const DomainDef *def, ConfError *err);

/* Whether the definition has a USB hostdev (it needs a USB controller). */
bool qemu_hostdev_needs_usb(const DomainDef *def);

/* Checks that each hostdev of def is on this host (sysfs_root: "/sys",
 * dev_root: "/dev", other roots for tests) and, for a SCSI hostdev, finds
 * its SCSI generic node: (*ret_paths)[i] is "/dev/sgN" for def->hostdevs[i]
 * of type scsi, NULL for the others (free with qemu_hostdev_paths_free()). 0, or
 * -ENODEV (a device the host lacks), -EBUSY (a PCI device not bound to
 * vfio-pci: qemud does not rebind host drivers) with *err naming it. */
int qemu_hostdev_prepare(const DomainDef *def, const char *sysfs_root, const char *dev_root, char ***ret_paths,
                         ConfError *err);
void qemu_hostdev_paths_free(char **paths, size_t n);
/* The VF of an <interface type='hostdev'> is on this host, bound to
 * vfio-pci and an SR-IOV VF whose PF's netdev sysfs shows, its VLAN one a
 * VF takes: as qemu_hostdev_prepare() checks it before the start or a
 * hot-plug sets its MAC and VLAN (qemu-hostdev-vf.h). */
int qemu_hostdev_check_vf(const DomainHostdevDef *h, const char *sysfs_root, ConfError *err);

/* The props of def->hostdevs[index] for a plug or an unplug
 * (qemu_device_props()), with the SCSI generic node of each SCSI hostdev
 * found below the roots as the start finds it. A plug fails, naming it,
 * when the device's own node is not there; an unplug sends only the
 * node's name (blockdev-del), so a LUN gone from the host still goes. */
int qemu_hostdev_props(const DomainDef *def, const QemuCaps *caps, size_t index, const char *sysfs_root,
                       const char *dev_root, bool plug, QemuDeviceProps *ret, ConfError *err);
