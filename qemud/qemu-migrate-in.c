/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU's live migration, the destination's side (qemu-migrate.h):
 * Prepare3 and Finish3. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connect-dbus.h"
#include "domain-autodestroy.h"
#include "domain-lock.h"
#include "domain-status.h"
#include "error.h"
#include "lockd-client.h"
#include "log.h"
#include "manager.h"
#include "qemu-domain.h"
#include "qemu-migrate-internal.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "util.h"
#include "xml-util.h"
#include "uuid.h"

/* libvirt's migration_port_min/max */
#define PORT_MIN 49152
#define PORT_MAX 49215

/* --- Prepare3 ------------------------------------------------------------------- */

/* lockd up: its private socket is opened now, not by Finish3's request. */
static int on_lockd_awake(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        (void) domain_lock_bus(userdata);
        return 0;
}

/* lockd, started on demand, may have exited idle: woken while the memory
 * moves, so that Finish3's lease request, in the guest's pause, does not
 * wait for its start (about 100 ms) nor for a connection to it. */
static void wake_lockd(Domain *d) {
        const DomainDef *def = d->start_def ?: d->def;

        if (def && def->n_disks > 0)
                (void) sd_bus_call_method_async(domain_lock_bus(d->manager), NULL, LOCKD_SERVICE, LOCKD_PATH,
                                                "org.freedesktop.DBus.Peer", "Ping", on_lockd_awake, d->manager,
                                                NULL);
}

/* A migration to the host it comes from would run the guest twice on
 * the same disks and leases: refused, as libvirt does. */
static int check_not_same_host(Manager *m, const MigrationCookie *c, sd_bus_error *error) {
        uint8_t ours[16], zero[16] = {};
        char s[UUID_STRING_MAX];

        if (memcmp(c->hostuuid, zero, 16) == 0)
                return 0;
        (void) migration_host_uuid(m, ours);
        if (memcmp(ours, c->hostuuid, 16) != 0)
                return 0;
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                             "cannot migrate domain '%s' to the host it runs on (host %s, uuid %s)",
                             c->name ? c->name : "?", c->hostname ? c->hostname : "?", uuid_format(ours, s));
}

/* The host in uri_out: the caller's migrate_uri, else listen_address, else
 * our hostname. And what QEMU listens on. */
static int pick_addresses(QemuMigration *g, const MigrateParams *p, sd_bus_error *error) {
        char host[256] = "";

        free(g->host);
        free(g->listen);
        g->host = g->listen = NULL;
        g->port = 0;
        if (*p->uri) {
                const char *rest = migration_skip_prefix(p->uri, "tcp://") ?: migration_skip_prefix(p->uri, "tcp:");
                if (!rest)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "migration URI '%s' is not supported: only tcp:host[:port]", p->uri);
                const char *colon = strrchr(rest, ':');
                unsigned port = 0;
                if (colon && (parse_uint(colon + 1, &port) < 0 || port == 0 || port > 65535))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "migration URI '%s' has a bad port",
                                             p->uri);
                g->host = strndup(rest, colon ? (size_t) (colon - rest) : strlen(rest));
                g->port = (int) port;
        } else if (*p->listen_address && !streq(p->listen_address, "0.0.0.0") && !streq(p->listen_address, "::"))
                g->host = strdup(p->listen_address);
        else {
                (void) gethostname(host, sizeof(host) - 1);
                g->host = strdup(host);
        }
        g->listen = strdup(*p->listen_address ? p->listen_address : "0.0.0.0");
        if (!g->host || !g->listen)
                return -ENOMEM;
        if (!str_is_host_address(g->host))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "'%s' is not a host address", g->host);
        return 0;
}

static int start_incoming_volumes(Manager *m, DomainDef *def, const MigrateParams *p, const MigrationCookie *c,
                                  unsigned flags, sd_bus_message *call, char ***volumes, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *owned = def;
        Domain *d;
        QemuMigration *g;
        int r = connect_check_duplicates(m, def, &d, error);

        if (r < 0)
                return r;
        if (d && domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "domain '%s' is already running on this host", def->name);
        if (d && d->jobs->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' has the job %s running",
                                     def->name, domain_job_kind_to_string(d->jobs->active->kind));
        bool added = !d;
        if (added) {
                r = domain_new(m, TAKE_PTR(owned), &d);
                if (r >= 0)
                        r = manager_add_domain(m, d);
                if (r < 0) {
                        if (d)
                                domain_free(d);
                        return r;
                }
        } else
                d->start_def = TAKE_PTR(owned);
        g = migration_get(d);
        if (g) {
                strv_free(g->created_volumes);
                g->created_volumes = TAKE_PTR(*volumes);
        }
        r = g ? pick_addresses(g, p, error) : -ENOMEM;
        if (r >= 0) {
                g->flags = flags;
                g->in_completed = g->arrived = g->need_stats = false;
                free(g->persist_xml);
                g->persist_xml = strdup(p->persist_xml);
                r = g->persist_xml ? 0 : -ENOMEM;
        }
        if (r >= 0) {
                g->nbd_disks = strv_free_null(g->nbd_disks);
                g->nbd_port = p->has_disks_port ? p->disks_port : 0;
                if (g->nbd_port < 0 || g->nbd_port > 65535)
                        r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "disks_port %d is not a port", g->nbd_port);
        }
        if (r >= 0 && p->tunnel_fd >= 0) {
                if (g->tunnel_fd >= 0)
                        close(g->tunnel_fd);
                g->tunnel_fd = fcntl(p->tunnel_fd, F_DUPFD_CLOEXEC, 3);
                if (g->tunnel_fd < 0)
                        r = -errno;
        }
        /* the copied disks exist before QEMU opens them */
        if (r >= 0 && (flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC)))
                r = migration_disks_precreate(g, d->start_def ?: d->def, c, error);
        /* the source holds the leases: Finish3 takes them once it let go */
        d->leases_moving = true;
        if (r >= 0)
                r = qemu_process_start(d, DOMAIN_START_AUTODESTROY | DOMAIN_START_PAUSED | QEMU_START_MIGRATE, call,
                                       error);
        if (r >= 0)
                wake_lockd(d);
        if (r < 0) {
                d->leases_moving = false;
                qemu_migrate_disks_discard(d);
                d->start_def = domain_def_free(d->start_def);
                if (added) {
                        manager_remove_domain(m, d);
                        domain_free(d);
                }
                return r;
        }
        return 1;
}

/* volumes: storaged's volumes made for the copy (taken; deleted if the
 * start fails). */
static int start_incoming(Manager *m, DomainDef *def, const MigrateParams *p, const MigrationCookie *c,
                          unsigned flags, sd_bus_message *call, char **volumes, sd_bus_error *error) {
        int r = start_incoming_volumes(m, def, p, c, flags, call, &volumes, error);

        if (volumes) {
                migration_volumes_delete(m, volumes);
                strv_free(volumes);
        }
        return r;
}

/* Prepare3 waiting for storaged to make the copied disks' volumes. */
typedef struct PendingPrepare {
        Manager *m;
        DomainDef *def;
        MigrationCookie *c;
        MigrateParams p;          /* its strings point into call, which is held */
        unsigned flags;
        sd_bus_message *call;
} PendingPrepare;

static void on_volumes(int r, const sd_bus_error *error, char **created, void *userdata) {
        PendingPrepare *pp = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (r >= 0)
                r = start_incoming(pp->m, TAKE_PTR(pp->def), &pp->p, pp->c, pp->flags, pp->call, created, &e);
        else if (error && sd_bus_error_is_set(error))
                sd_bus_error_copy(&e, error);
        if (r < 0) {
                if (!sd_bus_error_is_set(&e))
                        sd_bus_error_set_errnof(&e, -r, "cannot make the copied disks' volumes: %s", strerror(-r));
                (void) sd_bus_reply_method_error(pp->call, &e);
        }
        domain_def_free(pp->def);
        migration_cookie_free(pp->c);
        sd_bus_message_unref(pp->call);
        free(pp);
}

static int prepare_volumes(Manager *m, DomainDef *def, const MigrateParams *p, MigrationCookie *c, unsigned flags,
                           sd_bus_message *call) {
        PendingPrepare *pp = calloc(1, sizeof(*pp));
        int r;

        if (!pp) {
                domain_def_free(def);
                migration_cookie_free(c);
                return -ENOMEM;
        }
        *pp = (PendingPrepare) { .m = m, .def = def, .c = c, .p = *p, .flags = flags,
                                 .call = sd_bus_message_ref(call) };
        /* the lists are freed with the bus call's params; nothing after uses them */
        pp->p.disks = pp->p.compression = NULL;
        r = migration_volumes_create(m, def, c, on_volumes, pp);
        if (r < 0) {
                pp->p = (MigrateParams) {};
                on_volumes(r, NULL, NULL, pp);
        }
        return 1;
}

/* Nothing runs here until Finish3 defines it; libvirt's clients still
 * want a URI ("tcp:host:0"), which Perform3 never uses. */
static int prepare_offline(const MigrateParams *p, sd_bus_message *call, sd_bus_error *error) {
        QemuMigration tmp = {};
        _cleanup_free_ char *uri = NULL;
        int r = pick_addresses(&tmp, p, error);

        if (r >= 0 && asprintf(&uri, "tcp:%s:%d", tmp.host, tmp.port) < 0)
                r = -ENOMEM;
        free(tmp.host);
        free(tmp.listen);
        if (r < 0)
                return r;
        r = migration_reply_cookie(call, NULL, NULL, NULL, "s", uri);
        return r < 0 ? r : 1;
}

int qemu_migrate_prepare(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                         sd_bus_message *call, sd_bus_error *error) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r = migration_cookie_parse(cookie, cookie_len, &c, &err);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "bad migration cookie: %s", err.message);
        r = check_not_same_host(m, c, error);
        if (r < 0)
                return r;
        if (flags & MIGRATE_OFFLINE)
                return prepare_offline(p, call, error);
        if (!*p->dest_xml)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "no domain XML: the parameter destination_xml is missing");
        r = connect_parse_definition(m, p->dest_xml, &def, error);
        if (r < 0)
                return r;
        /* as libvirt's destination probes it: a guest does not arrive on a
         * host without its emulator */
        if (def->emulator && access(def->emulator, X_OK) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "Cannot check QEMU binary %s: %s",
                                     def->emulator, strerror(errno));
        if (*p->dest_name) {
                char *name = strdup(p->dest_name);
                if (!name)
                        return -ENOMEM;
                free(def->name);
                def->name = name;
        }
        if ((flags & (MIGRATE_NON_SHARED_DISK | MIGRATE_NON_SHARED_INC)) && migration_disks_have_volumes(def, c))
                return prepare_volumes(m, TAKE_PTR(def), p, TAKE_PTR(c), flags, call);
        return start_incoming(m, TAKE_PTR(def), p, c, flags, call, NULL, error);
}

/* A port of libvirt's range nobody listens on (a bind tells). The search
 * starts at a random port: between our bind test and QEMU's own bind another
 * qemud (another host sharing this one's loopback, a second instance) may
 * test the same port, and starting both at the bottom makes that likely. */
static int free_port(const char *listen, int *ret) {
        const int n = PORT_MAX - PORT_MIN + 1;
        uint32_t start = 0;

        if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != sizeof(start))
                start = (uint32_t) getpid();
        for (int i = 0; i < n; i++) {
                int port = PORT_MIN + (int) ((start + (uint32_t) i) % (uint32_t) n);
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
                _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (inet_pton(AF_INET, listen, &a.sin_addr) != 1)
                        a.sin_addr.s_addr = htonl(INADDR_ANY);
                if (bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0) {
                        *ret = port;
                        return 0;
                }
        }
        return -EADDRINUSE;
}

static void on_incoming_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                              void *userdata) {
        Domain *d = userdata;
        QemuMigration *g = qemu_domain(d)->migration;
        qemu_incoming_fn done = g ? g->incoming_done : NULL;

        if (!done)
                return;
        g->incoming_done = NULL;
        if (!error_class && g->nbd_disks) {
                /* copied storage: QEMU serves the disks too (after the
                 * stream's port is bound, so the two never collide) */
                int r = g->nbd_port > 0 ? 0 : free_port(g->listen, &g->nbd_port);
                if (r >= 0)
                        r = migration_disks_serve(d, g->listen, g->nbd_port, done);
                if (r < 0)
                        done(d, r, "cannot start QEMU's NBD server for the disks");
                return;
        }
        done(d, error_class ? -EIO : 0, error_desc);
}

/* TUNNELLED: QEMU reads the stream from the proxy's fd (then ours goes). */
static int incoming_from_fd(QemuMigration *g, QemuMonitor *mon, qemu_incoming_fn done) {
        json_object *args = json_object_new_object();
        int r;

        json_object_object_add(args, "fdname", json_object_new_string("migrate"));
        r = qemu_monitor_command_with_fd(mon, "getfd", args, g->tunnel_fd, NULL, NULL);
        g->tunnel_fd = (close(g->tunnel_fd), -1);
        if (r >= 0)
                r = qemu_monitor_command(mon, "migrate-set-capabilities", migration_capabilities(g->flags), NULL,
                                         NULL);
        if (r < 0)
                return r;
        args = json_object_new_object();
        json_object_object_add(args, "uri", json_object_new_string("fd:migrate"));
        g->incoming_done = done;
        return qemu_monitor_command(mon, "migrate-incoming", args, on_incoming_reply, g->d);
}

int qemu_migrate_incoming(Domain *d, qemu_incoming_fn done) {
        QemuMigration *g = qemu_domain(d)->migration;
        QemuMonitor *mon = qemu_domain(d)->mon;
        _cleanup_free_ char *uri = NULL;
        json_object *args;
        int r;

        if (!g || !mon)
                return -EINVAL;
        if (g->tunnel_fd >= 0)
                return incoming_from_fd(g, mon, done);
        if (g->port == 0) {
                r = free_port(g->listen, &g->port);
                if (r < 0)
                        return r;
        }
        if (asprintf(&uri, "tcp:%s:%d", strchr(g->listen, ':') ? "[::]" : g->listen, g->port) < 0)
                return -ENOMEM;
        /* What the stream carries must be switched on here too. */
        r = qemu_monitor_command(mon, "migrate-set-capabilities", migration_capabilities(g->flags), NULL, NULL);
        if (r < 0)
                return r;
        args = json_object_new_object();
        json_object_object_add(args, "uri", json_object_new_string(uri));
        g->incoming_done = done;
        return qemu_monitor_command(mon, "migrate-incoming", args, on_incoming_reply, d);
}

void qemu_migrate_reply_prepare(Domain *d, sd_bus_message *call) {
        QemuMigration *g = qemu_domain(d)->migration;
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        _cleanup_free_ char *uri = NULL;

        if (!g || migration_cookie_for(d, &c) < 0 || (g->nbd_disks && migration_disks_cookie(g, c) < 0) ||
            migration_graphics_cookie(d, c) < 0 ||
            asprintf(&uri, "tcp:%s%s%s:%d", strchr(g->host, ':') ? "[" : "", g->host, strchr(g->host, ':') ? "]" : "",
                     g->port) < 0) {
                (void) sd_bus_reply_method_errorf(call, VB_ERROR_OPERATION_FAILED, "out of memory");
                return;
        }
        if (streq_ptr(sd_bus_message_get_member(call), "DomainMigratePrepareTunnel3")) {
                log_info("Incoming migration of %s reads the proxy's tunnel", d->def->name);
                (void) migration_reply_cookie(call, NULL, NULL, c, NULL, NULL);
                return;
        }
        log_info("Incoming migration of %s listens on %s", d->def->name, uri);
        (void) migration_reply_cookie(call, NULL, NULL, c, "s", uri);
}

/* --- Finish3 -------------------------------------------------------------------- */

static void finish_end(QemuMigration *g) {
        Domain *d = g->d;
        bool alive = migration_job_alive(g);

        migration_job_clear(g);
        if (alive)
                domain_job_end(d->jobs);
}

/* The stream did not arrive whole: the incoming guest goes, the caller
 * hears why (the source resumes in its Confirm3). */
static void finish_failed(QemuMigration *g, const char *why) {
        Domain *d = g->d;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = sd_bus_message_ref(g->call);
        char msg[1024];

        snprintf(msg, sizeof(msg), "incoming migration of domain '%s' failed: %s", d->def->name, why);
        log_error("%s", msg);
        finish_end(g);
        if (call)
                (void) sd_bus_reply_method_errorf(call, VB_ERROR_OPERATION_FAILED, "%s", msg);
        (void) qemu_process_destroy(d, NULL, NULL); /* may free d later */
}

static int make_persistent(Domain *d, const char *xml) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (*xml) {
                r = connect_parse_definition(d->manager, xml, &def, &error);
                sd_bus_error_free(&error);
                if (r < 0)
                        return r;
                domain_def_free(d->newdef);
                d->newdef = TAKE_PTR(def);
        }
        d->persistent = true;
        r = domain_save_config(d);
        if (r < 0) {
                d->persistent = false;
                return r;
        }
        domain_emit_event(d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_ADDED);
        return 0;
}

/* The guest runs here now. */
static void finish_done(QemuMigration *g) {
        Domain *d = g->d;
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = sd_bus_message_ref(g->call);

        qemu_domain(d)->migrating_in = false;
        g->created = strv_free_null(g->created); /* the guest's disks now */
        g->created_volumes = strv_free_null(g->created_volumes);
        domain_autodestroy_clear(d);
        if ((g->flags & MIGRATE_PERSIST_DEST) && make_persistent(d, g->persist_xml) < 0)
                log_warning("Cannot make %s persistent after its migration.", d->def->name);
        domain_emit_event(d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_MIGRATED);
        domain_job_stats_done(&g->completed);
        g->completed = g->now;
        g->now = (DomainJobStats) {};
        g->completed.type = DOMAIN_JOB_TYPE_COMPLETED;
        g->completed.operation = DOMAIN_JOB_OPERATION_MIGRATION_IN;
        g->has_completed = true;
        log_info("Migrated %s in", d->def->name);
        finish_end(g);
        if (call && migration_cookie_for(d, &c) >= 0)
                (void) migration_reply_cookie(call, "o", d->path, c, NULL, NULL);
        (void) domain_status_save(d); /* after the answer: the guest runs already */
}

/* The figures of a stream whose end QEMU's event told: asked after the
 * guest runs (out of the pause), before Finish3's answer. */
static void on_stats_in(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                        void *userdata) {
        QemuMigration *g = userdata;

        if (!migration_job_alive(g))
                return;
        if (!error_class) {
                migration_stats_from(g, result);
                g->now.operation = DOMAIN_JOB_OPERATION_MIGRATION_IN;
        }
        finish_done(g);
}

static void on_cont_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                          void *userdata) {
        QemuMigration *g = userdata;

        if (!migration_job_alive(g)) {
                migration_job_clear(g);
                return;
        }
        if (error_class) {
                finish_failed(g, error_desc ? error_desc : error_class);
                return;
        }
        if (g->need_stats)
                return; /* on_stats_in answers, its query right behind cont */
        finish_done(g);
}

static void run_guest(QemuMigration *g);

/* The leases first (the source released them when it sent it all), then
 * the guest runs: never held by both, nor by neither while it runs. */
static void on_finish_locks(Domain *d, int r, const sd_bus_error *error) {
        QemuMigration *g = qemu_domain(d)->migration;

        d->leases_moving = false; /* held, or the guest goes */
        if (!g || !migration_job_alive(g))
                return;
        if (r < 0) {
                finish_failed(g, error && error->message ? error->message : strerror(-r));
                return;
        }
        run_guest(g);
}

static void stream_arrived(QemuMigration *g) {
        g->arrived = true;
        g->timer = sd_event_source_disable_unref(g->timer);
        if (domain_lock_acquire(g->d, on_finish_locks) < 0)
                finish_failed(g, "cannot ask lockd for the disk leases");
}

static void run_guest(QemuMigration *g) {
        Domain *d = g->d;
        QemuMonitor *mon = qemu_domain(d)->mon;

        if (g->flags & MIGRATE_PAUSED) {
                domain_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_USER);
                migration_disks_stop_server(d);
                if (!g->need_stats)
                        finish_done(g);
                else if (!mon || qemu_monitor_command(mon, "query-migrate", NULL, on_stats_in, g) < 0)
                        finish_failed(g, "cannot talk to QEMU's monitor");
                return;
        }
        /* Set before cont: QEMU's RESUME then finds the guest running and
         * says nothing of its own. */
        domain_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_MIGRATED);
        if (!mon || qemu_monitor_command(mon, "cont", NULL, on_cont_reply, g) < 0 ||
            (g->need_stats && qemu_monitor_command(mon, "query-migrate", NULL, on_stats_in, g) < 0)) {
                finish_failed(g, "cannot talk to QEMU's monitor");
                return;
        }
        /* The NBD server goes after cont, out of the pause, and after the
         * figures Finish3 answers with: the source's mirrors ended before
         * its Perform3 answered, and nbd-server-stop waits in QEMU for
         * their connections to close. */
        migration_disks_stop_server(d);
}

/* The event came before Finish3 or while it waits: the guest's pause
 * ends one query-migrate sooner (its figures are asked after "cont"). */
void migration_incoming_completed(QemuMigration *g) {
        g->in_completed = true;
        if (!migration_job_alive(g) || !g->call || g->arrived ||
            !domain_job_is(g->d->jobs, DOMAIN_JOB_MIGRATE_IN))
                return;
        g->need_stats = true;
        stream_arrived(g);
}

static int on_finish_poll(sd_event_source *src, uint64_t usec, void *userdata);

static void on_query_in(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                        void *userdata) {
        QemuMigration *g = userdata;
        json_object *v;
        const char *status;

        if (!migration_job_alive(g)) {
                migration_job_clear(g);
                return;
        }
        if (g->arrived)
                return; /* QEMU's event was quicker than this answer */
        if (error_class) {
                finish_failed(g, error_desc ? error_desc : error_class);
                return;
        }
        status = json_object_object_get_ex(result, "status", &v) ? json_object_get_string(v) : "";
        migration_stats_from(g, result);
        g->now.operation = DOMAIN_JOB_OPERATION_MIGRATION_IN;
        if (streq(status, "completed")) {
                stream_arrived(g);
                return;
        }
        if (streq(status, "failed") || streq(status, "cancelled")) {
                finish_failed(g, json_object_object_get_ex(result, "error-desc", &v) ? json_object_get_string(v)
                                                                                     : status);
                return;
        }
        if (migration_schedule_poll(g, on_finish_poll) < 0)
                finish_failed(g, "cannot watch the progress");
}

static int on_finish_poll(sd_event_source *src, uint64_t usec, void *userdata) {
        QemuMigration *g = userdata;
        QemuMonitor *mon = qemu_domain(g->d)->mon;

        g->timer = sd_event_source_disable_unref(g->timer);
        if (g->arrived)
                return 0;
        if (!migration_job_alive(g) || !mon) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = sd_bus_message_ref(g->call);
                migration_job_clear(g);
                if (call)
                        (void) sd_bus_reply_method_errorf(call, VB_ERROR_OPERATION_ABORTED,
                                                          "the incoming domain went away during the migration");
                return 0;
        }
        if (qemu_monitor_command(mon, "query-migrate", NULL, on_query_in, g) < 0)
                finish_failed(g, "cannot talk to QEMU's monitor");
        return 0;
}

/* Offline: the definition arrives, nothing runs. */
static int finish_offline(Manager *m, const MigrateParams *p, const MigrationCookie *c, sd_bus_message *call,
                          sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const char *xml = c->persistent_xml ? c->persistent_xml : p->dest_xml;
        Domain *d;
        int r;

        if (!*xml)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "offline migration: neither the cookie nor destination_xml holds a definition");
        r = connect_parse_definition(m, xml, &def, error);
        if (r >= 0 && *p->dest_name) {
                free(def->name);
                def->name = strdup(p->dest_name);
                if (!def->name)
                        return -ENOMEM;
        }
        if (r >= 0)
                r = connect_check_duplicates(m, def, &d, error);
        if (r < 0)
                return r;
        if (d)
                return vb_error_setf(error, VB_ERROR_DOMAIN_EXISTS, "domain '%s' already exists on this host",
                                     def->name);
        r = domain_new(m, TAKE_PTR(def), &d);
        if (r < 0)
                return r;
        d->persistent = true;
        r = manager_add_domain(m, d);
        if (r >= 0)
                r = domain_save_config(d);
        if (r < 0) {
                manager_remove_domain(m, d);
                domain_free(d);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot define the migrated domain: %s",
                                     strerror(-r));
        }
        domain_emit_event(d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_ADDED);
        r = migration_reply_cookie(call, "o", d->path, NULL, NULL, NULL);
        return r < 0 ? r : 1;
}

static Domain *find_incoming(Manager *m, const MigrateParams *p, const MigrationCookie *c) {
        const char *name = *p->dest_name ? p->dest_name : c->name;
        Domain *d = name ? manager_find_by_name(m, name) : NULL;

        if (!d || !qemu_domain(d)->migrating_in || !qemu_domain(d)->migration || !domain_is_active(d) || d->starting)
                return NULL;
        return d;
}

int qemu_migrate_finish(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                        bool cancelled, sd_bus_message *call, sd_bus_error *error) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = NULL;
        ConfError err = {};
        QemuMigration *g;
        Domain *d;
        int r = migration_cookie_parse(cookie, cookie_len, &c, &err);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "bad migration cookie: %s", err.message);
        if ((flags & MIGRATE_OFFLINE) && !cancelled)
                return finish_offline(m, p, c, call, error);
        d = find_incoming(m, p, c);
        if (!d && cancelled) {
                r = migration_reply_cookie(call, "o", "/", NULL, NULL, NULL);
                return r < 0 ? r : 1;
        }
        if (!d)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "no incoming migration of domain '%s' on this host",
                                     *p->dest_name ? p->dest_name : c->name ? c->name : "?");
        if (cancelled) {
                r = qemu_process_destroy(d, NULL, error);
                if (r < 0)
                        return r;
                r = migration_reply_cookie(call, "o", "/", NULL, NULL, NULL);
                return r < 0 ? r : 1;
        }
        if (d->jobs->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' has the job %s running",
                                     d->def->name, domain_job_kind_to_string(d->jobs->active->kind));
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MIGRATE_IN, NULL, NULL, NULL, error);
        if (r < 0)
                return r;
        g = qemu_domain(d)->migration;
        g->flags |= flags & (MIGRATE_PAUSED | MIGRATE_PERSIST_DEST);
        if (!(flags & MIGRATE_PAUSED))
                g->flags &= ~MIGRATE_PAUSED;
        g->job = domain_job_ref(d->jobs->active);
        g->job->operation = DOMAIN_JOB_OPERATION_MIGRATION_IN;
        g->call = sd_bus_message_ref(call);
        domain_job_set_phase(d->jobs, "finish3");
        if (g->in_completed) {
                g->need_stats = true;
                stream_arrived(g);
                return 1;
        }
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-migrate", NULL, on_query_in, g) < 0) {
                migration_job_clear(g);
                domain_job_end(d->jobs);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot talk to QEMU's monitor");
        }
        return 1;
}

bool qemu_migrate_incoming_postcopy(Domain *d) {
        QemuDomain *q = qemu_domain(d);

        return q->migrating_in && q->migration && (q->migration->flags & MIGRATE_POSTCOPY);
}
