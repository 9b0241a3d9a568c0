/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where each PCI device goes: its "bus" and, when the definition gives an
 * <address type='pci'/>, its "addr" (and "multifunction").
 * A device without an address goes on the root bus where QEMU puts it, in
 * argv order; but as soon as one device has its root-bus slot given, the
 * others get theirs from the builder (the lowest slot nobody asked for), so
 * that QEMU never hands an asked-for slot to an earlier device.
 * Pure: see qemu-command.h. */

#include "qemu-command-internal.h"

/* The slots of the root bus the machine itself fills: the host bridge, and
 * PIIX3 (ISA, IDE, USB, PM) on pc or the ICH9 LPC/SATA/SMBus on q35. */
static uint32_t builtin_slots(const QemuCmd *c) {
        return c->q35 ? (UINT32_C(1) << 0) | (UINT32_C(1) << 0x1f) : (UINT32_C(1) << 0) | (UINT32_C(1) << 1);
}

const char *qemu_pci_controller_model(const QemuCmd *c, const DomainControllerDef *ctrl) {
        if (ctrl->model)
                return ctrl->model;
        if (ctrl->index == 0)
                return c->q35 ? "pcie-root" : "pci-root";
        return c->q35 ? "pcie-root-port" : "pci-bridge";
}

/* q35's AHCI (SATA controller 0) at 00:1f.2 and pc's PIIX IDE (IDE
 * controller 0) at 00:01.1 come with the machine. */
static bool builtin_controller(const QemuCmd *c, const DomainControllerDef *ctrl, unsigned *slot, unsigned *fn) {
        if (ctrl->index != 0)
                return false;
        if (c->q35 && ctrl->type == DOMAIN_CONTROLLER_SATA) {
                *slot = 0x1f, *fn = 2;
                return true;
        }
        if (!c->q35 && ctrl->type == DOMAIN_CONTROLLER_IDE) {
                *slot = 1, *fn = 1;
                return true;
        }
        return false;
}

int qemu_pci_check_builtin(QemuCmd *c, const DomainControllerDef *ctrl) {
        const DomainDeviceAddress *a = &ctrl->addr;
        unsigned slot, fn;

        if (!builtin_controller(c, ctrl, &slot, &fn) || a->type != DOMAIN_ADDRESS_PCI ||
            domain_address_pci_is_empty(a))
                return 0;
        if (a->bus != 0 || a->slot != slot || a->function != fn)
                return cmd_fail(c, -EOPNOTSUPP, "controller '%s' index 0 is built into the %s machine at "
                                "0000:00:%02x.%x: its <address> (0000:%02x:%02x.%x) cannot move it",
                                domain_controller_type_to_string(ctrl->type), c->q35 ? "q35" : "pc", slot, fn,
                                a->bus, a->slot, a->function);
        return 0;
}

static void plan_one(QemuCmd *c, const DomainDeviceAddress *a) {
        if (a->type != DOMAIN_ADDRESS_PCI || domain_address_pci_is_empty(a) || a->bus != 0)
                return;
        c->root_slots |= UINT32_C(1) << (a->slot & 0x1f);
        c->pci_pin_root = true;
}

void qemu_pci_plan(QemuCmd *c) {
        const DomainDef *def = c->def;

        c->root_slots = builtin_slots(c);
        c->pci_pin_root = false;
        for (size_t i = 0; i < def->n_disks; i++)
                plan_one(c, &def->disks[i].addr);
        for (size_t i = 0; i < def->n_controllers; i++) {
                unsigned slot, fn;

                /* a built-in controller's slot is taken anyway; it places nothing */
                if (!builtin_controller(c, &def->controllers[i], &slot, &fn))
                        plan_one(c, &def->controllers[i].addr);
        }
        for (size_t i = 0; i < def->n_nets; i++)
                plan_one(c, &def->nets[i].addr);
        for (size_t i = 0; i < def->n_chrs; i++)
                plan_one(c, &def->chrs[i].addr);
        for (size_t i = 0; i < def->n_videos; i++)
                plan_one(c, &def->videos[i].addr);
        for (size_t i = 0; i < def->n_inputs; i++)
                plan_one(c, &def->inputs[i].addr);
        for (size_t i = 0; i < def->n_sounds; i++)
                plan_one(c, &def->sounds[i].addr);
        plan_one(c, &def->memballoon.addr);
        for (size_t i = 0; i < def->n_rngs; i++)
                plan_one(c, &def->rngs[i].addr);
        for (size_t i = 0; i < def->n_filesystems; i++)
                plan_one(c, &def->filesystems[i].addr);
        for (size_t i = 0; i < def->n_shmems; i++)
                plan_one(c, &def->shmems[i].addr);
        plan_one(c, &def->watchdog.addr);
        plan_one(c, &def->vsock.addr);
        plan_one(c, &def->iommu.addr);
}

/* QEMU's own choice for a device without an address would be the lowest
 * free slot of the root bus: so is ours, skipping the slots given. */
static int place_on_root(QemuCmd *c, const char *what, json_object **o) {
        prop_str(o, "bus", root_bus(c));
        if (!c->pci_pin_root)
                return 0;
        for (unsigned slot = 1; slot < 32; slot++) {
                if (c->root_slots & (UINT32_C(1) << slot))
                        continue;
                c->root_slots |= UINT32_C(1) << slot;
                prop_strf(o, "addr", "0x%x", slot);
                return 0;
        }
        return cmd_fail(c, -EINVAL, "%s: no free slot is left on the PCI root bus", what);
}

int qemu_pci_bus_props(QemuCmd *c, const DomainDeviceAddress *a, const char *what, json_object **o) {
        const DomainControllerDef *ctrl;
        char bus[128];

        if (!a || a->type == DOMAIN_ADDRESS_NONE || domain_address_pci_is_empty(a))
                return place_on_root(c, what, o);
        if (a->type != DOMAIN_ADDRESS_PCI)
                return cmd_fail(c, -EINVAL, "%s is a PCI device: an <address> of type '%s' does not fit it",
                                what, domain_address_type_to_string(a->type) ?: "?");
        if (a->domain != 0)
                return cmd_fail(c, -EOPNOTSUPP, "%s: PCI domain 0x%04x is not supported, only 0", what, a->domain);
        if (a->slot > 0x1f || a->function > 7)
                return cmd_fail(c, -EINVAL, "%s: invalid PCI address %02x.%x", what, a->slot, a->function);
        if (a->bus == 0) {
                if (a->slot == 0)
                        return cmd_fail(c, -EINVAL, "%s: slot 0 of the PCI root bus is the host bridge's", what);
                snprintf(bus, sizeof(bus), "%s", root_bus(c));
        } else {
                const char *model;

                ctrl = qemu_find_controller(c->def, DOMAIN_CONTROLLER_PCI, a->bus);
                model = ctrl ? qemu_pci_controller_model(c, ctrl) : NULL;
                if (!ctrl || streq(model, "pcie-root") || streq(model, "pci-root"))
                        return cmd_fail(c, -EINVAL, "%s: PCI bus 0x%02x of its <address> has no "
                                        "<controller type='pci' index='%u'>", what, a->bus, a->bus);
                if ((streq(model, "pcie-root-port") || streq(model, "pcie-switch-downstream-port")) && a->slot != 0)
                        return cmd_fail(c, -EINVAL, "%s: a %s (PCI bus 0x%02x) has only slot 0, not 0x%02x",
                                        what, model, a->bus, a->slot);
                qemu_dev_id(bus, sizeof(bus), ctrl->alias, "pci.%u", a->bus);
        }
        prop_str(o, "bus", bus);
        /* QEMU's PCI "addr" takes "SLOT[.FN]" as a string (as libvirt gives it) */
        if (a->function != 0)
                prop_strf(o, "addr", "0x%x.0x%x", a->slot, a->function);
        else
                prop_strf(o, "addr", "0x%x", a->slot);
        if (a->multifunction != TRISTATE_ABSENT)
                prop_bool(o, "multifunction", a->multifunction == TRISTATE_ON);
        return 0;
}

int qemu_pci_device_new(QemuCmd *c, const DomainDeviceAddress *a, const char *what, const char *driver,
                        const char *id, json_object **ret) {
        json_object *o = dev_new(driver, id);
        int r;

        r = qemu_pci_bus_props(c, a, what, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        *ret = o;
        return 0;
}
