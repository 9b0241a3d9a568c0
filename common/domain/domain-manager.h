/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain manager shared by the drivers: the event loop and bus it runs
 * on, the table of domains and its lookups, the id allocator, and loading
 * everything back at start (definitions, autostart, live state). What is
 * the driver's own hangs off priv (domain-driver.h). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain-arena.h"
#include "domain-driver.h"
#include "domain.h"
#include "paths.h"
#include "sync-batch.h"

typedef struct Manager {
        const DomainDriver *driver;
        void *priv;         /* the driver's (manager_init) */
        sd_event *event;
        sd_bus *bus;
        sd_bus *lockd_peer; /* lockd's private socket, when it listens (domain-lock.c) */
        bool lockd_old; /* lockd answered UnknownMethod to AcquireMany: one Acquire per lease */
        sd_bus_slot *lockd_watch, *logd_watch; /* their NameOwnerChanged matches */
        SyncBatch *syncs;   /* new definitions made durable together (connect-dbus.c) */
        VbPaths paths;
        char *confdir;      /* <confdir>/<driver dir> */
        char *autostartdir;
        char *rundir;       /* <rundir>/<driver dir> */
        char *logdir;       /* <logdir>/<driver dir> */
        char *domain_root;  /* <driver root>/domain: the domains' object paths */

        char *index_path;   /* <statedir>/<driver dir>/definitions.index (domain-index.h) */
        sd_event_source *index_timer; /* its write, pending */
        sd_event_source *verify;      /* the files of the domains known from the index, asked (domain-load.c) */
        size_t verify_next, verify_misses, n_unverified;
        size_t n_broken;              /* domains whose definition failed to parse on first use */

        Domain **domains;
        size_t n_domains, n_allocated;
        DomainArena stub_arena; /* the domains a start knows from the index (domain-arena.h) */
        int next_id;
        uint64_t job_timeout_usec; /* how long a call waits for a domain's job */
} Manager;

/* root: the tree of confdir, rundir... (paths.h); NULL for the system's. */
int manager_new(sd_event *event, sd_bus *bus, const char *root, const DomainDriver *driver, Manager **ret);
Manager *manager_free(Manager *m);
/* Loads definitions and live state, reconnects to running guests, then
 * starts the autostart ones. */
int manager_startup(Manager *m);
bool manager_is_busy(void *userdata);

int manager_add_domain(Manager *m, Domain *d);
void manager_remove_domain(Manager *m, Domain *d);
/* The finders by name, uuid and path (every call on a domain object) parse
 * the definition of the domain they find if not done yet: one whose
 * definition cannot be parsed is not found (by path: the call is answered
 * with what was wrong). By id: only running domains, always parsed. */
Domain *manager_find_by_name(Manager *m, const char *name);
Domain *manager_find_by_uuid(Manager *m, const uint8_t uuid[16]);
Domain *manager_find_by_id(Manager *m, int id);
/* By name or uuid, broken ones included, without parsing anything. */
Domain *manager_peek_by_name(Manager *m, const char *name);
Domain *manager_peek_by_uuid(Manager *m, const uint8_t uuid[16]);
Domain *manager_find_by_path(Manager *m, const char *path);
int manager_allocate_id(Manager *m);
/* Definitions parsed on first use: domain-load.h. */
