/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Devices as data. Each device family has one builder (qemu-command-*.c)
 * that turns a device of a definition into its properties: a json_object
 * with QAPI's types ("driver", "id", "bus", "addr", then the rest; numbers
 * as numbers, booleans as booleans). The command line renders them as
 * -device/-blockdev/-object in JSON (qemu_command_build()); hot-plug sends
 * the very same objects as the arguments of device_add, blockdev-add and
 * object-add (qemu_device_props()). Both walk all devices of the
 * definition in the same order, so a device placed by the builder (a PCI
 * device without an address, when others give theirs) gets the same slot
 * in both.
 *
 * Pure, like qemu_command_build(): no I/O, the same input gives the same
 * output. What is not data yet, and so not in QemuDeviceProps: the host
 * side of interfaces (netdev_add, with the tap fd passed by getfd), of
 * serials, consoles and channels (chardev-add), of sound cards (-audiodev)
 * and redirdevs (their spicevmc chardev). */

#include <json-c/json.h>
#include <stddef.h>

#include "domain-conf.h"
#include "qemu-caps.h"

typedef enum QemuDeviceFamily {
        QEMU_DEVICE_CONTROLLER,         /* def->controllers[i] */
        QEMU_DEVICE_DISK,               /* def->disks[i] */
        QEMU_DEVICE_NET,                /* def->nets[i] */
        QEMU_DEVICE_CHR,                /* def->chrs[i]: serials, consoles, channels */
        QEMU_DEVICE_VIDEO,              /* def->videos[i] */
        QEMU_DEVICE_SOUND,              /* def->sounds[i] */
        QEMU_DEVICE_INPUT,              /* def->inputs[i] */
        QEMU_DEVICE_REDIRDEV,           /* def->redirdevs[i] */
        QEMU_DEVICE_MEMBALLOON,         /* def->memballoon, index 0 */
        QEMU_DEVICE_RNG,                /* def->rngs[i] */
        QEMU_DEVICE_WATCHDOG,           /* def->watchdog, index 0 */
        QEMU_DEVICE_PANIC,              /* def->panics[i] (isa only: hyperv is no device) */
        QEMU_DEVICE_VSOCK,              /* def->vsock, index 0 */
        QEMU_DEVICE_IOMMU,              /* def->iommu, index 0 */
        QEMU_DEVICE_HOSTDEV,            /* def->hostdevs[i] */
        QEMU_DEVICE_MEMORY,             /* def->mems[i] */
        QEMU_DEVICE_TPM,                /* def->tpms[i] */
        QEMU_DEVICE_HUB,                /* def->hubs[i] */
        QEMU_DEVICE_FS,                 /* def->filesystems[i] */
        QEMU_DEVICE_SMARTCARD,          /* def->smartcards[i] */
        QEMU_DEVICE_SHMEM,              /* def->shmems[i] */
        _QEMU_DEVICE_FAMILY_MAX,
} QemuDeviceFamily;

/* The index of a controller the builder adds itself (USB 0 for USB
 * devices, virtio-serial 0 for channels, a disk's SATA/SCSI controller):
 * reachable by its alias only. */
#define QEMU_DEVICE_IMPLICIT ((size_t) -1)

const char *qemu_device_family_to_string(QemuDeviceFamily f);
/* How many devices of the family the definition has (memballoon: 0 or 1). */
size_t qemu_device_family_count(const DomainDef *def, QemuDeviceFamily f);

/* What plugging one device takes, each a JSON array of argument objects in
 * the order to send them. Any of them may be empty: a ps2 input or a
 * console that shows the first serial port is no device of its own. */
typedef struct QemuDeviceProps {
        json_object *objects;           /* object-add: rng backend, throttle group */
        json_object *blockdevs;         /* blockdev-add: a disk's nodes, protocol node first */
        json_object *devices;           /* device_add: the device, then its children (HDA codecs) */
} QemuDeviceProps;

void qemu_device_props_done(QemuDeviceProps *p);

/* The properties of device index of family in def, exactly as the command
 * line of def carries them (caps: the QEMU that runs or will run it; the
 * machine is read from def->os.machine). For a hot-plug, add the device to
 * (a copy of) the live definition first, with its address and alias, and
 * ask for it. 0; -ENOENT (no such device); -EINVAL, -EOPNOTSUPP (def cannot
 * be built, as for qemu_command_build()); -ENOMEM. err, when not NULL, says
 * what was wrong. *ret is filled only on success. */
int qemu_device_props(
                const DomainDef *def,
                const QemuCaps *caps,
                QemuDeviceFamily family,
                size_t index,
                QemuDeviceProps *ret,
                ConfError *err);

/* The same, with what the driver decides for a plug or an unplug (the
 * guest's run_dir, qemud.conf's NBD TLS): params as qemu_command_build()'s,
 * NULL as qemu_device_props(). */
struct QemuCommandParams;
int qemu_device_props_params(
                const DomainDef *def,
                const QemuCaps *caps,
                const struct QemuCommandParams *params,
                QemuDeviceFamily family,
                size_t index,
                QemuDeviceProps *ret,
                ConfError *err);

/* The same, for the device whose qdev id is alias ("virtio-disk0", "net1",
 * "usb"...): also reaches the controllers the builder adds itself. */
int qemu_device_props_by_alias(
                const DomainDef *def,
                const QemuCaps *caps,
                const char *alias,
                QemuDeviceProps *ret,
                ConfError *err);
