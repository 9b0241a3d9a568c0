/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The builders of the device families controller, interface, video,
 * input, memballoon and rng (each device as JSON properties, see
 * qemu-device.h), the graphics options, and the aliases of all devices.
 * Disks are in qemu-command-disks.c, serials, consoles and channels in
 * qemu-command-chr.c, sound in qemu-command-sound.c. Pure: see
 * qemu-command.h. */

#include <inttypes.h>
#include <stdarg.h>

#include "qemu-command-internal.h"
#include "qemu-hostdev.h"
#include "qemu-usb-address.h"
#include "util.h"

/* ---- small lookups ---- */

const DomainControllerDef *qemu_find_controller(const DomainDef *def, DomainControllerType type,
                                                unsigned index) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type && def->controllers[i].index == index)
                        return &def->controllers[i];
        return NULL;
}

const char *qemu_controller_user_alias(const DomainDef *def, DomainControllerType type, unsigned index) {
        for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainControllerDef *ctrl = &def->controllers[i];

                if (ctrl->type != type || ctrl->index != index ||
                    (type == DOMAIN_CONTROLLER_USB && ctrl->model && startswith(ctrl->model, "ich9-uhci")))
                        continue;
                return domain_alias_is_user(ctrl->alias) ? ctrl->alias : NULL;
        }
        return NULL;
}

bool qemu_has_controller_type(const DomainDef *def, DomainControllerType type) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type)
                        return true;
        return false;
}

/* Without caps the machine is known only by name: the live definition
 * carries the canonical one (or "q35"); no name means QEMU's default, pc. */
static bool def_is_q35(const DomainDef *def) {
        const char *m = def->os.machine;

        return m && (streq(m, "q35") || startswith(m, "pc-q35-"));
}

/* libvirt's controller aliases: the ids of their buses' parents. */
static char *controller_alias(const DomainDef *def, const DomainControllerDef *ctrl) {
        char *s = NULL;
        int r = -1;

        switch (ctrl->type) {
        case DOMAIN_CONTROLLER_PCI:
                if (ctrl->index == 0)
                        return strdup(def_is_q35(def) ? "pcie.0" : "pci.0");
                r = asprintf(&s, "pci.%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_USB:
                if (ctrl->index == 0)
                        return strdup("usb");
                r = asprintf(&s, "usb%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_SCSI:
                r = asprintf(&s, "scsi%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_SATA:
                if (ctrl->index == 0 && def_is_q35(def))
                        return strdup("ide");
                r = asprintf(&s, "sata%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_IDE:
                if (ctrl->index == 0)
                        return strdup("ide");
                r = asprintf(&s, "ide%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                r = asprintf(&s, "virtio-serial%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_FDC:
                r = asprintf(&s, "fdc%u", ctrl->index);
                break;
        case DOMAIN_CONTROLLER_CCID:
                r = asprintf(&s, "ccid%u", ctrl->index);
                break;
        default:
                r = asprintf(&s, "controller%u", ctrl->index);
                break;
        }
        return r < 0 ? NULL : s;
}

const char *qemu_dev_id(char *buf, size_t size, const char *alias, const char *fmt, ...) {
        va_list ap;

        if (domain_alias_is_user(alias)) {
                snprintf(buf, size, "%s", alias);
                return buf;
        }
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        return buf;
}

void qemu_set_alias(char **alias, char *s) {
        if (domain_alias_is_user(*alias)) {
                free(s);
                return;
        }
        free_and_replace_str(alias, s);
}

int qemu_command_assign_aliases(DomainDef *def) {
        char *s;
        int r;

        for (size_t i = 0; i < def->n_disks; i++) {
                r = qemu_command_disk_alias(def, &def->disks[i], &s);
                if (r < 0)
                        return r;
                qemu_set_alias(&def->disks[i].alias, s);
        }
        for (size_t i = 0; i < def->n_nets; i++) {
                if (asprintf(&s, "net%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->nets[i].alias, s);
        }
        for (size_t i = 0; i < def->n_chrs; i++) {
                s = qemu_chr_alias(def, i);
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->chrs[i].alias, s);
        }
        for (size_t i = 0; i < def->n_rngs; i++) {
                if (asprintf(&s, "rng%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->rngs[i].alias, s);
        }
        for (size_t i = 0; i < def->n_controllers; i++) {
                s = controller_alias(def, &def->controllers[i]);
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->controllers[i].alias, s);
        }
        for (size_t i = 0; i < def->n_videos; i++) {
                if (asprintf(&s, "video%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->videos[i].alias, s);
        }
        for (size_t i = 0; i < def->n_inputs; i++) {
                if (asprintf(&s, "input%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->inputs[i].alias, s);
        }
        for (size_t i = 0; i < def->n_sounds; i++) {
                if (asprintf(&s, "sound%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->sounds[i].alias, s);
        }
        for (size_t i = 0; i < def->n_redirdevs; i++) {
                if (asprintf(&s, "redir%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->redirdevs[i].alias, s);
        }
        r = qemu_platform_assign_aliases(def) ?: qemu_hostdev_assign_aliases(def) ?:
            qemu_memdev_assign_aliases(def) ?: qemu_tpm_assign_aliases(def) ?: qemu_hubs_assign_aliases(def) ?:
               qemu_fs_assign_aliases(def) ?: qemu_shmem_assign_aliases(def);
        if (r < 0)
                return r;
        if (def->memballoon.present && !streq_ptr(def->memballoon.model, "none")) {
                s = strdup("balloon0");
                if (!s)
                        return -ENOMEM;
                qemu_set_alias(&def->memballoon.alias, s);
        }
        return 0;
}

/* ---- controllers ---- */

/* Names a controller in errors: "controller 'usb' index 0". */
static const char *controller_what(const DomainControllerDef *ctrl, char buf[static 64]) {
        snprintf(buf, 64, "controller '%s' index %u", domain_controller_type_to_string(ctrl->type) ?: "?",
                 ctrl->index);
        return buf;
}

/* The machine each PCI controller model needs (a pci-bridge fits both:
 * on q35 it sits behind a dmi-to-pci-bridge or a pcie-to-pci-bridge). */
static bool pci_controller_fits(const QemuCmd *c, const char *model) {
        static const struct {
                const char *model;
                bool pc, q35;
        } table[] = {
                { "pci-bridge", true, true },
                { "pci-expander-bus", true, false },
                { "pcie-root-port", false, true },
                { "dmi-to-pci-bridge", false, true },
                { "pcie-to-pci-bridge", false, true },
                { "pcie-switch-upstream-port", false, true },
                { "pcie-switch-downstream-port", false, true },
                { "pcie-expander-bus", false, true },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (streq(model, table[i].model))
                        return c->q35 ? table[i].q35 : table[i].pc;
        return false;
}

static int build_pci_controller(QemuCmd *c, const DomainControllerDef *ctrl) {
        const char *model = qemu_pci_controller_model(c, ctrl);
        _cleanup_(qemu_json_putp) json_object *o = NULL;
        char what[64], id[128];
        int r;

        if (streq(model, "pcie-root") || streq(model, "pci-root")) {
                if (ctrl->index != 0 || streq(model, "pcie-root") != c->q35)
                        return cmd_fail(c, -EINVAL, "PCI controller '%s' index %u does not fit machine %s",
                                        model, ctrl->index, c->q35 ? "q35" : "pc");
                if (ctrl->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "PCI controller '%s' is the root bus: it has no <address>", model);
                /* PIIX4's ACPI hot-plug of the root bus's slots */
                if (ctrl->target_hotplug != TRISTATE_ABSENT && cmd_renders(c)) {
                        r = cmd_arg(c, "-global") ?:
                            cmd_argf(c, "PIIX4_PM.acpi-root-pci-hotplug=%s",
                                     ctrl->target_hotplug == TRISTATE_ON ? "on" : "off");
                        if (r < 0)
                                return r;
                }
                /* built into the machine: its host bridge holds the hole's size */
                if (ctrl->has_pcihole64 && cmd_renders(c))
                        return cmd_arg(c, "-global") ?:
                               cmd_argf(c, "%s.pci-hole64-size=%" PRIu64 "K", c->q35 ? "q35-pcihost" : "i440FX-pcihost",
                                        ctrl->pcihole64_kib);
                return 0;
        }
        if (ctrl->index == 0)
                return cmd_fail(c, -EINVAL, "PCI controller index 0 must be the root");
        if (ctrl->index > 255)
                return cmd_fail(c, -EINVAL, "PCI controller index %u is more than 255", ctrl->index);
        qemu_dev_id(id, sizeof(id), ctrl->alias, "pci.%u", ctrl->index);
        controller_what(ctrl, what);
        if (!pci_controller_fits(c, model))
                return cmd_fail(c, -EOPNOTSUPP, "PCI controller model '%s' is not supported on %s",
                                model, c->q35 ? "q35" : "pc");
        r = qemu_pci_device_new(c, &ctrl->addr, what, ctrl->model_name ?: domain_pci_model_default_name(model),
                                id, &o);
        if (r < 0)
                return r;
        /* the chassis and port of a port, the chassis of a bridge, the first
         * bus number of an expander: the definition's, else the index (unique,
         * as QEMU needs them) */
        if (streq(model, "pcie-root-port") || streq(model, "pcie-switch-downstream-port")) {
                prop_int(&o, "port", ctrl->has_target_port ? ctrl->target_port : ctrl->index);
                prop_int(&o, "chassis", ctrl->has_target_chassis ? ctrl->target_chassis : ctrl->index);
        } else if (streq(model, "pci-bridge"))
                prop_int(&o, "chassis_nr", ctrl->has_target_chassis_nr ? ctrl->target_chassis_nr : ctrl->index);
        else if (streq(model, "pci-expander-bus") || streq(model, "pcie-expander-bus")) {
                if (!ctrl->has_target_bus_nr)
                        return cmd_fail(c, -EINVAL, "%s: an expander bus needs <target busNr=''/>", what);
                prop_int(&o, "bus_nr", ctrl->target_bus_nr);
                if (ctrl->has_target_node)
                        prop_int(&o, "numa_node", ctrl->target_node);
        }
        if (ctrl->target_hotplug != TRISTATE_ABSENT)
                prop_bool(&o, "hotplug", ctrl->target_hotplug == TRISTATE_ON);
        return cmd_device(c, TAKE_PTR(o));
}

static const char *usb_id(const DomainDef *def, unsigned index, char buf[static 128]) {
        const char *user = qemu_controller_user_alias(def, DOMAIN_CONTROLLER_USB, index);

        if (user)
                return user;
        if (index == 0)
                return "usb";
        snprintf(buf, 128, "usb%u", index);
        return buf;
}

static int build_usb_controller(QemuCmd *c, const DomainControllerDef *ctrl) {
        static const struct {
                const char *model, *type;
        } table[] = {
                { "qemu-xhci",  "qemu-xhci" },
                { "nec-xhci",   "nec-usb-xhci" },
                { "piix3-uhci", "piix3-usb-uhci" },
                { "piix4-uhci", "piix4-usb-uhci" },
                { "ehci",       "usb-ehci" },
                { "ich9-ehci1", "ich9-usb-ehci1" },
        };
        const char *model = ctrl->model ?: (c->q35 ? "qemu-xhci" : "piix3-uhci");
        json_object *o = NULL;
        char buf[128], what[64], type[32];
        int r;

        if (streq(model, "none")) {
                if (ctrl->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "USB controller model 'none' has no <address>");
                return 0;
        }
        controller_what(ctrl, what);
        /* EHCI companions: no id of their own, their ports join the EHCI bus */
        if (startswith(model, "ich9-uhci") && model[9] >= '1' && model[9] <= '3' && !model[10]) {
                snprintf(type, sizeof(type), "ich9-usb-uhci%c", model[9]);
                r = qemu_pci_device_new(c, &ctrl->addr, what, type, NULL, &o);
                if (r < 0)
                        return r;
                prop_strf(&o, "masterbus", "%s.0", usb_id(c->def, ctrl->index, buf));
                prop_int(&o, "firstport", ctrl->has_master ? ctrl->master_startport : (unsigned) (model[9] - '1') * 2);
                return cmd_device(c, o);
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!streq(model, table[i].model))
                        continue;
                r = qemu_pci_device_new(c, &ctrl->addr, what, table[i].type, usb_id(c->def, ctrl->index, buf), &o);
                if (r < 0)
                        return r;
                if (ctrl->ports > 0 && strstr(model, "xhci")) {
                        prop_int(&o, "p2", ctrl->ports);
                        prop_int(&o, "p3", ctrl->ports);
                }
                return cmd_device(c, o);
        }
        return cmd_fail(c, -EOPNOTSUPP, "USB controller model '%s' is not supported", model);
}

static int build_scsi_controller(QemuCmd *c, const DomainControllerDef *ctrl, unsigned index) {
        const char *model = ctrl && ctrl->model ? ctrl->model : "lsilogic";
        json_object *o = NULL;
        char what[64], id[128];
        int r;

        snprintf(what, sizeof(what), "controller 'scsi' index %u", index);
        qemu_dev_id(id, sizeof(id), ctrl ? ctrl->alias : NULL, "scsi%u", index);
        if (ctrl && domain_controller_is_virtio_scsi(ctrl)) {
                const char *dev = streq(model, "virtio-transitional")       ? "virtio-scsi-pci-transitional"
                                  : streq(model, "virtio-non-transitional") ? "virtio-scsi-pci-non-transitional"
                                                                            : "virtio-scsi-pci";

                r = qemu_pci_device_new(c, &ctrl->addr, what, dev, id, &o);
                if (r < 0)
                        return r;
                if (ctrl && ctrl->queues > 0)
                        prop_int(&o, "num_queues", ctrl->queues);
                if (ctrl && ctrl->cmd_per_lun > 0)
                        prop_int(&o, "cmd_per_lun", ctrl->cmd_per_lun);
                if (ctrl && ctrl->max_sectors > 0)
                        prop_int(&o, "max_sectors", ctrl->max_sectors);
                if (ctrl && ctrl->ioeventfd != TRISTATE_ABSENT)
                        prop_bool(&o, "ioeventfd", ctrl->ioeventfd == TRISTATE_ON);
                if (ctrl && ctrl->iothread)
                        prop_strf(&o, "iothread", "iothread%u", ctrl->iothread);
                if (ctrl)
                        qemu_virtio_opts_props(&o, &ctrl->virtio);
                return cmd_device(c, o);
        }
        if (!streq(model, "lsilogic"))
                return cmd_fail(c, -EOPNOTSUPP, "SCSI controller model '%s' is not supported", model);
        if (ctrl && (ctrl->queues || ctrl->cmd_per_lun || ctrl->max_sectors))
                return cmd_fail(c, -EINVAL, "queues, cmd_per_lun and max_sectors need model 'virtio-scsi'");
        r = qemu_pci_device_new(c, ctrl ? &ctrl->addr : NULL, what, "lsi53c895a", id, &o);
        if (r < 0)
                return r;
        return cmd_device(c, o);
}

/* The q35 machine has its AHCI (ICH9) built in as controller 0, id "ide". */
static int build_sata_controller(QemuCmd *c, const DomainControllerDef *ctrl, unsigned index) {
        json_object *o = NULL;
        char what[64], id[128];
        int r;

        if (c->q35 && index == 0)
                return ctrl ? qemu_pci_check_builtin(c, ctrl) : 0;
        snprintf(what, sizeof(what), "controller 'sata' index %u", index);
        qemu_dev_id(id, sizeof(id), ctrl ? ctrl->alias : NULL, "sata%u", index);
        r = qemu_pci_device_new(c, ctrl ? &ctrl->addr : NULL, what, "ahci", id, &o);
        if (r < 0)
                return r;
        return cmd_device(c, o);
}

static int build_controller(QemuCmd *c, const DomainControllerDef *ctrl) {
        json_object *o = NULL;
        char what[64], id[128];
        int r;

        switch (ctrl->type) {
        case DOMAIN_CONTROLLER_PCI:
                return 0;       /* done first, see qemu_build_controllers() */
        case DOMAIN_CONTROLLER_CCID:
                return 0;       /* a USB device, with the smartcards: qemu_build_smartcards() */
        case DOMAIN_CONTROLLER_USB:
                return build_usb_controller(c, ctrl);
        case DOMAIN_CONTROLLER_SCSI:
                return build_scsi_controller(c, ctrl, ctrl->index);
        case DOMAIN_CONTROLLER_SATA:
                return build_sata_controller(c, ctrl, ctrl->index);
        case DOMAIN_CONTROLLER_IDE:
                /* PIIX IDE is part of the pc machine, q35 has none */
                if (c->q35 || ctrl->index > 0)
                        return cmd_fail(c, -EOPNOTSUPP, "IDE controller %u is not available on %s",
                                        ctrl->index, c->q35 ? "q35" : "pc");
                return qemu_pci_check_builtin(c, ctrl);
        case DOMAIN_CONTROLLER_FDC:
                /* pc has its own on the ISA bus, q35 gets one */
                if (ctrl->index > 0)
                        return cmd_fail(c, -EOPNOTSUPP, "floppy controller %u: a machine has one, index 0",
                                        ctrl->index);
                if (ctrl->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "the floppy controller is on the ISA bus: it takes no <address>");
                if (!c->q35)
                        return 0;
                snprintf(id, sizeof(id), "fdc%u", ctrl->index);
                return cmd_device(c, dev_new("isa-fdc", id));
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                qemu_dev_id(id, sizeof(id), ctrl->alias, "virtio-serial%u", ctrl->index);
                r = qemu_pci_device_new(c, &ctrl->addr, controller_what(ctrl, what), "virtio-serial-pci", id, &o);
                if (r < 0)
                        return r;
                if (ctrl->ports > 0)
                        prop_int(&o, "max_ports", ctrl->ports);
                if (ctrl->vectors > 0)
                        prop_int(&o, "vectors", ctrl->vectors);
                qemu_virtio_opts_props(&o, &ctrl->virtio);
                return cmd_device(c, o);
        default:
                return cmd_fail(c, -EOPNOTSUPP, "controller type %d is not supported", (int) ctrl->type);
        }
}

/* USB inputs, sound cards, disks, hubs, redirected USB devices. */
static bool needs_usb(const DomainDef *def) {
        return qemu_usb_needed(def);
}

static bool needs_virtio_serial(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if ((def->chrs[i].kind == DOMAIN_CHR_CONSOLE && !qemu_console_is_serial(&def->chrs[i])) ||
                    (def->chrs[i].kind == DOMAIN_CHR_CHANNEL && !streq_ptr(def->chrs[i].target_type, "guestfwd")))
                        return true;
        return false;
}

/* Controllers a disk needs but the definition does not list (libvirt adds
 * them as defaults), each once. */
static int build_implicit_disk_controllers(QemuCmd *c) {
        const DomainDef *def = c->def;
        int r;

        for (size_t i = 0; i < def->n_disks; i++) {
                QemuDiskAddr a;
                DomainControllerType type;
                bool seen = false;

                if (qemu_disk_address(def, &def->disks[i], &a) < 0)
                        continue;       /* reported by qemu_build_disks() */
                if (a.bus == DOMAIN_DISK_BUS_SCSI)
                        type = DOMAIN_CONTROLLER_SCSI;
                else if (a.bus == DOMAIN_DISK_BUS_SATA)
                        type = DOMAIN_CONTROLLER_SATA;
                else
                        continue;
                if (qemu_find_controller(def, type, a.controller))
                        continue;
                for (size_t j = 0; j < i && !seen; j++) {
                        QemuDiskAddr b;

                        seen = qemu_disk_address(def, &def->disks[j], &b) >= 0 && b.bus == a.bus &&
                               b.controller == a.controller;
                }
                if (seen)
                        continue;
                r = type == DOMAIN_CONTROLLER_SCSI ? build_scsi_controller(c, NULL, a.controller) :
                                                     build_sata_controller(c, NULL, a.controller);
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_build_controllers(QemuCmd *c) {
        const DomainDef *def = c->def;
        int r;

        /* bridges and root ports first, so that they are there for the rest */
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_PCI) {
                        cmd_at(c, QEMU_DEVICE_CONTROLLER, i);
                        r = build_pci_controller(c, &def->controllers[i]);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < def->n_controllers; i++) {
                cmd_at(c, QEMU_DEVICE_CONTROLLER, i);
                r = build_controller(c, &def->controllers[i]);
                if (r < 0)
                        return r;
        }
        cmd_at(c, QEMU_DEVICE_CONTROLLER, QEMU_DEVICE_IMPLICIT);
        if (needs_usb(def)) {
                const DomainControllerDef *usb = qemu_find_controller(def, DOMAIN_CONTROLLER_USB, 0);
                DomainControllerDef dflt = { .type = DOMAIN_CONTROLLER_USB };

                if (usb && streq_ptr(usb->model, "none"))
                        return cmd_fail(c, -EINVAL, "USB devices (input, sound, disk, hub, redirdev) need a USB controller, "
                                        "not model 'none'");
                if (!usb) {
                        r = build_usb_controller(c, &dflt);
                        if (r < 0)
                                return r;
                }
        }
        if (needs_virtio_serial(def) && !qemu_has_controller_type(def, DOMAIN_CONTROLLER_VIRTIO_SERIAL)) {
                DomainControllerDef dflt = { .type = DOMAIN_CONTROLLER_VIRTIO_SERIAL };

                r = build_controller(c, &dflt);
                if (r < 0)
                        return r;
        }
        return build_implicit_disk_controllers(c);
}

/* ---- graphics ---- */

static int graphics_port(QemuCmd *c, size_t i, int *ret) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        int port = g->port;

        if (g->autoport || port < 0) {
                port = i < c->params->n_graphics_ports && c->params->graphics_ports ?
                       c->params->graphics_ports[i] : -1;
                if (port <= 0)
                        return cmd_fail(c, -EINVAL, "graphics %zu: no port was allocated", i);
        }
        if (port <= 0 || port > 65535)
                return cmd_fail(c, -EINVAL, "graphics %zu: invalid port %d", i, port);
        *ret = port;
        return 0;
}

/* -vnc none (clients come by OpenGraphicsFD) or unix:PATH. */
static int build_vnc_local(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        OptBuf b = {};
        int r;

        if (g->listen_type == DOMAIN_GRAPHICS_LISTEN_NONE)
                opt_add(&b, "none");
        else {
                opt_add(&b, "unix:");
                r = qemu_graphics_socket_opt(c, i, &b, NULL);
                if (r < 0)
                        return r;
        }
        r = qemu_vnc_extra_opts(c, i, &b);
        if (r < 0)
                return r;
        if (g->passwd)
                opt_add(&b, "password=on");
        if (g->audio_id)
                opt_add(&b, "audiodev=audio%u", g->audio_id);
        return cmd_opt(c, "-vnc", &b);
}

static int build_vnc(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        const char *listen = g->listen ?: "127.0.0.1";
        bool v6 = strchr(listen, ':');
        OptBuf b = {};
        int port, r;

        if (g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                return build_vnc_local(c, i);
        r = graphics_port(c, i, &port);
        if (r < 0)
                return r;
        if (port < 5900)
                return cmd_fail(c, -EINVAL, "VNC port %d is below 5900", port);
        opt_append(&b, "%s", v6 ? "[" : "");
        opt_add_str(&b, NULL, listen);
        opt_append(&b, "%s:%d", v6 ? "]" : "", port - 5900);
        r = qemu_vnc_extra_opts(c, i, &b);
        if (r < 0)
                return r;
        if (g->passwd)
                opt_add(&b, "password=on");
        if (g->audio_id)
                opt_add(&b, "audiodev=audio%u", g->audio_id);
        return cmd_opt(c, "-vnc", &b);
}

/* tls-channel=/plaintext-channel= for defaultMode='' and each <channel>:
 * a secure one needs the TLS port. The plain port is always there (a port,
 * a unix socket, or the fds of OpenGraphicsFD). */
static int spice_channel_opt(QemuCmd *c, size_t i, OptBuf *b, const char *name, DomainSpiceMode mode, bool tls) {
        if (mode == DOMAIN_SPICE_MODE_SECURE && !tls) {
                opt_done(b);
                return cmd_fail(c, -EINVAL, "graphics %zu: SPICE channel '%s' is secure, but the display has "
                                "no TLS port (tlsPort)", i, name);
        }
        if (mode != DOMAIN_SPICE_MODE_ANY)
                opt_add_str(b, mode == DOMAIN_SPICE_MODE_SECURE ? "tls-channel" : "plaintext-channel", name);
        return 0;
}

static int spice_tls_opts(QemuCmd *c, size_t i, OptBuf *b) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        bool tls = g->listen_type == DOMAIN_GRAPHICS_LISTEN_ADDRESS && g->tls_port > 0;
        int r;

        if (tls)
                opt_add_str(b, "x509-dir", c->params->spice_tls_dir);
        r = spice_channel_opt(c, i, b, "default", g->default_mode, tls);
        for (DomainSpiceChannel ch = 0; r >= 0 && ch < _DOMAIN_SPICE_CHANNEL_MAX; ch++)
                r = spice_channel_opt(c, i, b, domain_spice_channel_to_string(ch), g->channel_modes[ch], tls);
        return r;
}

static int spice_listen_opts(QemuCmd *c, size_t i, OptBuf *b) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        int port, r;

        if (g->listen_type == DOMAIN_GRAPHICS_LISTEN_SOCKET) {
                opt_add(b, "unix=on");
                return qemu_graphics_socket_opt(c, i, b, "addr");
        }
        if (g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                return 0;
        r = graphics_port(c, i, &port);
        if (r < 0) {
                opt_done(b);
                return r;
        }
        opt_add(b, "port=%d", port);
        if (g->tls_port > 0 && !c->params->spice_tls_dir) {
                opt_done(b);
                return cmd_fail(c, -EINVAL, "graphics %zu: SPICE tlsPort %d is set, but TLS is off in qemud.conf "
                                "(spice_tls = 1 turns it on)", i, g->tls_port);
        }
        if (g->tls_port > 0)
                opt_add(b, "tls-port=%d", g->tls_port);
        opt_add_str(b, "addr", g->listen ?: "127.0.0.1");
        return 0;
}

static int build_spice(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        OptBuf b = {};
        int r;

        r = spice_listen_opts(c, i, &b);
        if (r < 0)
                return r;
        /* with a password, ticketing stays on and the driver sets the ticket */
        if (!g->passwd)
                opt_add(&b, "disable-ticketing=on");
        r = spice_tls_opts(c, i, &b);
        if (r < 0)
                return r;
        /* the words of <image>, <jpeg>, <zlib>, <streaming> are QEMU's */
        if (g->image_compression)
                opt_add_str(&b, "image-compression", g->image_compression);
        if (g->jpeg_compression)
                opt_add_str(&b, "jpeg-wan-compression", g->jpeg_compression);
        if (g->zlib_compression)
                opt_add_str(&b, "zlib-glz-wan-compression", g->zlib_compression);
        if (g->playback_compression != TRISTATE_ABSENT)
                opt_add_bool(&b, "playback-compression", g->playback_compression == TRISTATE_ON);
        if (g->streaming_mode)
                opt_add_str(&b, "streaming-video", g->streaming_mode);
        /* client mode: the agent reports the client's pointer */
        if (g->mouse_mode)
                opt_add_bool(&b, "agent-mouse", streq(g->mouse_mode, "client"));
        if (g->clipboard_copypaste == TRISTATE_OFF)
                opt_add(&b, "disable-copy-paste=on");
        if (g->filetransfer == TRISTATE_OFF)
                opt_add(&b, "disable-agent-file-xfer=on");
        r = qemu_graphics_gl_opts(c, i, &b);
        if (r < 0)
                return r;
        opt_add(&b, "seamless-migration=on");
        return cmd_opt(c, "-spice", &b);
}

bool qemu_has_spice(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_SPICE)
                        return true;
        return false;
}

int qemu_build_graphics(QemuCmd *c) {
        unsigned seen[_DOMAIN_GRAPHICS_MAX] = {};

        for (size_t i = 0; i < c->def->n_graphics; i++) {
                DomainGraphicsType t = c->def->graphics[i].type;
                int r;

                if ((unsigned) t >= _DOMAIN_GRAPHICS_MAX)
                        return cmd_fail(c, -EOPNOTSUPP, "graphics type %d is not supported", (int) t);
                if (seen[t]++)
                        return cmd_fail(c, -EOPNOTSUPP, "only one %s display is supported",
                                        domain_graphics_type_to_string(t));
                /* libvirt's words: the extra <listen>s are kept, not served */
                if (c->def->graphics[i].n_extra_listens)
                        return cmd_fail(c, -EOPNOTSUPP, "QEMU does not support multiple listens for one graphics "
                                        "device.");
                /* the start resolves it before the builder runs (qemu-graphics-network.c) */
                if (c->def->graphics[i].listen_network && !c->def->graphics[i].listen)
                        return cmd_fail(c, -EINVAL, "graphics %zu: the address of network '%s' is not resolved", i,
                                        c->def->graphics[i].listen_network);
                if (t == DOMAIN_GRAPHICS_VNC)
                        r = build_vnc(c, i);
                else if (t == DOMAIN_GRAPHICS_SPICE)
                        r = build_spice(c, i);
                else
                        r = qemu_build_local_display(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- USB devices ---- */

/* "bus": "usb.0" (and "port": "1.2"): the bus of USB controller N is
 * "usb.0" for 0, "usbN.0" else, or its user alias ".0" (see usb_id()). */
int qemu_usb_bus_props(QemuCmd *c, const DomainDeviceAddress *a, const char *what, json_object **o) {
        const DomainControllerDef *usb;
        char buf[128], port[DOMAIN_USB_PORT_DEPTH * 4 + 1] = "";

        if (a->type == DOMAIN_ADDRESS_NONE) {
                prop_strf(o, "bus", "%s.0", usb_id(c->def, 0, buf));
                return 0;
        }
        if (a->type != DOMAIN_ADDRESS_USB)
                return cmd_fail(c, -EINVAL, "%s is a USB device: an <address> of type '%s' does not fit it", what,
                                domain_address_type_to_string(a->type) ?: "?");
        usb = qemu_find_controller(c->def, DOMAIN_CONTROLLER_USB, a->bus);
        /* controller 0 is added when USB devices need it (qemu_build_controllers()) */
        if ((!usb && a->bus != 0) || (usb && streq_ptr(usb->model, "none")))
                return cmd_fail(c, -EINVAL, "%s: its <address> names USB bus %u, which has no controller", what,
                                a->bus);
        prop_strf(o, "bus", "%s.0", usb_id(c->def, a->bus, buf));
        /* a path of hub ports, a string for QEMU ("1.2") */
        for (size_t k = 0; k < a->n_usb_port && k < DOMAIN_USB_PORT_DEPTH; k++) {
                size_t n = strlen(port);
                snprintf(port + n, sizeof(port) - n, "%s%u", k ? "." : "", a->usb_port[k]);
        }
        if (port[0])
                prop_str(o, "port", port);
        return 0;
}

/* ---- memballoon, rng ---- */

int qemu_build_memballoon(QemuCmd *c) {
        const DomainMemballoonDef *m = &c->def->memballoon;
        json_object *o = NULL;
        char id[128];
        int r;

        cmd_at(c, QEMU_DEVICE_MEMBALLOON, 0);
        if (!m->present || streq_ptr(m->model, "none")) {
                if (m->present && m->addr.type != DOMAIN_ADDRESS_NONE)
                        return cmd_fail(c, -EINVAL, "memballoon model 'none' has no <address>");
                return 0;
        }
        r = qemu_pci_device_new(c, &m->addr, "memballoon", streq_ptr(m->model, "virtio-transitional") ?
                                "virtio-balloon-pci-transitional" : streq_ptr(m->model, "virtio-non-transitional") ?
                                "virtio-balloon-pci-non-transitional" : "virtio-balloon-pci",
                                qemu_dev_id(id, sizeof(id), m->alias, "balloon0"), &o);
        if (r < 0)
                return r;
        /* the guest statistics' period (SetMemoryStatsPeriod changes it live) */
        if (m->stats_period)
                prop_int(&o, "guest-stats-polling-interval", m->stats_period);
        if (m->autodeflate != TRISTATE_ABSENT)
                prop_bool(&o, "deflate-on-oom", m->autodeflate == TRISTATE_ON);
        if (m->free_page_reporting != TRISTATE_ABSENT)
                prop_bool(&o, "free-page-reporting", m->free_page_reporting == TRISTATE_ON);
        qemu_virtio_opts_props(&o, &m->virtio);
        return cmd_device(c, o);
}

/* <rng model='virtio-transitional'>: QEMU's device of that name (legacy and
 * modern virtio), or the modern-only one. */
static const char *rng_driver(const DomainRngDef *rng) {
        if (streq_ptr(rng->model, "virtio-transitional"))
                return "virtio-rng-pci-transitional";
        if (streq_ptr(rng->model, "virtio-non-transitional"))
                return "virtio-rng-pci-non-transitional";
        return !rng->model || streq(rng->model, "virtio") ? "virtio-rng-pci" : NULL;
}

static int build_rng(QemuCmd *c, size_t i) {
        const DomainRngDef *rng = &c->def->rngs[i];
        const char *backend = rng->backend_model ?: "random";
        json_object *o = NULL;
        char what[128], obj[140];
        int r;

        if (!rng_driver(rng))
                return cmd_fail(c, -EOPNOTSUPP, "rng model '%s' is not supported", rng->model);
        qemu_dev_id(what, sizeof(what), rng->alias, "rng%zu", i);
        snprintf(obj, sizeof(obj), "obj%s", what);
        if (streq(backend, "random")) {
                o = props_new("qom-type", "rng-random");
                prop_str(&o, "id", obj);
                prop_str(&o, "filename", rng->backend_path ?: "/dev/urandom");
        } else if (streq(backend, "builtin")) {
                o = props_new("qom-type", "rng-builtin");
                prop_str(&o, "id", obj);
        } else if (streq(backend, "egd") && rng->backend_chr) {
                /* the EGD daemon's socket, as libvirt names it: charrngN */
                r = qemu_build_chardev(c, rng->backend_chr, what);
                if (r < 0)
                        return r;
                o = props_new("qom-type", "rng-egd");
                prop_str(&o, "id", obj);
                prop_strf(&o, "chardev", "char%s", what);
        } else
                return cmd_fail(c, -EOPNOTSUPP, "rng backend '%s' is not supported", backend);
        r = cmd_object(c, o);
        if (r < 0)
                return r;
        r = qemu_pci_device_new(c, &rng->addr, what, rng_driver(rng), what, &o);
        if (r < 0)
                return r;
        prop_str(&o, "rng", obj);
        if (rng->rate_bytes > 0)
                prop_int(&o, "max-bytes", rng->rate_bytes);
        if (rng->rate_period > 0)
                prop_int(&o, "period", rng->rate_period);
        qemu_virtio_opts_props(&o, &rng->virtio);
        return cmd_device(c, o);
}

int qemu_build_rngs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_rngs; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_RNG, i);
                r = build_rng(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
