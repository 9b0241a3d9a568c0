/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <iommu>, <watchdog>, <panic>, <vsock> on the command line (see qemu-device.h).
 * The watchdog's action is QEMU's -action watchdog=; 'dump' runs as
 * 'pause' and the driver dumps, as libvirt does. A Hyper-V panic is no
 * device but the CPU's hv-crash (qemu-command-machine.c). */
#include "qemu-command-internal.h"
#include "qemu-device.h"
#include "util.h"

int qemu_platform_assign_aliases(DomainDef *def) {
        char *s;

        if (def->watchdog.present) {
                s = strdup("watchdog0");
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->watchdog.alias, s);
        }
        for (size_t i = 0; i < def->n_panics; i++) {
                if (asprintf(&s, "panic%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->panics[i].alias, s);
        }
        if (def->iommu.present) {
                s = strdup("iommu0");
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->iommu.alias, s);
        }
        if (def->vsock.present) {
                s = strdup("vsock0");
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->vsock.alias, s);
        }
        return 0;
}

const char *qemu_watchdog_qemu_action(DomainWatchdogActionKind a) {
        return a == DOMAIN_WATCHDOG_ACTION_DUMP ? "pause" : domain_watchdog_action_to_string(a);
}

/* First of the devices: the other PCI devices sit behind it. */
int qemu_build_iommu(QemuCmd *c) {
        const DomainIommuDef *io = &c->def->iommu;
        json_object *o = NULL;
        char id[128];
        int r;

        if (!io->present)
                return 0;
        cmd_at(c, QEMU_DEVICE_IOMMU, 0);
        qemu_dev_id(id, sizeof(id), io->alias, "iommu0");
        if (!c->q35)
                return cmd_fail(c, -EOPNOTSUPP, "iommu model '%s' needs a q35 machine",
                                domain_iommu_model_to_string(io->model));
        if (io->model == DOMAIN_IOMMU_VIRTIO) {
                r = qemu_pci_device_new(c, &io->addr, "iommu", "virtio-iommu-pci", id, &o);
                if (r < 0)
                        return r;
                return cmd_device(c, o);
        }
        o = props_new("driver", "intel-iommu");
        prop_str(&o, "id", id);
        if (io->intremap != TRISTATE_ABSENT)
                prop_str(&o, "intremap", io->intremap == TRISTATE_ON ? "on" : "off");
        if (io->caching_mode != TRISTATE_ABSENT)
                prop_bool(&o, "caching-mode", io->caching_mode == TRISTATE_ON);
        if (io->eim != TRISTATE_ABSENT)
                prop_str(&o, "eim", io->eim == TRISTATE_ON ? "on" : "off");
        if (io->iotlb != TRISTATE_ABSENT)
                prop_bool(&o, "device-iotlb", io->iotlb == TRISTATE_ON);
        if (io->aw_bits)
                prop_int(&o, "aw-bits", io->aw_bits);
        return cmd_device(c, o);
}

int qemu_build_watchdog(QemuCmd *c) {
        const DomainWatchdogDef *wd = &c->def->watchdog;
        json_object *o = NULL;
        char id[128];
        int r;

        if (!wd->present)
                return 0;
        cmd_at(c, QEMU_DEVICE_WATCHDOG, 0);
        qemu_dev_id(id, sizeof(id), wd->alias, "watchdog0");
        if (wd->model == DOMAIN_WATCHDOG_MODEL_I6300ESB) {
                r = qemu_pci_device_new(c, &wd->addr, "watchdog", "i6300esb", id, &o);
                if (r < 0)
                        return r;
        } else {
                o = props_new("driver", "ib700");
                prop_str(&o, "id", id);
        }
        r = cmd_device(c, o);
        if (r < 0 || !cmd_renders(c))
                return r;
        return cmd_arg(c, "-action") ?:
               cmd_argf(c, "watchdog=%s", qemu_watchdog_qemu_action(wd->action));
}

/* The ISA pvpanic device; a hyperv one is in -cpu. */
int qemu_build_panics(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_panics; i++) {
                json_object *o;
                char id[128];
                int r;

                if (c->def->panics[i].model != DOMAIN_PANIC_ISA)
                        continue;
                cmd_at(c, QEMU_DEVICE_PANIC, i);
                o = props_new("driver", "pvpanic");
                prop_str(&o, "id", qemu_dev_id(id, sizeof(id), c->def->panics[i].alias, "panic%zu", i));
                if (c->def->panics[i].addr.has_iobase)
                        prop_int(&o, "ioport", c->def->panics[i].addr.iobase);
                r = cmd_device(c, o);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool qemu_has_panic(const DomainDef *def, DomainPanicModel model) {
        for (size_t i = 0; i < def->n_panics; i++)
                if (def->panics[i].model == model)
                        return true;
        return false;
}

/* The guest's CID: the one the driver found free (params->vsock_cid) or
 * the definition's. */
int qemu_build_vsock(QemuCmd *c) {
        const DomainVsockDef *v = &c->def->vsock;
        unsigned cid = c->params->vsock_cid ?: v->cid;
        json_object *o = NULL;
        char id[128];
        int r;

        if (!v->present)
                return 0;
        cmd_at(c, QEMU_DEVICE_VSOCK, 0);
        if (cid < 3)
                return cmd_fail(c, -EINVAL, "<vsock> has no CID: give <cid address=''/> or let the driver "
                                "choose one with <cid auto='yes'/>");
        r = qemu_pci_device_new(c, &v->addr, "vsock", streq_ptr(v->model, "virtio-transitional") ?
                                "vhost-vsock-pci-transitional" : streq_ptr(v->model, "virtio-non-transitional") ?
                                "vhost-vsock-pci-non-transitional" : "vhost-vsock-pci", qemu_dev_id(id, sizeof(id), v->alias, "vsock0"), &o);
        if (r < 0)
                return r;
        prop_int(&o, "guest-cid", cid);
        return cmd_device(c, o);
}
