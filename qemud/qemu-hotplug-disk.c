/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A disk's properties for a plug or an unplug, with what the start would
 * have given the builder: qemud.conf's NBD TLS settings (its
 * tls-creds-x509 object, checked for a plug as the start checks it) and
 * the guest's directory (the managed qemu-pr-helper's socket). */
#include <errno.h>

#include "manager.h"
#include "qemu-command.h"
#include "qemu-confine.h"
#include "qemu-disk-tls.h"
#include "qemu-hostdev.h"
#include "qemu-hotplug-internal.h"
#include "qemu-pr-helper.h"
#include "util.h"

/* the managed disks' pr-manager-helper object (qemu-command-disk-pr.c) */
#define PR_MANAGED_ID "pr-helper0"

int hotplug_device_props(Domain *d, const DomainDef *def, const DevRef *ref, bool plug, QemuDeviceProps *ret,
                         ConfError *e) {
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        QemuCommandParams params = { .monitor_fd = -1 };
        _cleanup_free_ char *dir = NULL;
        QemuDiskTls tls;
        int r;

        if (ref->family == QEMU_DEVICE_HOSTDEV)       /* a SCSI LUN's /dev/sgN, as at start */
                return qemu_hostdev_props(def, caps, ref->index, qemu_hostdev_sysfs_root(), "/dev", plug, ret, e);
        if (ref->family != QEMU_DEVICE_DISK)
                return qemu_device_props(def, caps, ref->family, ref->index, ret, e);
        r = qemu_confine_dir(d, &dir);
        if (r < 0)
                return r;
        params.run_dir = dir;
        r = qemu_disk_tls_load(d->manager->paths.confdir, &tls, e);
        if (r >= 0) {
                params.nbd_tls = tls.enabled;
                params.nbd_tls_dir = tls.dir;
        } else if (plug)
                return r;
        if (plug) {
                DomainDef one = { .disks = def->disks + ref->index, .n_disks = 1 };

                r = qemu_disk_tls_check(&tls, &one, e);
                if (r >= 0)
                        r = qemu_disk_tls_note(d, &one.disks[0], tls.enabled);
                if (r < 0)
                        return r;
        } else
                /* the objects the plug or the start made, whatever nbd_tls says now */
                params.nbd_tls = qemu_disk_tls_made(d, &def->disks[ref->index], params.nbd_tls);
        return qemu_device_props_params(def, caps, &params, ref->family, ref->index, ret, e);
}

/* ---- <reservations managed='yes'>: the guest's qemu-pr-helper ---- */

static bool pr_managed(const DomainDiskDef *disk) {
        return disk->pr && disk->pr->managed == TRISTATE_ON;
}

/* How many managed disks def has besides index. */
static size_t other_managed(const DomainDef *def, size_t index) {
        size_t n = 0;

        for (size_t i = 0; i < def->n_disks; i++)
                n += i != index && pr_managed(&def->disks[i]);
        return n;
}

int hotplug_pr_start(Plug *p, Domain *d, sd_bus_error *error) {
        ConfError e = {};
        int r;

        if (p->ref.family != QEMU_DEVICE_DISK || !pr_managed(&p->live->disks[p->ref.index]))
                return 0;
        /* the helper listens before QEMU's pr-manager-helper connects; the
         * last step before QEMU, so that whatever fails later ends it */
        r = qemu_pr_helper_plug(d, p->live, &p->pr_started, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot start qemu-pr-helper", error);
        return 0;
}

void hotplug_pr_undo(Plug *p, Domain *d) {
        if (p->pr_started)
                qemu_pr_helper_end(d);
        p->pr_started = false;
}

int hotplug_pr_detach_prepare(const DomainDef *live, const DevRef *ref, json_object *backends) {
        json_object *v;

        if (ref->family != QEMU_DEVICE_DISK || !pr_managed(&live->disks[ref->index]) ||
            other_managed(live, ref->index) == 0)
                return 0;
        /* pr-helper0 serves the other managed disks still */
        for (size_t i = json_object_array_length(backends); i > 0; i--) {
                json_object *c = json_object_array_get_idx(backends, i - 1), *args;

                if (json_object_object_get_ex(c, "execute", &v) && streq(json_object_get_string(v), "object-del") &&
                    json_object_object_get_ex(c, "arguments", &args) && json_object_object_get_ex(args, "id", &v) &&
                    streq(json_object_get_string(v), PR_MANAGED_ID))
                        json_object_array_del_idx(backends, i - 1, 1);
        }
        return 0;
}

bool hotplug_pr_last(const DomainDef *live, const DevRef *ref) {
        return ref->family == QEMU_DEVICE_DISK && pr_managed(&live->disks[ref->index]) &&
               other_managed(live, ref->index) == 0;
}
