/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A disk's backing chain as explicit block nodes, as libvirt gives it,
 * when QEMU could not open it from the image's headers alone: a layer on a
 * network server (<backingStore type='network'>) or encrypted (its
 * <source><encryption>). Each layer k (1 under the image) is
 * "<alias>-b<k>-file" under "<alias>-b<k>-fmt", read-only, its format
 * node naming the next layer's as backing (null under the last of a known
 * chain: QEMU opens nothing more). Other chains QEMU follows from the
 * headers. Pure: see qemu-command.h. */

#include "domain-disk-secret.h"
#include "qemu-command-internal.h"

bool qemu_disk_chain_explicit(const DomainDiskDef *disk) {
        for (size_t k = 0; k < disk->n_backing; k++)
                if (disk->backing[k].net || disk->backing[k].encryption)
                        return true;
        return false;
}

/* The layer as a read-only disk, for the disk's node builders. */
static DomainDiskDef layer_view(const DomainDiskDef *disk, const DomainDiskBacking *b) {
        return (DomainDiskDef) {
                .type = b->type,
                .format = b->format,
                .src = b->path,
                .net = b->net,
                .encryption = b->encryption,
                .dst = disk->dst,
                .readonly = true,
        };
}

static int layer_storage(QemuCmd *c, const DomainDiskDef *view, const char *prefix) {
        json_object *o = NULL;
        char node[300];
        int r = 0;

        snprintf(node, sizeof(node), "%s-file", prefix);
        if (view->net) {
                r = qemu_disk_net_node(c, view, &o);
                if (r >= 0)
                        r = qemu_disk_net_tls(c, view->net, node, &o);
                if (r >= 0)
                        r = qemu_disk_librbd_encryption_props(c, view, prefix, &o);
        } else {
                o = props_new("driver", view->type == DOMAIN_DISK_TYPE_BLOCK ? "host_device" : "file");
                prop_str(&o, "filename", view->src);
        }
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        prop_str(&o, "node-name", node);
        prop_bool(&o, "read-only", true);
        return cmd_blockdev(c, o);
}

static const char *layer_driver(DomainDiskFormat f) {
        return f == DOMAIN_DISK_FORMAT_QCOW2 ? "qcow2" : f == DOMAIN_DISK_FORMAT_VMDK ? "vmdk" : "raw";
}

/* Whether a format names a backing image (raw has none). */
static bool has_backing(DomainDiskFormat f) {
        return f == DOMAIN_DISK_FORMAT_QCOW2 || f == DOMAIN_DISK_FORMAT_VMDK;
}

static int build_layer(QemuCmd *c, const DomainDiskDef *disk, const char *alias, size_t k) {
        const DomainDiskBacking *b = &disk->backing[k];
        DomainDiskDef view = layer_view(disk, b);
        json_object *o;
        char prefix[256];
        int r;

        snprintf(prefix, sizeof(prefix), "%s-b%zu", alias, k + 1);
        if (k + 1 < disk->n_backing && !has_backing(b->format))
                return cmd_fail(c, -EINVAL, "disk %s: backing layer %zu is %s, which has no backing image, yet "
                                "another layer is under it", disk->dst, k + 1, layer_driver(b->format));
        if (b->slice.set && (b->format == DOMAIN_DISK_FORMAT_QCOW2 || b->format == DOMAIN_DISK_FORMAT_VMDK))
                return cmd_fail(c, -EOPNOTSUPP, "disk %s: a <slice> of a %s backing layer in an explicit chain "
                                "is not supported", disk->dst, layer_driver(b->format));
        r = layer_storage(c, &view, prefix);
        if (r < 0)
                return r;
        o = props_new("driver", layer_driver(b->format));
        prop_strf(&o, "node-name", "%s-fmt", prefix);
        prop_strf(&o, "file", "%s-file", prefix);
        prop_bool(&o, "read-only", true);
        if (b->slice.set) {
                prop_int(&o, "offset", (int64_t) b->slice.offset);
                prop_int(&o, "size", (int64_t) b->slice.size);
        }
        r = qemu_disk_encryption_props(c, &view, prefix, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        if (k + 1 < disk->n_backing)
                prop_strf(&o, "backing", "%s-b%zu-fmt", alias, k + 2);
        else if (disk->backing_known && has_backing(b->format) && o)
                json_object_object_add(o, "backing", NULL);
        return cmd_blockdev(c, o);
}

int qemu_build_disk_chain(QemuCmd *c, const DomainDiskDef *disk, const char *alias) {
        if (!qemu_disk_chain_explicit(disk))
                return 0;
        if (disk->guest.transient)
                return cmd_fail(c, -EOPNOTSUPP, "disk %s: <transient/> over a network or encrypted backing chain "
                                "is not supported", disk->dst);
        if (!has_backing(disk->format))
                return cmd_fail(c, -EINVAL, "disk %s: a %s image has no backing image, yet <backingStore> gives "
                                "one", disk->dst, layer_driver(disk->format));
        /* the bottom first: a node names only nodes that exist */
        for (size_t k = disk->n_backing; k-- > 0;) {
                int r = build_layer(c, disk, alias, k);
                if (r < 0)
                        return r;
        }
        return 0;
}

void qemu_disk_chain_backing_prop(const DomainDiskDef *disk, const char *alias, json_object **o) {
        if (qemu_disk_chain_explicit(disk))
                prop_strf(o, "backing", "%s-b1-fmt", alias);
}
