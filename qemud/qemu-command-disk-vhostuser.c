/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='vhostuser'>: no block node, a unix socket chardev that the
 * vhost-user-blk device hands the guest's queues through. Pure: see
 * qemu-command.h. */
#include "qemu-command-internal.h"

char *qemu_disk_vhostuser_chardev_id(const char *alias) {
        char *id;

        return asprintf(&id, "chr-vu-%s", alias) < 0 ? NULL : id;
}

/* QEMU connects as the client: the back end (qemu-storage-daemon...) must
 * be listening when the guest starts. reconnect=N retries a lost back end
 * every N seconds; enabled='no' is QEMU's reconnect=0, as libvirt writes it. */
int qemu_disk_vhostuser_chardev(QemuCmd *c, const DomainDiskDef *disk, const char *alias) {
        const DomainDiskVhostUser *v = disk->vhostuser;
        _cleanup_free_ char *id = qemu_disk_vhostuser_chardev_id(alias);
        OptBuf b = {};

        if (!id)
                return -ENOMEM;
        if (!cmd_renders(c))
                return 0;       /* hot-plug adds it by chardev-add (qemu-hotplug-disk-vhostuser.c) */
        opt_add(&b, "socket,id=%s", id);
        opt_add_str(&b, "path", v->path);
        if (v->reconnect != TRISTATE_ABSENT)
                opt_add(&b, "reconnect=%u", v->reconnect == TRISTATE_ON ? v->reconnect_timeout : 0);
        return cmd_opt(c, "-chardev", &b);
}

void qemu_disk_vhostuser_device_props(json_object **o, const char *alias) {
        _cleanup_free_ char *id = qemu_disk_vhostuser_chardev_id(alias);

        if (!id) {
                qemu_json_putp(o);
                *o = NULL;      /* out of memory: cmd_device() reports it */
                return;
        }
        prop_str(o, "chardev", id);
}
