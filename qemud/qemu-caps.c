/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "log.h"
#include "process.h"
#include "qemu-caps.h"
#include "qemu-monitor.h"
#include "util.h"

/* Bumped whenever the JSON form changes meaning: older cache files are then
 * stale and the binary is probed again. */
#define QEMU_CAPS_FORMAT 1

/* A probe of -machine none takes some 30-50 ms; give a loaded host plenty. */
#define PROBE_TIMEOUT_USEC (30ULL * 1000000ULL)
#define CACHE_FILE_MAX (16U * 1024U * 1024U)

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
        strv_free(caps->device_types);
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
static bool strv_contains(char *const *l, const char *s) {
        if (!l || !s)
                return false;
        for (; *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

bool qemu_caps_has_device(const QemuCaps *caps, const char *type) {
        return caps && strv_contains(caps->device_types, type);
}

bool qemu_caps_has_cpu_model(const QemuCaps *caps, const char *model) {
        return caps && strv_contains(caps->cpu_models, model);
}

/* ---- JSON form ---- */

static int json_add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_string(json_object *o, const char *key, const char *s) {
        return json_add(o, key, s ? json_object_new_string(s) : json_object_new_null());
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
                r = json_add(o, "default", json_object_new_boolean(mc->is_default));
        if (r >= 0)
                r = json_add(o, "max_cpus", json_object_new_int64(mc->max_cpus));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

static int caps_to_json_object(const QemuCaps *caps, json_object **ret) {
        json_object *o, *machines;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        r = json_add(o, "format", json_object_new_int(QEMU_CAPS_FORMAT));
        if (r >= 0)
                r = json_add_string(o, "binary", caps->binary);
        if (r >= 0)
                r = json_add(o, "binary_size", json_object_new_int64((int64_t) caps->binary_size));
        if (r >= 0)
                r = json_add(o, "binary_mtime", json_object_new_int64(caps->binary_mtime));
        if (r >= 0)
                r = json_add(o, "version", json_object_new_int64(caps->version));
        if (r >= 0)
                r = json_add_string(o, "package", caps->package);
        if (r >= 0)
                r = json_add_string(o, "arch", caps->arch);
        if (r >= 0)
                r = json_add(o, "kvm_available", json_object_new_boolean(caps->kvm_available));

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
                r = json_add(o, "machines", machines);
        else
                json_object_put(machines);
        if (r >= 0)
                r = json_add(o, "cpu_models", strv_to_json(caps->cpu_models));
        if (r >= 0)
                r = json_add(o, "device_types", strv_to_json(caps->device_types));
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
        r = caps_to_json_object(caps, &o);
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
static int json_get_str(json_object *o, const char *key, char **ret) {
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

static int json_get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

/* A JSON array of strings, or of objects whose "name" is taken. */
static int json_to_strv(json_object *a, char ***ret) {
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
        return json_to_strv(v, ret);
}

/* Both our cache form and query-machines: "name", "alias", and
 * "default"/"max_cpus" or "is-default"/"cpu-max". */
static int machines_from_json(json_object *a, QemuMachine **ret, size_t *ret_n) {
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
                r = json_get_str(e, "name", &mc->name);
                if (r >= 0 && !mc->name)
                        r = -EBADMSG;
                if (r >= 0)
                        r = json_get_str(e, "alias", &mc->alias);
                if (r >= 0)
                        r = json_get_bool(e, "default", &mc->is_default);
                if (r >= 0)
                        r = json_get_bool(e, "is-default", &mc->is_default);
                if (r >= 0)
                        r = json_get_i64(e, "max_cpus", &max_cpus);
                if (r >= 0)
                        r = json_get_i64(e, "cpu-max", &max_cpus);
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

static int caps_from_json_object(json_object *o, QemuCaps **ret) {
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

        r = json_get_str(o, "binary", &caps->binary);
        if (r >= 0)
                r = json_get_i64(o, "binary_size", &size);
        if (r >= 0)
                r = json_get_i64(o, "binary_mtime", &caps->binary_mtime);
        if (r >= 0)
                r = json_get_i64(o, "version", &version);
        if (r >= 0)
                r = json_get_str(o, "package", &caps->package);
        if (r >= 0)
                r = json_get_str(o, "arch", &caps->arch);
        if (r >= 0)
                r = json_get_bool(o, "kvm_available", &caps->kvm_available);
        if (r >= 0 && json_object_object_get_ex(o, "machines", &machines))
                r = machines_from_json(machines, &caps->machines, &caps->n_machines);
        if (r >= 0)
                r = json_get_strv(o, "cpu_models", &caps->cpu_models);
        if (r >= 0)
                r = json_get_strv(o, "device_types", &caps->device_types);
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
        r = caps_from_json_object(o, ret);
        json_object_put(o);
        return r;
}

/* ---- the cache ---- */

/* FNV-1a: stable across runs and builds, which is all a file name needs; the
 * path itself is stored inside and compared on load. */
char *qemu_caps_cache_path(const char *cachedir, const char *binary) {
        uint64_t h = 0xcbf29ce484222325ULL;
        char name[32];

        for (const unsigned char *p = (const unsigned char *) binary; *p; p++) {
                h ^= *p;
                h *= 0x100000001b3ULL;
        }
        snprintf(name, sizeof(name), "%016" PRIx64 ".json", h);
        return path_join(cachedir, name);
}

/* Whether QEMU could use KVM at all: when access to /dev/kvm changes (module
 * loaded, permissions fixed), the cached kvm_available is wrong. */
static bool kvm_device_usable(void) {
        return access("/dev/kvm", R_OK | W_OK) == 0;
}

int qemu_caps_load_cache(const char *cachedir, const char *binary, QemuCaps **ret) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        json_object *o;
        bool kvm_device = false;
        struct stat st;
        int r;

        if (!cachedir || !binary || !ret)
                return -EINVAL;
        if (stat(binary, &st) < 0)
                return -errno;

        path = qemu_caps_cache_path(cachedir, binary);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, CACHE_FILE_MAX, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ENOENT : -ESTALE;

        o = json_tokener_parse(text);
        if (!o) {
                log_debug("QEMU capabilities cache %s is corrupt, ignored.", path);
                return -ESTALE;
        }
        r = caps_from_json_object(o, &caps);
        if (r >= 0)
                r = json_get_bool(o, "kvm_device", &kvm_device);
        json_object_put(o);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug_errno(r, "QEMU capabilities cache %s unusable, ignored: %m", path);
                return -ESTALE;
        }

        if (!streq(caps->binary, binary) || caps->binary_size != (uint64_t) st.st_size ||
            caps->binary_mtime != (int64_t) st.st_mtim.tv_sec || kvm_device != kvm_device_usable()) {
                log_debug("QEMU capabilities cache %s does not match %s any more.", path, binary);
                return -ESTALE;
        }

        *ret = TAKE_PTR(caps);
        return 0;
}

int qemu_caps_save_cache(const char *cachedir, const QemuCaps *caps) {
        _cleanup_free_ char *path = NULL;
        json_object *o = NULL;
        const char *text;
        int r;

        if (!cachedir || !caps || !caps->binary)
                return -EINVAL;

        r = mkdir_p(cachedir, 0755);
        if (r < 0)
                return r;
        path = qemu_caps_cache_path(cachedir, caps->binary);
        if (!path)
                return -ENOMEM;

        r = caps_to_json_object(caps, &o);
        if (r < 0)
                return r;
        r = json_add(o, "kvm_device", json_object_new_boolean(kvm_device_usable()));
        if (r >= 0) {
                text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
                r = text ? write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
        }
        json_object_put(o);
        return r;
}

/* ---- probe replies ---- */

static int parse_version(QemuCaps *caps, json_object *v) {
        json_object *q, *x;
        int64_t part[3] = {};
        static const char *const names[] = { "major", "minor", "micro" };
        int r;

        if (!json_object_object_get_ex(v, "qemu", &q))
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (!json_object_object_get_ex(q, names[i], &x) || !json_object_is_type(x, json_type_int))
                        return -EBADMSG;
                part[i] = json_object_get_int64(x);
                if (part[i] < 0 || part[i] > 999)
                        return -EBADMSG;
        }
        caps->version = (unsigned) (part[0] * 1000000 + part[1] * 1000 + part[2]);

        r = json_get_str(v, "package", &caps->package);
        if (r < 0)
                return r;
        /* Older QEMUs put the package in parentheses with a leading blank. */
        if (caps->package) {
                char *p = caps->package;
                size_t n;

                p += strspn(p, " ");
                n = strlen(p);
                while (n > 0 && p[n - 1] == ' ')
                        n--;
                memmove(caps->package, p, n);
                caps->package[n] = 0;
        }
        return 0;
}

static int parse_target(QemuCaps *caps, json_object *v) {
        return json_get_str(v, "arch", &caps->arch);
}

static int parse_machines(QemuCaps *caps, json_object *v) {
        return machines_from_json(v, &caps->machines, &caps->n_machines);
}

static int parse_cpu_definitions(QemuCaps *caps, json_object *v) {
        return json_to_strv(v, &caps->cpu_models);
}

static int parse_kvm(QemuCaps *caps, json_object *v) {
        bool enabled = false, present = false;
        int r;

        r = json_get_bool(v, "enabled", &enabled);
        if (r >= 0)
                r = json_get_bool(v, "present", &present);
        if (r < 0)
                return r;
        caps->kvm_available = enabled && present;
        return 0;
}

static int parse_device_types(QemuCaps *caps, json_object *v) {
        return json_to_strv(v, &caps->device_types);
}

typedef struct ProbeCommand {
        const char *command;
        int (*parse)(QemuCaps *caps, json_object *result);
        bool required;
} ProbeCommand;

static const ProbeCommand probe_commands[] = {
        { "query-version", parse_version, true },
        { "query-target", parse_target, false },
        { "query-machines", parse_machines, true },
        { "query-cpu-definitions", parse_cpu_definitions, false },
        { "query-kvm", parse_kvm, false },
        { "qom-list-types", parse_device_types, true },
};

static const ProbeCommand *probe_command_find(const char *command) {
        for (size_t i = 0; i < ELEMENTSOF(probe_commands); i++)
                if (streq(probe_commands[i].command, command))
                        return probe_commands + i;
        return NULL;
}

int qemu_caps_apply_reply(QemuCaps *caps, const char *command, json_object *result) {
        const ProbeCommand *c;

        if (!caps || !command || !result)
                return -EINVAL;
        c = probe_command_find(command);
        if (!c)
                return -EOPNOTSUPP;
        return c->parse(caps, result);
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
        if (caps->device_types)
                qsort(caps->device_types, strv_length(caps->device_types), sizeof(char *), strv_cmp);
        if (caps->machines)
                qsort(caps->machines, caps->n_machines, sizeof(QemuMachine), machine_cmp);
}

/* ---- the probe ---- */

typedef struct Probe {
        sd_event *event;
        QemuCaps *caps;
        QemuMonitor *monitor;
        bool monitor_closed;
        sd_event_source *exit_source;
        sd_event_source *timeout_source;
        pid_t pid;
        bool exited;
        int exit_code, exit_status;
        int output_fd;          /* memfd holding QEMU's stdout and stderr */
        unsigned n_pending;     /* probe replies still expected */
        int error;              /* the first failure */
        uint64_t start_usec;
        qemu_caps_done_t done;
        void *userdata;
} Probe;

static void probe_free(Probe *p) {
        if (!p)
                return;
        p->timeout_source = sd_event_source_disable_unref(p->timeout_source);
        p->exit_source = sd_event_source_disable_unref(p->exit_source);
        p->monitor = qemu_monitor_free(p->monitor);
        if (p->output_fd >= 0)
                close(p->output_fd);
        qemu_caps_free(p->caps);
        sd_event_unref(p->event);
        free(p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Probe *, probe_free);

/* What QEMU printed, for the error message: its first line is the reason. */
static void probe_log_output(Probe *p) {
        char buf[1024];
        ssize_t n;

        if (p->output_fd < 0)
                return;
        n = pread(p->output_fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        log_error("%s: %s", p->caps->binary, buf);
}

static void probe_fail(Probe *p, int error) {
        if (p->error == 0)
                p->error = error;
        if (!p->exited && p->pid > 0)
                (void) kill(p->pid, SIGKILL);
        if (p->monitor && !p->monitor_closed) {
                p->monitor_closed = true;
                qemu_monitor_close(p->monitor);
        }
}

/* Done once QEMU is reaped and nothing more can come from the monitor. */
static void probe_maybe_finish(Probe *p) {
        qemu_caps_done_t done = p->done;
        void *userdata = p->userdata;
        QemuCaps *caps = NULL;
        int r;

        if (!p->exited || (!p->monitor_closed && p->n_pending > 0))
                return;

        r = p->error;
        if (r == 0 && p->n_pending > 0)
                r = -EPROTO;
        if (r < 0) {
                if (r != -ETIMEDOUT)
                        probe_log_output(p);
                log_error_errno(r, "Probing %s failed: %m", p->caps->binary);
        } else {
                qemu_caps_sort(p->caps);
                caps = TAKE_PTR(p->caps);
                log_debug("Probed %s (QEMU %u, %zu machines, %zu device types) in %" PRIu64 " ms.",
                          caps->binary, caps->version, caps->n_machines, strv_length(caps->device_types),
                          (now_usec(CLOCK_MONOTONIC) - p->start_usec) / 1000);
        }

        probe_free(p);
        done(r, caps, userdata);
}

static void probe_on_reply(QemuMonitor *m, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        const ProbeCommand *c = userdata;
        Probe *p = qemu_monitor_get_userdata(m);
        int r;

        p->n_pending--;
        if (p->error < 0)
                return;

        if (error_class) {
                if (!c->required) {
                        log_debug("%s: %s failed, ignored: %s", p->caps->binary, c->command, error_desc);
                        return;
                }
                log_error("%s: %s failed: %s: %s", p->caps->binary, c->command, error_class, error_desc);
                probe_fail(p, -EPROTO);
                return;
        }

        r = c->parse(p->caps, result);
        if (r < 0 && c->required) {
                log_error_errno(r, "%s: cannot parse the reply to %s: %m", p->caps->binary, c->command);
                probe_fail(p, r);
        } else if (r < 0)
                log_debug_errno(r, "%s: cannot parse the reply to %s, ignored: %m", p->caps->binary, c->command);
}

static void probe_on_closed(QemuMonitor *m, int error, void *userdata) {
        Probe *p = userdata;

        p->monitor_closed = true;
        if (error < 0 && p->error == 0)
                probe_fail(p, error);
        probe_maybe_finish(p);
}

static void probe_on_exit(pid_t pid, int code, int status, void *userdata) {
        Probe *p = userdata;

        p->exited = true;
        p->exit_code = code;
        p->exit_status = status;
        if (code != CLD_EXITED || status != 0)
                log_debug("%s: probe exited with code %d status %d", p->caps->binary, code, status);
        probe_maybe_finish(p);
}

static int probe_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Probe *p = userdata;

        log_error("%s: no answer to the capability probe in %llu s.", p->caps->binary,
                  PROBE_TIMEOUT_USEC / 1000000ULL);
        probe_fail(p, -ETIMEDOUT);
        /* Usually the SIGKILL above ends it and the exit watch finishes the
         * probe; when QEMU was gone already, finish now. */
        probe_maybe_finish(p);
        return 0;
}

static int probe_spawn(Probe *p, int qmp_fd) {
        char *argv[] = {
                p->caps->binary,
                (char *) "-S",
                (char *) "-no-user-config",
                (char *) "-nodefaults",
                (char *) "-nographic",
                (char *) "-machine",
                (char *) "none,accel=kvm:tcg",
                /* A connected socket as a client chardev: no socket file, no
                 * connect retry, nothing to clean up. */
                (char *) "-chardev",
                (char *) "socket,id=qmp,fd=3",
                (char *) "-mon",
                (char *) "chardev=qmp,mode=control",
                NULL,
        };
        const ProcessFd map[] = {
                { p->output_fd, 1 },
                { p->output_fd, 2 },
                { qmp_fd, 3 },
        };
        int pidfd = -1, r;

        r = process_spawn(argv, map, ELEMENTSOF(map), 0, &p->pid, &pidfd);
        if (r < 0)
                return log_debug_errno(r, "Cannot start %s: %m", p->caps->binary);

        r = process_watch(p->event, p->pid, pidfd, probe_on_exit, p, &p->exit_source);
        if (r < 0) {
                close(pidfd);
                (void) kill(p->pid, SIGKILL);
                /* Nobody will reap it otherwise: it dies right away. */
                (void) waitpid(p->pid, NULL, 0);
                return r;
        }
        return 0;
}

/* A setup step failed after QEMU was started: nobody will watch it any
 * more, so kill and reap it here (a SIGKILLed process is gone at once). */
static int probe_abort(Probe *p, int error) {
        probe_fail(p, error);
        if (p->pid > 0 && !p->exited) {
                p->exit_source = sd_event_source_disable_unref(p->exit_source);
                (void) waitpid(p->pid, NULL, 0);
                p->exited = true;
        }
        return error;
}

static int probe_queue_commands(Probe *p) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(probe_commands); i++) {
                json_object *args = NULL;

                if (streq(probe_commands[i].command, "qom-list-types")) {
                        args = json_object_new_object();
                        if (!args)
                                return -ENOMEM;
                        json_object_object_add(args, "implements", json_object_new_string("device"));
                        json_object_object_add(args, "abstract", json_object_new_boolean(false));
                }
                r = qemu_monitor_command(p->monitor, probe_commands[i].command, args, probe_on_reply,
                                         (void *) (probe_commands + i));
                if (r < 0)
                        return r;
                p->n_pending++;
        }
        /* Its reply may be lost to the hang-up: not counted. */
        return qemu_monitor_command(p->monitor, "quit", NULL, NULL, NULL);
}

static int probe_stat_binary(QemuCaps *caps, const char *binary) {
        struct stat st;

        if (binary[0] != '/')
                return -EINVAL;
        if (stat(binary, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ENOEXEC;
        caps->binary = strdup(binary);
        if (!caps->binary)
                return -ENOMEM;
        caps->binary_size = (uint64_t) st.st_size;
        caps->binary_mtime = (int64_t) st.st_mtim.tv_sec;
        return 0;
}

int qemu_caps_probe_async(sd_event *event, const char *binary, const char *rundir, qemu_caps_done_t done,
                          void *userdata) {
        static const QemuMonitorCallbacks callbacks = {
                .on_closed = probe_on_closed,
        };
        _cleanup_(probe_freep) Probe *p = NULL;
        int pair[2] = { -1, -1 }, r;

        /* rundir is unused: the QMP connection is a socketpair. */
        if (!event || !binary || !done)
                return -EINVAL;

        p = calloc(1, sizeof(Probe));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->output_fd = -1;
        p->done = done;
        p->userdata = userdata;
        p->start_usec = now_usec(CLOCK_MONOTONIC);
        p->caps = calloc(1, sizeof(QemuCaps));
        if (!p->caps)
                return -ENOMEM;

        r = probe_stat_binary(p->caps, binary);
        if (r < 0)
                return log_debug_errno(r, "Cannot probe %s: %m", binary);

        p->output_fd = memfd_create("qemu-caps-probe", MFD_CLOEXEC);
        if (p->output_fd < 0)
                return -errno;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;

        r = probe_spawn(p, pair[1]);
        close(pair[1]);
        if (r < 0) {
                close(pair[0]);
                return r;
        }

        r = qemu_monitor_new(event, pair[0], NULL, 0, &callbacks, p, &p->monitor);
        if (r < 0) {
                close(pair[0]);
                return probe_abort(p, r);
        }
        r = probe_queue_commands(p);
        if (r < 0)
                return probe_abort(p, r);

        r = sd_event_add_time_relative(event, &p->timeout_source, CLOCK_MONOTONIC, PROBE_TIMEOUT_USEC,
                                       100000, probe_on_timeout, p);
        if (r < 0)
                return probe_abort(p, r);

        TAKE_PTR(p);
        return 0;
}

typedef struct CacheLookup {
        char *cachedir;
        qemu_caps_done_t done;
        void *userdata;
} CacheLookup;

static void on_probed(int r, QemuCaps *caps, void *userdata) {
        CacheLookup *l = userdata;

        if (r >= 0 && l->cachedir) {
                int k = qemu_caps_save_cache(l->cachedir, caps);
                if (k < 0)
                        log_warning_errno(k, "Cannot save the capabilities of %s in %s, ignored: %m",
                                          caps->binary, l->cachedir);
        }
        l->done(r, caps, l->userdata);
        free(l->cachedir);
        free(l);
}

int qemu_caps_get_async(sd_event *event, const char *binary, const char *cachedir, const char *rundir,
                        qemu_caps_done_t done, void *userdata) {
        QemuCaps *caps = NULL;
        CacheLookup *l;
        int r;

        if (!event || !binary || !done)
                return -EINVAL;

        if (cachedir) {
                r = qemu_caps_load_cache(cachedir, binary, &caps);
                if (r >= 0) {
                        log_debug("Capabilities of %s from the cache.", binary);
                        done(0, caps, userdata);
                        return 0;
                }
                if (r != -ENOENT && r != -ESTALE)
                        log_debug_errno(r, "Cannot use the capabilities cache for %s: %m", binary);
        }

        l = calloc(1, sizeof(CacheLookup));
        if (!l)
                return -ENOMEM;
        *l = (CacheLookup) { .done = done, .userdata = userdata };
        if (cachedir) {
                l->cachedir = strdup(cachedir);
                if (!l->cachedir) {
                        free(l);
                        return -ENOMEM;
                }
        }

        r = qemu_caps_probe_async(event, binary, rundir, on_probed, l);
        if (r < 0) {
                free(l->cachedir);
                free(l);
        }
        return r;
}
