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

typedef struct QemuMigration {
        Domain *d;
        DomainJob *job;           /* the phase's job while it runs */
        sd_bus_message *call;     /* the phase's call, answered by us */
        sd_event_source *timer;   /* the next query-migrate */
        sd_event_time_handler_t poll_fn; /* what the timer runs */
        bool kick;                /* QEMU said the end came: the next poll at once */
        unsigned flags;           /* MIGRATE_* of the phase */
        bool cancelled;           /* AbortJob asked */
        bool stream_done;         /* QEMU said completed */
        char *host;               /* incoming: the address in uri_out */
        char *listen;             /* incoming: what QEMU listens on */
        int port;
        qemu_incoming_fn incoming_done;
        char *persist_xml;        /* incoming: PERSIST_DEST's definition, "" for the live one */
        DomainJobStats now, completed;
        bool has_completed;
        /* The settings (Migrate{Set,Get}*), kept for the next migration. */
        uint64_t max_downtime_ms, max_speed_mib, max_speed_postcopy_mib, cache_bytes;
} QemuMigration;

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
int qemu_migrate_prepare(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                         sd_bus_message *call, sd_bus_error *error);
int qemu_migrate_finish(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                        bool cancelled, sd_bus_message *call, sd_bus_error *error);

/* s without prefix, or NULL when s does not start with it. */
static inline const char *migration_skip_prefix(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}
