/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU command line: qemu_command_build() and the toolkit every part
 * of the builder uses (option strings, properties as JSON data, the argv
 * and its fds, errors). The machine, CPU, memory and clock options are in
 * qemu-command-machine.c, the devices in qemu-device.c and the
 * qemu-command-<family>.c files. Pure: see qemu-command.h. */

#include <stdarg.h>

#include "error.h"
#include "qemu-command-internal.h"
#include "util.h"

/* ---- option strings ---- */

static void opt_reserve(OptBuf *b, size_t extra) {
        char *n;
        size_t want;

        if (b->oom || b->len + extra + 1 <= b->alloc)
                return;
        want = MAX(b->alloc * 2, b->len + extra + 1);
        want = MAX(want, (size_t) 64);
        n = realloc(b->s, want);
        if (!n) {
                b->oom = true;
                return;
        }
        b->s = n;
        b->alloc = want;
}

static void opt_vadd(OptBuf *b, bool comma, const char *fmt, va_list ap) {
        va_list aq;
        int n;

        va_copy(aq, ap);
        n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0) {
                b->oom = true;
                return;
        }
        opt_reserve(b, (size_t) n + 1);
        if (b->oom)
                return;
        if (comma && b->len > 0)
                b->s[b->len++] = ',';
        vsnprintf(b->s + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
}

void opt_add(OptBuf *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        opt_vadd(b, true, fmt, ap);
        va_end(ap);
}

void opt_append(OptBuf *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        opt_vadd(b, false, fmt, ap);
        va_end(ap);
}

/* QemuOpts and keyval both read ",," as a literal comma inside a value. */
void opt_add_str(OptBuf *b, const char *key, const char *value) {
        if (key)
                opt_add(b, "%s=", key);
        for (const char *p = value; *p; p++)
                opt_append(b, *p == ',' ? ",," : "%c", *p);
}

void opt_add_bool(OptBuf *b, const char *key, bool on) {
        opt_add(b, "%s=%s", key, on ? "on" : "off");
}

void opt_done(OptBuf *b) {
        free(b->s);
        b->s = NULL;
        b->len = b->alloc = 0;
        b->oom = false;
}

/* ---- properties as data ---- */

/* The setters leave a NULL *o as it is; out of memory, they drop the
 * object and leave *o NULL, which its consumer reports as -ENOMEM. */
static void prop_set(json_object **o, const char *key, json_object *v) {
        if (!*o) {
                json_object_put(v);
                return;
        }
        if (!v || json_object_object_add(*o, key, v) < 0) {
                json_object_put(v);
                json_object_put(*o);
                *o = NULL;
        }
}

json_object *props_new(const char *key, const char *value) {
        json_object *o = json_object_new_object();

        if (value)
                prop_str(&o, key, value);
        return o;
}

json_object *dev_new(const char *driver, const char *id) {
        json_object *o = props_new("driver", driver);

        if (id)
                prop_str(&o, "id", id);
        return o;
}

void prop_str(json_object **o, const char *key, const char *value) {
        if (*o)
                prop_set(o, key, json_object_new_string(value));
}

void prop_strf(json_object **o, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        if (!*o)
                return;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                s = NULL;
                prop_set(o, key, NULL);
                return;
        }
        prop_str(o, key, s);
}

void prop_int(json_object **o, const char *key, int64_t v) {
        if (*o)
                prop_set(o, key, json_object_new_int64(v));
}

void prop_bool(json_object **o, const char *key, bool v) {
        if (*o)
                prop_set(o, key, json_object_new_boolean(v));
}

void prop_take(json_object **o, const char *key, json_object *v) {
        prop_set(o, key, v);
}

/* ---- the argv ---- */

static int cmd_take(QemuCmd *c, char *arg) {
        if (!arg)
                return -ENOMEM;
        if (c->n_argv + 2 > c->n_alloc) {
                size_t n = MAX(c->n_alloc * 2, (size_t) 64);
                char **l = realloc(c->argv, n * sizeof(char *));
                if (!l) {
                        free(arg);
                        return -ENOMEM;
                }
                c->argv = l;
                c->n_alloc = n;
        }
        c->argv[c->n_argv++] = arg;
        c->argv[c->n_argv] = NULL;
        return 0;
}

int cmd_arg(QemuCmd *c, const char *arg) {
        return cmd_take(c, strdup(arg));
}

int cmd_argf(QemuCmd *c, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return cmd_take(c, s);
}

int cmd_opt(QemuCmd *c, const char *option, OptBuf *b) {
        int r;

        if (b->oom || !b->s) {
                opt_done(b);
                return -ENOMEM;
        }
        r = cmd_arg(c, option);
        if (r < 0) {
                opt_done(b);
                return r;
        }
        r = cmd_take(c, TAKE_PTR(b->s));
        opt_done(b);
        return r;
}

int cmd_need_device(QemuCmd *c, const char *type) {
        if (!qemu_caps_has_device(c->caps, type))
                return cmd_fail(c, -EOPNOTSUPP, "%s has no device type '%s'",
                                c->caps->binary ?: "QEMU", type);
        return 0;
}

static int collect(QemuCmd *c, QemuDeviceArg kind, json_object *o) {
        QemuDeviceList *l = c->collect;
        QemuDeviceEntry *n = realloc(l->entries, (l->n + 1) * sizeof(QemuDeviceEntry));

        if (!n) {
                json_object_put(o);
                return -ENOMEM;
        }
        l->entries = n;
        l->entries[l->n++] = (QemuDeviceEntry) { c->family, c->index, kind, o };
        return 0;
}

/* Compact JSON, as QEMU's own parser reads it (no escaped slashes: paths
 * stay readable); or, for qemu_device_props(), the object itself. */
static int cmd_json(QemuCmd *c, QemuDeviceArg kind, json_object *o) {
        static const char *const options[] = {
                [QEMU_DEVICE_ARG_OBJECT] = "-object",
                [QEMU_DEVICE_ARG_BLOCKDEV] = "-blockdev",
                [QEMU_DEVICE_ARG_DEVICE] = "-device",
        };
        const char *s;
        int r;

        if (!o)
                return -ENOMEM;
        if (c->collect)
                return collect(c, kind, o);
        if (kind == QEMU_DEVICE_ARG_DEVICE && qemu_override_device(c->def, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = s ? cmd_arg(c, options[kind]) : -ENOMEM;
        if (r >= 0)
                r = cmd_arg(c, s);
        json_object_put(o);
        return r;
}

int cmd_device(QemuCmd *c, json_object *dev) {
        json_object *driver;
        int r;

        if (!dev)
                return -ENOMEM;
        if (!json_object_object_get_ex(dev, "driver", &driver)) {
                json_object_put(dev);
                return cmd_fail(c, -EINVAL, "a device without a driver");
        }
        r = cmd_need_device(c, json_object_get_string(driver));
        if (r < 0) {
                json_object_put(dev);
                return r;
        }
        return cmd_json(c, QEMU_DEVICE_ARG_DEVICE, dev);
}

int cmd_blockdev(QemuCmd *c, json_object *node) {
        return cmd_json(c, QEMU_DEVICE_ARG_BLOCKDEV, node);
}

int cmd_object(QemuCmd *c, json_object *obj) {
        return cmd_json(c, QEMU_DEVICE_ARG_OBJECT, obj);
}

void cmd_at(QemuCmd *c, QemuDeviceFamily family, size_t index) {
        c->family = family;
        c->index = index;
}

int cmd_add_fd(QemuCmd *c, int fd) {
        int *l = realloc(c->fds, (c->n_fds + 1) * sizeof(int));

        if (!l)
                return -ENOMEM;
        c->fds = l;
        c->fds[c->n_fds++] = fd;
        return 0;
}

/* Messages start with libvirt's header for the error kind, as the parser's
 * do (see ConfError): legacy clients print them verbatim. */
int cmd_fail(QemuCmd *c, int r, const char *fmt, ...) {
        const char *header;
        va_list ap;
        int n;

        if (!c->err)
                return r;
        if (r == -EOPNOTSUPP) {
                c->err->name = VB_ERROR_CONFIG_UNSUPPORTED;
                header = "unsupported configuration: ";
        } else if (r == -ENOMEM) {
                c->err->name = VB_ERROR_NO_MEMORY;
                header = "";
        } else {
                c->err->name = VB_ERROR_INVALID_ARG;
                header = "invalid argument: ";
        }
        n = snprintf(c->err->message, sizeof(c->err->message), "%s", header);
        va_start(ap, fmt);
        vsnprintf(c->err->message + n, sizeof(c->err->message) - (size_t) n, fmt, ap);
        va_end(ap);
        return r;
}

/* ---- the whole line ---- */

static int build_all(QemuCmd *c) {
        int r;

        r = cmd_arg(c, c->caps->binary ?: "qemu-system-x86_64") ?:
            qemu_build_machine_options(c) ?:
            qemu_build_devices(c) ?:
            qemu_build_genid(c) ?:
            qemu_build_vmcoreinfo(c) ?:
            qemu_build_display(c);
        if (r >= 0 && c->params->pidfile)
                r = cmd_arg(c, "-pidfile") ?: cmd_arg(c, c->params->pidfile);
        if (r >= 0 && c->params->sandbox)
                r = cmd_arg(c, "-sandbox") ?:
                    cmd_arg(c, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
        if (r >= 0)
                r = qemu_build_ns_args(c);
        return r;
}

int qemu_command_build(
                const DomainDef *def,
                const QemuCaps *caps,
                const QemuCommandParams *params,
                char ***ret_argv,
                int **ret_fds,
                size_t *ret_n_fds,
                ConfError *err) {

        _cleanup_(qemu_caps_freep) QemuCaps *ns_caps = NULL;
        QemuCmd c = {
                .def = def,
                .caps = caps,
                .params = params,
                .err = err,
        };
        int r;

        if (!def || !caps || !params || !ret_argv)
                return -EINVAL;
        r = qemu_caps_apply_ns(caps, def, &ns_caps);
        if (ns_caps)
                c.caps = ns_caps;
        if (r >= 0)
                r = build_all(&c);
        if (r < 0) {
                if (r == -ENOMEM)
                        cmd_fail(&c, r, "out of memory");
                strv_free(c.argv);
                free(c.fds);
                return r;
        }
        *ret_argv = c.argv;
        if (ret_fds)
                *ret_fds = c.fds;
        else
                free(c.fds);
        if (ret_n_fds)
                *ret_n_fds = c.n_fds;
        return 0;
}
