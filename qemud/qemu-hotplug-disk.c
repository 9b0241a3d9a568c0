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
#include "qemu-hotplug-internal.h"
#include "util.h"

int hotplug_device_props(Domain *d, const DomainDef *def, const DevRef *ref, bool plug, QemuDeviceProps *ret,
                         ConfError *e) {
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        QemuCommandParams params = { .monitor_fd = -1 };
        _cleanup_free_ char *dir = NULL;
        QemuDiskTls tls;
        int r;

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
                if (r < 0)
                        return r;
        }
        return qemu_device_props_params(def, caps, &params, ref->family, ref->index, ret, e);
}
