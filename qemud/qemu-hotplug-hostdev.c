/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev> and <interface type='hostdev'> in AttachDevice and
 * DetachDevice, as libvirt plugs them: the start's host checks
 * (qemu-hostdev.c) first, so a device this host lacks (or one not bound to
 * vfio-pci) is named and the guest left as it was; then the device's nodes
 * (/dev/vfio/N, /dev/bus/usb/BBB/DDD, /dev/sgN, /dev/vhost-scsi) let
 * through QEMU's device filter, made in its own /dev and given to its
 * user, as the start gives them, and an interface's VF given its MAC and
 * VLAN through its PF (qemu-hostdev-vf.c); then device_add with the
 * command line's props (a SCSI LUN's node by blockdev-add first). An iSCSI
 * LUN is QEMU's to reach: its login's secret object, an iscsi blockdev and
 * scsi-generic, nothing of the host's. A plug that fails, and the unplug
 * once the guest let the device go, take all of it back. */
#include <errno.h>

#include "error.h"
#include "log.h"
#include "qemu-confine.h"
#include "qemu-hostdev.h"
#include "qemu-hostdev-nodes.h"
#include "qemu-hostdev-vf.h"
#include "qemu-hotplug-internal.h"
#include "qemu-security.h"
#include "util.h"

/* An <interface type='hostdev'> parses into the hostdev list (kind
 * "interface" with no net). */
int hotplug_interface_hostdev_kind(const DomainDef *holder, const char **kind, QemuDeviceFamily *family) {
        if (streq(*kind, "interface") && holder->n_nets == 0 && holder->n_hostdevs > 0) {
                *kind = "hostdev";
                *family = QEMU_DEVICE_HOSTDEV;
        }
        return 0;
}

void hotplug_interface_hostdev_place(DomainDef *def, const DevRef *ref) {
        if (ref->family == QEMU_DEVICE_HOSTDEV && def->hostdevs[ref->index].net.is_interface)
                def->hostdevs[ref->index].net.position = def->n_nets;
}

static bool has_host_side(const DevRef *ref, const DomainHostdevDef *h) {
        /* an iSCSI LUN is QEMU's to reach (blockdev-add logs in, its
         * login's secret fetched for the plug, qemu-hotplug-secret.c) */
        return ref->family == QEMU_DEVICE_HOSTDEV && !h->iscsi;
}

/* The VF there (bound to vfio-pci), its PF's netdev found, its VLAN one
 * a VF takes: the start's checks. */
static int check_vf(const DomainHostdevDef *h, sd_bus_error *error) {
        ConfError e = {};
        int r = qemu_hostdev_check_vf(h, qemu_hostdev_sysfs_root(), &e);

        return r < 0 ? hotplug_conf_to_bus(&e, r, "cannot find the VF", error) : 0;
}

/* An interface's VF gets its MAC and VLAN through its PF before QEMU
 * has it, and gets back what it had once QEMU let it go. */
static int vf_set(Domain *d, const DomainHostdevDef *h, ConfError *e) {
        QemuVf v;
        int r;

        if (!h->net.is_interface)
                return 0;
        r = qemu_hostdev_vf_find(h, qemu_hostdev_sysfs_root(), &v, e);
        return r < 0 ? r : qemu_hostdev_vf_set(d->manager->rundir, &v, h, d->uuid_str, e);
}

int hotplug_hostdev_check(const DomainDef *live, const DevRef *ref, sd_bus_error *error) {
        DomainDef one;
        ConfError e = {};
        char **paths = NULL;
        int r;

        if (ref->family != QEMU_DEVICE_HOSTDEV || !has_host_side(ref, &live->hostdevs[ref->index]))
                return 0;
        if (live->hostdevs[ref->index].net.is_interface)
                return check_vf(&live->hostdevs[ref->index], error);
        one = (DomainDef) { .hostdevs = live->hostdevs + ref->index, .n_hostdevs = 1 };
        r = qemu_hostdev_prepare(&one, qemu_hostdev_sysfs_root(), "/dev", &paths, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot find the host device", error);
        qemu_hostdev_paths_free(paths, 1);
        return 0;
}

static void drop_nodes(Plug *p) {
        strv_free(p->hostdev_nodes);
        p->hostdev_nodes = NULL;
}

static int give_nodes(Plug *p, Domain *d, sd_bus_error *error) {
        ConfError e = {};
        char msg[512];
        int r;

        /* the nodes the guest's other host devices hold already stay as they are */
        r = qemu_hostdev_nodes_own(p->live, p->ref.index, qemu_hostdev_sysfs_root(), &p->hostdev_nodes);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: cannot find the nodes of %s: %s",
                                     p->what, strerror(-r));
        if (!p->hostdev_nodes)
                return 0;
        r = qemu_confine_hostdev(d, p->hostdev_nodes, true, msg, sizeof(msg));
        if (r < 0) {
                drop_nodes(p);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "operation failed: cannot attach %s: %s",
                                     p->what, msg);
        }
        r = qemu_security_set_hostdev_nodes(d, p->hostdev_nodes, &e);
        if (r < 0) {
                (void) qemu_confine_hostdev(d, p->hostdev_nodes, false, msg, sizeof(msg));
                drop_nodes(p);
                return hotplug_conf_to_bus(&e, r, "cannot give the host device to QEMU's user", error);
        }
        log_debug("Domain %s: %s: %zu node(s) given to QEMU", d->def->name, p->what, strv_length(p->hostdev_nodes));
        return 0;
}

int hotplug_hostdev_give(Plug *p, Domain *d, sd_bus_error *error) {
        ConfError e = {};
        const DomainHostdevDef *h;
        int r;

        if (p->ref.family != QEMU_DEVICE_HOSTDEV || !has_host_side(&p->ref, &p->live->hostdevs[p->ref.index]))
                return 0;
        h = &p->live->hostdevs[p->ref.index];
        r = give_nodes(p, d, error);
        if (r < 0)
                return r;
        r = vf_set(d, h, &e);
        if (r < 0) {
                hotplug_hostdev_take_back(p, d);
                return hotplug_conf_to_bus(&e, r, "cannot set the VF's MAC address", error);
        }
        return 0;
}

static void take_back(Domain *d, char *const *nodes) {
        char msg[512];

        qemu_security_restore_hostdev_nodes(d, nodes);
        if (qemu_confine_hostdev(d, nodes, false, msg, sizeof(msg)) < 0)
                log_warning("Domain %s: %s", d->def->name, msg);
}

void hotplug_hostdev_take_back(Plug *p, Domain *d) {
        if (p->ref.family != QEMU_DEVICE_HOSTDEV || !has_host_side(&p->ref, &p->live->hostdevs[p->ref.index]))
                return;
        /* only what this guest set: the VF's file names the guest */
        qemu_hostdev_vf_give_back(d, &p->live->hostdevs[p->ref.index]);
        if (p->hostdev_nodes)
                take_back(d, p->hostdev_nodes);
        drop_nodes(p);
}

void hotplug_hostdev_removed(Domain *d, const DevRef *ref) {
        _cleanup_strv_free_ char **nodes = NULL;

        if (ref->family != QEMU_DEVICE_HOSTDEV || !has_host_side(ref, &d->live->hostdevs[ref->index]))
                return;
        qemu_hostdev_vf_give_back(d, &d->live->hostdevs[ref->index]);
        if (qemu_hostdev_nodes_own(d->live, ref->index, qemu_hostdev_sysfs_root(), &nodes) >= 0 && nodes)
                take_back(d, nodes);
}
