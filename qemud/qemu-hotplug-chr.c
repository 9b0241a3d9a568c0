/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of chardevs (qemu-hotplug-chr.h): chardev-add's ChardevBackend
 * as QEMU 7.2's QMP schema has it, one backend type per -chardev one. */
#include <errno.h>

#include "domain-manager.h"
#include "error.h"
#include "qemu-command-internal.h"
#include "qemu-hotplug-chr.h"
#include "qemu-hotplug-internal.h"
#include "util.h"

/* SocketAddressLegacy: {"type": "inet", "data": {"host", "port"}} */
static json_object *inet_address(const char *host, const char *port) {
        json_object *data = props_new("host", host ?: ""), *addr = props_new("type", "inet");

        prop_str(&data, "port", port ?: "0");
        if (!data) {
                json_object_put(addr);
                return NULL;
        }
        prop_take(&addr, "data", data);
        return addr;
}

static json_object *unix_addr(const char *path) {
        json_object *addr = props_new("type", "unix");

        prop_take(&addr, "data", props_new("path", path));
        return addr;
}

/* ChardevSocket of a unix or tcp chardev: the same options -chardev socket
 * gets (server=on,wait=off when it listens, telnet, reconnect, tls-creds). */
static void socket_data(const DomainChrDef *chr, const char *alias, bool tls, json_object **data) {
        prop_take(data, "addr", chr->type == DOMAIN_CHR_UNIX ? unix_addr(chr->path) :
                                inet_address(chr->host, chr->service));
        prop_bool(data, "server", chr->listen);
        if (chr->listen)
                prop_bool(data, "wait", false);
        if (chr->type == DOMAIN_CHR_TCP && chr->telnet)
                prop_bool(data, "telnet", true);
        /* enabled='no' is QEMU's reconnect=0, as libvirt writes it */
        if (chr->reconnect != TRISTATE_ABSENT)
                prop_int(data, "reconnect", chr->reconnect == TRISTATE_ON ? chr->reconnect_timeout : 0);
        if (tls)
                prop_strf(data, "tls-creds", "objchar%s_tls0", alias);
}

/* ChardevUdp: the remote end, and the local one when <source mode='bind'> is given. */
static void udp_data(const DomainChrDef *chr, json_object **data) {
        prop_take(data, "remote", inet_address(chr->host, chr->service));
        if (chr->bind_host || chr->bind_service)
                prop_take(data, "local", inet_address(chr->bind_host, chr->bind_service));
}

/* spicevmc, spiceport and dbus need their display, as at start. */
static int channel_data(const DomainDef *def, const DomainChrDef *chr, const char *alias, json_object **data,
                        ConfError *err) {
        bool dbus = chr->type == DOMAIN_CHR_DBUS;

        if (chr->type == DOMAIN_CHR_SPICEVMC && chr->kind != DOMAIN_CHR_CHANNEL) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: a spicevmc chardev "
                               "can only back a <channel> (char%s)", alias);
                return -EOPNOTSUPP;
        }
        if (chr->type != DOMAIN_CHR_SPICEVMC && !chr->channel) {
                conf_error_set(err, VB_ERROR_XML, "XML error: a %s chardev needs <source channel=''/> "
                               "(char%s)", domain_chr_type_to_string(chr->type), alias);
                return -EINVAL;
        }
        if (dbus ? !qemu_has_dbus_display(def) : !qemu_has_spice(def)) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: chardev '%s' not "
                               "supported without %s graphics (char%s)", domain_chr_type_to_string(chr->type),
                               dbus ? "dbus" : "spice", alias);
                return -EOPNOTSUPP;
        }
        if (chr->type == DOMAIN_CHR_SPICEVMC)
                prop_str(data, "type", "vdagent");
        else
                prop_str(data, dbus ? "name" : "fqdn", chr->channel);
        return 0;
}

static void vdagent_data(const DomainChrDef *chr, json_object **data) {
        if (chr->vdagent_clipboard != TRISTATE_ABSENT)
                prop_bool(data, "clipboard", chr->vdagent_clipboard == TRISTATE_ON);
        if (chr->vdagent_mouse)
                prop_bool(data, "mouse", streq(chr->vdagent_mouse, "client"));
}

static int path_data(const DomainChrDef *chr, const char *alias, const char *key, json_object **data,
                     ConfError *err) {
        if (!chr->path) {
                conf_error_set(err, VB_ERROR_XML, "XML error: a %s chardev needs a path (char%s)",
                               domain_chr_type_to_string(chr->type), alias);
                return -EINVAL;
        }
        prop_str(data, key, chr->path);
        return 0;
}

/* QEMU's backend type for chr's type, NULL when it has none live (stdio:
 * QEMU's stdout is taken by the log). */
static const char *backend_type(const DomainChrDef *chr) {
        static const char *const types[_DOMAIN_CHR_MAX] = {
                [DOMAIN_CHR_PTY] = "pty",         [DOMAIN_CHR_FILE] = "file",
                [DOMAIN_CHR_UNIX] = "socket",     [DOMAIN_CHR_TCP] = "socket",
                [DOMAIN_CHR_UDP] = "udp",         [DOMAIN_CHR_NULL] = "null",
                [DOMAIN_CHR_VC] = "vc",           [DOMAIN_CHR_PIPE] = "pipe",
                [DOMAIN_CHR_SPICEVMC] = "spicevmc", [DOMAIN_CHR_SPICEPORT] = "spiceport",
                [DOMAIN_CHR_QEMU_VDAGENT] = "qemu-vdagent", [DOMAIN_CHR_DBUS] = "dbus",
        };

        if (chr->type == DOMAIN_CHR_DEV)
                return chr->kind == DOMAIN_CHR_PARALLEL ? "parallel" : "serial";
        return (unsigned) chr->type < _DOMAIN_CHR_MAX ? types[chr->type] : NULL;
}

static int backend_data(const DomainDef *def, const DomainChrDef *chr, const char *alias, bool tls,
                        json_object **data, ConfError *err) {
        switch (chr->type) {
        case DOMAIN_CHR_FILE:
                if (chr->append != TRISTATE_ABSENT)
                        prop_bool(data, "append", chr->append == TRISTATE_ON);
                return path_data(chr, alias, "out", data, err);
        case DOMAIN_CHR_PIPE:
        case DOMAIN_CHR_DEV:
                return path_data(chr, alias, "device", data, err);
        case DOMAIN_CHR_UNIX:
                if (!chr->path)
                        return path_data(chr, alias, "path", data, err);
                socket_data(chr, alias, false, data);
                return 0;
        case DOMAIN_CHR_TCP:
                socket_data(chr, alias, tls, data);
                return 0;
        case DOMAIN_CHR_UDP:
                udp_data(chr, data);
                return 0;
        case DOMAIN_CHR_SPICEVMC:
        case DOMAIN_CHR_SPICEPORT:
        case DOMAIN_CHR_DBUS:
                return channel_data(def, chr, alias, data, err);
        case DOMAIN_CHR_QEMU_VDAGENT:
                vdagent_data(chr, data);
                return 0;
        default:
                return 0;
        }
}

int qemu_hotplug_chr_args(const DomainDef *def, const DomainChrDef *chr, const char *alias, bool tls,
                          json_object **ret, ConfError *err) {
        _cleanup_(qemu_json_putp) json_object *data = json_object_new_object(), *args = NULL;
        const char *type = backend_type(chr);
        json_object *backend;
        int r;

        if (!type) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: a chardev of type "
                               "'%s' cannot be hot-plugged", domain_chr_type_to_string(chr->type) ?: "?");
                return -EOPNOTSUPP;
        }
        r = backend_data(def, chr, alias, tls, &data, err);
        if (r < 0)
                return r;
        if (chr->log_file) {
                /* ChardevCommon, as -chardev's logfile=: keep what earlier runs logged unless told not to */
                prop_str(&data, "logfile", chr->log_file);
                prop_bool(&data, "logappend", chr->log_append != TRISTATE_OFF);
        }
        backend = props_new("type", type);
        prop_take(&backend, "data", TAKE_PTR(data));
        args = json_object_new_object();
        prop_strf(&args, "id", "char%s", alias);
        prop_take(&args, "backend", backend);
        if (!args)
                return -ENOMEM;
        *ret = TAKE_PTR(args);
        return 0;
}

int qemu_hotplug_chr_tls_args(const DomainChrDef *chr, const char *alias, const QemuChardevTls *t,
                              json_object **ret) {
        json_object *o = props_new("qom-type", "tls-creds-x509");

        prop_strf(&o, "id", "objchar%s_tls0", alias);
        prop_str(&o, "dir", t->dir);
        prop_str(&o, "endpoint", chr->listen ? "server" : "client");
        prop_bool(&o, "verify-peer", chr->listen ? t->verify : true);
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

static int tls_id_args(const char *alias, json_object **ret) {
        char id[160];

        snprintf(id, sizeof(id), "objchar%s_tls0", alias);
        return hotplug_id_args(id, ret);
}

/* qemud.conf's chardev TLS settings, read now as the start reads them, and
 * its certificates checked: whether chr speaks TLS. */
static int tls_of(Domain *d, const DomainChrDef *chr, QemuChardevTls *t, sd_bus_error *error) {
        DomainDef one = { .chrs = (DomainChrDef *) chr, .n_chrs = 1 };
        ConfError e = {};
        int r;

        if (chr->type != DOMAIN_CHR_TCP)
                return 0;
        r = qemu_chardev_tls_load(d->manager->paths.confdir, t, &e);
        if (r >= 0)
                r = qemu_chardev_tls_check(t, &one, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "chardev TLS", error);
        return qemu_chardev_tls_wanted(chr, t->enabled);
}

int hotplug_chr_plug(Domain *d, const DomainDef *def, const DomainChrDef *chr, const char *alias, json_object *cmds,
                     json_object *undo, sd_bus_error *error) {
        QemuChardevTls t;
        ConfError e = {};
        json_object *args;
        char id[160];
        int tls, r;

        tls = tls_of(d, chr, &t, error);
        if (tls < 0)
                return tls;
        r = qemu_hotplug_chr_args(def, chr, alias, tls, &args, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot build the chardev", error);
        if (tls) {
                json_object *obj;

                r = qemu_hotplug_chr_tls_args(chr, alias, &t, &obj);
                if (r >= 0)
                        r = hotplug_push_cmd(cmds, "object-add", obj);
                if (r < 0) {
                        json_object_put(args);
                        return r;
                }
        }
        r = hotplug_push_cmd(cmds, "chardev-add", args);
        snprintf(id, sizeof(id), "char%s", alias);
        if (r >= 0)
                r = hotplug_id_args(id, &args);
        if (r >= 0)
                r = hotplug_push_cmd(undo, "chardev-remove", args);
        /* the object goes after the chardev that uses it */
        if (r >= 0 && tls && (r = tls_id_args(alias, &args)) >= 0)
                r = hotplug_push_cmd(undo, "object-del", args);
        return r;
}

int hotplug_chr_unplug(const DomainChrDef *chr, const char *alias, json_object *backends) {
        json_object *args;
        char id[160];
        int r;

        snprintf(id, sizeof(id), "char%s", alias);
        r = hotplug_id_args(id, &args);
        if (r >= 0)
                r = hotplug_push_cmd(backends, "chardev-remove", args);
        if (r < 0 || chr->type != DOMAIN_CHR_TCP || chr->tls == TRISTATE_OFF)
                return r;
        r = tls_id_args(alias, &args);
        return r < 0 ? r : hotplug_push_cmd(backends, "object-del", args);
}

bool hotplug_chr_is_guestfwd(const DomainDef *def, QemuDeviceFamily family, size_t index) {
        return family == QEMU_DEVICE_CHR && def->chrs[index].kind == DOMAIN_CHR_CHANNEL &&
               streq_ptr(def->chrs[index].target_type, "guestfwd");
}

int qemu_hotplug_guestfwd_args(const DomainChrDef *chr, json_object **ret) {
        json_object *rule = json_object_new_object(), *rules = json_object_new_array(), *args;

        prop_strf(&rule, "str", "tcp:%s:%u-chardev:char%s", chr->target_address, chr->port, chr->alias);
        if (!rule || !rules || json_object_array_add(rules, rule) < 0) {
                json_object_put(rule);
                json_object_put(rules);
                return -ENOMEM;
        }
        args = props_new("type", "user");
        prop_take(&args, "guestfwd", rules);
        prop_str(&args, "id", chr->alias);
        if (!args)
                return -ENOMEM;
        *ret = args;
        return 0;
}

int hotplug_chr_guestfwd_plug(Domain *d, const DomainDef *def, const DomainChrDef *chr, json_object *cmds,
                              json_object *undo, sd_bus_error *error) {
        _cleanup_(qemu_json_putp) json_object *chr_undo = json_object_new_array();
        json_object *args;
        int r;

        if (!chr_undo)
                return -ENOMEM;
        if (!chr->target_address)
                return vb_error_setf(error, VB_ERROR_XML, "XML error: a guestfwd channel needs its target "
                                     "address");
        r = hotplug_chr_plug(d, def, chr, chr->alias, cmds, chr_undo, error);
        if (r < 0)
                return r;
        r = qemu_hotplug_guestfwd_args(chr, &args);
        if (r >= 0)
                r = hotplug_push_cmd(cmds, "netdev_add", args);
        /* the rule goes before the chardev it hands connections to */
        if (r >= 0)
                r = hotplug_id_args(chr->alias, &args);
        if (r >= 0)
                r = hotplug_push_cmd(undo, "netdev_del", args);
        for (size_t i = 0; r >= 0 && i < json_object_array_length(chr_undo); i++)
                r = json_object_array_add(undo, json_object_get(json_object_array_get_idx(chr_undo, i))) < 0 ?
                    -ENOMEM : 0;
        return r;
}

void hotplug_chr_netdev_deleted(QemuMonitor *mon, json_object *result, const char *error_class,
                                const char *error_desc, void *userdata) {
        Unplug *u = userdata;
        Domain *d = u->handle->owner;
        _cleanup_free_ char *msg = NULL;

        if (d && !error_class) {
                hotplug_unplug_finish(u, d);
                return;
        }
        if (d) {
                if (asprintf(&msg, "cannot detach %s: QEMU said: %s", u->alias, error_desc ?: error_class) < 0)
                        msg = NULL;
                hotplug_unplug_answer(u, d, VB_ERROR_OPERATION_FAILED, msg ?: "cannot detach the device");
        }
        hotplug_unplug_remove(u);
}
