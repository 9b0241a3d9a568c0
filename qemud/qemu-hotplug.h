/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device hot-plug for QEMU (the DomainDeviceOps of qemud, domain-device.h).
 *
 * Attach: the device is added to a copy of the live definition, placed by
 * the address allocator (qemu-address.c) and named as the start names
 * devices; qemu_device_props() gives the object-add, blockdev-add and
 * device_add arguments the command line would carry, and they are sent in
 * that order (chardev-add and netdev_add first for the host side, which is
 * not data yet). A writable disk gets its lease first; a disk's or an
 * iSCSI hostdev's secrets are asked of secretd first (qemu-hotplug-secret.c),
 * a disk's NBD TLS and managed qemu-pr-helper are set up as at start
 * (qemu-hotplug-disk.c). An <interface
 * type='network'|'bridge'> gets its port (a tap) from networkd, as the start
 * does; the tap goes to QEMU by getfd (SCM_RIGHTS on the monitor) before
 * netdev_add takes it by name. Interfaces keep their alias (qdev id ALIAS,
 * netdev "host" ALIAS) whatever was unplugged before them. Any failure
 * undoes what QEMU already took, in reverse, and releases the port. The
 * copy becomes the live definition (and the live state file) only once
 * QEMU took everything.
 *
 * Detach: device_del, then the guest's answer: DEVICE_DELETED removes the
 * device (and its block nodes, its secret and TLS objects by id, its
 * lease, an interface's netdev and networkd's port) from QEMU and the live
 * definition
 * and emits DeviceRemoved; DEVICE_UNPLUG_GUEST_ERROR emits
 * DeviceRemovalFailed. The call returns at the answer or after 5 s, as
 * libvirt does (success, the removal still pending). A removal under way
 * is in the live state: a restarted qemud finishes it
 * (qemu-hotplug-pending.c).
 *
 * Update: a cdrom's medium: open the tray, remove the medium, insert the
 * new one (none: eject). DEVICE_TRAY_MOVED emits TrayChange.
 *
 * CONFIG changes the persistent definition (newdef while the domain runs)
 * the same way, checked by the same rules, and saves it. */

#include <json-c/json.h>
#include <libxml/tree.h>

#include "domain-device.h"

extern const DomainDeviceOps qemu_device_ops;

/* QEMU's device events (DEVICE_DELETED, DEVICE_UNPLUG_GUEST_ERROR,
 * DEVICE_TRAY_MOVED) for d; other events are left alone. Called by
 * qemu_event_dispatch(). */
void qemu_hotplug_event(Domain *d, const char *event, json_object *data);

/* Pure helpers, for the unit test. */
/* The "execute"/"arguments" commands that plug the device built from
 * props, in order. */
int qemu_hotplug_plug_commands(json_object *objects, json_object *blockdevs, json_object *devices,
                               json_object **ret);
/* The commands that take back what the plug commands made (object-del,
 * blockdev-del in reverse order; the device itself by device_del). */
int qemu_hotplug_unplug_backends(json_object *objects, json_object *blockdevs, json_object **ret);

/* DetachDevice's unplugs under way, in the live state (<unplug/>) until
 * their backends are gone (qemu-hotplug-pending.c): formatted, read back
 * after a restart, and finished once the monitor is back. */
int qemu_hotplug_status_format(Domain *d, char **ret);
int qemu_hotplug_status_parse(Domain *d, xmlNodePtr root);
void qemu_hotplug_recover(Domain *d);
/* At the guest's stop: the host side of a plug left recorded, taken back. */
void hotplug_plug_records_stopped(Domain *d);
