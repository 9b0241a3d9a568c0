/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev> on QEMU's command line, as libvirt puts it:
 *   pci        -device vfio-pci, host=DDDD:BB:SS.F (QEMU opens the VFIO group)
 *   mdev       -device vfio-pci, sysfsdev=/sys/bus/mdev/devices/UUID, display, ramfb
 *   usb        -device usb-host, hostbus/hostaddr and/or vendorid/productid
 *   scsi       -blockdev host_device on the LUN's /dev/sgN, or iscsi on the
 *              target's LUN (user/password-secret for <auth>), -device scsi-generic
 *   scsi_host  -device vhost-scsi-pci, wwpn= (QEMU opens /dev/vhost-scsi)
 * Each has the id "hostdevN" (N: its place in def->hostdevs). */
#include "domain-disk-secret.h"
#include "qemu-command-internal.h"
#include "util.h"

int qemu_hostdev_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_hostdevs; i++) {
                char *s;

                if (asprintf(&s, "hostdev%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->hostdevs[i].alias, s);
                /* the iSCSI source's messages and secret object are the hostdev's */
                if (def->hostdevs[i].iscsi) {
                        char *dst = strdup(def->hostdevs[i].alias);
                        if (!dst)
                                return -ENOMEM;
                        free_and_replace_str(&def->hostdevs[i].iscsi->dst, dst);
                }
        }
        return 0;
}

static void boot_index(json_object **o, const DomainHostdevDef *h) {
        if (h->boot_order)
                prop_int(o, "bootindex", h->boot_order);
}

static int build_pci(QemuCmd *c, const DomainHostdevDef *h, const char *id, json_object **ret) {
        int r = qemu_pci_device_new(c, &h->addr, id, "vfio-pci", id, ret);

        if (r < 0)
                return r;
        prop_strf(ret, "host", "%04x:%02x:%02x.%x", h->pci_domain, h->pci_bus, h->pci_slot, h->pci_function);
        if (h->net.teaming_persistent) /* the virtio-net NIC whose alias it names */
                prop_str(ret, "failover_pair_id", h->net.teaming_persistent);
        boot_index(ret, h);
        qemu_rom_props(ret, &h->rom);
        return 0;
}

static int build_mdev(QemuCmd *c, const DomainHostdevDef *h, const char *id, json_object **ret) {
        int r = qemu_pci_device_new(c, &h->addr, id, "vfio-pci", id, ret);

        if (r < 0)
                return r;
        prop_strf(ret, "sysfsdev", "/sys/bus/mdev/devices/%s", h->mdev_uuid);
        if (h->display != TRISTATE_ABSENT)
                prop_str(ret, "display", h->display == TRISTATE_ON ? "on" : "off");
        if (h->ramfb != TRISTATE_ABSENT)
                prop_bool(ret, "ramfb", h->ramfb == TRISTATE_ON);
        boot_index(ret, h);
        return 0;
}

static int build_scsi_host(QemuCmd *c, const DomainHostdevDef *h, const char *id, json_object **ret) {
        const char *driver = streq_ptr(h->model, "virtio-transitional") ? "vhost-scsi-pci-transitional" :
                             streq_ptr(h->model, "virtio-non-transitional") ? "vhost-scsi-pci-non-transitional" :
                                                                                "vhost-scsi-pci";
        int r = cmd_need_device(c, driver) ?: qemu_pci_device_new(c, &h->addr, id, driver, id, ret);

        if (r < 0)
                return r;
        prop_str(ret, "wwpn", h->wwpn);
        return 0;
}

/* guestReset: off never resets, uninitialized resets a device the guest
 * has not configured yet, on resets always (QEMU's two booleans). */
static int build_usb(QemuCmd *c, const DomainHostdevDef *h, const char *id, json_object **ret) {
        json_object *o = dev_new("usb-host", id);
        int r = qemu_usb_bus_props(c, &h->addr, id, &o);

        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        if (h->has_usb_address) {
                prop_int(&o, "hostbus", h->usb_bus);
                prop_int(&o, "hostaddr", h->usb_device);
        }
        if (h->has_usb_product) {
                prop_int(&o, "vendorid", h->usb_vendor);
                prop_int(&o, "productid", h->usb_product);
        }
        if (h->guest_reset) {
                prop_bool(&o, "guest-reset", !streq(h->guest_reset, "off"));
                prop_bool(&o, "guest-resets-all", streq(h->guest_reset, "on"));
        }
        boot_index(&o, h);
        *ret = o;
        return 0;
}

/* A running guest's iSCSI login, for DetachDevice: the secret object the
 * start made (its data was fetched then, not now), named so that it goes
 * with the node. AttachDevice of one with a login is refused before
 * (qemu-hotplug-hostdev.c). */
static int running_login(QemuCmd *c, const DomainHostdevDef *h, const char *id, json_object **node) {
        json_object *o = props_new("qom-type", "secret");
        char secret[256];

        snprintf(secret, sizeof(secret), "%s-auth-secret0", id);
        prop_str(&o, "id", secret);
        prop_str(node, "user", h->iscsi->auth->username);
        prop_str(node, "password-secret", secret);
        return cmd_object(c, o);
}

/* The LUN's node: the host's /dev/sgN (found at start or plug), or libiscsi's
 * connection to the target, built as an iSCSI disk's (with its login). */
static int scsi_backend(QemuCmd *c, size_t i, const DomainHostdevDef *h, const char *id, json_object **ret) {
        const char *path = i < c->params->n_hostdev_paths ? c->params->hostdev_paths[i] : NULL;
        json_object *node = NULL;
        int r;

        if (h->iscsi) {
                r = qemu_disk_net_node(c, h->iscsi, &node);
                if (r >= 0 && h->iscsi->auth && !cmd_renders(c))
                        r = running_login(c, h, id, &node);
                else if (r >= 0)
                        r = qemu_disk_auth_props(c, h->iscsi, id, &node);
                if (r < 0) {
                        qemu_json_putp(&node);
                        return r;
                }
                *ret = node;
                return 0;
        }
        if (!path)
                return cmd_fail(c, -EINVAL, "%s: the SCSI generic node of host device %s:%u:%u:%u is not known",
                                id, h->scsi_adapter, h->scsi_bus, h->scsi_target, h->scsi_unit);
        node = props_new("driver", "host_device");
        prop_str(&node, "filename", path);
        *ret = node;
        return 0;
}

static int build_scsi(QemuCmd *c, size_t i, const DomainHostdevDef *h, const char *id, json_object **ret) {
        const DomainDeviceAddress *a = &h->addr;
        json_object *node = NULL, *o;
        char bus[128];
        int r;

        if (a->type != DOMAIN_ADDRESS_DRIVE)
                return cmd_fail(c, -EINVAL, "%s: a SCSI hostdev needs its <address type='drive'/>", id);
        r = scsi_backend(c, i, h, id, &node);
        if (r < 0)
                return r;
        prop_strf(&node, "node-name", "%s-backend", id);
        prop_bool(&node, "read-only", h->readonly);
        r = cmd_blockdev(c, node);
        if (r < 0)
                return r;
        o = dev_new("scsi-generic", id);
        prop_strf(&o, "bus", "%s.0", qemu_dev_id(bus, sizeof(bus), qemu_controller_user_alias(c->def,
                  DOMAIN_CONTROLLER_SCSI, a->controller), "scsi%u", a->controller));
        if (streq(qemu_scsi_controller_model(c->def, a->controller), "virtio-scsi")) {
                prop_int(&o, "channel", a->bus);
                prop_int(&o, "scsi-id", a->target);
                prop_int(&o, "lun", a->unit);
        } else
                prop_int(&o, "scsi-id", a->unit);
        prop_strf(&o, "drive", "%s-backend", id);
        boot_index(&o, h);
        *ret = o;
        return 0;
}

static int build_hostdev(QemuCmd *c, size_t i) {
        const DomainHostdevDef *h = &c->def->hostdevs[i];
        json_object *o = NULL;
        char id[128];
        int r;

        qemu_dev_id(id, sizeof(id), h->alias, "hostdev%zu", i);
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                r = cmd_need_device(c, "vfio-pci") ?: build_pci(c, h, id, &o);
                break;
        case DOMAIN_HOSTDEV_MDEV:
                r = cmd_need_device(c, "vfio-pci") ?: build_mdev(c, h, id, &o);
                break;
        case DOMAIN_HOSTDEV_USB:
                r = cmd_need_device(c, "usb-host") ?: build_usb(c, h, id, &o);
                break;
        case DOMAIN_HOSTDEV_SCSI:
                r = cmd_need_device(c, "scsi-generic") ?: build_scsi(c, i, h, id, &o);
                break;
        case DOMAIN_HOSTDEV_SCSI_HOST:
                r = build_scsi_host(c, h, id, &o);
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "%s: <hostdev type='%s'> is for containers", id,
                                domain_hostdev_type_to_string(h->type) ?: "?");
        }
        if (r < 0)
                return r;
        return cmd_device(c, o);
}

int qemu_build_hostdevs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_hostdevs; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_HOSTDEV, i);
                /* libvirt's unassigned PCI hostdev: reserved, not the guest's */
                if (c->def->hostdevs[i].addr.type == DOMAIN_ADDRESS_UNASSIGNED)
                        continue;
                r = build_hostdev(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
