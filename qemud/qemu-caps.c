/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capability model: QemuCaps, the questions asked of it (machine
 * aliases, devices, CPU models) and its JSON form. Where it is kept is
 * qemu-caps-cache.c, how it is filled is qemu-caps-probe.c. */
#include <json-c/json.h>

#include "qemu-caps.h"
#include "qemu-caps-internal.h"
#include "util.h"

/* Bumped whenever the JSON form changes meaning: older cache files are then
 * stale and the binary is probed again. */
#define QEMU_CAPS_FORMAT 3 /* 2: deprecated machines and CPU models; 3: blockdev-add's drivers */

static void machines_free(QemuMachine *machines, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(machines[i].name);
                free(machines[i].alias);
        }
        free(machines);
}

QemuCaps *qemu_caps_free(QemuCaps *caps) {
        if (!caps)
                return NULL;
        free(caps->binary);
        free(caps->package);
        free(caps->arch);
        machines_free(caps->machines, caps->n_machines);
        strv_free(caps->cpu_models);
        strv_free(caps->cpu_unusable);
        strv_free(caps->cpu_deprecated);
        strv_free(caps->device_types);
        strv_free(caps->blockdev_drivers);
        free(caps);
        return NULL;
}

const char *qemu_caps_canonical_machine(const QemuCaps *caps, const char *machine) {
        if (!caps)
                return NULL;

        for (size_t i = 0; i < caps->n_machines; i++) {
                const QemuMachine *mc = caps->machines + i;

                if (!machine ? mc->is_default : streq(mc->name, machine))
                        return mc->name;
        }
        if (!machine)
                return NULL;
        /* A full name wins over an alias: look at aliases only afterwards. */
        for (size_t i = 0; i < caps->n_machines; i++)
                if (streq_ptr(caps->machines[i].alias, machine))
                        return caps->machines[i].name;
        return NULL;
}

/* Linear on purpose: callers (and tests) may build a QemuCaps by hand, in
 * any order, and a few hundred strcmp() are nothing next to starting QEMU. */
bool qemu_caps_has_device(const QemuCaps *caps, const char *type) {
        return caps && strv_contains(caps->device_types, type);
}

bool qemu_caps_has_blockdev_driver(const QemuCaps *caps, const char *driver) {
        return !caps || !caps->blockdev_drivers_known || strv_contains(caps->blockdev_drivers, driver);
}

bool qemu_caps_has_cpu_model(const QemuCaps *caps, const char *model) {
        return caps && strv_contains(caps->cpu_models, model);
}

bool qemu_caps_cpu_model_usable(const QemuCaps *caps, const char *model) {
        return qemu_caps_has_cpu_model(caps, model) && !strv_contains(caps->cpu_unusable, model);
}

bool qemu_caps_machine_deprecated(const QemuCaps *caps, const char *machine) {
        const char *name = machine ? qemu_caps_canonical_machine(caps, machine) : NULL;

        for (size_t i = 0; name && i < caps->n_machines; i++)
                if (streq(caps->machines[i].name, name))
                        return caps->machines[i].deprecated;
        return false;
}

bool qemu_caps_cpu_model_deprecated(const QemuCaps *caps, const char *model) {
        return caps && model && strv_contains(caps->cpu_deprecated, model);
}

/* ---- JSON form ---- */

int caps_json_add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_string(json_object *o, const char *key, const char *s) {
        return caps_json_add(o, key, s ? json_object_new_string(s) : json_object_new_null());
}

static json_object *strv_to_json(char *const *l) {
        json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (; l && *l; l++) {
                json_object *s = json_object_new_string(*l);

                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static int machine_to_json(const QemuMachine *mc, json_object **ret) {
        json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "name", mc->name);
        if (r >= 0 && mc->alias)
                r = json_add_string(o, "alias", mc->alias);
        if (r >= 0)
                r = caps_json_add(o, "default", json_object_new_boolean(mc->is_default));
        if (r >= 0)
                r = caps_json_add(o, "max_cpus", json_object_new_int64(mc->max_cpus));
        if (r >= 0 && mc->deprecated)
                r = caps_json_add(o, "deprecated", json_object_new_boolean(true));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

int qemu_caps_to_json_object(const QemuCaps *caps, json_object **ret) {
        json_object *o, *machines;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        r = caps_json_add(o, "format", json_object_new_int(QEMU_CAPS_FORMAT));
        if (r >= 0)
                r = json_add_string(o, "binary", caps->binary);
        if (r >= 0)
                r = caps_json_add(o, "binary_size", json_object_new_int64((int64_t) caps->binary_size));
        if (r >= 0)
                r = caps_json_add(o, "binary_mtime", json_object_new_int64(caps->binary_mtime));
        if (r >= 0)
                r = caps_json_add(o, "version", json_object_new_int64(caps->version));
        if (r >= 0)
                r = json_add_string(o, "package", caps->package);
        if (r >= 0)
                r = json_add_string(o, "arch", caps->arch);
        if (r >= 0)
                r = caps_json_add(o, "kvm_available", json_object_new_boolean(caps->kvm_available));

        machines = r >= 0 ? json_object_new_array() : NULL;
        for (size_t i = 0; machines && r >= 0 && i < caps->n_machines; i++) {
                json_object *m = NULL;

                r = machine_to_json(caps->machines + i, &m);
                if (r >= 0 && json_object_array_add(machines, m) < 0) {
                        json_object_put(m);
                        r = -ENOMEM;
                }
        }
        if (r >= 0)
                r = caps_json_add(o, "machines", machines);
        else
                json_object_put(machines);
        if (r >= 0)
                r = caps_json_add(o, "cpu_models", strv_to_json(caps->cpu_models));
        if (r >= 0 && caps->cpu_usability_known)
                r = caps_json_add(o, "cpu_unusable", strv_to_json(caps->cpu_unusable));
        if (r >= 0 && caps->cpu_deprecated)
                r = caps_json_add(o, "cpu_deprecated", strv_to_json(caps->cpu_deprecated));
        if (r >= 0)
                r = caps_json_add(o, "device_types", strv_to_json(caps->device_types));
        if (r >= 0 && caps->blockdev_drivers_known)
                r = caps_json_add(o, "blockdev_drivers", strv_to_json(caps->blockdev_drivers));
        if (r < 0) {
                json_object_put(o);
                return r;
        }

        *ret = o;
        return 0;
}

int qemu_caps_to_json(const QemuCaps *caps, char **ret) {
        json_object *o = NULL;
        char *s;
        int r;

        if (!caps || !ret)
                return -EINVAL;
        r = qemu_caps_to_json_object(caps, &o);
        if (r < 0)
                return r;
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Typed getters: a missing key leaves *ret alone (0), a key of the wrong
 * type is -EBADMSG. */
int caps_json_get_str(json_object *o, const char *key, char **ret) {
        json_object *v;
        char *s;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        free_and_replace_str(ret, s);
        return 0;
}

static int json_get_i64(json_object *o, const char *key, int64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        *ret = json_object_get_int64(v);
        return 0;
}

int caps_json_get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

/* A JSON array of strings, or of objects whose "name" is taken. */
int caps_json_to_strv(json_object *a, char ***ret) {
        size_t n;
        char **l;

        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0, k = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i), *name = e;

                if (json_object_is_type(e, json_type_object) && !json_object_object_get_ex(e, "name", &name))
                        continue;
                if (!json_object_is_type(name, json_type_string)) {
                        strv_free(l);
                        return -EBADMSG;
                }
                l[k] = strdup(json_object_get_string(name));
                if (!l[k++]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        strv_free(*ret);
        *ret = l;
        return 0;
}

static int json_get_strv(json_object *o, const char *key, char ***ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        return caps_json_to_strv(v, ret);
}

/* Both our cache form and query-machines: "name", "alias", and
 * "default"/"max_cpus" or "is-default"/"cpu-max". */
int caps_machines_from_json(json_object *a, QemuMachine **ret, size_t *ret_n) {
        QemuMachine *machines;
        size_t n;
        int r = 0;

        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        machines = calloc(n ?: 1, sizeof(QemuMachine));
        if (!machines)
                return -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                QemuMachine *mc = machines + i;
                int64_t max_cpus = 0;

                if (!json_object_is_type(e, json_type_object)) {
                        r = -EBADMSG;
                        break;
                }
                r = caps_json_get_str(e, "name", &mc->name);
                if (r >= 0 && !mc->name)
                        r = -EBADMSG;
                if (r >= 0)
                        r = caps_json_get_str(e, "alias", &mc->alias);
                if (r >= 0)
                        r = caps_json_get_bool(e, "default", &mc->is_default);
                if (r >= 0)
                        r = caps_json_get_bool(e, "is-default", &mc->is_default);
                if (r >= 0)
                        r = json_get_i64(e, "max_cpus", &max_cpus);
                if (r >= 0)
                        r = json_get_i64(e, "cpu-max", &max_cpus);
                if (r >= 0)
                        r = caps_json_get_bool(e, "deprecated", &mc->deprecated);
                mc->max_cpus = max_cpus > 0 && max_cpus <= UINT32_MAX ? (unsigned) max_cpus : 0;
        }
        if (r < 0) {
                machines_free(machines, n);
                return r;
        }

        machines_free(*ret, *ret_n);
        *ret = machines;
        *ret_n = n;
        return 0;
}

int qemu_caps_from_json_object(json_object *o, QemuCaps **ret) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = NULL;
        int64_t format = 0, size = 0, version = 0;
        json_object *machines;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_get_i64(o, "format", &format);
        if (r < 0)
                return r;
        if (format != QEMU_CAPS_FORMAT)
                return -ESTALE;

        caps = calloc(1, sizeof(QemuCaps));
        if (!caps)
                return -ENOMEM;

        r = caps_json_get_str(o, "binary", &caps->binary);
        if (r >= 0)
                r = json_get_i64(o, "binary_size", &size);
        if (r >= 0)
                r = json_get_i64(o, "binary_mtime", &caps->binary_mtime);
        if (r >= 0)
                r = json_get_i64(o, "version", &version);
        if (r >= 0)
                r = caps_json_get_str(o, "package", &caps->package);
        if (r >= 0)
                r = caps_json_get_str(o, "arch", &caps->arch);
        if (r >= 0)
                r = caps_json_get_bool(o, "kvm_available", &caps->kvm_available);
        if (r >= 0 && json_object_object_get_ex(o, "machines", &machines))
                r = caps_machines_from_json(machines, &caps->machines, &caps->n_machines);
        if (r >= 0)
                r = json_get_strv(o, "cpu_models", &caps->cpu_models);
        /* a cache written before QEMU's word on each model was kept: not known */
        caps->cpu_usability_known = json_object_object_get_ex(o, "cpu_unusable", NULL);
        if (r >= 0)
                r = json_get_strv(o, "cpu_unusable", &caps->cpu_unusable);
        if (r >= 0)
                r = json_get_strv(o, "cpu_deprecated", &caps->cpu_deprecated);
        if (r >= 0)
                r = json_get_strv(o, "device_types", &caps->device_types);
        caps->blockdev_drivers_known = json_object_object_get_ex(o, "blockdev_drivers", NULL);
        if (r >= 0)
                r = json_get_strv(o, "blockdev_drivers", &caps->blockdev_drivers);
        if (r < 0)
                return r;
        if (!caps->binary || size < 0 || version <= 0 || version > UINT32_MAX)
                return -EBADMSG;
        caps->binary_size = (uint64_t) size;
        caps->version = (unsigned) version;

        *ret = TAKE_PTR(caps);
        return 0;
}

int qemu_caps_from_json(const char *json, QemuCaps **ret) {
        json_object *o;
        int r;

        if (!json || !ret)
                return -EINVAL;
        o = json_tokener_parse(json);
        if (!o)
                return -EBADMSG;
        r = qemu_caps_from_json_object(o, ret);
        json_object_put(o);
        return r;
}

static int strv_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int machine_cmp(const void *a, const void *b) {
        return strcmp(((const QemuMachine *) a)->name, ((const QemuMachine *) b)->name);
}

/* QEMU lists types in hash order: sort, so the cache file is stable. */
void qemu_caps_sort(QemuCaps *caps) {
        if (caps->cpu_models)
                qsort(caps->cpu_models, strv_length(caps->cpu_models), sizeof(char *), strv_cmp);
        if (caps->cpu_unusable)
                qsort(caps->cpu_unusable, strv_length(caps->cpu_unusable), sizeof(char *), strv_cmp);
        if (caps->cpu_deprecated)
                qsort(caps->cpu_deprecated, strv_length(caps->cpu_deprecated), sizeof(char *), strv_cmp);
        if (caps->device_types)
                qsort(caps->device_types, strv_length(caps->device_types), sizeof(char *), strv_cmp);
        if (caps->blockdev_drivers)
                qsort(caps->blockdev_drivers, strv_length(caps->blockdev_drivers), sizeof(char *), strv_cmp);
        if (caps->machines)
                qsort(caps->machines, caps->n_machines, sizeof(QemuMachine), machine_cmp);
}
