/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device part of the QEMU command line: controllers, interfaces,
 * serials and consoles, graphics, video, input, balloon, rng; and the
 * aliases of all devices. Disks are in qemu-command-disks.c.
 * Pure: see qemu-command.h. */

#include <inttypes.h>

#include "qemu-command-internal.h"
#include "util.h"

/* ---- small lookups ---- */

const DomainControllerDef *qemu_find_controller(const DomainDef *def, DomainControllerType type,
                                                unsigned index) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type && def->controllers[i].index == index)
                        return &def->controllers[i];
        return NULL;
}

static bool has_controller_type(const DomainDef *def, DomainControllerType type) {
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == type)
                        return true;
        return false;
}

/* ---- serial/console aliases ---- */

static bool console_is_serial(const DomainChrDef *chr) {
        return !chr->target_type || streq(chr->target_type, "serial");
}

static size_t chr_ordinal(const DomainDef *def, size_t i) {
        size_t n = 0;

        for (size_t j = 0; j < i; j++)
                if (def->chrs[j].kind == def->chrs[i].kind)
                        n++;
        return n;
}

static bool has_serial(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_SERIAL)
                        return true;
        return false;
}

/* The first console, when of target type serial, is the first serial port
 * (libvirt's rule): it shares its alias, or becomes it when there is none. */
char *qemu_chr_alias(const DomainDef *def, size_t i) {
        const DomainChrDef *chr = &def->chrs[i];
        size_t n = chr_ordinal(def, i);
        char *s;

        if (chr->kind == DOMAIN_CHR_SERIAL)
                return asprintf(&s, "serial%zu", n) < 0 ? NULL : s;
        if (n == 0 && console_is_serial(chr))
                return strdup("serial0");
        return asprintf(&s, "console%zu", n) < 0 ? NULL : s;
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
        default:
                r = asprintf(&s, "controller%u", ctrl->index);
                break;
        }
        return r < 0 ? NULL : s;
}

int qemu_command_assign_aliases(DomainDef *def) {
        char *s;
        int r;

        for (size_t i = 0; i < def->n_disks; i++) {
                r = qemu_command_disk_alias(def, &def->disks[i], &s);
                if (r < 0)
                        return r;
                free_and_replace_str(&def->disks[i].alias, s);
        }
        for (size_t i = 0; i < def->n_nets; i++) {
                if (asprintf(&s, "net%zu", i) < 0)
                        return -ENOMEM;
                free_and_replace_str(&def->nets[i].alias, s);
        }
        for (size_t i = 0; i < def->n_chrs; i++) {
                s = qemu_chr_alias(def, i);
                if (!s)
                        return -ENOMEM;
                free_and_replace_str(&def->chrs[i].alias, s);
        }
        for (size_t i = 0; i < def->n_rngs; i++) {
                if (asprintf(&s, "rng%zu", i) < 0)
                        return -ENOMEM;
                free_and_replace_str(&def->rngs[i].alias, s);
        }
        for (size_t i = 0; i < def->n_controllers; i++) {
                s = controller_alias(def, &def->controllers[i]);
                if (!s)
                        return -ENOMEM;
                free_and_replace_str(&def->controllers[i].alias, s);
        }
        for (size_t i = 0; i < def->n_videos; i++) {
                if (asprintf(&s, "video%zu", i) < 0)
                        return -ENOMEM;
                free_and_replace_str(&def->videos[i].alias, s);
        }
        for (size_t i = 0; i < def->n_inputs; i++) {
                if (asprintf(&s, "input%zu", i) < 0)
                        return -ENOMEM;
                free_and_replace_str(&def->inputs[i].alias, s);
        }
        if (def->memballoon.present && !streq_ptr(def->memballoon.model, "none")) {
                s = strdup("balloon0");
                if (!s)
                        return -ENOMEM;
                free_and_replace_str(&def->memballoon.alias, s);
        }
        return 0;
}

/* ---- controllers ---- */

static int build_pci_controller(QemuCmd *c, const DomainControllerDef *ctrl) {
        const char *model = ctrl->model;
        OptBuf b = {};

        if (!model)
                model = ctrl->index == 0 ? (c->q35 ? "pcie-root" : "pci-root") :
                                           (c->q35 ? "pcie-root-port" : "pci-bridge");
        if (streq(model, "pcie-root") || streq(model, "pci-root")) {
                if (ctrl->index != 0 || streq(model, "pcie-root") != c->q35)
                        return cmd_fail(c, -EINVAL, "PCI controller '%s' index %u does not fit machine %s",
                                        model, ctrl->index, c->q35 ? "q35" : "pc");
                return 0;       /* built into the machine */
        }
        if (ctrl->index == 0)
                return cmd_fail(c, -EINVAL, "PCI controller index 0 must be the root");
        if (streq(model, "pcie-root-port") && c->q35)
                opt_add(&b, "pcie-root-port,port=0x%x,chassis=%u,id=pci.%u,bus=pcie.0",
                        ctrl->index, ctrl->index, ctrl->index);
        else if (streq(model, "pci-bridge") && !c->q35)
                opt_add(&b, "pci-bridge,chassis_nr=%u,id=pci.%u,bus=pci.0", ctrl->index, ctrl->index);
        else
                return cmd_fail(c, -EOPNOTSUPP, "PCI controller model '%s' is not supported on %s",
                                model, c->q35 ? "q35" : "pc");
        return cmd_device(c, &b);
}

static const char *usb_id(unsigned index, char buf[static 16]) {
        if (index == 0)
                return "usb";
        snprintf(buf, 16, "usb%u", index);
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
        char buf[16];
        OptBuf b = {};

        if (streq(model, "none"))
                return 0;
        /* EHCI companions: no id of their own, their ports join the EHCI bus */
        if (startswith(model, "ich9-uhci") && model[9] >= '1' && model[9] <= '3' && !model[10]) {
                opt_add(&b, "ich9-usb-uhci%c,bus=%s", model[9], root_bus(c));
                opt_add(&b, "masterbus=%s.0,firstport=%d", usb_id(ctrl->index, buf), (model[9] - '1') * 2);
                return cmd_device(c, &b);
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!streq(model, table[i].model))
                        continue;
                opt_add(&b, "%s,bus=%s,id=%s", table[i].type, root_bus(c), usb_id(ctrl->index, buf));
                if (ctrl->ports > 0 && strstr(model, "xhci"))
                        opt_add(&b, "p2=%u,p3=%u", ctrl->ports, ctrl->ports);
                return cmd_device(c, &b);
        }
        return cmd_fail(c, -EOPNOTSUPP, "USB controller model '%s' is not supported", model);
}

static int build_scsi_controller(QemuCmd *c, const DomainControllerDef *ctrl, unsigned index) {
        const char *model = ctrl && ctrl->model ? ctrl->model : "lsilogic";
        OptBuf b = {};

        if (streq(model, "virtio-scsi")) {
                opt_add(&b, "virtio-scsi-pci,bus=%s,id=scsi%u", root_bus(c), index);
                if (ctrl && ctrl->queues > 0)
                        opt_add(&b, "num_queues=%u", ctrl->queues);
                if (ctrl && ctrl->cmd_per_lun > 0)
                        opt_add(&b, "cmd_per_lun=%u", ctrl->cmd_per_lun);
                if (ctrl && ctrl->max_sectors > 0)
                        opt_add(&b, "max_sectors=%u", ctrl->max_sectors);
                return cmd_device(c, &b);
        }
        if (!streq(model, "lsilogic"))
                return cmd_fail(c, -EOPNOTSUPP, "SCSI controller model '%s' is not supported", model);
        if (ctrl && (ctrl->queues || ctrl->cmd_per_lun || ctrl->max_sectors))
                return cmd_fail(c, -EINVAL, "queues, cmd_per_lun and max_sectors need model 'virtio-scsi'");
        opt_add(&b, "lsi53c895a,bus=%s,id=scsi%u", root_bus(c), index);
        return cmd_device(c, &b);
}

/* The q35 machine has its AHCI (ICH9) built in as controller 0, id "ide". */
static int build_sata_controller(QemuCmd *c, unsigned index) {
        OptBuf b = {};

        if (c->q35 && index == 0)
                return 0;
        opt_add(&b, "ahci,bus=%s,id=sata%u", root_bus(c), index);
        return cmd_device(c, &b);
}

static int build_controller(QemuCmd *c, const DomainControllerDef *ctrl) {
        OptBuf b = {};

        switch (ctrl->type) {
        case DOMAIN_CONTROLLER_PCI:
                return 0;       /* done first, see qemu_build_controllers() */
        case DOMAIN_CONTROLLER_USB:
                return build_usb_controller(c, ctrl);
        case DOMAIN_CONTROLLER_SCSI:
                return build_scsi_controller(c, ctrl, ctrl->index);
        case DOMAIN_CONTROLLER_SATA:
                return build_sata_controller(c, ctrl->index);
        case DOMAIN_CONTROLLER_IDE:
                /* PIIX IDE is part of the pc machine, q35 has none */
                if (c->q35 || ctrl->index > 0)
                        return cmd_fail(c, -EOPNOTSUPP, "IDE controller %u is not available on %s",
                                        ctrl->index, c->q35 ? "q35" : "pc");
                return 0;
        case DOMAIN_CONTROLLER_VIRTIO_SERIAL:
                opt_add(&b, "virtio-serial-pci,bus=%s,id=virtio-serial%u", root_bus(c), ctrl->index);
                if (ctrl->ports > 0)
                        opt_add(&b, "max_ports=%u", ctrl->ports);
                return cmd_device(c, &b);
        default:
                return cmd_fail(c, -EOPNOTSUPP, "controller type %d is not supported", (int) ctrl->type);
        }
}

static bool needs_usb(const DomainDef *def) {
        for (size_t i = 0; i < def->n_inputs; i++)
                if (streq_ptr(def->inputs[i].bus, "usb") ||
                    (!def->inputs[i].bus && streq_ptr(def->inputs[i].type, "tablet")))
                        return true;
        return false;
}

static bool needs_virtio_serial(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_CONSOLE && !console_is_serial(&def->chrs[i]))
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
                                                     build_sata_controller(c, a.controller);
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
                        r = build_pci_controller(c, &def->controllers[i]);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < def->n_controllers; i++) {
                r = build_controller(c, &def->controllers[i]);
                if (r < 0)
                        return r;
        }
        if (needs_usb(def)) {
                const DomainControllerDef *usb = qemu_find_controller(def, DOMAIN_CONTROLLER_USB, 0);
                DomainControllerDef dflt = { .type = DOMAIN_CONTROLLER_USB };

                if (usb && streq_ptr(usb->model, "none"))
                        return cmd_fail(c, -EINVAL, "USB input devices need a USB controller, not model 'none'");
                if (!usb) {
                        r = build_usb_controller(c, &dflt);
                        if (r < 0)
                                return r;
                }
        }
        if (needs_virtio_serial(def) && !has_controller_type(def, DOMAIN_CONTROLLER_VIRTIO_SERIAL)) {
                DomainControllerDef dflt = { .type = DOMAIN_CONTROLLER_VIRTIO_SERIAL };

                r = build_controller(c, &dflt);
                if (r < 0)
                        return r;
        }
        return build_implicit_disk_controllers(c);
}

/* ---- network interfaces ---- */

static const char *net_device_type(const char *model) {
        if (!model || streq(model, "rtl8139"))
                return "rtl8139";
        if (streq(model, "virtio"))
                return "virtio-net-pci";
        if (streq(model, "e1000") || streq(model, "e1000e"))
                return model;
        return NULL;
}

static int build_net(QemuCmd *c, size_t i) {
        const DomainNetDef *net = &c->def->nets[i];
        const char *type = net_device_type(net->model);
        const uint8_t *m = net->mac;
        OptBuf b = {};
        int r, fd;

        if (!type)
                return cmd_fail(c, -EOPNOTSUPP, "interface model '%s' is not supported", net->model);
        switch (net->type) {
        case DOMAIN_NET_USER:
                opt_add(&b, "user,id=hostnet%zu", i);
                break;
        case DOMAIN_NET_NETWORK:
        case DOMAIN_NET_BRIDGE:
                fd = i < c->params->n_tap_fds && c->params->tap_fds ? c->params->tap_fds[i] : -1;
                if (fd < 0)
                        return cmd_fail(c, -EINVAL, "interface %zu has no tap fd", i);
                r = cmd_add_fd(c, fd);
                if (r < 0)
                        return r;
                opt_add(&b, "tap,fd=%d,id=hostnet%zu", fd, i);
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "interface type %d is not supported", (int) net->type);
        }
        r = cmd_opt(c, "-netdev", &b);
        if (r < 0)
                return r;
        opt_add(&b, "%s,bus=%s,netdev=hostnet%zu,id=net%zu", type, root_bus(c), i, i);
        opt_add(&b, "mac=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        if (net->boot_order > 0)
                opt_add(&b, "bootindex=%u", net->boot_order);
        return cmd_device(c, &b);
}

int qemu_build_nets(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_nets; i++) {
                int r = build_net(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- serials and consoles ---- */

static int build_chardev(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        _cleanup_free_ char *path = NULL;
        OptBuf b = {};

        switch (chr->type) {
        case DOMAIN_CHR_PTY:
                opt_add(&b, "pty,id=char%s", alias);
                break;
        case DOMAIN_CHR_FILE:
                if (!chr->path)
                        return cmd_fail(c, -EINVAL, "%s: a file chardev needs a path", alias);
                opt_add(&b, "file,id=char%s", alias);
                opt_add_str(&b, "path", chr->path);
                break;
        case DOMAIN_CHR_UNIX:
                if (!chr->path && (!chr->listen || !c->params->run_dir))
                        return cmd_fail(c, -EINVAL, "%s: a unix chardev needs a path", alias);
                if (!chr->path && asprintf(&path, "%s/%s.sock", c->params->run_dir, alias) < 0)
                        return -ENOMEM;
                opt_add(&b, "socket,id=char%s", alias);
                opt_add_str(&b, "path", chr->path ?: path);
                if (chr->listen)
                        opt_add(&b, "server=on,wait=off");
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "%s: chardev type %d is not supported", alias, (int) chr->type);
        }
        if (chr->log_file) {
                opt_add_str(&b, "logfile", chr->log_file);
                opt_add(&b, "logappend=on");   /* keep what earlier runs logged */
        } else if (chr->kind == DOMAIN_CHR_SERIAL && c->params->serial_log) {
                opt_add_str(&b, "logfile", c->params->serial_log);
                opt_add(&b, "logappend=on");
        }
        return cmd_opt(c, "-chardev", &b);
}

static int build_serial(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        OptBuf b = {};
        int r;

        if (chr->target_type && !streq(chr->target_type, "isa-serial") &&
            !streq(chr->target_type, "pci-serial") && !streq(chr->target_type, "serial"))
                return cmd_fail(c, -EOPNOTSUPP, "serial target type '%s' is not supported", chr->target_type);
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        if (streq_ptr(chr->target_type, "pci-serial")) {
                opt_add(&b, "pci-serial,bus=%s,chardev=char%s,id=%s", root_bus(c), alias, alias);
                return cmd_device(c, &b);
        }
        if (chr->port > 3)
                return cmd_fail(c, -EINVAL, "%s: ISA serial port %u does not exist (0..3)", alias, chr->port);
        opt_add(&b, "isa-serial,chardev=char%s,id=%s,index=%u", alias, alias, chr->port);
        return cmd_device(c, &b);
}

static int build_console(QemuCmd *c, size_t i, const char *alias) {
        const DomainChrDef *chr = &c->def->chrs[i];
        OptBuf b = {};
        int r;

        if (console_is_serial(chr)) {
                if (chr_ordinal(c->def, i) > 0)
                        return cmd_fail(c, -EOPNOTSUPP, "only the first console can be a serial port");
                if (has_serial(c->def))
                        return 0;       /* it shows the first serial port */
                return build_serial(c, chr, alias);
        }
        if (!streq(chr->target_type, "virtio"))
                return cmd_fail(c, -EOPNOTSUPP, "console target type '%s' is not supported", chr->target_type);
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        opt_add(&b, "virtconsole,chardev=char%s,id=%s", alias, alias);
        return cmd_device(c, &b);
}

int qemu_build_chrs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_chrs; i++) {
                _cleanup_free_ char *alias = qemu_chr_alias(c->def, i);
                const DomainChrDef *chr = &c->def->chrs[i];
                int r;

                if (!alias)
                        return -ENOMEM;
                if (chr->kind == DOMAIN_CHR_SERIAL)
                        r = build_serial(c, chr, alias);
                else
                        r = build_console(c, i, alias);
                if (r < 0)
                        return r;
        }
        return 0;
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

static int build_vnc(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        const char *listen = g->listen ?: "127.0.0.1";
        bool v6 = strchr(listen, ':');
        OptBuf b = {};
        int port, r;

        r = graphics_port(c, i, &port);
        if (r < 0)
                return r;
        if (port < 5900)
                return cmd_fail(c, -EINVAL, "VNC port %d is below 5900", port);
        opt_append(&b, "%s", v6 ? "[" : "");
        opt_add_str(&b, NULL, listen);
        opt_append(&b, "%s:%d", v6 ? "]" : "", port - 5900);
        if (g->passwd)
                opt_add(&b, "password=on");
        return cmd_opt(c, "-vnc", &b);
}

static int build_spice(QemuCmd *c, size_t i) {
        const DomainGraphicsDef *g = &c->def->graphics[i];
        OptBuf b = {};
        int port, r;

        r = graphics_port(c, i, &port);
        if (r < 0)
                return r;
        opt_add(&b, "port=%d", port);
        opt_add_str(&b, "addr", g->listen ?: "127.0.0.1");
        /* with a password, ticketing stays on and the driver sets the ticket */
        if (!g->passwd)
                opt_add(&b, "disable-ticketing=on");
        opt_add(&b, "seamless-migration=on");
        return cmd_opt(c, "-spice", &b);
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
                                        t == DOMAIN_GRAPHICS_VNC ? "VNC" : "SPICE");
                r = t == DOMAIN_GRAPHICS_VNC ? build_vnc(c, i) : build_spice(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- video ---- */

static int build_video(QemuCmd *c, size_t i, bool primary) {
        const DomainVideoDef *v = &c->def->videos[i];
        const char *model = v->model ?: "vga";
        OptBuf b = {};

        if (streq(model, "none"))
                return 0;
        if (!primary && (streq(model, "vga") || streq(model, "cirrus")))
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s' can only be the primary one", model);
        if (streq(model, "vga") || streq(model, "cirrus")) {
                opt_add(&b, "%s,bus=%s,id=video%zu", streq(model, "vga") ? "VGA" : "cirrus-vga", root_bus(c), i);
                if (v->vram > 0)
                        opt_add(&b, "vgamem_mb=%u", MAX(v->vram / 1024, 1u));
        } else if (streq(model, "virtio")) {
                opt_add(&b, "%s,bus=%s,id=video%zu", primary ? "virtio-vga" : "virtio-gpu-pci", root_bus(c), i);
                if (v->heads > 0)
                        opt_add(&b, "max_outputs=%u", v->heads);
        } else if (streq(model, "qxl")) {
                opt_add(&b, "%s,bus=%s,id=video%zu", primary ? "qxl-vga" : "qxl", root_bus(c), i);
                if (v->vram > 0)
                        opt_add(&b, "vram_size=%" PRIu64, (uint64_t) v->vram * 1024);
                if (v->heads > 0)
                        opt_add(&b, "max_outputs=%u", v->heads);
        } else if (streq(model, "bochs"))
                opt_add(&b, "bochs-display,bus=%s,id=video%zu", root_bus(c), i);
        else if (streq(model, "ramfb"))
                opt_add(&b, "ramfb,id=video%zu", i);
        else
                return cmd_fail(c, -EOPNOTSUPP, "video model '%s' is not supported", model);
        return cmd_device(c, &b);
}

/* The primary adapter goes first: it is the one the firmware shows. */
int qemu_build_videos(QemuCmd *c) {
        const DomainDef *def = c->def;
        size_t primary = 0;
        int r;

        for (size_t i = 0; i < def->n_videos; i++)
                if (def->videos[i].primary) {
                        primary = i;
                        break;
                }
        if (def->n_videos == 0)
                return 0;
        r = build_video(c, primary, true);
        for (size_t i = 0; r >= 0 && i < def->n_videos; i++)
                if (i != primary)
                        r = build_video(c, i, false);
        return r;
}

/* ---- input ---- */

static int build_input(QemuCmd *c, size_t i) {
        const DomainInputDef *in = &c->def->inputs[i];
        const char *type = in->type ?: "";
        const char *bus = in->bus ?: (streq(type, "tablet") ? "usb" : "ps2");
        OptBuf b = {};

        if (!streq(type, "mouse") && !streq(type, "keyboard") && !streq(type, "tablet"))
                return cmd_fail(c, -EOPNOTSUPP, "input type '%s' is not supported", type);
        if (streq(bus, "ps2")) {
                if (streq(type, "tablet"))
                        return cmd_fail(c, -EINVAL, "a tablet cannot be on the ps2 bus");
                return 0;       /* the i8042 of pc and q35 provides both */
        }
        if (streq(bus, "usb"))
                opt_add(&b, "usb-%s,bus=usb.0,id=input%zu",
                        streq(type, "keyboard") ? "kbd" : type, i);
        else if (streq(bus, "virtio"))
                opt_add(&b, "virtio-%s-pci,bus=%s,id=input%zu", type, root_bus(c), i);
        else
                return cmd_fail(c, -EOPNOTSUPP, "input bus '%s' is not supported", bus);
        return cmd_device(c, &b);
}

int qemu_build_inputs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_inputs; i++) {
                int r = build_input(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- memballoon, rng ---- */

int qemu_build_memballoon(QemuCmd *c) {
        const DomainMemballoonDef *m = &c->def->memballoon;
        OptBuf b = {};

        if (!m->present || streq_ptr(m->model, "none"))
                return 0;
        if (m->model && !streq(m->model, "virtio"))
                return cmd_fail(c, -EOPNOTSUPP, "memballoon model '%s' is not supported", m->model);
        opt_add(&b, "virtio-balloon-pci,bus=%s,id=balloon0", root_bus(c));
        return cmd_device(c, &b);
}

static int build_rng(QemuCmd *c, size_t i) {
        const DomainRngDef *rng = &c->def->rngs[i];
        const char *backend = rng->backend_model ?: "random";
        OptBuf b = {};
        int r;

        if (rng->model && !streq(rng->model, "virtio"))
                return cmd_fail(c, -EOPNOTSUPP, "rng model '%s' is not supported", rng->model);
        if (streq(backend, "random")) {
                opt_add(&b, "rng-random,id=objrng%zu", i);
                opt_add_str(&b, "filename", rng->backend_path ?: "/dev/urandom");
        } else if (streq(backend, "builtin"))
                opt_add(&b, "rng-builtin,id=objrng%zu", i);
        else
                return cmd_fail(c, -EOPNOTSUPP, "rng backend '%s' is not supported", backend);
        r = cmd_opt(c, "-object", &b);
        if (r < 0)
                return r;
        opt_add(&b, "virtio-rng-pci,bus=%s,rng=objrng%zu,id=rng%zu", root_bus(c), i, i);
        if (rng->rate_bytes > 0)
                opt_add(&b, "max-bytes=%u", rng->rate_bytes);
        if (rng->rate_period > 0)
                opt_add(&b, "period=%u", rng->rate_period);
        return cmd_device(c, &b);
}

int qemu_build_rngs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_rngs; i++) {
                int r = build_rng(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
