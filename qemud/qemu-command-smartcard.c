/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Smartcards on QEMU's command line: each ccid controller is a usb-ccid
 * reader (id "ccidN") on its USB port, and the card in it a
 * ccid-card-emulated (mode host: backend nss-emulated; host-certificates:
 * backend certificates with cert1..3 and db) or a ccid-card-passthru on a
 * chardev "charsmartcard0" (a socket, or SPICE's "smartcard" channel).
 * QEMU's readers have one slot each and libvirt drives only one card: a
 * second card, or one elsewhere than controller 0 slot 0, is refused. */
#include "qemu-command-internal.h"
#include "util.h"

static int build_reader(QemuCmd *c, size_t i) {
        const DomainControllerDef *ctrl = &c->def->controllers[i];
        json_object *o;
        char id[128], what[64];
        int r;

        cmd_at(c, QEMU_DEVICE_CONTROLLER, i);
        qemu_dev_id(id, sizeof(id), ctrl->alias, "ccid%u", ctrl->index);
        snprintf(what, sizeof(what), "controller 'ccid' index %u", ctrl->index);
        o = dev_new("usb-ccid", id);
        r = qemu_usb_bus_props(c, &ctrl->addr, what, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        return cmd_device(c, o);
}

static int passthrough_chardev(QemuCmd *c, const DomainSmartcardDef *sc, const char *id) {
        OptBuf b = {};

        if (sc->src->type != DOMAIN_CHR_SPICEVMC)
                return qemu_build_chardev(c, sc->src, id);
        if (!qemu_has_spice(c->def))
                return cmd_fail(c, -EINVAL, "%s: a spicevmc smartcard needs a <graphics type='spice'>", id);
        if (!cmd_renders(c))
                return 0;
        opt_add(&b, "spicevmc,id=char%s,name=smartcard", id);
        return cmd_opt(c, "-chardev", &b);
}

static int build_card(QemuCmd *c) {
        const DomainSmartcardDef *sc = &c->def->smartcards[0];
        json_object *o;
        char id[128], bus[128];
        int r;

        cmd_at(c, QEMU_DEVICE_SMARTCARD, 0);
        qemu_dev_id(id, sizeof(id), sc->alias, "smartcard0");
        if (c->def->n_smartcards > 1 || sc->addr.type != DOMAIN_ADDRESS_CCID || sc->addr.controller != 0 ||
            sc->addr.slot != 0)
                return cmd_fail(c, -EOPNOTSUPP, "this QEMU binary lacks multiple smartcard support: one "
                                "<smartcard>, in ccid controller 0 slot 0");
        if (sc->mode == DOMAIN_SMARTCARD_PASSTHROUGH) {
                r = passthrough_chardev(c, sc, id);
                if (r < 0)
                        return r;
                o = dev_new("ccid-card-passthru", id);
                prop_strf(&o, "chardev", "char%s", id);
        } else {
                o = dev_new("ccid-card-emulated", id);
                prop_str(&o, "backend", sc->mode == DOMAIN_SMARTCARD_HOST ? "nss-emulated" : "certificates");
                for (size_t i = 0; i < DOMAIN_SMARTCARD_CERTS; i++)
                        if (sc->certs[i])
                                prop_strf(&o, i == 0 ? "cert1" : i == 1 ? "cert2" : "cert3", "%s", sc->certs[i]);
                if (sc->database)
                        prop_str(&o, "db", sc->database);
        }
        prop_strf(&o, "bus", "%s.0", qemu_dev_id(bus, sizeof(bus),
                  qemu_controller_user_alias(c->def, DOMAIN_CONTROLLER_CCID, 0), "ccid0"));
        return cmd_device(c, o);
}

int qemu_build_smartcards(QemuCmd *c) {
        int r;

        for (size_t i = 0; i < c->def->n_controllers; i++)
                if (c->def->controllers[i].type == DOMAIN_CONTROLLER_CCID) {
                        r = build_reader(c, i);
                        if (r < 0)
                                return r;
                }
        return c->def->n_smartcards > 0 ? build_card(c) : 0;
}
