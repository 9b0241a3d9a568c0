/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <source><reservations>: the pr-manager-helper object a device='lun'
 * disk's storage node hands persistent reservation commands to, as libvirt
 * names them: one "pr-helper0" for all managed disks (the qemu-pr-helper
 * qemud runs, qemu-pr-helper.c), "pr-helper-ALIAS" for each disk's own
 * unmanaged helper. Pure: see qemu-command.h. */
#include "qemu-command-internal.h"

#define MANAGED_ID "pr-helper0"

static bool managed(const DomainDiskDef *disk) {
        return disk->pr && disk->pr->managed == TRISTATE_ON;
}

/* Whether a disk before this one has already made the managed object. */
static bool managed_seen(const DomainDef *def, const DomainDiskDef *disk) {
        for (size_t i = 0; i < def->n_disks && &def->disks[i] != disk; i++)
                if (managed(&def->disks[i]))
                        return true;
        return false;
}

char *qemu_disk_pr_managed_socket(const char *run_dir) {
        char *s;

        return asprintf(&s, "%s/" MANAGED_ID ".sock", run_dir) < 0 ? NULL : s;
}

static int pr_object(QemuCmd *c, const DomainDiskDef *disk, const char *id) {
        _cleanup_free_ char *sock = NULL;
        const char *path = disk->pr->path;
        json_object *o;

        if (!path && managed(disk)) {
                /* hot-plug: only beside a managed disk the guest started with */
                if (!c->params->run_dir)
                        return cmd_fail(c, -EOPNOTSUPP, "disk %s: its managed reservations need the qemu-pr-helper "
                                        "qemud runs from the guest's start, and the guest has none: add the disk to "
                                        "the persistent definition instead", disk->dst);
                sock = qemu_disk_pr_managed_socket(c->params->run_dir);
                if (!sock)
                        return -ENOMEM;
                path = sock;
        }
        if (!path)
                return cmd_fail(c, -EINVAL, "disk %s: its reservations name no qemu-pr-helper socket", disk->dst);
        o = props_new("qom-type", "pr-manager-helper");
        prop_str(&o, "id", id);
        prop_str(&o, "path", path);
        return cmd_object(c, o);
}

int qemu_disk_pr_props(QemuCmd *c, const DomainDiskDef *disk, const char *alias, json_object **node) {
        _cleanup_free_ char *id = NULL;
        int r;

        if (!disk->pr)
                return 0;
        if (managed(disk)) {
                id = strdup(MANAGED_ID);
                if (!id)
                        return -ENOMEM;
                r = managed_seen(c->def, disk) ? 0 : pr_object(c, disk, id);
        } else {
                if (asprintf(&id, "pr-helper-%s", alias) < 0)
                        return -ENOMEM;
                r = pr_object(c, disk, id);
        }
        if (r < 0)
                return r;
        prop_str(node, "pr-manager", id);
        return 0;
}
