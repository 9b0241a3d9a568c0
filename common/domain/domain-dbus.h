/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-job.h"
#include "domain-manager.h"

/* org.libvirt.Domain on <root>/domain/_<uuid>: the lifecycle methods in
 * domain-dbus.c, each further group of methods in its own file with its own
 * vtable (all merged into the one interface by domain_dbus_register()). */
int domain_dbus_register(Manager *m);

extern const sd_bus_vtable domain_device_vtable[];  /* domain-device-dbus.c: attach, detach, update devices */
extern const sd_bus_vtable domain_resources_vtable[]; /* domain-resources-dbus.c: vCPUs, IOThreads, balloon */
extern const sd_bus_vtable domain_tune_vtable[];    /* domain-tune-dbus.c: tuning, pinning, bandwidth */
extern const sd_bus_vtable domain_save_vtable[];    /* domain-save-dbus.c: save, managed save, core dump, job info */
extern const sd_bus_vtable domain_agent_vtable[];   /* domain-agent-dbus.c: the guest agent */
extern const sd_bus_vtable domain_control_vtable[]; /* domain-control-dbus.c: keys, NMI, metadata, rename, peeks */
extern const sd_bus_vtable domain_block_vtable[];   /* domain-block-dbus.c: block jobs, resize, threshold */
extern const sd_bus_vtable domain_snapshot_vtable[]; /* domain-snapshot-dbus.c: the snapshot methods of Domain */
extern const sd_bus_vtable domain_stats_vtable[];   /* domain-stats-dbus.c: per-domain statistics */
extern const sd_bus_vtable domain_perf_vtable[];    /* domain-perf-dbus.c: perf events */
extern const sd_bus_vtable domain_interface_vtable[]; /* domain-interface-dbus.c: interface bandwidth */
extern const sd_bus_vtable domain_security_vtable[]; /* domain-security-dbus.c: security labels */
extern const sd_bus_vtable domain_migrate_vtable[]; /* domain-migrate-dbus.c: migration's phases and settings */

/* For the group files. */
typedef int (*DomainWorkFn)(Domain *d, sd_bus_error *error);

/* "this function is not supported by the <driver> driver: <what>" */
int domain_not_supported(Domain *d, const char *what, sd_bus_error *error);
/* Methods whose work ends later reply themselves (r > 0); the others are
 * answered here (r == 0) or fail (r < 0). */
int domain_reply_done(sd_bus_message *msg, int r);
/* Runs work as the domain's job for msg (NotSupported when work is NULL). A
 * call that must wait returns 1 now: self(msg) runs again when its turn
 * comes. */
int domain_run_job(sd_bus_message *msg, Domain *d, DomainJobKind kind, sd_bus_message_handler_t self,
                   DomainWorkFn work, sd_bus_error *error);
