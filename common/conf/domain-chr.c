/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <serial>, <console> and <channel>: character devices backed by a pty, a
 * file or a unix socket, or (a <channel> only) SPICE's vdagent channel;
 * <redirdev>: a USB device of the SPICE client, through a spicevmc channel. */
#include <arpa/inet.h>

#include "domain-conf-internal.h"

static const char *const serial_target_values[] = { "isa-serial", "usb-serial", "pci-serial", "isa-debug" };
static const char *const console_target_values[] = { "serial", "virtio", "lxc" };
static const char *const channel_target_values[] = { "virtio", "guestfwd" };
/* <target><model name=''/> of a serial: each goes with the target type of
 * the same name. */
static const char *const serial_model_values[] = { "isa-serial", "usb-serial", "pci-serial", "isa-debugcon" };

/* The target type a serial model goes with (isa-debugcon: QEMU's debug
 * console port, target type isa-debug). */
static const char *model_target_type(const char *model) {
        return streq(model, "isa-debugcon") ? "isa-debug" : model;
}
static const char *const channel_state_values[] = { "connected", "disconnected" };
/* The one port name a spicevmc channel can have: the SPICE agent's. */
#define SPICE_AGENT_PORT "com.redhat.spice.0"

static int parse_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL;
        int r;

        /* only unix sockets have a direction */
        if (chr->type == DOMAIN_CHR_UNIX)
                r = XML_CHECK_ATTRS(n, path, err, "mode", "path");
        else if (chr->type == DOMAIN_CHR_FILE)
                r = XML_CHECK_ATTRS(n, path, err, "path", "append");
        else
                r = XML_CHECK_ATTRS(n, path, err, "path");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "append", "on", "off", &chr->append, err);
        if (r < 0)
                return r;
        r = domain_chr_parse_source_children(chr, n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "path", &chr->path, err);
        if (r > 0)
                r = domain_check_abs_path(chr->path, "attribute 'path' of", path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "mode", &mode, err);
        if (r < 0)
                return r;
        if (mode && !streq(mode, "bind") && !streq(mode, "connect"))
                return xml_err_invalid(err, "value '%s' of attribute 'mode' of <%s> must be 'bind' or 'connect'",
                                       mode, path);
        /* a channel's socket without a mode is one the guest's host side
         * listens on (libvirt's qemu-ga channel) */
        chr->listen = mode ? streq(mode, "bind") : chr->kind == DOMAIN_CHR_CHANNEL && !chr->path;
        return 0;
}

static int parse_target_model(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "name", serial_model_values, ELEMENTSOF(serial_model_values),
                            &chr->target_model, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'name' of <%s>", path);
        return r < 0 ? r : 0;
}

/* <target type='guestfwd' address='' port=''/>: a TCP address and port of
 * the user network's that the guest connects to, forwarded to the chardev. */
static int parse_guestfwd_target(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "address", "port");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "address", &chr->target_address, err);
        if (r < 0)
                return r;
        /* the user network (slirp) forwards IPv4 only */
        if (inet_pton(AF_INET, chr->target_address, &(struct in_addr) {}) != 1)
                return xml_err_invalid(err, "value '%s' of attribute 'address' of <%s> is not an IPv4 address",
                                       chr->target_address, path);
        r = xml_attr_uint(n, path, "port", &chr->port, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'port' of <%s>: a guestfwd channel needs one", path);
        if (chr->port == 0 || chr->port > 65535)
                return xml_err_invalid(err, "value '%u' of attribute 'port' of <%s> must be 1 to 65535",
                                       chr->port, path);
        chr->port_given = true;
        return 0;
}

static int parse_channel_target(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_choice(n, path, "type", channel_target_values, ELEMENTSOF(channel_target_values),
                            &chr->target_type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (streq(chr->target_type, "guestfwd"))
                return parse_guestfwd_target(chr, n, path, err);
        r = XML_CHECK_ATTRS(n, path, err, "type", "name", "state");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "name", &chr->target_name, err);
        if (r > 0 && (!*chr->target_name || str_has_newline(chr->target_name)))
                return xml_err_invalid(err, "invalid value '%s' of attribute 'name' of <%s>", chr->target_name, path);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "state", channel_state_values, ELEMENTSOF(channel_state_values),
                            &chr->target_state, err);
        return r < 0 ? r : 0;
}

/* A parallel port's <target port=''/>: its number, nothing else. */
static int parse_parallel_target(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "port");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "port", &chr->port, err);
        if (r < 0)
                return r;
        chr->port_given = r > 0;
        return 0;
}

static int parse_target(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        if (chr->kind == DOMAIN_CHR_CHANNEL)
                return parse_channel_target(chr, n, path, err);
        if (chr->kind == DOMAIN_CHR_PARALLEL)
                return parse_parallel_target(chr, n, path, err);
        r = XML_CHECK_ATTRS(n, path, err, "type", "port");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        if (chr->kind == DOMAIN_CHR_SERIAL)
                r = xml_attr_choice(n, path, "type", serial_target_values, ELEMENTSOF(serial_target_values),
                                    &chr->target_type, err);
        else
                r = xml_attr_choice(n, path, "type", console_target_values, ELEMENTSOF(console_target_values),
                                    &chr->target_type, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "port", &chr->port, err);
        if (r < 0)
                return r;
        chr->port_given = r > 0;

        XML_FOREACH_ELEMENT(c, n) {
                /* only a serial port has a model */
                if (!xml_is(c, "model") || chr->kind != DOMAIN_CHR_SERIAL)
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, "model");
                r = parse_target_model(chr, c, sub, err);
                if (r < 0)
                        return r;
        }
        /* libvirt names the device of a debug console port */
        if (streq_ptr(chr->target_type, "isa-debug") && !chr->target_model &&
            !(chr->target_model = strdup("isa-debugcon")))
                return xml_err_oom(err);
        if (chr->target_model) {
                /* the model implies the target type, as in libvirt */
                if (!chr->target_type) {
                        chr->target_type = strdup(model_target_type(chr->target_model));
                        if (!chr->target_type)
                                return xml_err_oom(err);
                } else if (!streq(chr->target_type, model_target_type(chr->target_model)))
                        return xml_err_invalid(err, "serial model '%s' of <%s/model> does not fit target type '%s'",
                                               chr->target_model, path, chr->target_type);
        }
        return 0;
}

static int parse_log(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "file", "append");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "append", "on", "off", &chr->log_append, err);
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "file", &chr->log_file, err);
        if (r < 0)
                return r;
        return domain_check_abs_path(chr->log_file, "attribute 'file' of", path, err);
}

/* The address a character device can have depends on its target: a
 * pci-serial sits on PCI, a virtio console or a channel on a virtio-serial
 * bus; an ISA serial port or a serial console has none we model. */
static unsigned chr_address_types(const DomainChrDef *chr) {
        if (chr->kind == DOMAIN_CHR_CHANNEL && streq_ptr(chr->target_type, "guestfwd"))
                return 0;
        if (chr->kind == DOMAIN_CHR_CHANNEL ||
            (chr->kind == DOMAIN_CHR_CONSOLE && streq_ptr(chr->target_type, "virtio")))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_VIRTIO_SERIAL);
        if (chr->kind == DOMAIN_CHR_SERIAL && streq_ptr(chr->target_type, "pci-serial"))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI);
        if (chr->kind == DOMAIN_CHR_SERIAL && streq_ptr(chr->target_type, "usb-serial"))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB);
        /* an isa-serial port (the default target), and the console that shows it */
        if (chr->kind == DOMAIN_CHR_SERIAL && (!chr->target_type || streq(chr->target_type, "isa-serial") ||
                                               streq(chr->target_type, "isa-debug")))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_ISA);
        /* a serial console is the first serial port: it repeats that port's
         * address, whichever bus it is on (libvirt's pci-serial-dev-chardev) */
        if (chr->kind == DOMAIN_CHR_CONSOLE && (!chr->target_type || streq(chr->target_type, "serial")))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_ISA) | DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI) |
                       DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB);
        return 0;
}

static int parse_chr(DomainDef *def, DomainChrKind kind, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = { "source", "target", "log", "alias", "address", "protocol" };
        _cleanup_free_ char *tty = NULL;
        xmlNodePtr address = NULL;
        bool has_target = false, has_source = false;
        DomainChrDef *chr;
        int r;

        r = LIST_APPEND(def->chrs, def->n_chrs, &chr, path, err);
        if (r < 0)
                return r;
        chr->kind = kind;
        /* a bare <console/> is a pty, as in libvirt */
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_chr_type, &chr->type, err);
        if (r < 0)
                return r;
        if (r == 0 && kind != DOMAIN_CHR_CONSOLE)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        /* SPICE's channel is the agent's port: a <channel> only */
        if ((chr->type == DOMAIN_CHR_SPICEVMC || chr->type == DOMAIN_CHR_QEMU_VDAGENT) && kind != DOMAIN_CHR_CHANNEL)
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported: "
                                           "only a <channel> can be one", domain_chr_type_to_string(chr->type), path);
        if (chr->type == DOMAIN_CHR_SPICEVMC || chr->type == DOMAIN_CHR_QEMU_VDAGENT)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        else
                r = XML_CHECK_ATTRS(n, path, err, "type", "tty");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);
                /* the SPICE client is its other end: no host source, no log */
                if (chr->type == DOMAIN_CHR_SPICEVMC && (xml_is(c, "source") || xml_is(c, "log")))
                        return xml_unsupported_element(c, path, err);
                /* null, vc and stdio have no host source */
                if ((chr->type == DOMAIN_CHR_NULL || chr->type == DOMAIN_CHR_VC || chr->type == DOMAIN_CHR_STDIO) &&
                    xml_is(c, "source"))
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                /* udp has two sources, each end one */
                r = chr->type == DOMAIN_CHR_UDP && xml_is(c, "source") ? 0 : xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "source") && chr->type == DOMAIN_CHR_QEMU_VDAGENT)
                        r = domain_chr_parse_vdagent_source(chr, c, sub, err);
                else if (xml_is(c, "source") && (chr->type == DOMAIN_CHR_SPICEPORT || chr->type == DOMAIN_CHR_DBUS)) {
                        r = domain_chr_parse_channel_source(chr, c, sub, err);
                        has_source = true;
                }
                else if (xml_is(c, "source") && (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP)) {
                        r = domain_chr_parse_net_source(chr, c, sub, err);
                        has_source = true;
                } else if (xml_is(c, "protocol"))
                        r = domain_chr_parse_protocol(chr, c, sub, err);
                else if (xml_is(c, "source")) {
                        r = parse_source(chr, c, sub, err);
                        has_source = true;
                } else if (xml_is(c, "target")) {
                        r = parse_target(chr, c, sub, err);
                        has_target = true;
                } else if (xml_is(c, "log"))
                        r = parse_log(chr, c, sub, err);
                else if (xml_is(c, "address"))
                        address = c;    /* once the target type is known */
                else
                        r = domain_parse_alias(c, sub, &chr->alias, err);
                if (r < 0)
                        return r;
        }
        if (address) {
                XML_SUBPATH(sub, path, "address");
                r = domain_parse_address(address, sub, chr_address_types(chr), &chr->addr, err);
                if (r < 0)
                        return r;
        }

        /* tty='' is the live pty path, also given as <source path=''/> */
        r = xml_attr_str(n, path, "tty", &tty, err);
        if (r > 0)
                r = domain_check_abs_path(tty, "attribute 'tty' of", path, err);
        if (r < 0)
                return r;
        if (tty && chr->type != DOMAIN_CHR_PTY)
                return xml_err_invalid(err, "attribute 'tty' of <%s> is only valid for type 'pty'", path);
        if (tty && !chr->path)
                chr->path = TAKE_PTR(tty);
        r = domain_chr_check_source(chr, path, err);
        if (r < 0)
                return r;
        if ((chr->type == DOMAIN_CHR_SPICEPORT || chr->type == DOMAIN_CHR_DBUS) && !chr->channel)
                return xml_err_unsupported(err, "Missing source channel attribute for char device (<%s/source>)",
                                           path);

        if (kind == DOMAIN_CHR_CHANNEL) {
                if (!has_target)
                        return xml_err_xml(err, "missing element <%s/target>", path);
                if (chr->type == DOMAIN_CHR_SPICEVMC || chr->type == DOMAIN_CHR_QEMU_VDAGENT) {
                        /* libvirt names it when the name is left out */
                        if (!chr->target_name && !(chr->target_name = strdup(SPICE_AGENT_PORT)))
                                return xml_err_oom(err);
                        if (!streq(chr->target_name, SPICE_AGENT_PORT))
                                return xml_err_unsupported(err, "target name '%s' of a spicevmc <%s> is not "
                                                           "supported, only '" SPICE_AGENT_PORT "'",
                                                           chr->target_name, path);
                        return 0;
                }
                /* a unix channel without a path listens on a socket the driver places */
                if (chr->type == DOMAIN_CHR_UNIX && !chr->path) {
                        if (has_source && !chr->listen)
                                return xml_err_xml(err, "missing attribute 'path' of <%s/source> with mode 'connect'",
                                                   path);
                        chr->listen = true;
                        return domain_chr_check_source(chr, path, err);
                }
        }
        if (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP) {
                if (!chr->service)
                        return xml_err_xml(err, "missing <%s/source> with a service for type '%s'", path,
                                           domain_chr_type_to_string(chr->type));
                return 0;
        }
        if (chr->type != DOMAIN_CHR_PTY && chr->type != DOMAIN_CHR_NULL && chr->type != DOMAIN_CHR_VC &&
            chr->type != DOMAIN_CHR_STDIO && !chr->channel && !chr->path)
                return xml_err_xml(err, "missing attribute 'path' of <%s/source> for type '%s'",
                                   path, domain_chr_type_to_string(chr->type));
        return 0;
}

int domain_parse_serial(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_chr(def, DOMAIN_CHR_SERIAL, n, path, err);
}

/* A parallel port without <target port=''/> takes the next number, as libvirt does. */
int domain_parse_parallel(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainChrDef *chr;
        int r = parse_chr(def, DOMAIN_CHR_PARALLEL, n, path, err);

        if (r < 0)
                return r;
        chr = &def->chrs[def->n_chrs - 1];
        if (chr->port_given)
                return 0;
        for (size_t i = 0; i + 1 < def->n_chrs; i++)
                if (def->chrs[i].kind == DOMAIN_CHR_PARALLEL && def->chrs[i].port >= chr->port)
                        chr->port = def->chrs[i].port + 1;
        return 0;
}

int domain_parse_console(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_chr(def, DOMAIN_CHR_CONSOLE, n, path, err);
}

int domain_parse_channel(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_chr(def, DOMAIN_CHR_CHANNEL, n, path, err);
}

static void format_target(XmlWriter *w, const DomainChrDef *chr, unsigned flags) {
        xw_start(w, "target");
        xw_attr(w, "type", chr->target_type);
        if (chr->kind == DOMAIN_CHR_CHANNEL && chr->target_address) {
                xw_attr(w, "address", chr->target_address);
                xw_attrf(w, "port", "%u", chr->port);
                xw_end(w);
                return;
        }
        if (chr->kind == DOMAIN_CHR_CHANNEL) {
                xw_attr(w, "name", chr->target_name);
                /* whether the guest listens: known only while it runs */
                if (!(flags & DOMAIN_FORMAT_INACTIVE))
                        xw_attr(w, "state", chr->target_state);
                xw_end(w);
                return;
        }
        xw_attrf(w, "port", "%u", chr->port);
        if (chr->target_model) {
                xw_start(w, "model");
                xw_attr(w, "name", chr->target_model);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_chr(XmlWriter *w, const DomainChrDef *chr, unsigned flags) {
        bool inactive = flags & DOMAIN_FORMAT_INACTIVE;
        /* a pty's path is allocated by QEMU when the guest starts */
        bool live_pty = chr->type == DOMAIN_CHR_PTY && chr->path && !inactive;
        /* so is the socket of a channel the driver placed */
        const char *path = chr->path_auto && inactive ? NULL : chr->path;

        xw_start(w, domain_chr_kind_to_string(chr->kind));
        xw_attr(w, "type", domain_chr_type_to_string(chr->type));
        if (live_pty)
                xw_attr(w, "tty", chr->path);

        if (chr->type == DOMAIN_CHR_TCP || chr->type == DOMAIN_CHR_UDP)
                domain_chr_format_net(w, chr);
        else if (chr->type == DOMAIN_CHR_QEMU_VDAGENT)
                domain_chr_format_vdagent_source(w, chr);
        else if (chr->channel) {
                xw_start(w, "source");
                xw_attr(w, "channel", chr->channel);
                domain_chr_format_source_children(w, chr);
                xw_end(w);
        } else if ((chr->type != DOMAIN_CHR_PTY || live_pty || chr->n_seclabels) && chr->type != DOMAIN_CHR_SPICEVMC &&
                   chr->type != DOMAIN_CHR_NULL && chr->type != DOMAIN_CHR_VC && chr->type != DOMAIN_CHR_STDIO &&
                   (path || chr->kind != DOMAIN_CHR_CHANNEL)) {
                xw_start(w, "source");
                if (chr->type == DOMAIN_CHR_UNIX)
                        xw_attr(w, "mode", chr->listen ? "bind" : "connect");
                xw_attr(w, "path", chr->type == DOMAIN_CHR_PTY && !live_pty ? NULL : path);
                xw_attr(w, "append", tristate_word(chr->append, "on", "off"));
                domain_chr_format_source_children(w, chr);
                xw_end(w);
        }
        if (chr->protocol_raw && chr->type != DOMAIN_CHR_TCP) {
                xw_start(w, "protocol");
                xw_attr(w, "type", "raw");
                xw_end(w);
        }
        if (chr->log_file) {
                xw_start(w, "log");
                xw_attr(w, "file", chr->log_file);
                xw_attr(w, "append", tristate_word(chr->log_append, "on", "off"));
                xw_end(w);
        }
        format_target(w, chr, flags);
        domain_format_alias(w, chr->alias, flags);
        domain_format_address(w, &chr->addr);
        xw_end(w);
}

void domain_chr_clear(DomainChrDef *chr) {
        domain_chr_net_clear(chr);
        domain_chr_source_clear(chr);
        free(chr->path);
        free(chr->target_type);
        free(chr->target_model);
        free(chr->target_name);
        free(chr->target_address);
        free(chr->target_state);
        free(chr->log_file);
        free(chr->vdagent_mouse);
        free(chr->alias);
}

bool domain_chr_own(DomainChrDef *chr) {
        bool ok = true;

        ok = domain_chr_net_own(chr) && ok;
        ok = domain_chr_source_own(chr) && ok;
        ok = own_str(&chr->path) && ok;
        ok = own_str(&chr->target_type) && ok;
        ok = own_str(&chr->target_model) && ok;
        ok = own_str(&chr->target_name) && ok;
        ok = own_str(&chr->target_address) && ok;
        ok = own_str(&chr->target_state) && ok;
        ok = own_str(&chr->log_file) && ok;
        ok = own_str(&chr->vdagent_mouse) && ok;
        ok = own_str(&chr->alias) && ok;
        return ok;
}

/* ---- redirdev ------------------------------------------------------------- */

/* <protocol type='raw'/> of a unix socket (a redirdev's, a passthrough
 * smartcard's): the only thing such a socket can say */
int domain_parse_unix_protocol(xmlNodePtr n, const char *path, bool *raw, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        if (!streq(type, "raw"))
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported for "
                                           "type 'unix', only 'raw'", type, path);
        *raw = true;
        return 0;
}

static int parse_redirdev_child(DomainRedirdevDef *rd, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);
        int r;

        r = xml_check_unique(c, sub, err);
        if (r < 0)
                return r;
        if (xml_is(c, "source") && rd->type == DOMAIN_CHR_TCP)
                return domain_chr_parse_net_source(rd->src, c, sub, err);
        if (xml_is(c, "source"))
                return parse_source(rd->src, c, sub, err);
        if (xml_is(c, "protocol") && rd->type == DOMAIN_CHR_TCP)
                return domain_chr_parse_protocol(rd->src, c, sub, err);
        if (xml_is(c, "protocol"))
                return domain_parse_unix_protocol(c, sub, &rd->protocol_raw, err);
        if (xml_is(c, "address"))
                return domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB), &rd->addr, err);
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &rd->alias, err);
        if (xml_is(c, "boot"))
                return domain_parse_boot_order(c, sub, &rd->boot_order, err);
        return xml_unsupported_element(c, path, err);
}

/* type tcp or unix: a chardev socket to a usbredir server, parsed as a
 * <serial>'s source is. */
static int parse_redirdev_socket(DomainRedirdevDef *rd, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        rd->src = calloc(1, sizeof(*rd->src));
        if (!rd->src)
                return xml_err_oom(err);
        rd->src->type = rd->type;
        /* neither a channel's defaults nor a serial's log of what passes */
        rd->src->kind = DOMAIN_CHR_CONSOLE;
        XML_FOREACH_ELEMENT(c, n) {
                r = parse_redirdev_child(rd, c, path, err);
                if (r < 0)
                        return r;
        }
        if (rd->type == DOMAIN_CHR_TCP && !rd->src->service)
                return xml_err_xml(err, "missing <%s/source> with a service for type 'tcp'", path);
        if (rd->type == DOMAIN_CHR_UNIX && !rd->src->path)
                return xml_err_xml(err, "missing attribute 'path' of <%s/source> for type 'unix'", path);
        return domain_chr_check_source(rd->src, path, err);
}

/* spicevmc and dbus: the display's own channel; <alias>, <address> and <boot> only. */
static int parse_redirdev_display(DomainRedirdevDef *rd, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "alias") && !xml_is(c, "address") && !xml_is(c, "boot"))
                        return xml_unsupported_element(c, path, err);
                r = parse_redirdev_child(rd, c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int domain_parse_redirdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *bus = NULL;
        DomainRedirdevDef *rd;
        int r;

        r = LIST_APPEND(def->redirdevs, def->n_redirdevs, &rd, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "bus", &bus, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'bus' of <%s>", path);
        if (!streq(bus, "usb"))
                return xml_err_unsupported(err, "value '%s' of attribute 'bus' of <%s> is not supported", bus, path);
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_chr_type, &rd->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        /* a USB device of a SPICE or D-Bus display's client, or of a usbredir server on a socket */
        if (rd->type != DOMAIN_CHR_SPICEVMC && rd->type != DOMAIN_CHR_TCP && rd->type != DOMAIN_CHR_UNIX &&
            rd->type != DOMAIN_CHR_DBUS)
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported, "
                                           "only 'spicevmc', 'dbus', 'tcp' and 'unix'",
                                           domain_chr_type_to_string(rd->type), path);
        r = XML_CHECK_ATTRS(n, path, err, "bus", "type");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        if (rd->type != DOMAIN_CHR_SPICEVMC && rd->type != DOMAIN_CHR_DBUS)
                return parse_redirdev_socket(rd, n, path, err);
        return parse_redirdev_display(rd, n, path, err);
}

void domain_format_redirdev(XmlWriter *w, const DomainRedirdevDef *rd, unsigned flags) {
        xw_start(w, "redirdev");
        xw_attr(w, "bus", "usb");
        xw_attr(w, "type", domain_chr_type_to_string(rd->type));
        if (rd->type == DOMAIN_CHR_TCP)
                domain_chr_format_net(w, rd->src);
        else if (rd->type == DOMAIN_CHR_UNIX) {
                xw_start(w, "source");
                xw_attr(w, "mode", rd->src->listen ? "bind" : "connect");
                xw_attr(w, "path", rd->src->path);
                domain_chr_format_source_children(w, rd->src);
                xw_end(w);
                if (rd->protocol_raw) {
                        xw_start(w, "protocol");
                        xw_attr(w, "type", "raw");
                        xw_end(w);
                }
        }
        domain_format_boot_order(w, rd->boot_order);
        domain_format_alias(w, rd->alias, flags);
        domain_format_address(w, &rd->addr);
        xw_end(w);
}

void domain_redirdev_clear(DomainRedirdevDef *rd) {
        free(rd->alias);
        if (rd->src)
                domain_chr_clear(rd->src);
        free(rd->src);
}

/* A copy's strings and its socket become its own. */
bool domain_redirdev_own(DomainRedirdevDef *rd) {
        DomainChrDef *src = rd->src;
        bool ok = own_str(&rd->alias);

        if (!src)
                return ok;
        rd->src = malloc(sizeof(*src));
        if (!rd->src)
                return false;
        *rd->src = *src;
        return domain_chr_own(rd->src) && ok;
}

/* A <source path=''/> (mode for unix) of a chardev inside another device. */
int domain_chr_parse_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        return parse_source(chr, n, path, err);
}
