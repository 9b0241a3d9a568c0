/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev> in AttachDevice: the start's host checks (qemu-hostdev.c) run
 * first, so a device this host lacks (or one not bound to vfio-pci) is
 * named and the guest left as it was. An iSCSI LUN is plugged (its
 * login's secret object, an iscsi blockdev and scsi-generic, as at start). */
#include <errno.h>

#include "error.h"
#include "qemu-hostdev.h"
#include "qemu-hotplug-internal.h"
#include "util.h"

/* An <interface type='hostdev'> parses into the hostdev list (kind
 * "interface" with no net): it is no interface QEMU can plug. */
int hotplug_check_interface_kind(const DomainDef *holder, const char *kind, sd_bus_error *error) {
        if (!streq(kind, "interface") || holder->n_nets > 0 || holder->n_hostdevs == 0)
                return 0;
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: an <interface "
                             "type='hostdev'> cannot be hot-plugged or unplugged by qemud yet");
}

int hotplug_hostdev_check(const DomainDef *live, const DevRef *ref, sd_bus_error *error) {
        DomainDef one = { .hostdevs = live->hostdevs + ref->index, .n_hostdevs = 1 };
        ConfError e = {};
        char what[160], **paths = NULL;
        int r;

        if (ref->family != QEMU_DEVICE_HOSTDEV)
                return 0;
        /* an iSCSI LUN is QEMU's to reach (blockdev-add logs in, its
         * login's secret fetched for the plug, qemu-hotplug-secret.c):
         * nothing of the host's to give it, as libvirt plugs it */
        if (live->hostdevs[ref->index].iscsi)
                return 0;
        r = qemu_hostdev_prepare(&one, "/sys", "/dev", &paths, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot find the host device", error);
        qemu_hostdev_paths_free(paths, 1);
        /* there: QEMU would need its nodes in its device cgroup, its /dev
         * and under its user, which only the start gives yet */
        domain_hostdev_describe(&live->hostdevs[ref->index], what, sizeof(what));
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: host device %s is there, "
                             "but qemud does not hot-plug host devices yet: define it and start the guest with it",
                             what);
}
