/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The probe: starts a QEMU binary with -machine none and its QMP monitor
 * on a socketpair, asks the commands of probe_commands[], fills a QemuCaps
 * from their replies, quits and reaps QEMU, with a timeout over it all. */
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
#include "qemu-caps-internal.h"
#include "qemu-monitor.h"
#include "util.h"

/* A probe of -machine none takes some 30-50 ms; give a loaded host plenty. */
#define PROBE_TIMEOUT_USEC (30ULL * 1000000ULL)

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

        r = caps_json_get_str(v, "package", &caps->package);
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
        return caps_json_get_str(v, "arch", &caps->arch);
}

static int parse_machines(QemuCaps *caps, json_object *v) {
        return caps_machines_from_json(v, &caps->machines, &caps->n_machines);
}

/* The models, those QEMU says it cannot run here (a non-empty
 * "unavailable-features"): with accel=kvm that is the host CPU's word, and
 * those it marks "deprecated". */
static int cpu_deprecated_add(QemuCaps *caps, json_object *e) {
        json_object *name, *dep;

        if (!json_object_object_get_ex(e, "name", &name) || !json_object_object_get_ex(e, "deprecated", &dep) ||
            !json_object_get_boolean(dep))
                return 0;
        return strv_extend(&caps->cpu_deprecated, json_object_get_string(name));
}

static int parse_cpu_definitions(QemuCaps *caps, json_object *v) {
        int r = caps_json_to_strv(v, &caps->cpu_models);
        size_t n = r >= 0 ? json_object_array_length(v) : 0;

        caps->cpu_usability_known = r >= 0;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i), *name, *missing;
                if (json_object_object_get_ex(e, "name", &name) &&
                    json_object_object_get_ex(e, "unavailable-features", &missing) &&
                    json_object_is_type(missing, json_type_array) && json_object_array_length(missing) > 0)
                        r = strv_extend(&caps->cpu_unusable, json_object_get_string(name));
                if (r >= 0)
                        r = cpu_deprecated_add(caps, e);
        }
        return r;
}

static int parse_kvm(QemuCaps *caps, json_object *v) {
        bool enabled = false, present = false;
        int r;

        r = caps_json_get_bool(v, "enabled", &enabled);
        if (r >= 0)
                r = caps_json_get_bool(v, "present", &present);
        if (r < 0)
                return r;
        caps->kvm_available = enabled && present;
        return 0;
}

static int parse_device_types(QemuCaps *caps, json_object *v) {
        return caps_json_to_strv(v, &caps->device_types);
}

/* The schema entry of this name (QEMU masks type names as numbers, so a
 * type is found by following names from a command). */
static json_object *schema_entry(json_object *schema, const char *name) {
        size_t n = json_object_array_length(schema);

        for (size_t i = 0; name && i < n; i++) {
                json_object *e = json_object_array_get_idx(schema, i), *v;

                if (json_object_object_get_ex(e, "name", &v) && streq_ptr(json_object_get_string(v), name))
                        return e;
        }
        return NULL;
}

static const char *schema_str(json_object *e, const char *key) {
        json_object *v;

        return e && json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : NULL;
}

/* The type of member name of an object type. */
static const char *schema_member_type(json_object *obj, const char *name) {
        json_object *members;

        if (!obj || !json_object_object_get_ex(obj, "members", &members) ||
            !json_object_is_type(members, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(members); i++) {
                json_object *m = json_object_array_get_idx(members, i);

                if (streq_ptr(schema_str(m, "name"), name))
                        return schema_str(m, "type");
        }
        return NULL;
}

/* blockdev-add's drivers, as libvirt reads them: the values of the enum
 * that is the type of "driver" in the command's argument type. */
static int parse_qmp_schema(QemuCaps *caps, json_object *v) {
        json_object *args, *drivers, *values;
        int r;

        if (!json_object_is_type(v, json_type_array))
                return -EBADMSG;
        args = schema_entry(v, schema_str(schema_entry(v, "blockdev-add"), "arg-type"));
        drivers = schema_entry(v, schema_member_type(args, "driver"));
        if (!drivers || !json_object_object_get_ex(drivers, "values", &values))
                return -EBADMSG;
        r = caps_json_to_strv(values, &caps->blockdev_drivers);
        caps->blockdev_drivers_known = r >= 0;
        return r;
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
        { "query-qmp-schema", parse_qmp_schema, false },
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
