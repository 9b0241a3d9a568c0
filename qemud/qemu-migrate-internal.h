/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What qemu-migrate.c (source, settings) and qemu-migrate-in.c
 * (destination) share. */

#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "domain-job.h"
#include "domain-save.h"
#include "migration-cookie.h"
#include "qemu-migrate.h"

typedef struct QemuMigration QemuMigration;
/* The disks' copy (qemu-migrate-disks.c) went in sync or ended: r < 0 with why. */
typedef void (*migration_disks_fn)(QemuMigration *g, int r, const char *why);

struct QemuMigration {
        Domain *d;
        DomainJob *job;           /* the phase's job while it runs */
        sd_bus_message *call;     /* the phase's call, answered by us */
        sd_event_source *timer;   /* the next query-migrate */
        sd_event_time_handler_t poll_fn; /* what the timer runs */
        bool kick;                /* QEMU said the end came: the next poll at once */
        unsigned flags;           /* MIGRATE_* of the phase */
        bool cancelled;           /* AbortJob asked */
        bool in_completed;        /* destination: QEMU's MIGRATION event said completed */
        bool arrived;             /* destination: Finish3 went on to run the guest */
        bool need_stats;          /* destination: QEMU's figures still to ask (after cont) */
        char *host;               /* incoming: the address in uri_out */
        char *listen;             /* incoming: what QEMU listens on */
        int port;
        qemu_incoming_fn incoming_done;
        char *persist_xml;        /* incoming: PERSIST_DEST's definition, "" for the live one */
        DomainJobStats now, completed;
        bool has_completed;
        /* The settings (Migrate{Set,Get}*), kept for the next migration. */
        uint64_t max_downtime_ms, max_speed_mib, max_speed_postcopy_mib, cache_bytes;
        /* Copied storage (qemu-migrate-disks.c): the disks' targets; the
         * destination's NBD server; source: its mirrors' progress. */
        char **nbd_disks;
        char **created;           /* destination: files made for the copy, removed if it fails */
        char **created_volumes;   /* destination: storaged's volumes made for it, deleted if it fails */
        char *status_text;        /* the live state's <migration> element, as last formatted */
        char *nbd_host;
        int nbd_port;
        bool mirrors_started, mirrors_ending;
        bool cancels_sent;        /* source: the mirrors' block-job-cancel went (the memory completed) */
        unsigned mirrors_ended;   /* source: their BLOCK_JOB_COMPLETED events since */
        bool mirror_error;        /* source: one of those events carried an error */
        uint64_t mirror_speed;    /* bytes/s, 0 unlimited: the migration's bandwidth, as libvirt does */
        migration_disks_fn disks_done;
        sd_event_source *cleanup_timer;
        unsigned cleanup_polls;
        char *pending_uri;        /* source: the memory's URI, sent once the disks are in sync */
        int tunnel_fd;            /* destination, TUNNELLED: the proxy's fd QEMU reads the stream from; -1 */
        json_object *pending_params;
};

QemuMigration *migration_get(Domain *d);
bool migration_job_alive(const QemuMigration *g);
void migration_job_clear(QemuMigration *g);
/* Stats from a query-migrate answer into g->now. */
void migration_stats_from(QemuMigration *g, json_object *result);
/* A cookie naming d and this host; more is the caller's. */
int migration_cookie_for(Domain *d, MigrationCookie **ret);
/* Answers call with the cookie c as bytes (NULL: empty), between prefix
 * and suffix (each the signature of one string-like value; NULL: none). */
int migration_reply_cookie(sd_bus_message *call, const char *prefix, const char *value, const MigrationCookie *c,
                           const char *suffix, const char *suffix_value);
/* The flags' capabilities for migrate-set-capabilities. */
json_object *migration_capabilities(unsigned flags);
int migration_schedule_poll(QemuMigration *g, sd_event_time_handler_t fn);
/* This host's name and UUID (<confdir>/host-uuid, else /etc/machine-id). */
int migration_host_uuid(Manager *m, uint8_t uuid[16]);

/* The destination's phases (qemu-migrate-in.c). */
/* Destination: QEMU's MIGRATION event said completed. */
void migration_incoming_completed(QemuMigration *g);
int qemu_migrate_prepare(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                         sd_bus_message *call, sd_bus_error *error);
int qemu_migrate_finish(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                        bool cancelled, sd_bus_message *call, sd_bus_error *error);

/* Copied storage (qemu-migrate-disks.c). The disks a NON_SHARED migration
 * copies: the targets in wanted (migrate_disks), else each writable disk
 * with a source; msg says what was wrong. */
int migration_disks_select(const DomainDef *def, char *const *wanted, char ***ret, char *msg, size_t msg_size);
int migration_image_capacity(const char *path, uint64_t *ret);
/* Begin3: the disks and their sizes into the cookie's <nbd>. */
int migration_disks_begin(Domain *d, const MigrateParams *p, unsigned flags, MigrationCookie *c,
                          sd_bus_error *error);
/* Prepare3, before QEMU starts: the disks the cookie names are made on
 * this host (a path there already is refused unless it is an empty file
 * or a block device). */
int migration_disks_precreate(QemuMigration *g, const DomainDef *def, const MigrationCookie *c, sd_bus_error *error);
/* Prepare3, first: the copied disks that are storaged volumes are made
 * through storaged (each named in the cookie, its pool found by name); done
 * gets the volumes' objects (the caller's) or, r < 0, the error (what was
 * made is deleted again). */
typedef void (*migration_volumes_fn)(int r, const sd_bus_error *error, char **created, void *userdata);
bool migration_disks_have_volumes(const DomainDef *def, const MigrationCookie *c);
int migration_volumes_create(Manager *m, const DomainDef *def, const MigrationCookie *c, migration_volumes_fn done,
                             void *userdata);
void migration_volumes_delete(Manager *m, char **paths);
/* After migrate-incoming: the NBD server and an export of each disk. */
int migration_disks_serve(Domain *d, const char *listen, int port, qemu_incoming_fn done);
int migration_disks_cookie(QemuMigration *g, MigrationCookie *c);
void migration_disks_stop_server(Domain *d);
/* Perform3: mirrors into the destination's exports; done once all are ready. */
int migration_disks_mirror(QemuMigration *g, const MigrateParams *p, const char *uri, const MigrationCookie *c,
                           migration_disks_fn done, sd_bus_error *error);
/* The memory arrived (guest paused): the mirrors end in sync; 0 when there
 * are none, 1 when done will run. */
int migration_disks_complete(QemuMigration *g, migration_disks_fn done);
/* QEMU's event said the memory completed (the guest paused): the mirrors'
 * cancels go at once, not after query-migrate's answer. */
void migration_disks_end(QemuMigration *g);
void migration_disks_forget_nodes(QemuMigration *g);
/* A block job event of QEMU's: the mirrors' poll goes at once (the memory
 * waits for them to be ready, the guest's pause for them to end). */
void migration_disks_on_event(QemuMigration *g, const char *event, json_object *data);
/* A failure: the mirrors are cancelled, their nodes removed. */
void migration_disks_abandon(QemuMigration *g);

/* Graphics relocation (qemu-migrate-graphics.c). Prepare3: the guest's one
 * <graphics> (VNC or SPICE) into the cookie. Perform3, before the memory
 * moves: a SPICE guest's QEMU hears where B's server listens (the
 * cookie's listen, or uri_host when that is a wildcard). */
int migration_graphics_cookie(Domain *d, MigrationCookie *c);
void migration_graphics_relocate(Domain *d, const MigrationCookie *c, const char *uri_host);

/* s without prefix, or NULL when s does not start with it. */
static inline const char *migration_skip_prefix(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}
