/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Live migration, libvirt's protocol v3 with parameters: the driver's hooks
 * (DomainDriver.migrate) and the bus surface (domain-migrate-dbus.c).
 *
 * The five phases, each passing a cookie (migration-cookie.h) as bytes:
 *   source       Domain.MigrateBegin3       -> cookie, the XML to send
 *   destination  Connect.DomainMigratePrepare3 -> cookie, the URI to send to
 *   source       Domain.MigratePerform3     -> cookie (QEMU's stream sent)
 *   destination  Connect.DomainMigrateFinish3  -> the domain (running), cookie
 *   source       Domain.MigrateConfirm3     (QEMU killed, or the guest resumed)
 * Peer to peer is the proxy's: qemud never sees VIR_MIGRATE_PEER2PEER.
 * Tunnelled (the proxy's too, with p2p): the stream goes through an fd the
 * proxy gives, Domain.MigratePerform3Tunnel on the source (QEMU's "migrate"
 * to fd:) and Connect.DomainMigratePrepareTunnel3 on the destination
 * (migrate-incoming from fd:); Finish3 and Confirm3 as ever.
 *
 * Begin3 only checks and describes. Perform3 holds the domain's job
 * (DOMAIN_JOB_MIGRATE_OUT) while QEMU sends; the guest then stays paused
 * ("postmigrate") until Confirm3 (under its own job) kills it or, cancelled,
 * resumes it. Prepare3 starts the incoming guest paused under its start job
 * (QEMU waiting with -incoming); Finish3 (DOMAIN_JOB_MIGRATE_IN) waits for the
 * stream to have arrived and resumes it, or, cancelled, kills it. Queries
 * (GetJobStats, GetXMLDesc...) go on beside them, AbortJob breaks in. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain.h"

/* virDomainMigrateFlags */
enum {
        MIGRATE_LIVE = 1 << 0,
        MIGRATE_PEER2PEER = 1 << 1,
        MIGRATE_TUNNELLED = 1 << 2,
        MIGRATE_PERSIST_DEST = 1 << 3,
        MIGRATE_UNDEFINE_SOURCE = 1 << 4,
        MIGRATE_PAUSED = 1 << 5,
        MIGRATE_NON_SHARED_DISK = 1 << 6,
        MIGRATE_NON_SHARED_INC = 1 << 7,
        MIGRATE_CHANGE_PROTECTION = 1 << 8,
        MIGRATE_UNSAFE = 1 << 9,
        MIGRATE_OFFLINE = 1 << 10,
        MIGRATE_COMPRESSED = 1 << 11,
        MIGRATE_ABORT_ON_ERROR = 1 << 12,
        MIGRATE_AUTO_CONVERGE = 1 << 13,
        MIGRATE_RDMA_PIN_ALL = 1 << 14,
        MIGRATE_POSTCOPY = 1 << 15,
        MIGRATE_TLS = 1 << 16,
        MIGRATE_PARALLEL = 1 << 17,
        MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES = 1 << 18,
        MIGRATE_POSTCOPY_RESUME = 1 << 19,
        MIGRATE_ZEROCOPY = 1 << 20,
};

/* libvirt's numbers for migration's states and events. */
enum {
        DOMAIN_RUNNING_MIGRATED = 2,
        DOMAIN_RUNNING_MIGRATION_CANCELED = 6,
        DOMAIN_PAUSED_MIGRATION = 2,
        DOMAIN_PAUSED_POSTCOPY = 12,
        DOMAIN_SHUTOFF_MIGRATED = 4,
        DOMAIN_EVENT_STARTED_MIGRATED = 1,
        DOMAIN_EVENT_SUSPENDED_MIGRATED = 1,
        DOMAIN_EVENT_RESUMED_MIGRATED = 1,
        DOMAIN_EVENT_STOPPED_MIGRATED = 3,
};

/* The VIR_MIGRATE_PARAM_* a caller may give (a{sv}, libvirt's names and
 * types); anything else is refused by name. Strings are "" when absent,
 * numbers 0 (has_* says whether given). */
typedef struct MigrateParams {
        const char *uri;            /* "migrate_uri" s: tcp:host:port (Perform3: where to send) */
        const char *dest_name;      /* "destination_name" s */
        const char *dest_xml;       /* "destination_xml" s */
        const char *persist_xml;    /* "persistent_xml" s */
        const char *listen_address; /* "listen_address" s */
        const char *disks_uri;      /* "disks_uri" s */
        char **disks;               /* "migrate_disks" as (one entry per disk target, may repeat) */
        uint64_t bandwidth;         /* "bandwidth" t, MiB/s */
        uint64_t bandwidth_postcopy; /* "bandwidth.postcopy" t, bytes/s */
        int32_t disks_port;         /* "disks_port" i */
        int32_t parallel;           /* "parallel.connections" i */
        int32_t compression_level;  /* "compression.mt.level" i */
        int32_t ac_initial, ac_increment; /* "auto_converge.initial"/".increment" i */
        uint64_t xbzrle_cache;      /* "compression.xbzrle.cache" t */
        char **compression;         /* "compression" s (may repeat): xbzrle, mt, zlib, zstd */
        bool has_bandwidth, has_disks_port, has_parallel, has_xbzrle_cache;
        /* TUNNELLED (MigratePerform3Tunnel, DomainMigratePrepareTunnel3):
         * the fd QEMU's stream goes to or comes from (the proxy's end of
         * the libvirt stream); -1 otherwise. Not a libvirt param. */
        int tunnel_fd;
} MigrateParams;

void migrate_params_done(MigrateParams *p);

struct DomainMigrateOps {
        /* Source, under d's job (the core took DOMAIN_JOB_MIGRATE_OUT for
         * Begin3 and keeps it for Perform3 and Confirm3): 0 with the out
         * values set, or 1 (the driver answers call later), or -errno with
         * error set. */
        int (*begin)(Domain *d, const MigrateParams *p, unsigned flags, char **ret_cookie, size_t *ret_cookie_len,
                     char **ret_xml, sd_bus_error *error);
        int (*perform)(Domain *d, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                       sd_bus_message *call, sd_bus_error *error);
        int (*confirm)(Domain *d, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                       bool cancelled, sd_bus_message *call, sd_bus_error *error);
        /* Destination: the driver answers call (1) or fails (-errno). */
        int (*prepare)(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                       sd_bus_message *call, sd_bus_error *error);
        int (*finish)(Manager *m, const MigrateParams *p, const void *cookie, size_t cookie_len, unsigned flags,
                      bool cancelled, sd_bus_message *call, sd_bus_error *error);

        /* Settings of a running domain, without a job (they break in, as
         * libvirt's MIGRATION_OP jobs do): ms, MiB/s, bytes. */
        int (*set_max_downtime)(Domain *d, uint64_t ms, sd_bus_error *error);
        int (*get_max_downtime)(Domain *d, uint64_t *ret, sd_bus_error *error);
        int (*set_max_speed)(Domain *d, uint64_t mib, bool postcopy, sd_bus_error *error);
        int (*get_max_speed)(Domain *d, bool postcopy, uint64_t *ret, sd_bus_error *error);
        int (*set_compression_cache)(Domain *d, uint64_t bytes, sd_bus_error *error);
        int (*get_compression_cache)(Domain *d, uint64_t *ret, sd_bus_error *error);
        int (*start_postcopy)(Domain *d, sd_bus_error *error);
};

/* Reads an a{sv} of VIR_MIGRATE_PARAM_* from msg into p (whose strings
 * point into msg). */
int migrate_params_read(sd_bus_message *msg, MigrateParams *p, sd_bus_error *error);
