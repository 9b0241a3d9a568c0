/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's side of the guest's other controls, and the signals of the QMP
 * events behind them. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>

#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "qemu-blockjob.h"
#include "qemu-control.h"
#include "qemu-domain.h"
#include "qemu-graphics-fd.h"
#include "qemu-keycodes.h"
#include "qemu-monitor.h"
#include "util.h"

/* The guest's QEMU can be asked: it runs (or is paused) and its start is over. */
static int require_monitor(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d) || !qemu_domain(d)->mon)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (d->starting)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is still starting", d->def->name);
        return 0;
}

static const char *reply_error_text(const char *error_class, const char *error_desc) {
        return error_desc && *error_desc ? error_desc : error_class;
}

/* ---- commands under the domain's job ---- */

/* Ends the job with QEMU's answer. The monitor calls back only while the
 * domain lives: it is closed before the domain is freed. */
static void on_job_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        Domain *d = userdata;
        char msg[512];

        if (!error_class) {
                domain_job_succeed(d->jobs);
                return;
        }
        if (streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED))
                snprintf(msg, sizeof(msg), "domain '%s' stopped before QEMU answered", d->def->name);
        else
                snprintf(msg, sizeof(msg), "QEMU refused: %s", reply_error_text(error_class, error_desc));
        domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, msg);
}

static int job_command(Domain *d, const char *command, json_object *args, sd_bus_error *error) {
        int r = qemu_monitor_command(qemu_domain(d)->mon, command, args, on_job_reply, d);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send %s to QEMU: %s", command,
                                     strerror(-r));
        return 1;
}

static int send_key(Domain *d, uint32_t codeset, uint32_t holdtime_ms, const uint32_t *keycodes, size_t n,
                    sd_bus_error *error) {
        json_object *args, *keys;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        if (!qemu_keycode_set_name(codeset))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown keycode set %u", codeset);
        args = json_object_new_object();
        keys = json_object_new_array();
        if (!args || !keys || json_object_object_add(args, "keys", keys) < 0) {
                json_object_put(keys);
                json_object_put(args);
                return -ENOMEM;
        }
        /* as libvirt: every key as QEMU's number (QNUM) */
        for (size_t i = 0; i < n; i++) {
                int q = qemu_keycode_to_qnum(codeset, keycodes[i]);
                json_object *k = json_object_new_object();
                if (q < 0) {
                        json_object_put(k);
                        json_object_put(args);
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "cannot translate keycode %u of %s codeset to qnum keycode", keycodes[i],
                                             qemu_keycode_set_name(codeset));
                }
                if (!k || json_object_object_add(k, "type", json_object_new_string("number")) < 0 ||
                    json_object_object_add(k, "data", json_object_new_int(q)) < 0 ||
                    json_object_array_add(keys, k) < 0) {
                        json_object_put(k);
                        json_object_put(args);
                        return -ENOMEM;
                }
        }
        if (holdtime_ms > 0 && json_object_object_add(args, "hold-time", json_object_new_int64(holdtime_ms)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        return job_command(d, "send-key", args, error);
}

static int inject_nmi(Domain *d, sd_bus_error *error) {
        int r = require_monitor(d, error);

        return r < 0 ? r : job_command(d, "inject-nmi", NULL, error);
}

static int pm_wakeup(Domain *d, sd_bus_error *error) {
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        if (d->state != DOMAIN_PMSUSPENDED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Unable to wake up domain '%s' which is not suspended (its state is %s)",
                                     d->def->name, domain_state_to_string(d->state));
        return job_command(d, "system_wakeup", NULL, error);
}

/* ---- queries: no job, the call is answered with QEMU's reply ---- */

typedef struct Query {
        Domain *d;
        sd_bus_message *msg;
        char *path;      /* memory peek: the file QEMU writes */
        uint64_t size;
} Query;

static Query *query_free(Query *q) {
        if (!q)
                return NULL;
        if (q->path)
                (void) unlink_if_exists(q->path);
        free(q->path);
        sd_bus_message_unref(q->msg);
        free(q);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Query *, query_free);

static int query_new(Domain *d, sd_bus_message *msg, Query **ret) {
        Query *q = calloc(1, sizeof(*q));

        if (!q)
                return -ENOMEM;
        q->d = d;
        q->msg = sd_bus_message_ref(msg);
        *ret = q;
        return 0;
}

/* Answers q's call with QEMU's error; true when there was one. */
static bool query_failed(Query *q, const char *what, const char *error_class, const char *error_desc) {
        if (!error_class)
                return false;
        if (streq(error_class, QEMU_MONITOR_ERROR_DISCONNECTED))
                (void) sd_bus_reply_method_errorf(q->msg, VB_ERROR_OPERATION_INVALID,
                                                  "the domain stopped before QEMU answered %s", what);
        else
                (void) sd_bus_reply_method_errorf(q->msg, VB_ERROR_OPERATION_FAILED, "QEMU refused %s: %s", what,
                                                  reply_error_text(error_class, error_desc));
        return true;
}

static const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static const DomainDiskDef *disk_by_alias(const DomainDef *def, const char *alias) {
        for (size_t i = 0; def && alias && i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].alias, alias))
                        return &def->disks[i];
        return NULL;
}

/* An external snapshot's overlay is "<alias>-s<hex tag>" (qemu-snapshot.c):
 * the length of name without that tag. */
static size_t without_overlay_tag(const char *name, size_t n) {
        size_t k = n;

        while (k > 0 && isxdigit((unsigned char) name[k - 1]))
                k--;
        if (n - k >= 6 && k > 2 && name[k - 1] == 's' && name[k - 2] == '-')
                return k - 2;
        return n;
}

char *qemu_control_alias_of_node(const char *node_name) {
        static const char *const suffixes[] = { "-fmt", "-file", "-throttle" };

        for (size_t i = 0; node_name && i < ELEMENTSOF(suffixes); i++) {
                size_t n = strlen(node_name), s = strlen(suffixes[i]);
                if (n > s && streq(node_name + n - s, suffixes[i]))
                        return strndup(node_name, n - s);
        }
        return NULL;
}

char *qemu_control_alias_of_overlay(const char *node_name) {
        char *alias = qemu_control_alias_of_node(node_name);

        if (alias)
                alias[without_overlay_tag(alias, strlen(alias))] = '\0';
        return alias;
}

/* The disk of a query-block entry or an event: by its node name, the
 * start's ("<alias>-fmt"), an external snapshot's overlay's or the one a
 * block job's pivot gave it. */
static const DomainDiskDef *disk_of_node(Domain *d, const char *node_name) {
        _cleanup_free_ char *alias = qemu_control_alias_of_node(node_name);
        _cleanup_free_ char *under = qemu_control_alias_of_overlay(node_name);

        return disk_by_alias(d->live, alias) ?: disk_by_alias(d->live, under)
                                                  ?: qemu_blockjob_disk_of_node(d, node_name);
}

static int disk_error_code(const char *io_status) {
        if (!io_status || streq(io_status, "ok"))
                return DOMAIN_DISK_ERROR_NONE;
        if (streq(io_status, "nospace"))
                return DOMAIN_DISK_ERROR_NO_SPACE;
        return DOMAIN_DISK_ERROR_UNSPEC;
}

static int append_disk_errors(Domain *d, json_object *result, sd_bus_message *reply) {
        size_t n = result && json_object_is_type(result, json_type_array) ? json_object_array_length(result) : 0;
        int r = sd_bus_message_open_container(reply, 'a', "(si)");

        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_object *e = json_object_array_get_idx(result, i), *inserted = NULL;
                const DomainDiskDef *disk;
                int code = disk_error_code(json_str(e, "io-status"));

                if (code == DOMAIN_DISK_ERROR_NONE || !json_object_object_get_ex(e, "inserted", &inserted))
                        continue;
                disk = disk_of_node(d, json_str(inserted, "node-name"));
                if (disk)
                        r = sd_bus_message_append(reply, "(si)", disk->dst, (int32_t) code);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static void on_query_block(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        _cleanup_(query_freep) Query *q = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (query_failed(q, "query-block", error_class, error_desc))
                return;
        r = sd_bus_message_new_method_return(q->msg, &reply);
        if (r >= 0)
                r = append_disk_errors(q->d, result, reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot answer GetDiskErrors of %s: %m", q->d->def->name);
}

static int disk_errors(Domain *d, sd_bus_message *msg, sd_bus_error *error) {
        _cleanup_(query_freep) Query *q = NULL;
        int r = require_monitor(d, error);

        if (r < 0 || (r = query_new(d, msg, &q)) < 0)
                return r;
        r = qemu_monitor_command(qemu_domain(d)->mon, "query-block", NULL, on_query_block, q);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send query-block to QEMU: %s",
                                     strerror(-r));
        TAKE_PTR(q);
        return 1;
}

static void on_memsave(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                       void *userdata) {
        _cleanup_(query_freep) Query *q = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        if (query_failed(q, "the memory peek", error_class, error_desc))
                return;
        r = read_full_file(q->path, q->size, &buf, &len);
        if (r < 0 || len != q->size) {
                (void) sd_bus_reply_method_errorf(q->msg, VB_ERROR_SYSTEM, "cannot read the memory QEMU saved: %s",
                                                  r < 0 ? strerror(-r) : "short file");
                return;
        }
        r = sd_bus_message_new_method_return(q->msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', buf, len);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot answer MemoryPeek of %s: %m", q->d->def->name);
}

static int memory_peek(Domain *d, uint64_t start, uint64_t size, bool physical, sd_bus_message *msg,
                       sd_bus_error *error) {
        static unsigned counter;
        _cleanup_(query_freep) Query *q = NULL;
        json_object *args;
        int r = require_monitor(d, error);

        if (r < 0)
                return r;
        if (size == 0) /* an access test, as libvirt allows */
                return sd_bus_reply_method_return(msg, "ay", 0) < 0 ? -EIO : 1;
        if ((r = query_new(d, msg, &q)) < 0)
                return r;
        q->size = size;
        /* QEMU writes the bytes into a file of ours, in our run directory */
        if (asprintf(&q->path, "%s/%s.peek.%u", d->manager->rundir, d->uuid_str, ++counter) < 0) {
                q->path = NULL;
                return -ENOMEM;
        }
        (void) unlink_if_exists(q->path);
        args = json_object_new_object();
        if (!args || json_object_object_add(args, "val", json_object_new_int64((int64_t) start)) < 0 ||
            json_object_object_add(args, "size", json_object_new_int64((int64_t) size)) < 0 ||
            json_object_object_add(args, "filename", json_object_new_string(q->path)) < 0) {
                json_object_put(args);
                return -ENOMEM;
        }
        r = qemu_monitor_command(qemu_domain(d)->mon, physical ? "pmemsave" : "memsave", args, on_memsave, q);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot send %s to QEMU: %s",
                                     physical ? "pmemsave" : "memsave", strerror(-r));
        TAKE_PTR(q);
        return 1;
}

const DomainControlOps qemu_control_ops = {
        .send_key = send_key,
        .inject_nmi = inject_nmi,
        .pm_wakeup = pm_wakeup,
        .disk_errors = disk_errors,
        .memory_peek = memory_peek,
        .open_graphics_fd = qemu_open_graphics_fd,
        /* send_process_signal, create_with_files: libvirt's QEMU driver has
         * neither. */
};

/* ---- events ---- */

int qemu_control_io_error_action(const char *action) {
        if (streq_ptr(action, "stop"))
                return DOMAIN_IO_ERROR_PAUSE;
        if (streq_ptr(action, "report"))
                return DOMAIN_IO_ERROR_REPORT;
        if (streq_ptr(action, "ignore"))
                return DOMAIN_IO_ERROR_NONE;
        return -1;
}

/* The guest was paused by QEMU for reason: as libvirt, the state and
 * lifecycle signal say why (the STOP that follows finds it paused). */
static void paused_by_qemu(Domain *d, int reason, int detail) {
        if (d->state != DOMAIN_RUNNING)
                return;
        domain_set_state(d, DOMAIN_PAUSED, reason);
        domain_emit_event(d, DOMAIN_EVENT_SUSPENDED, detail);
        (void) domain_status_save(d);
}

static bool json_true(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

void qemu_control_on_io_error(Domain *d, const char *event, json_object *data) {
        const DomainDiskDef *disk = disk_of_node(d, json_str(data, "node-name"));
        int action = qemu_control_io_error_action(json_str(data, "action"));

        if (action < 0)
                action = DOMAIN_IO_ERROR_NONE;
        if (action == DOMAIN_IO_ERROR_PAUSE)
                paused_by_qemu(d, DOMAIN_PAUSED_IOERROR, DOMAIN_EVENT_SUSPENDED_IOERROR);
        log_info("Domain %s: I/O error on %s (%s), %s.", d->def->name, disk ? disk->dst : "a disk",
                 json_str(data, "reason") ?: "no reason given", json_str(data, "action") ?: "no action");
        domain_emit_io_error(d, disk ? disk->src : "", disk ? disk->alias : json_str(data, "device"), action,
                             json_true(data, "nospace") ? "enospc" : "");
}

void qemu_control_on_rtc_change(Domain *d, const char *event, json_object *data) {
        json_object *v;
        int64_t offset = data && json_object_object_get_ex(data, "offset", &v) ? json_object_get_int64(v) : 0;

        domain_emit_signal(d, "RTCChange", "x", offset);
}

/* The guest's balloon driver moved: its memory now, in KiB, as libvirt
 * keeps it in the live <currentMemory>. */
void qemu_control_on_balloon_change(Domain *d, const char *event, json_object *data) {
        json_object *v;
        uint64_t kib;

        if (!data || !json_object_object_get_ex(data, "actual", &v))
                return;
        kib = (uint64_t) json_object_get_int64(v) / 1024;
        if (d->live && d->live->current_memory_kib != kib) {
                d->live->current_memory_kib = kib;
                (void) domain_status_save(d);
        }
        domain_emit_signal(d, "BalloonChange", "t", kib);
}

int qemu_control_watchdog_action(const char *action) {
        static const struct {
                const char *qemu;
                int libvirt;
        } map[] = {
                { "none", DOMAIN_WATCHDOG_NONE },         { "pause", DOMAIN_WATCHDOG_PAUSE },
                { "reset", DOMAIN_WATCHDOG_RESET },       { "poweroff", DOMAIN_WATCHDOG_POWEROFF },
                { "shutdown", DOMAIN_WATCHDOG_SHUTDOWN }, { "debug", DOMAIN_WATCHDOG_DEBUG },
                { "inject-nmi", DOMAIN_WATCHDOG_INJECTNMI },
        };
        for (size_t i = 0; action && i < ELEMENTSOF(map); i++)
                if (streq(map[i].qemu, action))
                        return map[i].libvirt;
        return -1;
}

void qemu_control_on_watchdog(Domain *d, const char *event, json_object *data) {
        int action = qemu_control_watchdog_action(json_str(data, "action"));

        if (action < 0)
                action = DOMAIN_WATCHDOG_NONE;
        if (action == DOMAIN_WATCHDOG_PAUSE)
                paused_by_qemu(d, DOMAIN_PAUSED_WATCHDOG, DOMAIN_EVENT_SUSPENDED_WATCHDOG);
        domain_emit_signal(d, "Watchdog", "i", (int32_t) action);
}

int qemu_control_graphics_phase(const char *event) {
        if (!event)
                return -1;
        if (endswith(event, "_CONNECTED"))
                return DOMAIN_GRAPHICS_CONNECT;
        if (endswith(event, "_INITIALIZED"))
                return DOMAIN_GRAPHICS_INITIALIZE;
        if (endswith(event, "_DISCONNECTED"))
                return DOMAIN_GRAPHICS_DISCONNECT;
        return -1;
}

int qemu_control_graphics_family(const char *family) {
        if (streq_ptr(family, "ipv4"))
                return DOMAIN_GRAPHICS_ADDRESS_IPV4;
        if (streq_ptr(family, "ipv6"))
                return DOMAIN_GRAPHICS_ADDRESS_IPV6;
        if (streq_ptr(family, "unix"))
                return DOMAIN_GRAPHICS_ADDRESS_UNIX;
        return -1;
}

/* (iss): family, node, service (VNC says "service", SPICE "port") */
static int append_address(sd_bus_message *m, json_object *a) {
        int family = qemu_control_graphics_family(json_str(a, "family"));
        const char *service = json_str(a, "service") ?: json_str(a, "port");

        return sd_bus_message_append(m, "(iss)", (int32_t) (family < 0 ? DOMAIN_GRAPHICS_ADDRESS_IPV4 : family),
                                     json_str(a, "host") ?: "", service ?: "");
}

static int append_identities(sd_bus_message *m, json_object *client) {
        const char *x509 = json_str(client, "x509_dname"), *sasl = json_str(client, "sasl_username");
        int r = sd_bus_message_open_container(m, 'a', "(ss)");

        if (r >= 0 && x509)
                r = sd_bus_message_append(m, "(ss)", "x509dname", x509);
        if (r >= 0 && sasl)
                r = sd_bus_message_append(m, "(ss)", "saslUsername", sasl);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

void qemu_control_on_graphics(Domain *d, const char *event, json_object *data) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        json_object *server = NULL, *client = NULL;
        int phase = qemu_control_graphics_phase(event);
        int r;

        if (phase < 0 || !data)
                return;
        json_object_object_get_ex(data, "server", &server);
        json_object_object_get_ex(data, "client", &client);
        r = sd_bus_message_new_signal(d->manager->bus, &m, d->path, "org.libvirt.Domain", "Graphics");
        if (r >= 0)
                r = sd_bus_message_append(m, "i", (int32_t) phase);
        if (r >= 0)
                r = append_address(m, server);
        if (r >= 0)
                r = append_address(m, client);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", json_str(server, "auth") ?: "");
        if (r >= 0)
                r = append_identities(m, client);
        if (r >= 0)
                r = sd_bus_send(d->manager->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit Graphics for %s: %m", d->def->name);
}

/* The state and lifecycle signal are the rows' (qemu-events.c); here the
 * signal of its own that each has, whatever the state. */
void qemu_control_on_pm(Domain *d, const char *event, json_object *data) {
        const char *member = streq(event, "SUSPEND")        ? "PMSuspend"
                             : streq(event, "SUSPEND_DISK") ? "PMSuspendDisk"
                             : streq(event, "WAKEUP")       ? "PMWakeup"
                                                            : NULL;

        if (member)
                domain_emit_signal(d, member, "i", (int32_t) 0);
}
