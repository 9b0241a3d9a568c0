/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's side of live migration (DomainMigrateOps of domain-migrate.h).
 *
 * Source: Perform3 sets QEMU's migration capabilities and parameters from
 * the flags (auto-converge, postcopy-ram, xbzrle, multifd) and sends
 * "migrate" to the destination's tcp:host:port, then polls query-migrate
 * until QEMU says "completed" (the guest is paused: PAUSED/MIGRATION) and
 * answers with the cookie and QEMU's figures. Confirm3 kills the source's
 * QEMU (SHUTOFF/MIGRATED) or, cancelled, resumes it.
 *
 * Destination: Prepare3 starts the guest like a restore (qemu-start.c)
 * with QEMU_START_MIGRATE: QEMU gets "-incoming defer", the finisher picks
 * a port (49152-49215, libvirt's range), sets the capabilities the stream
 * needs on this side and sends migrate-incoming; the guest waits paused,
 * tied to the caller's connection (autodestroy). Finish3 waits for QEMU's
 * "completed", then "cont" (RUNNING/MIGRATED) and makes the guest
 * persistent with PERSIST_DEST; cancelled, it kills the incoming QEMU. */

#include <json-c/json.h>
#include <libxml/tree.h>

#include "domain-migrate.h"
#include "qemu-save.h"

/* A start flag of QEMU's own: the start receives a migration. */
#define QEMU_START_MIGRATE (1u << 29)

/* libvirt's virDomainJobOperation for migration */
enum {
        DOMAIN_JOB_OPERATION_MIGRATION_IN = 4,
        DOMAIN_JOB_OPERATION_MIGRATION_OUT = 5,
};

extern const DomainMigrateOps qemu_migrate_ops;

/* For the incoming start's finisher (qemu-start.c): done runs once QEMU
 * listens (r = 0) or could not (r < 0). */
int qemu_migrate_incoming(Domain *d, qemu_incoming_fn done);
/* This start receives a migration that may switch to postcopy. */
bool qemu_migrate_incoming_postcopy(Domain *d);
/* The incoming start succeeded: answers Prepare3's call. */
void qemu_migrate_reply_prepare(Domain *d, sd_bus_message *call);
/* AbortJob while a migration runs (qemu-save.c asks): 1 when it was one. */
int qemu_migrate_abort(Domain *d, sd_bus_error *error);
/* GetJobStats while a migration runs or after: 1 when ret was filled. */
int qemu_migrate_job_stats(Domain *d, bool completed, DomainJobStats *ret);
void qemu_migrate_free(Domain *d);
/* An incoming guest's QEMU is gone before its Finish3 ended well: the disk
 * files made for its copied storage go (qemu-migrate-disks.c). */
void qemu_migrate_disks_discard(Domain *d);
/* The STOP QEMU sends as an outgoing migration ends pauses the guest with
 * libvirt's reason and detail (migration, migrated), not as a user's pause. */
struct QemuEventEffect;
void qemu_migrate_adjust_effect(Domain *d, const char *event, struct QemuEventEffect *e);
/* QEMU's MIGRATION event (qemu-events.c): at its end the waiting phase asks
 * QEMU at once instead of at its next poll. */
void qemu_migrate_on_event(Domain *d, const char *event, json_object *data);
/* QEMU's STOP on the source, RESUME on the destination and MIGRATION
 * "completed" on both, during a migration: logged with QEMU's own
 * timestamp (usec of the host's realtime clock), so that the daemons' share
 * of the guest's pause can be told from QEMU's (bench/migrate-bench.py
 * reads these lines). A block job event wakes the copied disks' poll. */
void qemu_migrate_note_event(Domain *d, const char *event, json_object *data, uint64_t timestamp_usec);

/* The live state says a migration is under way, so that a qemud killed in
 * the middle knows after its restart: "  <migration dir='in|out'/>\n" or
 * "" (a static string). */
const char *qemu_migrate_status_format(Domain *d);
void qemu_migrate_status_parse(Domain *d, xmlNodePtr root);
/* After a restart, once the monitor is back: the incoming guest that never
 * got its Finish3 is killed (its source still has it); an outgoing one
 * still sending is cancelled and runs on; one that sent it all stays
 * paused for its Confirm3 (the destination may run it already), as
 * libvirt leaves it. */
void qemu_migrate_recover(Domain *d);
