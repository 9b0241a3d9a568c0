/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The builders of the chr family (serials, consoles, channels) and of
 * redirdevs (USB redirection over SPICE), their devices as JSON properties
 * (see qemu-device.h): the ISA/PCI serial ports, virtio consoles and
 * virtio-serial ports, usb-redir; their chardevs (pty, file, unix socket,
 * SPICE's spicevmc), aliases and the sockets the driver places.
 * Pure: see qemu-command.h. */

#include "qemu-command-internal.h"
#include "util.h"

/* ---- aliases and socket paths ---- */

bool qemu_console_is_serial(const DomainChrDef *chr) {
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

/* The first serial port's user alias, or NULL. */
static const char *first_serial_user_alias(const DomainDef *def) {
        for (size_t i = 0; i < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_SERIAL)
                        return domain_alias_is_user(def->chrs[i].alias) ? def->chrs[i].alias : NULL;
        return NULL;
}

/* The first console, when of target type serial, is the first serial port
 * (libvirt's rule): it shares its alias, or becomes it when there is none.
 * A user's alias stays. */
char *qemu_chr_alias(const DomainDef *def, size_t i) {
        const DomainChrDef *chr = &def->chrs[i];
        size_t n = chr_ordinal(def, i);
        const char *user = first_serial_user_alias(def);
        char *s;

        if (chr->kind == DOMAIN_CHR_CONSOLE && n == 0 && qemu_console_is_serial(chr) && user)
                return strdup(user);
        if (domain_alias_is_user(chr->alias))
                return strdup(chr->alias);
        if (chr->kind == DOMAIN_CHR_SERIAL)
                return asprintf(&s, "serial%zu", n) < 0 ? NULL : s;
        if (chr->kind == DOMAIN_CHR_CHANNEL)
                return asprintf(&s, "channel%zu", n) < 0 ? NULL : s;
        if (chr->kind == DOMAIN_CHR_PARALLEL)
                return asprintf(&s, "parallel%zu", n) < 0 ? NULL : s;
        if (n == 0 && qemu_console_is_serial(chr))
                return strdup("serial0");
        return asprintf(&s, "console%zu", n) < 0 ? NULL : s;
}

/* A unix socket the driver places: RUN_DIR/NAME.ALIAS.sock (the run
 * directory is shared by all guests, hence the name). */
int qemu_chr_auto_path(const DomainDef *def, size_t i, const char *run_dir, char **ret) {
        _cleanup_free_ char *alias = NULL;
        char *s;

        if (!run_dir || !def->name)
                return -EINVAL;
        alias = qemu_chr_alias(def, i);
        if (!alias || asprintf(&s, "%s/%s.%s.sock", run_dir, def->name, alias) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int qemu_command_assign_paths(DomainDef *def, const char *run_dir) {
        for (size_t i = 0; i < def->n_chrs; i++) {
                DomainChrDef *chr = &def->chrs[i];
                char *s;
                int r;

                if (chr->type != DOMAIN_CHR_UNIX || (chr->path && !chr->path_auto))
                        continue;
                r = qemu_chr_auto_path(def, i, run_dir, &s);
                if (r < 0)
                        return r;
                /* sockaddr_un.sun_path: 108 bytes with the NUL */
                if (strlen(s) >= 108) {
                        free(s);
                        return -ENAMETOOLONG;
                }
                free_and_replace_str(&chr->path, s);
                chr->path_auto = true;
                chr->listen = true;
        }
        return qemu_graphics_assign_paths(def, run_dir);
}

/* ---- serials, consoles and channels ---- */

static int build_chardev(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        _cleanup_free_ char *path = NULL;
        OptBuf b = {};
        int r;

        if (!cmd_renders(c))
                return 0;       /* hot-plug: chardev-add, not data yet */
        switch (chr->type) {
        case DOMAIN_CHR_PTY:
                opt_add(&b, "pty,id=char%s", alias);
                break;
        case DOMAIN_CHR_FILE:
                if (!chr->path)
                        return cmd_fail(c, -EINVAL, "%s: a file chardev needs a path", alias);
                opt_add(&b, "file,id=char%s", alias);
                opt_add_str(&b, "path", chr->path);
                if (chr->append != TRISTATE_ABSENT)
                        opt_add_bool(&b, "append", chr->append == TRISTATE_ON);
                break;
        case DOMAIN_CHR_UNIX:
                if (!chr->path && (!chr->listen || !c->params->run_dir))
                        return cmd_fail(c, -EINVAL, "%s: a unix chardev needs a path", alias);
                if (!chr->path) {
                        r = qemu_chr_auto_path(c->def, (size_t) (chr - c->def->chrs), c->params->run_dir, &path);
                        if (r < 0)
                                return r == -ENOMEM ? r : cmd_fail(c, r, "%s: no socket path", alias);
                        if (strlen(path) >= 108)
                                return cmd_fail(c, -EINVAL, "%s: socket path %s is too long for a unix socket",
                                                alias, path);
                }
                opt_add(&b, "socket,id=char%s", alias);
                opt_add_str(&b, "path", chr->path ?: path);
                if (chr->listen)
                        opt_add(&b, "server=on,wait=off");
                r = qemu_chr_socket_opts(c, chr, alias, &b);
                if (r < 0)
                        return r;
                break;
        case DOMAIN_CHR_NULL:
                opt_add(&b, "null,id=char%s", alias);
                break;
        case DOMAIN_CHR_TCP:
                opt_add(&b, "socket,id=char%s", alias);
                if (chr->host)
                        opt_add_str(&b, "host", chr->host);
                opt_add_str(&b, "port", chr->service);
                if (chr->listen)
                        opt_add(&b, "server=on,wait=off");
                if (chr->telnet)
                        opt_add(&b, "telnet=on");
                r = qemu_chr_socket_opts(c, chr, alias, &b);
                if (r < 0)
                        return r;
                break;
        case DOMAIN_CHR_UDP:
                opt_add(&b, "udp,id=char%s", alias);
                if (chr->host)
                        opt_add_str(&b, "host", chr->host);
                opt_add_str(&b, "port", chr->service);
                if (chr->bind_host)
                        opt_add_str(&b, "localaddr", chr->bind_host);
                if (chr->bind_service)
                        opt_add_str(&b, "localport", chr->bind_service);
                break;
        case DOMAIN_CHR_VC:
                opt_add(&b, "vc,id=char%s", alias);
                break;
        case DOMAIN_CHR_STDIO:
                /* QEMU's stdout is the guest's log file, its stdin /dev/null */
                opt_add(&b, "stdio,id=char%s", alias);
                break;
        case DOMAIN_CHR_SPICEPORT:
        case DOMAIN_CHR_DBUS:
                r = qemu_chr_channel_opts(c, chr, alias, &b);
                if (r < 0)
                        return r;
                break;
        case DOMAIN_CHR_PIPE:
        case DOMAIN_CHR_DEV:
                if (!chr->path)
                        return cmd_fail(c, -EINVAL, "%s: a %s chardev needs a path", alias,
                                        domain_chr_type_to_string(chr->type));
                /* a host tty is QEMU's 'serial' backend, a host parallel port its 'parallel' one */
                opt_add(&b, "%s,id=char%s", chr->type == DOMAIN_CHR_PIPE ? "pipe" :
                                            chr->kind == DOMAIN_CHR_PARALLEL ? "parallel" : "serial", alias);
                opt_add_str(&b, "path", chr->path);
                break;
        case DOMAIN_CHR_SPICEVMC:
                /* the SPICE agent's channel: only a channel is parsed with this type */
                if (chr->kind != DOMAIN_CHR_CHANNEL)
                        return cmd_fail(c, -EOPNOTSUPP, "%s: a spicevmc chardev can only back a <channel>", alias);
                if (!qemu_has_spice(c->def))
                        return cmd_fail(c, -EINVAL, "%s: a spicevmc channel needs a <graphics type='spice'>", alias);
                opt_add(&b, "spicevmc,id=char%s,name=vdagent", alias);
                break;
        case DOMAIN_CHR_QEMU_VDAGENT:
                /* QEMU is the agent's host end: no SPICE needed */
                opt_add(&b, "qemu-vdagent,id=char%s,name=vdagent", alias);
                if (chr->vdagent_clipboard != TRISTATE_ABSENT)
                        opt_add_bool(&b, "clipboard", chr->vdagent_clipboard == TRISTATE_ON);
                if (chr->vdagent_mouse)
                        opt_add_bool(&b, "mouse", streq(chr->vdagent_mouse, "client"));
                break;
        default:
                return cmd_fail(c, -EOPNOTSUPP, "%s: chardev type %d is not supported", alias, (int) chr->type);
        }
        if (chr->log_file) {
                opt_add_str(&b, "logfile", chr->log_file);
                /* keep what earlier runs logged, unless told not to */
                opt_add_bool(&b, "logappend", chr->log_append != TRISTATE_OFF);
        } else if (chr->kind == DOMAIN_CHR_SERIAL && c->params->serial_log && chr->type != DOMAIN_CHR_STDIO) {
                /* (stdio already writes to QEMU's stdout, the log) */
                opt_add_str(&b, "logfile", c->params->serial_log);
                opt_add(&b, "logappend=on");
        }
        return cmd_opt(c, "-chardev", &b);
}

/* A serial of target type isa-debug: QEMU's debug console, one I/O port
 * (the address's iobase, else QEMU's 0xe9) whose bytes go to the chardev. */
static int build_debugcon(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        json_object *o = NULL;
        int r;

        if (chr->target_model && !streq(chr->target_model, "isa-debugcon"))
                return cmd_fail(c, -EINVAL, "%s: serial model '%s' does not fit target type 'isa-debug'", alias,
                                chr->target_model);
        if (chr->addr.type != DOMAIN_ADDRESS_NONE && chr->addr.type != DOMAIN_ADDRESS_ISA)
                return cmd_fail(c, -EINVAL, "%s: an ISA debug console has no <address> of type '%s'", alias,
                                domain_address_type_to_string(chr->addr.type) ?: "?");
        r = cmd_need_device(c, "isa-debugcon");
        if (r >= 0)
                r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        o = dev_new("isa-debugcon", alias);
        prop_strf(&o, "chardev", "char%s", alias);
        if (chr->addr.has_iobase)
                prop_int(&o, "iobase", chr->addr.iobase);
        return cmd_device(c, o);
}

static int build_serial(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        json_object *o = NULL;
        int r;

        if (chr->target_type && !streq(chr->target_type, "isa-serial") && !streq(chr->target_type, "isa-debug") &&
            !streq(chr->target_type, "pci-serial") && !streq(chr->target_type, "serial"))
                return cmd_fail(c, -EOPNOTSUPP, "serial target type '%s' is not supported", chr->target_type);
        if (streq_ptr(chr->target_type, "isa-debug"))
                return build_debugcon(c, chr, alias);
        if (chr->target_model && !streq_ptr(chr->target_model, chr->target_type))
                return cmd_fail(c, -EINVAL, "%s: serial model '%s' does not fit target type '%s'", alias,
                                chr->target_model, chr->target_type ?: "isa-serial");
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        if (streq_ptr(chr->target_type, "pci-serial")) {
                r = qemu_pci_device_new(c, &chr->addr, alias, "pci-serial", alias, &o);
                if (r < 0)
                        return r;
                prop_strf(&o, "chardev", "char%s", alias);
                return cmd_device(c, o);
        }
        if (chr->addr.type != DOMAIN_ADDRESS_NONE && chr->addr.type != DOMAIN_ADDRESS_ISA)
                return cmd_fail(c, -EINVAL, "%s: an ISA serial port has no <address> of type '%s'", alias,
                                domain_address_type_to_string(chr->addr.type) ?: "?");
        if (chr->port > 3)
                return cmd_fail(c, -EINVAL, "%s: ISA serial port %u does not exist (0..3)", alias, chr->port);
        o = dev_new("isa-serial", alias);
        prop_strf(&o, "chardev", "char%s", alias);
        prop_int(&o, "index", chr->port);
        /* the port's own I/O base and IRQ instead of those of its index */
        if (chr->addr.has_iobase)
                prop_int(&o, "iobase", chr->addr.iobase);
        if (chr->addr.has_irq)
                prop_int(&o, "irq", chr->addr.irq);
        return cmd_device(c, o);
}

/* "bus": "virtio-serialC.B" (or the controller's user alias ".B"; and
 * "nr": P) of a port with an address; without one QEMU takes the first
 * virtio-serial bus and its next free port. */
static int virtio_serial_bus_props(QemuCmd *c, const DomainChrDef *chr, const char *alias, json_object **o) {
        const DomainDeviceAddress *a = &chr->addr;
        char id[128];

        if (a->type == DOMAIN_ADDRESS_NONE)
                return 0;
        if (a->type != DOMAIN_ADDRESS_VIRTIO_SERIAL)
                return cmd_fail(c, -EINVAL, "%s: a virtio-serial port has no <address> of type '%s'", alias,
                                domain_address_type_to_string(a->type) ?: "?");
        /* controller 0 is there even when not listed (see qemu_build_controllers()) */
        if (!qemu_find_controller(c->def, DOMAIN_CONTROLLER_VIRTIO_SERIAL, a->controller) &&
            (a->controller != 0 || qemu_has_controller_type(c->def, DOMAIN_CONTROLLER_VIRTIO_SERIAL)))
                return cmd_fail(c, -EINVAL, "%s: its <address> names virtio-serial controller %u, which the "
                                "domain does not have", alias, a->controller);
        if (a->bus != 0)
                return cmd_fail(c, -EINVAL, "%s: a virtio-serial controller has only bus 0, not %u", alias, a->bus);
        prop_strf(o, "bus", "%s.%u", qemu_dev_id(id, sizeof(id), qemu_controller_user_alias(c->def,
                  DOMAIN_CONTROLLER_VIRTIO_SERIAL, a->controller), "virtio-serial%u", a->controller), a->bus);
        if (a->has_port)
                prop_int(o, "nr", a->port);
        return 0;
}

/* A virtconsole or virtserialport on its chardev. */
static int virtio_port_new(QemuCmd *c, const DomainChrDef *chr, const char *alias, const char *driver,
                           json_object **ret) {
        json_object *o = dev_new(driver, alias);
        int r;

        r = virtio_serial_bus_props(c, chr, alias, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        prop_strf(&o, "chardev", "char%s", alias);
        *ret = o;
        return 0;
}

static int build_console(QemuCmd *c, size_t i, const char *alias) {
        const DomainChrDef *chr = &c->def->chrs[i];
        json_object *o = NULL;
        int r;

        if (qemu_console_is_serial(chr)) {
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
        r = virtio_port_new(c, chr, alias, "virtconsole", &o);
        if (r < 0)
                return r;
        return cmd_device(c, o);
}

/* The chardev of another device (an rng's egd backend, a passthrough
 * smartcard's socket): "char" + alias. */
int qemu_build_chardev(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        return build_chardev(c, chr, alias);
}

/* A <parallel>: an ISA parallel port (LPT1 is index 0) on its chardev. */
static int build_parallel(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        json_object *o = NULL;
        int r;

        if (chr->addr.type != DOMAIN_ADDRESS_NONE)
                return cmd_fail(c, -EINVAL, "%s: an ISA parallel port has no <address>", alias);
        if (chr->port > 2)
                return cmd_fail(c, -EINVAL, "%s: ISA parallel port %u does not exist (0..2)", alias, chr->port);
        r = cmd_need_device(c, "isa-parallel");
        if (r < 0)
                return r;
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        o = dev_new("isa-parallel", alias);
        prop_strf(&o, "chardev", "char%s", alias);
        prop_int(&o, "index", chr->port);
        return cmd_device(c, o);
}

/* A guestfwd <channel>: a user network of its own whose guestfwd rule
 * hands the guest's TCP connections to ADDRESS:PORT to the chardev. */
static int build_guestfwd(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        OptBuf b = {};
        int r;

        if (!cmd_renders(c))
                return 0;       /* no device: a netdev (hot-plug: qemu-hotplug-chr.c) */
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        opt_add(&b, "user,guestfwd=tcp:%s:%u-chardev:char%s,id=%s", chr->target_address, chr->port, alias, alias);
        return cmd_opt(c, "-netdev", &b);
}

/* A <channel>: a named virtio-serial port, e.g. the guest agent's. */
static int build_channel(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        json_object *o = NULL;
        int r;

        if (streq_ptr(chr->target_type, "guestfwd"))
                return build_guestfwd(c, chr, alias);
        if (!streq_ptr(chr->target_type, "virtio"))
                return cmd_fail(c, -EOPNOTSUPP, "channel target type '%s' is not supported",
                                chr->target_type ?: "");
        r = build_chardev(c, chr, alias);
        if (r < 0)
                return r;
        r = virtio_port_new(c, chr, alias, "virtserialport", &o);
        if (r < 0)
                return r;
        if (chr->target_name)
                prop_str(&o, "name", chr->target_name);
        return cmd_device(c, o);
}

int qemu_build_chrs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_chrs; i++) {
                _cleanup_free_ char *alias = qemu_chr_alias(c->def, i);
                const DomainChrDef *chr = &c->def->chrs[i];
                int r;

                if (!alias)
                        return -ENOMEM;
                cmd_at(c, QEMU_DEVICE_CHR, i);
                if (chr->kind == DOMAIN_CHR_SERIAL)
                        r = build_serial(c, chr, alias);
                else if (chr->kind == DOMAIN_CHR_CHANNEL)
                        r = build_channel(c, chr, alias);
                else if (chr->kind == DOMAIN_CHR_PARALLEL)
                        r = build_parallel(c, chr, alias);
                else
                        r = build_console(c, i, alias);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- USB redirection ---- */

/* The chardev of a redirdev: SPICE's "usbredir" channel, or the socket
 * of a usbredir server (as a serial's). */
static int build_redirdev_chardev(QemuCmd *c, const DomainRedirdevDef *rd, const char *what) {
        OptBuf b = {};

        if (rd->type == DOMAIN_CHR_TCP || rd->type == DOMAIN_CHR_UNIX)
                return rd->src ? build_chardev(c, rd->src, what) : cmd_fail(c, -EINVAL, "%s: no socket", what);
        if (rd->type == DOMAIN_CHR_DBUS) {
                /* the D-Bus display's usbredir channel */
                if (!qemu_has_dbus_display(c->def))
                        return cmd_fail(c, -EOPNOTSUPP, "%s: a dbus redirdev needs a <graphics type='dbus'>", what);
                if (!cmd_renders(c))
                        return 0;
                opt_add(&b, "dbus,id=char%s,name=org.qemu.usbredir", what);
                return cmd_opt(c, "-chardev", &b);
        }
        if (rd->type != DOMAIN_CHR_SPICEVMC)
                return cmd_fail(c, -EOPNOTSUPP, "%s: redirdev type '%s' is not supported", what,
                                domain_chr_type_to_string(rd->type) ?: "?");
        if (!qemu_has_spice(c->def))
                return cmd_fail(c, -EINVAL, "%s: a spicevmc redirdev needs a <graphics type='spice'>", what);
        if (!cmd_renders(c))
                return 0;
        opt_add(&b, "spicevmc,id=char%s,name=usbredir", what);
        return cmd_opt(c, "-chardev", &b);
}

/* <redirfilter>: usb-redir's filter=, the rules "class:vendor:product:
 * version:allow" joined by '|', -1 matching any value. */
static int redir_filter(const DomainDef *def, char **ret) {
        _cleanup_free_ char *s = NULL;

        for (size_t i = 0; i < def->n_redirfilter; i++) {
                const DomainRedirFilterRule *u = &def->redirfilter[i];
                char cls[16] = "-1", vendor[16] = "-1", product[16] = "-1", version[16] = "-1", *t;

                if (u->usb_class >= 0)
                        snprintf(cls, sizeof(cls), "0x%02X", (unsigned) u->usb_class);
                if (u->vendor >= 0)
                        snprintf(vendor, sizeof(vendor), "0x%04X", (unsigned) u->vendor);
                if (u->product >= 0)
                        snprintf(product, sizeof(product), "0x%04X", (unsigned) u->product);
                if (u->version >= 0)
                        snprintf(version, sizeof(version), "0x%04X", (unsigned) u->version);
                if (asprintf(&t, "%s%s%s:%s:%s:%s:%d", s ?: "", s ? "|" : "", cls, vendor, product, version,
                             u->allow) < 0)
                        return -ENOMEM;
                free_and_replace_str(&s, t);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* <redirdev bus='usb'/>: a usb-redir device whose other end is the SPICE
 * client's "usbredir" channel or a usbredir server's socket. */
static int build_redirdev(QemuCmd *c, size_t i) {
        const DomainRedirdevDef *rd = &c->def->redirdevs[i];
        _cleanup_free_ char *filter = NULL;
        json_object *o = NULL;
        char what[128];
        int r;

        qemu_dev_id(what, sizeof(what), rd->alias, "redir%zu", i);
        r = build_redirdev_chardev(c, rd, what);
        if (r < 0)
                return r;
        r = cmd_need_device(c, "usb-redir");
        if (r < 0)
                return r;
        o = dev_new("usb-redir", what);
        r = qemu_usb_bus_props(c, &rd->addr, what, &o);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        prop_strf(&o, "chardev", "char%s", what);
        if (rd->boot_order)
                prop_int(&o, "bootindex", rd->boot_order);
        r = redir_filter(c->def, &filter);
        if (r < 0) {
                qemu_json_putp(&o);
                return r;
        }
        if (filter)
                prop_str(&o, "filter", filter);
        return cmd_device(c, o);
}

int qemu_build_redirdevs(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_redirdevs; i++) {
                int r;

                cmd_at(c, QEMU_DEVICE_REDIRDEV, i);
                r = build_redirdev(c, i);
                if (r < 0)
                        return r;
        }
        return 0;
}
