/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* USB hubs on the command line: a usb-hub on its bus and port, before the
 * devices that sit behind it (their ports are qemu-usb-address.c's). */

#include "qemu-command-internal.h"
#include "util.h"

static int build_hub(QemuCmd *c, size_t i) {
        json_object *o = NULL;
        char what[128];
        int r;

        qemu_dev_id(what, sizeof(what), c->def->hubs[i].alias, "hub%zu", i);
        r = cmd_need_device(c, "usb-hub");
        if (r < 0)
                return r;
        o = dev_new("usb-hub", what);
        r = qemu_usb_bus_props(c, &c->def->hubs[i].addr, what, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        return cmd_device(c, o);
}

int qemu_build_hubs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_hubs; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_HUB, i);
                r = build_hub(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_hubs_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_hubs; i++) {
                char *s = NULL;

                if (asprintf(&s, "hub%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->hubs[i].alias, s);
        }
        return 0;
}
