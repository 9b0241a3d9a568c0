/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <qemu:commandline>: the user's own arguments after everything qemud
 * gives QEMU (so that they can add to it, as libvirt's do), and the
 * environment QEMU runs with. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-command-internal.h"
#include "util.h"

/* <qemu:deprecation behavior=''/> as libvirt's -compat: deprecated
 * output hidden, deprecated input rejected or crashing QEMU; 'none' (and
 * a behavior libvirt does not know, which it only warns about) gives
 * nothing. */
int qemu_build_compat(QemuCmd *c) {
        const char *b = c->def->qemu_deprecation, *input = NULL;

        if (!b || (!streq(b, "omit") && !streq(b, "reject") && !streq(b, "crash")))
                return 0;
        if (!streq(b, "omit"))
                input = b;
        return cmd_arg(c, "-compat") ?:
               (input ? cmd_argf(c, "{\"deprecated-output\":\"hide\",\"deprecated-input\":\"%s\"}", input)
                      : cmd_arg(c, "{\"deprecated-output\":\"hide\"}"));
}

int qemu_build_ns_args(QemuCmd *c) {
        int r = 0;

        for (char **a = c->def->qemu_args; r >= 0 && a && *a; a++)
                r = cmd_arg(c, *a);
        return r;
}

static bool env_name_is(const char *entry, const char *name) {
        size_t n = strcspn(name, "=");

        return strncmp(entry, name, n) == 0 && (entry[n] == '=' || entry[n] == 0);
}

/* <clock offset='timezone' timezone=''>: QEMU's localtime is the zone's, so
 * it runs with TZ set to it (as libvirt's); a <qemu:env> TZ wins. */
static const char *clock_tz(const DomainDef *def) {
        if (def->clock.offset != DOMAIN_CLOCK_TIMEZONE || !def->clock.timezone)
                return NULL;
        for (char **e = def->qemu_env; e && *e; e++)
                if (env_name_is(*e, "TZ"))
                        return NULL;
        return def->clock.timezone;
}

bool qemu_command_env_changed(const DomainDef *def) {
        return def->qemu_env || clock_tz(def);
}

int qemu_command_env(const DomainDef *def, char *const *base, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        const char *tz = clock_tz(def);

        /* qemud's own first, each replaced by a <qemu:env> of its name */
        for (char *const *b = base; b && *b; b++) {
                bool replaced = tz && env_name_is(*b, "TZ");

                for (char **e = def->qemu_env; e && *e && !replaced; e++)
                        replaced = env_name_is(*b, *e);
                if (!replaced && strv_extend(&env, *b) < 0)
                        return -ENOMEM;
        }
        if (tz && strv_extendf(&env, "TZ=%s", tz) < 0)
                return -ENOMEM;
        for (char **e = def->qemu_env; e && *e; e++) {
                int r = strchr(*e, '=') ? strv_extend(&env, *e) : strv_extendf(&env, "%s=", *e);
                if (r < 0)
                        return r;
        }
        if (!env && !(env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static json_object *override_value(const DomainQemuProp *p) {
        switch (p->type) {
        case DOMAIN_QEMU_PROP_SIGNED:
                return json_object_new_int64(strtoll(p->value, NULL, 10));
        case DOMAIN_QEMU_PROP_UNSIGNED:
                return json_object_new_uint64(strtoull(p->value, NULL, 10));
        case DOMAIN_QEMU_PROP_BOOL:
                return json_object_new_boolean(streq(p->value, "true"));
        default:
                return json_object_new_string(p->value);
        }
}

/* <qemu:override>: as libvirt, each property of the device's alias (its
 * "id") is taken off and, unless removed, added again at the end with its
 * value, in the order given. libvirt does it for the command line only, not
 * for a hot-plugged device. */
int qemu_override_device(const DomainDef *def, json_object *dev) {
        json_object *id;
        const char *alias;

        if (!def->n_qemu_overrides || !json_object_object_get_ex(dev, "id", &id))
                return 0;
        alias = json_object_get_string(id);
        for (size_t i = 0; i < def->n_qemu_overrides; i++) {
                const DomainQemuOverride *o = &def->qemu_overrides[i];

                if (!alias || !streq(alias, o->alias))
                        continue;
                for (size_t j = 0; j < o->n_props; j++) {
                        json_object *v = NULL;

                        json_object_object_del(dev, o->props[j].name);
                        if (o->props[j].type == DOMAIN_QEMU_PROP_REMOVE)
                                continue;
                        v = override_value(&o->props[j]);
                        if (!v || json_object_object_add(dev, o->props[j].name, v) < 0) {
                                json_object_put(v);
                                return -ENOMEM;
                        }
                }
        }
        return 0;
}
