/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <input> on QEMU's command line: ps2 devices are the i8042's (nothing to
 * add), usb and virtio ones a device each, a passthrough one a
 * virtio-input-host-pci reading the host's evdev, and an evdev one an
 * input-linux object (QEMU reads the host device and feeds its events to
 * the guest's keyboard and mouse). */
#include "qemu-command-internal.h"
#include "util.h"

static int build_evdev(QemuCmd *c, const DomainInputDef *in, const char *what) {
        json_object *o;

        if (in->addr.type != DOMAIN_ADDRESS_NONE)
                return cmd_fail(c, -EINVAL, "%s: an evdev input has no <address>", what);
        o = props_new("qom-type", "input-linux");
        prop_str(&o, "id", what);
        prop_str(&o, "evdev", in->source);
        if (in->repeat != TRISTATE_ABSENT)
                prop_bool(&o, "repeat", in->repeat == TRISTATE_ON);
        if (in->grab_all)
                prop_bool(&o, "grab_all", true);
        if (in->grab_toggle)
                prop_str(&o, "grab-toggle", in->grab_toggle);
        return cmd_object(c, o);
}

static int build_virtio(QemuCmd *c, const DomainInputDef *in, const char *what, json_object **o) {
        char dev[32];
        int r;

        if (streq(in->type, "passthrough"))
                snprintf(dev, sizeof(dev), "virtio-input-host-pci");
        else
                snprintf(dev, sizeof(dev), "virtio-%s-pci", in->type);
        r = qemu_pci_device_new(c, &in->addr, what, dev, what, o);
        if (r < 0)
                return r;
        if (streq(in->type, "passthrough"))
                prop_str(o, "evdev", in->source);
        qemu_virtio_opts_props(o, &in->virtio);
        return 0;
}

static int build_input(QemuCmd *c, size_t i) {
        const DomainInputDef *in = &c->def->inputs[i];
        const char *type = in->type ?: "";
        const char *bus = in->bus ?: (streq(type, "tablet") ? "usb" : "ps2");
        json_object *o = NULL;
        char what[128], dev[32];
        int r;

        qemu_dev_id(what, sizeof(what), in->alias, "input%zu", i);
        if (streq(type, "evdev"))
                return build_evdev(c, in, what);
        if (streq(type, "passthrough") && !streq(bus, "virtio"))
                return cmd_fail(c, -EINVAL, "%s: a passthrough input is on the virtio bus only", what);
        if (!streq(type, "mouse") && !streq(type, "keyboard") && !streq(type, "tablet") &&
            !streq(type, "passthrough"))
                return cmd_fail(c, -EOPNOTSUPP, "input type '%s' is not supported", type);
        if (streq(bus, "ps2")) {
                if (streq(type, "tablet"))
                        return cmd_fail(c, -EINVAL, "a tablet cannot be on the ps2 bus");
                if (in->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "%s: a ps2 device has no <address>", what);
                return 0;       /* the i8042 of pc and q35 provides both */
        }
        if (streq(bus, "usb")) {
                snprintf(dev, sizeof(dev), "usb-%s", streq(type, "keyboard") ? "kbd" : type);
                o = dev_new(dev, what);
                r = qemu_usb_bus_props(c, &in->addr, what, &o);
                if (r < 0) {
                        qemu_json_putp(&o);
                        return r;
                }
        } else if (streq(bus, "virtio")) {
                r = build_virtio(c, in, what, &o);
                if (r < 0)
                        return r;
        } else
                return cmd_fail(c, -EOPNOTSUPP, "input bus '%s' is not supported", bus);
        return cmd_device(c, o);
}

int qemu_build_inputs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_inputs; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_INPUT, i);
                r = build_input(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
