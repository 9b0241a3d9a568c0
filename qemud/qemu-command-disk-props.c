/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disk properties beyond the node chain and the bus (those are
 * qemu-command-disks.c's): what the guest sees (wwn, vendor, product,
 * geometry, block sizes, rotation rate), the error policies, virtio-blk's
 * queues and transport options, acpi-index; on the format node
 * detect-zeroes and the qcow2 metadata cache; the copy-on-read filter
 * node. Pure: see qemu-command.h. */
#include <inttypes.h>
#include <stdlib.h>

#include "qemu-command-internal.h"

const char *qemu_disk_virtio_driver(const DomainDiskDef *disk) {
        if (disk->vhostuser)
                return streq_ptr(disk->model, "virtio-transitional")       ? "vhost-user-blk-pci-transitional"
                       : streq_ptr(disk->model, "virtio-non-transitional") ? "vhost-user-blk-pci-non-transitional"
                                                                           : "vhost-user-blk-pci";
        if (streq_ptr(disk->model, "virtio-transitional"))
                return "virtio-blk-pci-transitional";
        if (streq_ptr(disk->model, "virtio-non-transitional"))
                return "virtio-blk-pci-non-transitional";
        return "virtio-blk-pci";
}

/* libvirt's 'enospace' is QEMU's 'enospc'. */
static const char *error_action(const char *policy) {
        return streq_ptr(policy, "enospace") ? "enospc" : policy;
}

static void prop_uint64(json_object **o, const char *key, uint64_t v) {
        if (*o)
                prop_take(o, key, json_object_new_uint64(v));
}

static void identity_props(json_object **o, const DomainDiskGuestOpts *g) {
        if (g->wwn)
                prop_uint64(o, "wwn", strtoull(g->wwn, NULL, 16));
        if (g->vendor)
                prop_str(o, "vendor", g->vendor);
        if (g->product)
                prop_str(o, "product", g->product);
        if (g->rotation_rate)
                prop_int(o, "rotation_rate", g->rotation_rate);
}

static void shape_props(json_object **o, const DomainDiskGuestOpts *g) {
        if (g->cyls && g->heads && g->secs) {
                prop_int(o, "cyls", g->cyls);
                prop_int(o, "heads", g->heads);
                prop_int(o, "secs", g->secs);
                if (g->trans)
                        prop_str(o, "bios-chs-trans", g->trans);
        }
        if (g->logical_block_size)
                prop_int(o, "logical_block_size", g->logical_block_size);
        if (g->physical_block_size)
                prop_int(o, "physical_block_size", g->physical_block_size);
}

/* As libvirt: error_policy alone sets the read policy too, except
 * 'enospace' which is for writes only. */
static void error_props(json_object **o, const DomainDiskDriverOpts *d) {
        const char *rerror = d->rerror_policy;

        if (!rerror && d->error_policy && !streq(d->error_policy, "enospace"))
                rerror = d->error_policy;
        if (d->error_policy)
                prop_str(o, "werror", error_action(d->error_policy));
        if (rerror)
                prop_str(o, "rerror", error_action(rerror));
}

int qemu_disk_device_extra_props(QemuCmd *c, const DomainDiskDef *disk, DomainDiskBus bus, json_object **o) {
        char what[64];

        identity_props(o, &disk->guest);
        shape_props(o, &disk->guest);
        error_props(o, &disk->drv);
        if (bus == DOMAIN_DISK_BUS_VIRTIO) {
                /* device='lun': the guest's SCSI commands through virtio-blk (legacy virtio only) */
                if (disk->device == DOMAIN_DISK_DEVICE_LUN)
                        prop_bool(o, "scsi", true);
                if (disk->drv.queues)
                        prop_int(o, "num-queues", disk->drv.queues);
                if (disk->drv.queue_size)
                        prop_int(o, "queue-size", disk->drv.queue_size);
                qemu_virtio_opts_props(o, &disk->drv.virtio);
        }
        snprintf(what, sizeof(what), "disk %s", disk->dst);
        return qemu_acpi_index_prop(c, o, bus == DOMAIN_DISK_BUS_VIRTIO ? disk->acpi_index : 0, what);
}

/* On the format node: zero detection (unmap only where discards reach the
 * image, else plain 'on', as libvirt) and qcow2's metadata cache. */
void qemu_disk_format_extra_props(json_object **o, const DomainDiskDef *disk) {
        const char *dz = disk->drv.detect_zeroes;

        if (streq_ptr(dz, "unmap") && disk->discard != DOMAIN_DISK_DISCARD_UNMAP)
                dz = "on";
        if (dz)
                prop_str(o, "detect-zeroes", dz);
        if (disk->drv.metadata_cache_max && disk->format == DOMAIN_DISK_FORMAT_QCOW2)
                prop_uint64(o, "cache-size", disk->drv.metadata_cache_max);
}

/* copy_on_read='on': a filter node over the top one; returns the node the
 * device then reads (the filter's), or the top's when there is none. */
int qemu_disk_copy_on_read_node(QemuCmd *c, const DomainDiskDef *disk, const char *alias, const char *top,
                                char **ret_node) {
        json_object *o;
        char *node;
        int r;

        if (disk->drv.copy_on_read != TRISTATE_ON) {
                node = strdup(top);
                if (!node)
                        return -ENOMEM;
                *ret_node = node;
                return 0;
        }
        if (asprintf(&node, "%s-cor", alias) < 0)
                return -ENOMEM;
        o = props_new("driver", "copy-on-read");
        prop_str(&o, "node-name", node);
        prop_str(&o, "file", top);
        if (disk->discard == DOMAIN_DISK_DISCARD_UNMAP)
                prop_str(&o, "discard", "unmap");
        r = cmd_blockdev(c, o);
        if (r < 0) {
                free(node);
                return r;
        }
        *ret_node = node;
        return 0;
}
