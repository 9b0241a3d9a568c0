/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The chardev options of a <source>'s extras: reconnect= of a connecting
 * socket, the TLS credentials object of a tcp one (tls-creds=), the name=
 * of a SPICE port or D-Bus display channel. Pure: see qemu-command.h. */

#include "qemu-chardev-tls.h"
#include "qemu-command-internal.h"
#include "util.h"

/* Whether a tcp chardev speaks TLS: its tls='', else qemud.conf's chardev_tls. */
bool qemu_chr_uses_tls(const QemuCmd *c, const DomainChrDef *chr) {
        return qemu_chardev_tls_wanted(chr, c->params && c->params->chardev_tls);
}

/* -object tls-creds-x509 "objchar<alias>_tls0" before the chardev: QEMU
 * the server of a listening socket (verifying clients as
 * chardev_tls_x509_verify says), the client of a connecting one (always
 * verifying the server, as libvirt). */
static int tls_object(QemuCmd *c, const DomainChrDef *chr, const char *alias) {
        json_object *o;

        if (!c->params || !c->params->chardev_tls_dir)
                return cmd_fail(c, -EINVAL, "char%s: TLS asked (tls='yes' or chardev_tls = 1) but no certificate "
                                "directory is set (chardev_tls_x509_cert_dir in qemud.conf)", alias);
        o = props_new("qom-type", "tls-creds-x509");
        prop_strf(&o, "id", "objchar%s_tls0", alias);
        prop_str(&o, "dir", c->params->chardev_tls_dir);
        prop_str(&o, "endpoint", chr->listen ? "server" : "client");
        prop_bool(&o, "verify-peer", chr->listen ? c->params->chardev_tls_verify : true);
        return cmd_object(c, o);
}

int qemu_chr_socket_opts(QemuCmd *c, const DomainChrDef *chr, const char *alias, OptBuf *b) {
        int r;

        /* enabled='no' is QEMU's reconnect=0, as libvirt writes it */
        if (chr->reconnect != TRISTATE_ABSENT)
                opt_add(b, "reconnect=%u", chr->reconnect == TRISTATE_ON ? chr->reconnect_timeout : 0);
        if (!qemu_chr_uses_tls(c, chr))
                return 0;
        r = tls_object(c, chr, alias);
        if (r < 0)
                return r;
        opt_add(b, "tls-creds=objchar%s_tls0", alias);
        return 0;
}

/* spiceport: a named port of the SPICE display; dbus: a named channel of
 * the D-Bus display. Each needs its display. */
int qemu_chr_channel_opts(QemuCmd *c, const DomainChrDef *chr, const char *alias, OptBuf *b) {
        bool dbus = chr->type == DOMAIN_CHR_DBUS;

        if (!chr->channel)
                return cmd_fail(c, -EINVAL, "char%s: a %s chardev needs <source channel=''/>", alias,
                                domain_chr_type_to_string(chr->type));
        if (!dbus && !qemu_has_spice(c->def))
                return cmd_fail(c, -EOPNOTSUPP, "chardev 'spiceport' not supported without spice graphics (char%s)",
                                alias);
        if (dbus && !qemu_has_dbus_display(c->def))
                return cmd_fail(c, -EOPNOTSUPP, "chardev 'dbus' not supported without a <graphics type='dbus'> "
                                "(char%s)", alias);
        opt_add(b, "%s,id=char%s", dbus ? "dbus" : "spiceport", alias);
        opt_add_str(b, "name", chr->channel);
        return 0;
}

bool qemu_has_dbus_display(const DomainDef *def) {
        for (size_t i = 0; i < def->n_graphics; i++)
                if (def->graphics[i].type == DOMAIN_GRAPHICS_DBUS)
                        return true;
        return false;
}
