/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vcpus> on QEMU's command line: -smp counts the fixed vCPUs QEMU boots
 * (the first ones), and each hot-pluggable vCPU enabled at start is a
 * -device of the CPU model's type in its topology slot, in the order
 * <vcpus> gives, so that it can be unplugged later like any plugged one.
 * libvirt 9.0 plugs these through QMP before the guest runs; the guest
 * sees the same. */
#include <json-c/json.h>
#include <stdlib.h>

#include "qemu-command-internal.h"

unsigned qemu_vcpus_boot_count(const DomainDef *def) {
        unsigned n = 0;

        if (!def->n_vcpu_states)
                return def->vcpus_current ?: def->vcpus;
        for (size_t i = 0; i < def->n_vcpu_states; i++)
                n += def->vcpu_states[i].enabled && def->vcpu_states[i].hotpluggable == TRISTATE_OFF;
        return n;
}

/* The hot-pluggable vCPUs enabled at start, by order (then id). */
static int cmp_order(const void *a, const void *b) {
        const DomainVcpuState *x = *(const DomainVcpuState *const *) a, *y = *(const DomainVcpuState *const *) b;

        if (x->order != y->order)
                return x->order < y->order ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

static json_object *vcpu_device(const char *type, const DomainVcpuState *s, const QemuVcpuTopology *t) {
        json_object *o = json_object_new_object();
        unsigned id = s->id;
        char alias[32];

        if (!o)
                return NULL;
        snprintf(alias, sizeof(alias), "vcpu%u", id);
        json_object_object_add(o, "driver", json_object_new_string(type));
        json_object_object_add(o, "id", json_object_new_string(alias));
        json_object_object_add(o, "socket-id", json_object_new_int64(id / (t->threads * t->cores * t->dies)));
        /* QEMU lists a die-id only when there are several dies */
        if (t->dies > 1)
                json_object_object_add(o, "die-id", json_object_new_int64(id / (t->threads * t->cores) % t->dies));
        json_object_object_add(o, "core-id", json_object_new_int64(id / t->threads % t->cores));
        json_object_object_add(o, "thread-id", json_object_new_int64(id % t->threads));
        return o;
}

static int add_vcpu_device(QemuCmd *c, const char *type, const DomainVcpuState *s, const QemuVcpuTopology *t) {
        json_object *o = vcpu_device(type, s, t);
        const char *str;
        int r;

        if (!o)
                return -ENOMEM;
        if (qemu_override_device(c->def, o) < 0) { /* a <qemu:override> of its vcpuN alias */
                json_object_put(o);
                return -ENOMEM;
        }
        str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = str ? cmd_arg(c, "-device") : -ENOMEM;
        if (r >= 0)
                r = cmd_arg(c, str);
        json_object_put(o);
        return r;
}

int qemu_build_vcpu_devices(QemuCmd *c, const char *model, const QemuVcpuTopology *t) {
        const DomainDef *def = c->def;
        _cleanup_free_ const DomainVcpuState **plug = calloc(def->n_vcpu_states + 1, sizeof(*plug));
        _cleanup_free_ char *type = NULL;
        size_t n = 0;

        if (!plug)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_vcpu_states; i++)
                if (def->vcpu_states[i].enabled && def->vcpu_states[i].hotpluggable == TRISTATE_ON)
                        plug[n++] = &def->vcpu_states[i];
        if (n == 0)
                return 0;
        /* QEMU's pc machines default to qemu64 when -cpu names none */
        if (asprintf(&type, "%s-x86_64-cpu", model ?: "qemu64") < 0)
                return -ENOMEM;
        qsort(plug, n, sizeof(*plug), cmp_order);
        for (size_t i = 0; i < n; i++) {
                int r = add_vcpu_device(c, type, plug[i], t);

                if (r < 0)
                        return r;
        }
        return 0;
}
