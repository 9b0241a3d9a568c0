/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A disk on bus 'sd' (an SD card), as libvirt 9.0 builds it: a legacy
 * -drive if=sd,index=N and no device, the machine's SD controller taking it.
 * x86's pc and q35 have none, and QEMU refuses the line at start ("machine
 * type does not support if=sd"), as it does libvirt's. Pure: see
 * qemu-command.h. */
#include "qemu-command-internal.h"

static const char *drive_cache(DomainDiskCache cache) {
        return cache == DOMAIN_DISK_CACHE_DEFAULT ? NULL : domain_disk_cache_to_string(cache);
}

int qemu_build_disk_sd(QemuCmd *c, const DomainDiskDef *disk, unsigned index) {
        const char *cache = drive_cache(disk->cache);
        OptBuf b = {};

        if (!disk->src || disk->net || disk->nvme || disk->vhostuser || disk->type == DOMAIN_DISK_TYPE_DIR)
                return cmd_fail(c, -EOPNOTSUPP, "disk %s: bus 'sd' takes a file or block device image (%s)",
                                disk->dst, disk->src ? "not this type" : "none given or resolved");
        if (!cmd_renders(c))
                return 0;       /* no device data: hot-plug refuses bus 'sd' (qemu-hotplug.c) */
        opt_add_str(&b, "file", disk->src);
        opt_add(&b, "format=%s", disk->format == DOMAIN_DISK_FORMAT_NONE ? "raw"
                                                                          : domain_disk_format_to_string(disk->format));
        opt_add(&b, "if=sd,index=%u", index);
        if (disk->readonly)
                opt_add(&b, "readonly=on");
        if (cache)
                opt_add(&b, "cache=%s", cache);
        return cmd_opt(c, "-drive", &b);
}
