/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's live migration, the source's side and the settings (qemu-migrate.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "domain-lock.h"
#include "domain-prepare.h"
#include "domain-status.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-domain.h"
#include "qemu-events.h"
#include "qemu-migrate-internal.h"
#include "qemu-monitor.h"
#include "qemu-process-internal.h"
#include "qemu-save.h"
#include "qemu-process.h"
#include "qemu-tune.h"
#include "util.h"
#include "xml-util.h"
#include "uuid.h"

#define POLL_USEC (20 * 1000ULL)
/* libvirt's defaults: 300 ms downtime, unlimited speed, 64 MiB cache */
#define DEFAULT_DOWNTIME_MS 300
#define DEFAULT_SPEED_MIB 8796093022207ULL
#define DEFAULT_CACHE_BYTES (64ULL << 20)

QemuMigration *migration_get(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (!q->migration) {
                q->migration = calloc(1, sizeof(QemuMigration));
                if (!q->migration)
                        return NULL;
                q->migration->d = d;
                q->migration->tunnel_fd = -1;
                q->migration->max_downtime_ms = DEFAULT_DOWNTIME_MS;
                q->migration->max_speed_mib = DEFAULT_SPEED_MIB;
                q->migration->max_speed_postcopy_mib = DEFAULT_SPEED_MIB;
                q->migration->cache_bytes = DEFAULT_CACHE_BYTES;
        }
        return q->migration;
}

bool migration_job_alive(const QemuMigration *g) {
        return g->job && g->job->owner;
}

void migration_job_clear(QemuMigration *g) {
        g->timer = sd_event_source_disable_unref(g->timer);
        g->job = domain_job_unref(g->job);
        g->call = sd_bus_message_unref(g->call);
        g->incoming_done = NULL;
        g->poll_fn = NULL;
        g->cancelled = g->kick = false;
}

void qemu_migrate_free(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        QemuMigration *g = q ? q->migration : NULL;

        if (!g)
                return;
        migration_job_clear(g);
        domain_job_stats_done(&g->now);
        domain_job_stats_done(&g->completed);
        free(g->host);
        free(g->listen);
        free(g->persist_xml);
        g->cleanup_timer = sd_event_source_disable_unref(g->cleanup_timer);
        strv_free(g->nbd_disks);
        strv_free(g->created);
        strv_free(g->created_volumes);
        free(g->status_text);
        free(g->nbd_host);
        free(g->pending_uri);
        json_object_put(g->pending_params);
        if (g->tunnel_fd >= 0)
                close(g->tunnel_fd);
        q->migration = mfree(g);
}

int migration_schedule_poll(QemuMigration *g, sd_event_time_handler_t fn) {
        uint64_t delay = g->kick ? 0 : POLL_USEC;

        g->kick = false;
        g->poll_fn = fn;
        g->timer = sd_event_source_disable_unref(g->timer);
        return sd_event_add_time_relative(g->d->manager->event, &g->timer, CLOCK_MONOTONIC, delay, POLL_ACCURACY_USEC, fn, g);
}

void qemu_migrate_adjust_effect(Domain *d, const char *event, QemuEventEffect *e) {
        if (!qemu_domain(d)->migrating_out || !streq(event, "STOP") || e->state != DOMAIN_PAUSED)
                return;
        e->reason = DOMAIN_PAUSED_MIGRATION;
        if (e->event == DOMAIN_EVENT_SUSPENDED)
                e->detail = DOMAIN_EVENT_SUSPENDED_MIGRATED;
}

void qemu_migrate_on_event(Domain *d, const char *event, json_object *data) {
        QemuMigration *g = qemu_domain(d)->migration;
        json_object *v;
        const char *status = data && json_object_object_get_ex(data, "status", &v) ? json_object_get_string(v) : "";

        if (g && qemu_domain(d)->migrating_in && streq(status, "completed")) {
                migration_incoming_completed(g);
                return;
        }
        if (!g || !migration_job_alive(g) || !g->poll_fn)
                return;
        if (!streq(status, "completed") && !streq(status, "failed") && !streq(status, "cancelled"))
                return;
        if (streq(status, "completed") && qemu_domain(d)->migrating_out)
                migration_disks_end(g); /* the guest's pause waits for them */
        if (!g->timer) {
                g->kick = true; /* a query is under way: the one after it goes at once */
                return;
        }
        g->timer = sd_event_source_disable_unref(g->timer);
        (void) g->poll_fn(NULL, 0, g);
}

void qemu_migrate_note_event(Domain *d, const char *event, json_object *data, uint64_t timestamp_usec) {
        QemuDomain *q = qemu_domain(d);
        json_object *v;
        const char *what = NULL;

        if (q->migration && q->migrating_out)
                migration_disks_on_event(q->migration, event, data);
        if (streq(event, "STOP") && q->migrating_out)
                what = "stopped the guest";
        else if (streq(event, "RESUME") && q->migrating_in)
                what = "resumed the guest";
        else if (streq(event, "MIGRATION") && (q->migrating_in || q->migrating_out) && data &&
                 json_object_object_get_ex(data, "status", &v) && streq_ptr(json_object_get_string(v), "completed"))
                what = q->migrating_in ? "completed the incoming stream" : "completed the outgoing stream";
        if (what)
                log_info("Migration of %s: QEMU %s at %" PRIu64 ".%06" PRIu64, d->def->name, what,
                         timestamp_usec / 1000000, timestamp_usec % 1000000);
}

static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? (uint64_t) json_object_get_int64(v) : 0;
}

void migration_stats_from(QemuMigration *g, json_object *result) {
        DomainJobStats *s = &g->now;

        s->type = DOMAIN_JOB_TYPE_UNBOUNDED;
        s->time_elapsed_ms = get_u64(result, "total-time");
        qemu_migrate_stats_parse(result, s);
        /* libvirt's data_* are the memory's and the disks' together */
        s->data_total = s->memory_total + s->disk_total;
        s->data_processed = s->memory_processed + s->disk_processed;
        s->data_remaining = s->memory_remaining + s->disk_remaining;
}

int migration_host_uuid(Manager *m, uint8_t uuid[16]) {
        _cleanup_free_ char *path = NULL;
        char buf[64] = "";
        const char *from[2];
        int r = asprintf(&path, "%s/host-uuid", m->paths.confdir);

        if (r < 0)
                return -ENOMEM;
        from[0] = path;
        from[1] = "/etc/machine-id";
        for (size_t i = 0; i < 2; i++) {
                _cleanup_close_ int fd = open(from[i], O_RDONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                str_strip(buf);
                if (uuid_parse(buf, uuid) >= 0)
                        return 0;
                /* machine-id: 32 hex digits without dashes */
                if (strlen(buf) == 32) {
                        char s[37];
                        snprintf(s, sizeof(s), "%.8s-%.4s-%.4s-%.4s-%.12s", buf, buf + 8, buf + 12, buf + 16, buf + 20);
                        if (uuid_parse(s, uuid) >= 0)
                                return 0;
                }
        }
        memset(uuid, 0, 16);
        return -ENOENT;
}

int migration_cookie_for(Domain *d, MigrationCookie **ret) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = migration_cookie_new();
        char host[256] = "";

        if (!c)
                return -ENOMEM;
        (void) gethostname(host, sizeof(host) - 1);
        c->name = strdup(d->def->name);
        c->hostname = strdup(host);
        if (!c->name || !c->hostname)
                return -ENOMEM;
        memcpy(c->uuid, d->def->uuid, 16);
        (void) migration_host_uuid(d->manager, c->hostuuid);
        *ret = TAKE_PTR(c);
        return 0;
}

int migration_reply_cookie(sd_bus_message *call, const char *prefix, const char *value, const MigrationCookie *c,
                           const char *suffix, const char *suffix_value) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL;
        int r = c ? migration_cookie_format(c, &text) : 0;

        if (r >= 0)
                r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0 && prefix)
                r = sd_bus_message_append(reply, prefix, value);
        /* as libvirt sends it: the text and its NUL */
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', text ? text : "", text ? strlen(text) + 1 : 0);
        if (r >= 0 && suffix)
                r = sd_bus_message_append(reply, suffix, suffix_value);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static json_object *capability(const char *name, bool on) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "capability", json_object_new_string(name));
        json_object_object_add(o, "state", json_object_new_boolean(on));
        return o;
}

json_object *migration_capabilities(unsigned flags) {
        json_object *caps = json_object_new_array(), *args = json_object_new_object();

        json_object_array_add(caps, capability("events", true));
        json_object_array_add(caps, capability("xbzrle", flags & MIGRATE_COMPRESSED));
        json_object_array_add(caps, capability("auto-converge", flags & MIGRATE_AUTO_CONVERGE));
        json_object_array_add(caps, capability("postcopy-ram", flags & MIGRATE_POSTCOPY));
        json_object_array_add(caps, capability("multifd", flags & MIGRATE_PARALLEL));
        json_object_object_add(args, "capabilities", caps);
        return args;
}

/* --- Begin3 -------------------------------------------------------------------- */

static int require_running(Domain *d, sd_bus_error *error) {
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (d->starting || !qemu_domain(d)->mon || d->pid <= 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is still starting or has no monitor", d->def->name);
        if (d->state != DOMAIN_RUNNING && d->state != DOMAIN_PAUSED)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' cannot be migrated in state %s", d->def->name,
                                     domain_state_to_string(d->state));
        return 0;
}

static int migrate_begin(Domain *d, const MigrateParams *p, unsigned flags, char **ret_cookie, size_t *ret_len,
                         char **ret_xml, sd_bus_error *error) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        _cleanup_free_ char *text = NULL, *xml = NULL;
        int r;

        if (!(flags & MIGRATE_OFFLINE)) {
                r = require_running(d, error);
                if (r < 0)
                        return r;
        } else if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "offline migration needs a persistent domain, '%s' is transient", d->def->name);
        if (d->jobs->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot migrate domain '%s': the job %s is running", d->def->name,
                                     domain_job_kind_to_string(d->jobs->active->kind));
        if (*p->dest_xml)
                xml = strdup(p->dest_xml);
        else {
                r = domain_def_format(flags & MIGRATE_OFFLINE ? d->def : domain_current_def(d, false),
                                      DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &xml);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot format '%s': %s", d->def->name,
                                             strerror(-r));
        }
        r = migration_cookie_for(d, &c);
        if (r >= 0 && (flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC))) {
                r = migration_disks_begin(d, p, flags, c, error);
                if (r < 0)
                        return r;
        }
        if (r >= 0 && (flags & MIGRATE_PERSIST_DEST) && d->persistent) {
                r = domain_def_format(d->newdef ? d->newdef : d->def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE,
                                      &c->persistent_xml);
                c->present |= MIGRATION_FEATURE_PERSISTENT;
        }
        if (r >= 0)
                r = migration_cookie_format(c, &text);
        if (r < 0 || !xml)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot make the migration cookie of '%s'",
                                     d->def->name);
        *ret_len = strlen(text) + 1;
        *ret_cookie = TAKE_PTR(text);
        *ret_xml = TAKE_PTR(xml);
        return 0;
}

/* --- Perform3 ------------------------------------------------------------------ */

static void perform_end(QemuMigration *g, const char *error_name, const char *msg) {
        Domain *d = g->d;
        bool alive = migration_job_alive(g);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(g->call);

        if (error_name) {
                log_error("%s", msg);
                domain_job_stats_done(&g->completed);
                g->completed = g->now;
                g->now = (DomainJobStats) {};
                g->completed.type = streq(error_name, VB_ERROR_OPERATION_ABORTED) ? DOMAIN_JOB_TYPE_CANCELLED
                                                                                   : DOMAIN_JOB_TYPE_FAILED;
                g->completed.error = strdup(msg);
                g->has_completed = true;
                if (call)
                        (void) sd_bus_reply_method_errorf(call, error_name, "%s", msg);
        }
        migration_job_clear(g);
        if (alive)
                domain_job_end(d->jobs);
}

/* QEMU sent it all: the source waits paused for Confirm3. */
static void perform_done(QemuMigration *g) {
        Domain *d = g->d;
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;

        domain_job_stats_done(&g->completed);
        g->completed = g->now;
        g->now = (DomainJobStats) {};
        g->completed.type = DOMAIN_JOB_TYPE_COMPLETED;
        g->completed.operation = DOMAIN_JOB_OPERATION_MIGRATION_OUT;
        g->has_completed = true;
        /* QEMU's STOP said so already (qemu_migrate_adjust_effect), unless
         * the guest was paused before */
        if (d->state != DOMAIN_PAUSED || d->reason != DOMAIN_PAUSED_MIGRATION) {
                domain_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_MIGRATION);
                domain_emit_event(d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_MIGRATED);
        }
        log_info("Migrated %s out: %" PRIu64 " ms, downtime %" PRIu64 " ms", d->def->name,
                 g->completed.time_elapsed_ms, g->completed.downtime_ms);
        if (migration_cookie_for(d, &c) >= 0) {
                (void) migration_cookie_add_stat(c, "time_elapsed", g->completed.time_elapsed_ms);
                (void) migration_cookie_add_stat(c, "downtime", g->completed.downtime_ms);
                (void) migration_cookie_add_stat(c, "setup_time", g->completed.setup_time_ms);
                (void) migration_cookie_add_stat(c, "memory_processed", g->completed.memory_processed);
        }
        /* The guest no longer runs here: its leases go before B takes them
         * in Finish3 (the request leaves before the answer). Until
         * Confirm3 they are the migration's, not lockd's return's. */
        d->leases_moving = true;
        domain_lock_release(d);
        /* The guest is paused until B runs it: the answer first, the live
         * state's write (an fsync) after. */
        if (g->call)
                (void) migration_reply_cookie(g->call, NULL, NULL, c, NULL, NULL);
        (void) domain_status_save(d);
        domain_emit_job_completed(d, &g->completed);
        perform_end(g, NULL, NULL);
}

static void perform_failed(QemuMigration *g, const char *why) {
        Domain *d = g->d;
        char msg[1024];
        QemuMonitor *mon = qemu_domain(d)->mon;

        migration_disks_abandon(g);
        /* The guest goes on where it was. */
        if (mon && d->state == DOMAIN_PAUSED && d->reason != DOMAIN_PAUSED_USER)
                (void) qemu_monitor_command(mon, "cont", NULL, NULL, NULL);
        if (g->cancelled)
                snprintf(msg, sizeof(msg), "operation aborted: migration of domain '%s' was cancelled", d->def->name);
        else
                snprintf(msg, sizeof(msg), "migration of domain '%s' failed: %s", d->def->name, why);
        qemu_domain(d)->migrating_out = false;
        (void) domain_status_save(d);
        perform_end(g, g->cancelled ? VB_ERROR_OPERATION_ABORTED : VB_ERROR_OPERATION_FAILED, msg);
}

static int on_perform_poll(sd_event_source *src, uint64_t usec, void *userdata);

/* The guest is paused, its memory sent: the copies of its disks ended in sync. */
static void on_disks_in_sync(QemuMigration *g, int r, const char *why) {
        if (r < 0) {
                perform_failed(g, why);
                return;
        }
        migration_disks_forget_nodes(g);
        perform_done(g);
}

static void on_query_out(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        QemuMigration *g = userdata;
        json_object *v;
        const char *status;

        if (!migration_job_alive(g)) {
                perform_end(g, VB_ERROR_OPERATION_ABORTED, "the domain went away during the migration");
                return;
        }
        if (error_class) {
                perform_failed(g, error_desc ? error_desc : error_class);
                return;
        }
        status = json_object_object_get_ex(result, "status", &v) ? json_object_get_string(v) : "";
        migration_stats_from(g, result);
        g->now.operation = DOMAIN_JOB_OPERATION_MIGRATION_OUT;
        if (streq(status, "completed")) {
                g->timer = sd_event_source_disable_unref(g->timer);
                if (migration_disks_complete(g, on_disks_in_sync) == 0)
                        perform_done(g);
                return;
        }
        if (streq(status, "failed") || streq(status, "cancelled")) {
                const char *why = json_object_object_get_ex(result, "error-desc", &v) ? json_object_get_string(v)
                                                                                      : status;
                if (streq(status, "cancelled"))
                        g->cancelled = true;
                perform_failed(g, why);
                return;
        }
        if (migration_schedule_poll(g, on_perform_poll) < 0)
                perform_failed(g, "cannot watch the progress");
}

static int on_perform_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuMigration *g = userdata;
        QemuMonitor *mon = qemu_domain(g->d)->mon;

        g->timer = sd_event_source_disable_unref(g->timer);
        if (!migration_job_alive(g) || !mon) {
                perform_end(g, VB_ERROR_OPERATION_ABORTED, "the domain went away during the migration");
                return 0;
        }
        if (qemu_monitor_command(mon, "query-migrate", NULL, on_query_out, g) < 0)
                perform_failed(g, "cannot talk to QEMU's monitor");
        return 0;
}

static void on_migrate_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        QemuMigration *g = userdata;

        if (error_class && migration_job_alive(g) && g->call) {
                g->timer = sd_event_source_disable_unref(g->timer);
                perform_failed(g, error_desc ? error_desc : error_class);
        }
}

/* "tcp:host:port" or "tcp://host:port" (libvirt's two forms) to QEMU's. */
static int parse_uri(const char *uri, char **ret, sd_bus_error *error) {
        const char *rest;
        unsigned port;

        if (migration_skip_prefix(uri, "tcp://"))
                rest = uri + 6;
        else if (migration_skip_prefix(uri, "tcp:"))
                rest = uri + 4;
        else
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "migration URI '%s' is not supported: only tcp:host:port and tcp://host:port",
                                     uri);
        const char *colon = strrchr(rest, ':');
        if (!colon || colon == rest || parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "migration URI '%s' has no host and port", uri);
        if (asprintf(ret, "tcp:%.*s:%u", (int) (colon - rest), rest, port) < 0)
                return -ENOMEM;
        return 0;
}

static json_object *perform_parameters(QemuMigration *g, const MigrateParams *p) {
        json_object *o = json_object_new_object();
        uint64_t mib = p->has_bandwidth ? p->bandwidth : g->max_speed_mib;

        json_object_object_add(o, "max-bandwidth",
                               json_object_new_int64(mib >= DEFAULT_SPEED_MIB ? INT64_MAX : (int64_t) (mib << 20)));
        json_object_object_add(o, "downtime-limit", json_object_new_int64((int64_t) g->max_downtime_ms));
        if (g->flags & MIGRATE_COMPRESSED)
                json_object_object_add(o, "xbzrle-cache-size",
                                       json_object_new_int64((int64_t) (p->has_xbzrle_cache ? p->xbzrle_cache
                                                                                            : g->cache_bytes)));
        if ((g->flags & MIGRATE_PARALLEL) && p->has_parallel)
                json_object_object_add(o, "multifd-channels", json_object_new_int(p->parallel));
        if (g->flags & MIGRATE_AUTO_CONVERGE) {
                if (p->ac_initial > 0)
                        json_object_object_add(o, "cpu-throttle-initial", json_object_new_int(p->ac_initial));
                if (p->ac_increment > 0)
                        json_object_object_add(o, "cpu-throttle-increment", json_object_new_int(p->ac_increment));
        }
        return o;
}

/* TUNNELLED: QEMU writes the stream to the proxy's fd, named for "fd:". */
#define TUNNEL_FD_NAME "migrate"

/* Without LIVE the guest is paused while its memory moves, as libvirt
 * does (the STOP is the migration's: perform_failed and a cancelled
 * Confirm3 resume it). It is also what keeps a TCG guest whole with a
 * QEMU before 9.0, whose live migration can lose the guest's stores (its
 * TCG TLB is not re-armed after a dirty-bitmap sync: upstream "physmem:
 * Fix migration dirty bitmap coherency with TCG memory access"). */
static int stop_unless_live(QemuMigration *g, QemuMonitor *mon) {
        if ((g->flags & MIGRATE_LIVE) || g->d->state != DOMAIN_RUNNING)
                return 0;
        return qemu_monitor_command(mon, "stop", NULL, NULL, NULL);
}

static int send_migrate(QemuMigration *g, json_object *parameters, const char *uri, int tunnel_fd) {
        QemuMonitor *mon = qemu_domain(g->d)->mon;
        json_object *args;
        int r = stop_unless_live(g, mon);

        if (r >= 0)
                r = qemu_monitor_command(mon, "migrate-set-capabilities", migration_capabilities(g->flags), NULL,
                                         NULL);

        if (r >= 0 && tunnel_fd >= 0) {
                args = json_object_new_object();
                json_object_object_add(args, "fdname", json_object_new_string(TUNNEL_FD_NAME));
                r = qemu_monitor_command_with_fd(mon, "getfd", args, tunnel_fd, NULL, NULL);
        }

        if (r >= 0)
                r = qemu_monitor_command(mon, "migrate-set-parameters", parameters, NULL, NULL);
        else
                json_object_put(parameters);
        if (r < 0)
                return r;
        args = json_object_new_object();
        json_object_object_add(args, "uri", json_object_new_string(uri));
        r = qemu_monitor_command(mon, "migrate", args, on_migrate_reply, g);
        if (r >= 0)
                r = migration_schedule_poll(g, on_perform_poll);
        return r;
}

/* Each disk's mirror is ready: the memory goes now. */
static void on_disks_ready(QemuMigration *g, int r, const char *why) {
        if (r < 0) {
                perform_failed(g, why);
                return;
        }
        log_info("The disks of %s are in sync on the destination: sending the memory", g->d->def->name);
        r = send_migrate(g, TAKE_PTR(g->pending_params), g->pending_uri, -1);
        if (r < 0)
                perform_failed(g, "cannot talk to QEMU's monitor");
}

/* Nothing runs: the definition goes to Finish3 in the cookie. */
static int perform_offline(Domain *d, sd_bus_message *call, sd_bus_error *error) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        int r = migration_cookie_for(d, &c);

        if (r >= 0)
                r = domain_def_format(d->newdef ? d->newdef : d->def, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE,
                                      &c->persistent_xml);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot make the migration cookie of '%s'",
                                     d->def->name);
        c->present |= MIGRATION_FEATURE_PERSISTENT;
        c->features |= MIGRATION_FEATURE_PERSISTENT;
        r = migration_reply_cookie(call, NULL, NULL, c, NULL, NULL);
        domain_job_end(d->jobs);
        return r < 0 ? r : 1;
}

/* The host of QEMU's "tcp:host:port" (brackets off), into buf. */
static const char *uri_host(const char *uri, char *buf, size_t size) {
        const char *rest = migration_skip_prefix(uri, "tcp:"), *colon = rest ? strrchr(rest, ':') : NULL;
        size_t n = colon ? (size_t) (colon - rest) : 0;

        if (n >= 2 && rest[0] == '[' && rest[n - 1] == ']') {
                rest++;
                n -= 2;
        }
        if (!colon || n == 0 || n >= size)
                return NULL;
        memcpy(buf, rest, n);
        buf[n] = 0;
        return buf;
}

static int migrate_perform(Domain *d, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                           sd_bus_message *call, sd_bus_error *error) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        _cleanup_free_ char *uri = NULL;
        char host[256];
        ConfError err = {};
        QemuMigration *g;
        int r;

        r = migration_cookie_parse(cookie, cookie_len, &c, &err);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "bad migration cookie: %s", err.message);
        if (flags & MIGRATE_OFFLINE)
                return perform_offline(d, call, error);
        r = require_running(d, error);
        if (r >= 0 && p->tunnel_fd >= 0)
                uri = strdup("fd:" TUNNEL_FD_NAME);
        else if (r >= 0)
                r = parse_uri(p->uri, &uri, error);
        if (r >= 0 && !uri)
                r = -ENOMEM;
        if (r < 0)
                return r;
        g = migration_get(d);
        if (!g)
                return -ENOMEM;
        g->flags = flags;
        g->cancelled = false;
        g->job = domain_job_ref(d->jobs->active);
        g->job->operation = DOMAIN_JOB_OPERATION_MIGRATION_OUT;
        g->call = domain_job_take_call(d->jobs);
        domain_job_stats_done(&g->now);
        g->now = (DomainJobStats) { .type = DOMAIN_JOB_TYPE_UNBOUNDED,
                                    .operation = DOMAIN_JOB_OPERATION_MIGRATION_OUT };
        if (p->has_bandwidth)
                g->max_speed_mib = p->bandwidth;
        domain_job_set_phase(d->jobs, "perform3");
        qemu_domain(d)->migrating_out = true;
        (void) domain_status_save(d);
        log_info("Migrating %s to %s (flags 0x%x)", d->def->name, uri, flags);
        migration_graphics_relocate(d, c, p->tunnel_fd >= 0 ? NULL : uri_host(uri, host, sizeof(host)));
        if (flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC)) {
                /* the memory once the disks are in sync */
                free(g->pending_uri);
                json_object_put(g->pending_params);
                g->pending_uri = TAKE_PTR(uri);
                g->pending_params = perform_parameters(g, p);
                r = migration_disks_mirror(g, p, g->pending_uri, c, on_disks_ready, error);
                if (r < 0) {
                        qemu_domain(d)->migrating_out = false;
                        (void) domain_status_save(d);
                        sd_bus_message_unref(TAKE_PTR(g->call));
                        migration_job_clear(g);
                        return r;
                }
                return 1;
        }
        r = send_migrate(g, perform_parameters(g, p), uri, p->tunnel_fd);
        if (r < 0) {
                qemu_domain(d)->migrating_out = false;
                (void) domain_status_save(d);
                /* the call goes back to the bus layer, which answers it */
                sd_bus_message_unref(TAKE_PTR(g->call));
                migration_job_clear(g);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor: %s",
                                     strerror(-r));
        }
        return 1;
}

/* --- Confirm3 ------------------------------------------------------------------ */

static void on_confirm_exit(pid_t pid, int code, int status, void *userdata) {
        Domain *d = userdata;

        d->pid = 0;
        domain_network_release(d);
        domain_storage_release(d);
        qemu_tune_cleanup(d);
        domain_job_succeed(d->jobs);
        process_finish_undone(d, DOMAIN_SHUTOFF_MIGRATED, DOMAIN_EVENT_STOPPED_MIGRATED); /* may free d */
}

/* The guest runs on the destination: this QEMU goes. */
static void stop_source(Domain *d) {
        int pidfd = pidfd_open_pid(d->pid);

        d->pid_watch = sd_event_source_disable_unref(d->pid_watch);
        d->jobs->active->stops_guest = true;
        if (pidfd < 0 || process_watch(d->manager->event, d->pid, pidfd, on_confirm_exit, d, &d->pid_watch) < 0) {
                if (pidfd >= 0)
                        close(pidfd);
                kill(d->pid, SIGKILL);
                on_confirm_exit(d->pid, 0, 0, d);
                return;
        }
        kill(d->pid, SIGKILL);
}

static void undefine_source(Domain *d) {
        if (!d->persistent)
                return;
        if (domain_remove_config(d) < 0) {
                log_warning("Cannot remove the definition of %s after its migration.", d->def->name);
                return;
        }
        d->persistent = false;
        d->autostart = false;
        d->newdef = domain_def_free(d->newdef);
        domain_emit_event(d, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_REMOVED);
}

/* Confirm3 cancelled, the leases held again: the guest runs on here. */
static void on_confirm_locks(Domain *d, int r, const sd_bus_error *error) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        char msg[1024];

        d->leases_moving = false;
        if (!domain_job_is(d->jobs, DOMAIN_JOB_MIGRATE_OUT))
                return;
        if (r < 0) {
                /* someone took them meanwhile: the guest stays paused */
                snprintf(msg, sizeof(msg), "cannot resume domain '%s' after the cancelled migration: %s",
                         d->def->name, error && error->message ? error->message : strerror(-r));
                domain_job_fail(d->jobs, VB_ERROR_OPERATION_FAILED, msg);
                return;
        }
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_MIGRATED);
        if (mon)
                (void) qemu_monitor_command(mon, "cont", NULL, NULL, NULL);
        domain_emit_event(d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_MIGRATED);
        (void) domain_status_save(d);
        domain_job_succeed(d->jobs);
}

static int migrate_confirm(Domain *d, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                           bool cancelled, sd_bus_message *call, sd_bus_error *error) {
        qemu_domain(d)->migrating_out = false;
        if (cancelled) {
                /* libvirt's rule: the source runs again, as it was */
                /* The leases again (released when QEMU sent it all), then cont. */
                if (domain_is_active(d) && d->state == DOMAIN_PAUSED && d->reason == DOMAIN_PAUSED_MIGRATION &&
                    domain_lock_acquire(d, on_confirm_locks) >= 0)
                        return 1;
                d->leases_moving = false;
                if (domain_is_active(d))
                        (void) domain_status_save(d);
                domain_job_succeed(d->jobs);
                return 1;
        }
        if (flags & MIGRATE_UNDEFINE_SOURCE)
                undefine_source(d);
        if (!domain_is_active(d) || d->pid <= 0) {
                domain_job_succeed(d->jobs);
                if (!d->persistent && !domain_is_active(d)) {
                        manager_remove_domain(d->manager, d);
                        domain_free(d);
                }
                return 1;
        }
        stop_source(d);
        return 1;
}

/* --- AbortJob, GetJobStats -------------------------------------------------------- */

int qemu_migrate_abort(Domain *d, sd_bus_error *error) {
        QemuMigration *g = qemu_domain(d)->migration;

        if (!g || !migration_job_alive(g) || !g->call)
                return 0;
        g->cancelled = true;
        if (!qemu_domain(d)->mon || qemu_monitor_command(qemu_domain(d)->mon, "migrate_cancel", NULL, NULL, NULL) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        return 1;
}

static int copy_stats(const DomainJobStats *src, DomainJobStats *ret) {
        *ret = *src;
        ret->error = NULL;
        if (src->error) {
                ret->error = strdup(src->error);
                if (!ret->error)
                        return -ENOMEM;
        }
        return 1;
}

int qemu_migrate_job_stats(Domain *d, bool completed, DomainJobStats *ret) {
        QemuMigration *g = qemu_domain(d)->migration;

        if (!g)
                return 0;
        if (completed)
                return g->has_completed ? copy_stats(&g->completed, ret) : 0;
        if (!migration_job_alive(g))
                return 0;
        return copy_stats(&g->now, ret);
}

/* --- the settings ----------------------------------------------------------------- */

static int set_parameter(Domain *d, const char *name, int64_t value, sd_bus_error *error) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, name, json_object_new_int64(value));
        if (!qemu_domain(d)->mon || qemu_monitor_command(qemu_domain(d)->mon, "migrate-set-parameters", o, NULL,
                                                         NULL) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        return 0;
}

static int set_max_downtime(Domain *d, uint64_t ms, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        if (ms > 2000000)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "maximum downtime %" PRIu64 " ms is more than QEMU takes (2000000)", ms);
        g->max_downtime_ms = ms;
        return set_parameter(d, "downtime-limit", (int64_t) ms, error);
}

static int get_max_downtime(Domain *d, uint64_t *ret, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        *ret = g->max_downtime_ms;
        return 0;
}

static int set_max_speed(Domain *d, uint64_t mib, bool postcopy, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        if (postcopy) {
                g->max_speed_postcopy_mib = mib;
                return 0; /* QEMU takes it when postcopy starts */
        }
        g->max_speed_mib = mib;
        return set_parameter(d, "max-bandwidth", mib >= DEFAULT_SPEED_MIB ? INT64_MAX : (int64_t) (mib << 20), error);
}

static int get_max_speed(Domain *d, bool postcopy, uint64_t *ret, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        *ret = postcopy ? g->max_speed_postcopy_mib : g->max_speed_mib;
        return 0;
}

static int set_compression_cache(Domain *d, uint64_t bytes, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        if (bytes < 4096 || (bytes & (bytes - 1)))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "compression cache %" PRIu64 " bytes: QEMU takes a power of two of at least 4096",
                                     bytes);
        g->cache_bytes = bytes;
        return set_parameter(d, "xbzrle-cache-size", (int64_t) bytes, error);
}

static int get_compression_cache(Domain *d, uint64_t *ret, sd_bus_error *error) {
        QemuMigration *g = migration_get(d);

        if (!g)
                return -ENOMEM;
        *ret = g->cache_bytes;
        return 0;
}

static int start_postcopy(Domain *d, sd_bus_error *error) {
        QemuMigration *g = qemu_domain(d)->migration;

        if (!g || !migration_job_alive(g) || !g->call || !(g->flags & MIGRATE_POSTCOPY))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' has no migration under way that was started with POSTCOPY",
                                     d->def->name);
        if (qemu_monitor_command(qemu_domain(d)->mon, "migrate-start-postcopy", NULL, NULL, NULL) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        return 0;
}

const DomainMigrateOps qemu_migrate_ops = {
        .begin = migrate_begin,
        .perform = migrate_perform,
        .confirm = migrate_confirm,
        .prepare = qemu_migrate_prepare,
        .finish = qemu_migrate_finish,
        .set_max_downtime = set_max_downtime,
        .get_max_downtime = get_max_downtime,
        .set_max_speed = set_max_speed,
        .get_max_speed = get_max_speed,
        .set_compression_cache = set_compression_cache,
        .get_compression_cache = get_compression_cache,
        .start_postcopy = start_postcopy,
};

/* --- a restart in the middle ------------------------------------------------------ */

/* What B made for a copy, so that a restart still takes it back:
 * <created file='...'/> and <created volume='storaged's object'/>. */
static const char *status_with_created(QemuMigration *g) {
        _cleanup_free_ char *text = strdup("  <migration dir='in'>\n");

        for (int kind = 0; kind < 2 && text; kind++)
                for (char **l = kind ? g->created_volumes : g->created; l && *l && text; l++) {
                        _cleanup_free_ char *e = domain_status_escape(*l), *prev = TAKE_PTR(text);
                        if (!e || asprintf(&text, "%s    <created %s='%s'/>\n", prev, kind ? "volume" : "file", e) < 0)
                                text = NULL;
                }
        free(g->status_text);
        g->status_text = NULL;
        if (!text || asprintf(&g->status_text, "%s  </migration>\n", text) < 0)
                return "  <migration dir='in'/>\n"; /* out of memory: at least the migration */
        return g->status_text;
}

const char *qemu_migrate_status_format(Domain *d) {
        QemuDomain *q = qemu_domain(d);
        QemuMigration *g = q->migration;

        if (q->migrating_in && g && (g->created || g->created_volumes))
                return status_with_created(g);
        if (q->migrating_in)
                return "  <migration dir='in'/>\n";
        if (q->migrating_out)
                return "  <migration dir='out'/>\n";
        return "";
}

static void parse_created(Domain *d, xmlNodePtr m) {
        QemuMigration *g;

        for (xmlNodePtr c = m->children; c; c = c->next) {
                xmlChar *file, *vol;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "created"))
                        continue;
                g = migration_get(d);
                file = xmlGetProp(c, (const xmlChar *) "file");
                vol = xmlGetProp(c, (const xmlChar *) "volume");
                if (g && file)
                        (void) strv_extend(&g->created, (const char *) file);
                if (g && vol)
                        (void) strv_extend(&g->created_volumes, (const char *) vol);
                xmlFree(file);
                xmlFree(vol);
        }
}

void qemu_migrate_status_parse(Domain *d, xmlNodePtr root) {
        for (xmlNodePtr c = root->children; c; c = c->next) {
                xmlChar *dir;

                if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *) "migration"))
                        continue;
                dir = xmlGetProp(c, (const xmlChar *) "dir");
                qemu_domain(d)->migrating_in = dir && xmlStrEqual(dir, (const xmlChar *) "in");
                qemu_domain(d)->migrating_out = dir && xmlStrEqual(dir, (const xmlChar *) "out");
                xmlFree(dir);
                parse_created(d, c);
        }
}

/* The mirrors a copy-storage Perform3 may have left in QEMU (their names
 * are the disks'): cancelled, their nbd nodes removed; errors of those that
 * never were are of no matter. */
static void recover_mirrors(Domain *d) {
        const DomainDef *live = domain_current_def(d, false);
        QemuMigration *g = migration_get(d);

        if (!g)
                return;
        g->nbd_disks = strv_free_null(g->nbd_disks);
        for (size_t i = 0; i < live->n_disks; i++)
                if (strv_extend(&g->nbd_disks, live->disks[i].dst) < 0)
                        return;
        g->mirrors_started = true;
        migration_disks_abandon(g);
}

void qemu_migrate_recover(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        if (q->migrating_in) {
                log_warning("The incoming migration of %s was cut short when qemud stopped: killing it.",
                            d->def->name);
                (void) qemu_process_destroy(d, NULL, NULL);
                return;
        }
        if (!q->migrating_out)
                return;
        recover_mirrors(d);
        if (d->state == DOMAIN_PAUSED && d->reason == DOMAIN_PAUSED_MIGRATION) {
                log_warning("%s was sent whole before qemud stopped: it stays paused until its Confirm3.",
                            d->def->name);
                d->leases_moving = true; /* let go when it was sent */
                return;
        }
        log_warning("The migration of %s was cut short when qemud stopped: cancelling it, the guest runs on.",
                    d->def->name);
        (void) qemu_monitor_command(q->mon, "migrate_cancel", NULL, NULL, NULL);
        q->migrating_out = false;
        (void) domain_status_save(d);
}
