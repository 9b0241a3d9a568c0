/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The builder of the disk family: their addresses and aliases (from the
 * target name), the blockdev nodes (protocol, format, throttle filter), the
 * throttle-group objects of <iotune>, and the device on the right bus, all
 * as JSON properties (see qemu-device.h). Pure: see qemu-command.h. */

#include <inttypes.h>

#include "qemu-command-internal.h"
#include "qemu-disk-prepare.h"

/* ---- disk addresses and aliases ---- */

DomainDiskBus qemu_disk_bus(const DomainDiskDef *disk) {
        if (disk->bus_given || !disk->dst)
                return disk->bus;
        if (startswith(disk->dst, "vd"))
                return DOMAIN_DISK_BUS_VIRTIO;
        if (startswith(disk->dst, "sd"))
                return DOMAIN_DISK_BUS_SCSI;
        if (startswith(disk->dst, "hd"))
                return DOMAIN_DISK_BUS_IDE;
        if (startswith(disk->dst, "fd"))
                return DOMAIN_DISK_BUS_FDC;
        return disk->bus;
}

/* "vda" = 0, "vdz" = 25, "vdaa" = 26 (libvirt's numbering). */
static int disk_target_index(const char *dst, unsigned *ret) {
        const char *p;
        unsigned long idx = 0;
        size_t n;

        if (!dst)
                return -EINVAL;
        if (startswith(dst, "vd") || startswith(dst, "sd") || startswith(dst, "hd") || startswith(dst, "fd"))
                p = dst + 2;
        else
                return -EINVAL;
        n = strlen(p);
        if (n == 0 || n > 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < 'a' || p[i] > 'z')
                        return -EINVAL;
                idx = (i == 0 ? 0 : (idx + 1) * 26) + (unsigned long) (p[i] - 'a');
        }
        *ret = (unsigned) idx;
        return 0;
}

/* NULL model means lsilogic, as for libvirt on x86. */
const char *qemu_scsi_controller_model(const DomainDef *def, unsigned index) {
        const DomainControllerDef *ctrl = qemu_find_controller(def, DOMAIN_CONTROLLER_SCSI, index);

        /* the (non-)transitional virtio models address their disks as virtio-scsi */
        if (ctrl && domain_controller_is_virtio_scsi(ctrl))
                return "virtio-scsi";
        return ctrl && ctrl->model ? ctrl->model : "lsilogic";
}

/* An <address type='drive'/> places the disk itself: controller, bus (the
 * IDE bus, the SCSI channel), target (the SCSI id) and unit (the AHCI port,
 * IDE unit or SCSI LUN; for lsilogic the SCSI id, one LUN per target). */
static int drive_address(const DomainDef *def, const DomainDiskDef *disk, QemuDiskAddr *a) {
        const DomainDeviceAddress *d = &disk->addr;

        a->controller = d->controller;
        a->bus_nr = d->bus;
        a->target = d->target;
        a->unit = d->unit;
        switch (a->bus) {
        case DOMAIN_DISK_BUS_SATA:
                return d->bus == 0 && d->target == 0 && d->unit < 6 ? 0 : -EINVAL;
        case DOMAIN_DISK_BUS_IDE:
                return d->bus <= 1 && d->target == 0 && d->unit <= 1 ? 0 : -EINVAL;
        case DOMAIN_DISK_BUS_FDC:
                return d->controller == 0 && d->bus == 0 && d->target == 0 && d->unit <= 1 ? 0 : -EINVAL;
        case DOMAIN_DISK_BUS_SCSI:
                if (streq(qemu_scsi_controller_model(def, d->controller), "virtio-scsi"))
                        return d->target <= 255 && d->unit <= 16383 ? 0 : -EINVAL;
                return d->bus == 0 && d->target == 0 && d->unit < 7 ? 0 : -EINVAL;
        default:
                return -EINVAL;
        }
}

int qemu_disk_address(const DomainDef *def, const DomainDiskDef *disk, QemuDiskAddr *ret) {
        QemuDiskAddr a = { .bus = qemu_disk_bus(disk) };
        int r;

        r = disk_target_index(disk->dst, &a.index);
        if (r < 0)
                return r;
        if (disk->addr.type == DOMAIN_ADDRESS_DRIVE) {
                r = drive_address(def, disk, &a);
                if (r < 0)
                        return r;
                *ret = a;
                return 0;
        }
        if (disk->addr.type != DOMAIN_ADDRESS_NONE && a.bus != DOMAIN_DISK_BUS_VIRTIO &&
            !(a.bus == DOMAIN_DISK_BUS_USB && disk->addr.type == DOMAIN_ADDRESS_USB))
                return -EINVAL;         /* a PCI address on a drive bus */
        switch (a.bus) {
        case DOMAIN_DISK_BUS_VIRTIO:
        case DOMAIN_DISK_BUS_USB:       /* its place is its USB port */
                a.unit = a.index;
                break;
        case DOMAIN_DISK_BUS_SATA:      /* AHCI: 6 ports per controller */
                a.controller = a.index / 6;
                a.unit = a.index % 6;
                break;
        case DOMAIN_DISK_BUS_IDE:       /* 2 buses x 2 units */
                a.controller = a.index / 4;
                a.bus_nr = (a.index % 4) / 2;
                a.unit = a.index % 2;
                break;
        case DOMAIN_DISK_BUS_SD:        /* -drive if=sd,index=N: no controller of ours */
                a.unit = a.index;
                break;
        case DOMAIN_DISK_BUS_FDC:       /* one controller, drives A and B */
                if (a.index > 1)
                        return -EINVAL;
                a.unit = a.index;
                break;
        case DOMAIN_DISK_BUS_SCSI:
                /* virtio-scsi: LUNs of target 0 of controller 0; lsilogic:
                 * 7 targets per controller, LUN 0 each */
                if (streq(qemu_scsi_controller_model(def, 0), "virtio-scsi"))
                        a.unit = a.index;
                else {
                        a.controller = a.index / 7;
                        a.unit = a.index % 7;
                }
                break;
        default:
                return -EINVAL;
        }
        *ret = a;
        return 0;
}

/* A user's alias names the disk (and its nodes), else its address does. */
static char *disk_alias_of(const DomainDiskDef *disk, const QemuDiskAddr *a) {
        char *s = NULL;
        int r = -1;

        if (domain_alias_is_user(disk->alias))
                return strdup(disk->alias);
        switch (a->bus) {
        case DOMAIN_DISK_BUS_VIRTIO:
                r = asprintf(&s, "virtio-disk%u", a->index);
                break;
        case DOMAIN_DISK_BUS_SATA:
                r = asprintf(&s, "sata%u-0-%u", a->controller, a->unit);
                break;
        case DOMAIN_DISK_BUS_IDE:
                r = asprintf(&s, "ide%u-%u-%u", a->controller, a->bus_nr, a->unit);
                break;
        case DOMAIN_DISK_BUS_FDC:
                r = asprintf(&s, "fdc0-0-%u", a->unit);
                break;
        case DOMAIN_DISK_BUS_USB:
                r = asprintf(&s, "usb-disk%u", a->index);
                break;
        case DOMAIN_DISK_BUS_SD:
                r = asprintf(&s, "sd-disk%u", a->index);
                break;
        case DOMAIN_DISK_BUS_SCSI:
                r = asprintf(&s, "scsi%u-%u-%u-%u", a->controller, a->bus_nr, a->target, a->unit);
                break;
        default:
                break;
        }
        return r < 0 ? NULL : s;
}

int qemu_command_disk_alias(const DomainDef *def, const DomainDiskDef *disk, char **ret) {
        QemuDiskAddr a;
        char *s;
        int r;

        r = qemu_disk_address(def, disk, &a);
        if (r < 0)
                return r;
        s = disk_alias_of(disk, &a);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* ---- disks ---- */

/* The host-side half of the cache mode: BlockdevCacheOptions. */
static void prop_cache(json_object **o, DomainDiskCache cache) {
        json_object *cc;
        bool direct, no_flush;

        switch (cache) {
        case DOMAIN_DISK_CACHE_NONE:
        case DOMAIN_DISK_CACHE_DIRECTSYNC:
                direct = true, no_flush = false;
                break;
        case DOMAIN_DISK_CACHE_WRITETHROUGH:
        case DOMAIN_DISK_CACHE_WRITEBACK:
                direct = false, no_flush = false;
                break;
        case DOMAIN_DISK_CACHE_UNSAFE:
                direct = false, no_flush = true;
                break;
        default:
                return;
        }
        cc = json_object_new_object();
        prop_bool(&cc, "direct", direct);
        prop_bool(&cc, "no-flush", no_flush);
        prop_take(o, "cache", cc);
}

/* The guest-visible half of the cache mode. */
static const char *cache_write_cache(DomainDiskCache cache) {
        switch (cache) {
        case DOMAIN_DISK_CACHE_NONE:
        case DOMAIN_DISK_CACHE_WRITEBACK:
        case DOMAIN_DISK_CACHE_UNSAFE:
                return "on";
        case DOMAIN_DISK_CACHE_WRITETHROUGH:
        case DOMAIN_DISK_CACHE_DIRECTSYNC:
                return "off";
        default:
                return NULL;
        }
}

static const char *disk_protocol(const DomainDiskDef *disk) {
        bool dev = disk->type == DOMAIN_DISK_TYPE_BLOCK ||
                   (disk->type == DOMAIN_DISK_TYPE_VOLUME && startswith(disk->src, "/dev/"));

        if (!dev)
                return "file";
        return disk->device == DOMAIN_DISK_DEVICE_CDROM ? "host_cdrom" : "host_device";
}

static bool disk_readonly(const DomainDiskDef *disk) {
        return disk->readonly || disk->device == DOMAIN_DISK_DEVICE_CDROM;
}

/* A <slice> is the raw format's offset and size when the image is raw;
 * under any other format (or a LUKS layer) it is a raw node of its own
 * between the file and the format, as libvirt does. 1: that node was
 * added, 0: the format node takes the slice (or there is none). */
static int build_slice_node(QemuCmd *c, const DomainDiskDef *disk, const char *alias, const char *discard) {
        json_object *o;
        int r;

        if (!disk->slice.set || (disk->format != DOMAIN_DISK_FORMAT_QCOW2 && disk->format != DOMAIN_DISK_FORMAT_VMDK &&
                                 (!disk->encryption || qemu_disk_librbd_encrypted(disk))))
                return 0;
        o = props_new("driver", "raw");
        prop_strf(&o, "node-name", "%s-slice", alias);
        prop_int(&o, "offset", (int64_t) disk->slice.offset);
        prop_int(&o, "size", (int64_t) disk->slice.size);
        prop_strf(&o, "file", "%s-file", alias);
        prop_cache(&o, disk->cache);
        if (disk_readonly(disk))
                prop_bool(&o, "read-only", true);
        if (discard)
                prop_str(&o, "discard", discard);
        r = cmd_blockdev(c, o);
        return r < 0 ? r : 1;
}

/* What a network disk's protocol node takes besides its server and auth:
 * NBD's TLS, librbd's encryption. */
static int disk_net_extras(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **o) {
        char node[256];

        snprintf(node, sizeof(node), "%s-file", alias);
        return qemu_disk_net_tls(c, disk->net, node, o) ?: qemu_disk_librbd_encryption_props(c, disk, alias, o);
}

static int build_disk_nodes(QemuCmd *c, const DomainDiskDef *disk, const char *alias) {
        static const char *const aio[_DOMAIN_DISK_IO_MAX] = {
                [DOMAIN_DISK_IO_THREADS] = "threads",
                [DOMAIN_DISK_IO_NATIVE] = "native",
                [DOMAIN_DISK_IO_URING] = "io_uring",
        };
        const char *discard = domain_disk_discard_to_string(disk->discard);
        /* a transient disk runs on its overlay, which names the image as its backing file */
        _cleanup_free_ char *overlay = disk->guest.transient ? qemu_disk_transient_overlay(c->def, disk) : NULL;
        bool qcow2 = disk->format == DOMAIN_DISK_FORMAT_QCOW2 || overlay;
        json_object *o = NULL;
        int r;

        if (disk->guest.transient && !overlay)
                return -ENOMEM;
        r = qemu_build_disk_chain(c, disk, alias);
        if (r < 0)
                return r;
        if (disk->net) {
                r = qemu_disk_net_node(c, disk, &o);
                if (r >= 0)
                        r = qemu_disk_auth_props(c, disk, alias, &o);
                if (r >= 0)
                        r = disk_net_extras(c, disk, alias, &o);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
        } else if (disk->nvme) {
                o = props_new("driver", "nvme");
                prop_strf(&o, "device", "%04x:%02x:%02x.%x", disk->nvme->pci_domain, disk->nvme->pci_bus,
                          disk->nvme->pci_slot, disk->nvme->pci_function);
                prop_int(&o, "namespace", (int64_t) disk->nvme->ns);
        } else if (disk->type == DOMAIN_DISK_TYPE_DIR) {
                o = props_new("driver", "vvfat");
                prop_str(&o, "dir", disk->src);
                prop_bool(&o, "floppy", disk->device == DOMAIN_DISK_DEVICE_FLOPPY);
                prop_bool(&o, "rw", false);
        } else {
                o = props_new("driver", disk_protocol(disk));
                prop_str(&o, "filename", overlay ?: disk->src);
                r = qemu_disk_pr_props(c, disk, alias, &o);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
        }
        prop_strf(&o, "node-name", "%s-file", alias);
        prop_cache(&o, disk->cache);
        /* aio is the file drivers' own */
        if (!disk->net && (unsigned) disk->io < _DOMAIN_DISK_IO_MAX && aio[disk->io])
                prop_str(&o, "aio", aio[disk->io]);
        if (disk_readonly(disk))
                prop_bool(&o, "read-only", true);
        /* the guest's TRIM goes down to the file only if both nodes pass it on */
        if (discard)
                prop_str(&o, "discard", discard);
        r = cmd_blockdev(c, o);
        if (r < 0)
                return r;
        r = build_slice_node(c, disk, alias, discard);
        if (r < 0)
                return r;

        o = props_new("driver", qcow2 ? "qcow2" : disk->format == DOMAIN_DISK_FORMAT_VMDK ? "vmdk" : "raw");
        prop_strf(&o, "node-name", "%s-fmt", alias);
        prop_strf(&o, "file", r > 0 ? "%s-slice" : "%s-file", alias);
        if (disk->slice.set && r == 0) {
                prop_int(&o, "offset", (int64_t) disk->slice.offset);
                prop_int(&o, "size", (int64_t) disk->slice.size);
        }
        prop_cache(&o, disk->cache);
        if (disk_readonly(disk))
                prop_bool(&o, "read-only", true);
        if (discard)
                prop_str(&o, "discard", discard);
        qemu_disk_format_extra_props(&o, disk);
        qemu_disk_chain_backing_prop(disk, alias, &o);
        r = qemu_disk_encryption_props(c, disk, alias, &o);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return cmd_blockdev(c, o);
}

static bool group_name_is_valid(const char *s) {
        if (!s || !*s || strlen(s) > 100 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
                        return false;
        return true;
}

static int check_iotune(QemuCmd *c, const DomainDiskDef *disk) {
        const DomainDiskIotune *t = &disk->iotune;

        if ((t->total_bytes_sec && (t->read_bytes_sec || t->write_bytes_sec)) ||
            (t->total_iops_sec && (t->read_iops_sec || t->write_iops_sec)) ||
            (t->total_bytes_sec_max && (t->read_bytes_sec_max || t->write_bytes_sec_max)) ||
            (t->total_iops_sec_max && (t->read_iops_sec_max || t->write_iops_sec_max)))
                return cmd_fail(c, -EINVAL, "disk %s: total and read/write iotune limits exclude each other",
                                disk->dst);
        if ((t->total_bytes_sec_max && !t->total_bytes_sec) || (t->read_bytes_sec_max && !t->read_bytes_sec) ||
            (t->write_bytes_sec_max && !t->write_bytes_sec) || (t->total_iops_sec_max && !t->total_iops_sec) ||
            (t->read_iops_sec_max && !t->read_iops_sec) || (t->write_iops_sec_max && !t->write_iops_sec))
                return cmd_fail(c, -EINVAL, "disk %s: an iotune *_max limit needs its base limit", disk->dst);
        /* QEMU's rule: a burst's length is of a burst */
        if ((t->total_bytes_sec_max_length && !t->total_bytes_sec_max) ||
            (t->read_bytes_sec_max_length && !t->read_bytes_sec_max) ||
            (t->write_bytes_sec_max_length && !t->write_bytes_sec_max) ||
            (t->total_iops_sec_max_length && !t->total_iops_sec_max) ||
            (t->read_iops_sec_max_length && !t->read_iops_sec_max) ||
            (t->write_iops_sec_max_length && !t->write_iops_sec_max))
                return cmd_fail(c, -EINVAL, "disk %s: an iotune *_max_length needs its *_max limit", disk->dst);
        if (t->group_name && !group_name_is_valid(t->group_name))
                return cmd_fail(c, -EINVAL, "disk %s: invalid iotune group name '%s' (letters, digits, "
                                "'-', '_', '.', starting with a letter)", disk->dst, t->group_name);
        return 0;
}

/* A group's limits come from its first disk, like libvirt's throttle groups. */
static bool throttle_group_seen(const DomainDef *def, size_t i) {
        const char *g = def->disks[i].iotune.group_name;

        for (size_t j = 0; g && j < i; j++)
                if (def->disks[j].has_iotune && streq_ptr(def->disks[j].iotune.group_name, g))
                        return true;
        return false;
}

static int build_throttle(QemuCmd *c, size_t i, const char *alias) {
        const DomainDiskDef *disk = &c->def->disks[i];
        const DomainDiskIotune *t = &disk->iotune;
        const struct {
                const char *name;
                uint64_t v;
        } limits[] = {
                { "x-bps-total", t->total_bytes_sec },   { "x-bps-read", t->read_bytes_sec },
                { "x-bps-write", t->write_bytes_sec },   { "x-iops-total", t->total_iops_sec },
                { "x-iops-read", t->read_iops_sec },     { "x-iops-write", t->write_iops_sec },
                { "x-bps-total-max", t->total_bytes_sec_max }, { "x-bps-read-max", t->read_bytes_sec_max },
                { "x-bps-write-max", t->write_bytes_sec_max }, { "x-iops-total-max", t->total_iops_sec_max },
                { "x-iops-read-max", t->read_iops_sec_max },   { "x-iops-write-max", t->write_iops_sec_max },
                { "x-iops-size", t->size_iops_sec },
                { "x-bps-total-max-length", t->total_bytes_sec_max_length },
                { "x-bps-read-max-length", t->read_bytes_sec_max_length },
                { "x-bps-write-max-length", t->write_bytes_sec_max_length },
                { "x-iops-total-max-length", t->total_iops_sec_max_length },
                { "x-iops-read-max-length", t->read_iops_sec_max_length },
                { "x-iops-write-max-length", t->write_iops_sec_max_length },
        };
        const char *group = t->group_name ?: alias;
        json_object *o;
        int r;

        r = check_iotune(c, disk);
        if (r < 0)
                return r;
        if (!throttle_group_seen(c->def, i)) {
                o = props_new("qom-type", "throttle-group");
                prop_strf(&o, "id", "throttle-%s", group);
                for (size_t k = 0; k < ELEMENTSOF(limits); k++)
                        if (limits[k].v > 0)
                                prop_int(&o, limits[k].name, (int64_t) limits[k].v);
                r = cmd_object(c, o);
                if (r < 0)
                        return r;
        }
        o = props_new("driver", "throttle");
        prop_strf(&o, "node-name", "%s-throttle", alias);
        prop_strf(&o, "throttle-group", "throttle-%s", group);
        prop_strf(&o, "file", "%s-fmt", alias);
        return cmd_blockdev(c, o);
}

static int disk_device_new(QemuCmd *c, const DomainDiskDef *disk, const QemuDiskAddr *a, const char *alias,
                           json_object **ret) {
        bool cd = disk->device == DOMAIN_DISK_DEVICE_CDROM;
        json_object *o;
        char id[128];

        switch (a->bus) {
        case DOMAIN_DISK_BUS_VIRTIO: {
                char what[64];

                if (cd)
                        return cmd_fail(c, -EINVAL, "disk %s: a CD-ROM cannot be on the virtio bus", disk->dst);
                snprintf(what, sizeof(what), "disk %s", disk->dst);
                return qemu_pci_device_new(c, &disk->addr, what, qemu_disk_virtio_driver(disk), alias, ret);
        }
        case DOMAIN_DISK_BUS_SATA:
                o = dev_new(cd ? "ide-cd" : "ide-hd", alias);
                if (c->q35 && a->controller == 0)
                        prop_strf(&o, "bus", "ide.%u", a->unit);
                else
                        prop_strf(&o, "bus", "%s.%u", qemu_dev_id(id, sizeof(id), qemu_controller_user_alias(c->def,
                                  DOMAIN_CONTROLLER_SATA, a->controller), "sata%u", a->controller), a->unit);
                break;
        case DOMAIN_DISK_BUS_IDE:
                if (c->q35)
                        return cmd_fail(c, -EOPNOTSUPP, "disk %s: the q35 machine has no IDE bus, use sata",
                                        disk->dst);
                if (a->controller > 0)
                        return cmd_fail(c, -EINVAL, "disk %s: IDE has only 4 units (hda..hdd)", disk->dst);
                o = dev_new(cd ? "ide-cd" : "ide-hd", alias);
                prop_strf(&o, "bus", "ide.%u", a->bus_nr);
                prop_int(&o, "unit", a->unit);
                break;
        case DOMAIN_DISK_BUS_FDC:
                /* on the machine's floppy bus: pc's own FDC, or q35's isa-fdc */
                o = dev_new("floppy", alias);
                prop_int(&o, "unit", a->unit);
                break;
        case DOMAIN_DISK_BUS_USB: {
                char what[64];
                int r;

                /* a CD-ROM is a usb-storage too, as libvirt 9.0 builds it */
                if (disk->device != DOMAIN_DISK_DEVICE_DISK && disk->device != DOMAIN_DISK_DEVICE_CDROM)
                        return cmd_fail(c, -EOPNOTSUPP, "disk %s: only a disk (not a %s) can be on bus 'usb'",
                                        disk->dst, domain_disk_device_to_string(disk->device) ?: "?");
                snprintf(what, sizeof(what), "disk %s", disk->dst);
                o = dev_new("usb-storage", alias);
                r = cmd_need_device(c, "usb-storage") ?: qemu_usb_bus_props(c, &disk->addr, what, &o);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
                if (disk->removable != TRISTATE_ABSENT)
                        prop_bool(&o, "removable", disk->removable == TRISTATE_ON);
                break;
        }
        case DOMAIN_DISK_BUS_SCSI:
                o = dev_new(cd ? "scsi-cd" : disk->device == DOMAIN_DISK_DEVICE_LUN ? "scsi-block" : "scsi-hd",
                            alias);
                prop_strf(&o, "bus", "%s.0", qemu_dev_id(id, sizeof(id), qemu_controller_user_alias(c->def,
                          DOMAIN_CONTROLLER_SCSI, a->controller), "scsi%u", a->controller));
                if (streq(qemu_scsi_controller_model(c->def, a->controller), "virtio-scsi")) {
                        prop_int(&o, "channel", a->bus_nr);
                        prop_int(&o, "scsi-id", a->target);
                        prop_int(&o, "lun", a->unit);
                } else
                        prop_int(&o, "scsi-id", a->unit);
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "disk %s: bus %d is not supported", disk->dst, (int) a->bus);
        }
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

/* A floppy drive has no bootindex of its own: its controller has one per
 * drive, for pc's built-in FDC as for q35's isa-fdc. */
static int floppy_bootindex(QemuCmd *c, const QemuDiskAddr *a, unsigned order) {
        if (!cmd_renders(c))
                return 0;       /* a floppy is never hot-plugged */
        return cmd_arg(c, "-global") ?: cmd_argf(c, "isa-fdc.bootindex%c=%u", a->unit ? 'B' : 'A', order);
}

static int build_disk(QemuCmd *c, size_t i) {
        const DomainDiskDef *disk = &c->def->disks[i];
        _cleanup_free_ char *alias = NULL;
        const char *wc = cache_write_cache(disk->cache);
        _cleanup_free_ char *top = NULL, *drive = NULL;
        bool has_source = disk->src || disk->net || disk->nvme;
        json_object *o = NULL;
        QemuDiskAddr a;
        int r;

        if (qemu_disk_bus(disk) == DOMAIN_DISK_BUS_IDE && disk->addr.type == DOMAIN_ADDRESS_DRIVE &&
            (disk->addr.bus > 1 || disk->addr.unit > 1))
                return cmd_fail(c, -EINVAL, "disk %s: QEMU's IDE has buses 0 and 1 of units 0 and 1, not bus %u "
                                "unit %u", disk->dst, disk->addr.bus, disk->addr.unit);
        if (qemu_disk_address(c->def, disk, &a) < 0 || !(alias = disk_alias_of(disk, &a)))
                return cmd_fail(c, -EINVAL, "disk target '%s' or its <address> is not valid for its bus",
                                disk->dst ?: "");
        if (a.bus == DOMAIN_DISK_BUS_SD)
                return qemu_build_disk_sd(c, disk, a.index);
        /* an empty network CD-ROM too, as libvirt: no protocol to open it by */
        bool removable = disk->device == DOMAIN_DISK_DEVICE_CDROM || disk->device == DOMAIN_DISK_DEVICE_FLOPPY;

        if (disk->vhostuser) {
                r = qemu_disk_vhostuser_chardev(c, disk, alias);
                if (r < 0)
                        return r;
        } else if (!has_source && (!removable || disk->type == DOMAIN_DISK_TYPE_NETWORK))
                return cmd_fail(c, -EINVAL, "disk %s has no source%s", disk->dst,
                                disk->type == DOMAIN_DISK_TYPE_VOLUME ? " (volume not resolved)" : "");
        if (has_source) {
                r = build_disk_nodes(c, disk, alias);
                if (r >= 0 && disk->has_iotune)
                        r = build_throttle(c, i, alias);
                if (r >= 0 && asprintf(&top, "%s-%s", alias, disk->has_iotune ? "throttle" : "fmt") < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = qemu_disk_copy_on_read_node(c, disk, alias, top, &drive);
                if (r < 0)
                        return r;
        }
        r = disk_device_new(c, disk, &a, alias, &o);
        if (r >= 0)
                r = qemu_disk_device_extra_props(c, disk, a.bus, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        if (has_source)
                prop_str(&o, "drive", drive);
        if (disk->vhostuser)
                qemu_disk_vhostuser_device_props(&o, alias);
        if (disk->iothread && a.bus == DOMAIN_DISK_BUS_VIRTIO)
                prop_strf(&o, "iothread", "iothread%u", disk->iothread);
        if (disk->ioeventfd != TRISTATE_ABSENT && a.bus == DOMAIN_DISK_BUS_VIRTIO)
                prop_bool(&o, "ioeventfd", disk->ioeventfd == TRISTATE_ON);
        if (disk->event_idx != TRISTATE_ABSENT && a.bus == DOMAIN_DISK_BUS_VIRTIO)
                prop_bool(&o, "event_idx", disk->event_idx == TRISTATE_ON);
        if (disk->serial)
                prop_str(&o, "serial", disk->serial);
        if (disk->boot_order > 0 && a.bus != DOMAIN_DISK_BUS_FDC)
                prop_int(&o, "bootindex", disk->boot_order);
        /* an OnOffAuto: a string; scsi-block leaves caching to the host's device */
        if (wc && has_source && !(disk->device == DOMAIN_DISK_DEVICE_LUN && a.bus == DOMAIN_DISK_BUS_SCSI))
                prop_str(&o, "write-cache", wc);
        if (disk->shareable)
                prop_bool(&o, "share-rw", true);
        r = cmd_device(c, o);
        if (r >= 0 && a.bus == DOMAIN_DISK_BUS_FDC && disk->boot_order > 0)
                r = floppy_bootindex(c, &a, disk->boot_order);
        return r;
}

/* Two disks in one place (one given by its <address>, one by its target
 * name, say) would be refused by QEMU with a less clear message. */
static int check_disk_places(QemuCmd *c) {
        const DomainDef *def = c->def;
        _cleanup_free_ QemuDiskAddr *addrs = calloc(def->n_disks + 1, sizeof(QemuDiskAddr));

        if (!addrs)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_disks; i++)
                if (qemu_disk_address(def, &def->disks[i], &addrs[i]) < 0)
                        addrs[i].bus = DOMAIN_DISK_BUS_VIRTIO; /* reported by build_disk() */
        for (size_t i = 0; i < def->n_disks; i++) {
                const QemuDiskAddr a = addrs[i];

                if (a.bus == DOMAIN_DISK_BUS_VIRTIO || a.bus == DOMAIN_DISK_BUS_USB || a.bus == DOMAIN_DISK_BUS_SD)
                        continue;       /* a PCI or USB device: placed by its address; an SD card by its index */
                for (size_t j = 0; j < i; j++) {
                        const QemuDiskAddr *b = &addrs[j];

                        if (b->bus != a.bus || b->controller != a.controller || b->bus_nr != a.bus_nr ||
                            b->target != a.target || b->unit != a.unit)
                                continue;
                        return cmd_fail(c, -EINVAL, "disks %s and %s are both at %s controller %u, bus %u, "
                                        "target %u, unit %u", def->disks[j].dst, def->disks[i].dst,
                                        domain_disk_bus_to_string(a.bus), a.controller, a.bus_nr, a.target,
                                        a.unit);
                }
        }
        return 0;
}

int qemu_build_disks(QemuCmd *c) {
        int r = check_disk_places(c);

        if (r < 0)
                return r;
        for (size_t i = 0; i < c->def->n_disks; i++) {
                cmd_at(c, QEMU_DEVICE_DISK, i);
                r = build_disk(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

