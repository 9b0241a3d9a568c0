/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One storage pool: its definition(s), whether it is active, its volumes,
 * and its files: <confdir>/storage/<name>.xml (persistent definition),
 * <confdir>/storage/autostart/<name>.xml (a link), <rundir>/storage/<name>.xml
 * (the live definition of an active pool). */

#include <systemd/sd-bus.h>

#include "hashmap.h"
#include "storage-pool-conf.h"
#include "uuid.h"

typedef struct Manager Manager;
typedef struct Volume Volume;
typedef struct PoolScan PoolScan;

/* libvirt's virStoragePoolState and virStoragePoolEventLifecycleType. */
enum {
        POOL_STATE_INACTIVE = 0,
        POOL_STATE_BUILDING = 1,
        POOL_STATE_RUNNING = 2,
        POOL_STATE_DEGRADED = 3,
        POOL_STATE_INACCESSIBLE = 4,
};
enum {
        POOL_EVENT_DEFINED = 0,
        POOL_EVENT_UNDEFINED = 1,
        POOL_EVENT_STARTED = 2,
        POOL_EVENT_STOPPED = 3,
        POOL_EVENT_CREATED = 4,
        POOL_EVENT_DELETED = 5,
};

typedef struct Pool {
        Manager *manager;
        StoragePoolDef *def;    /* the definition in force */
        StoragePoolDef *newdef; /* redefined while active: in force from the next start */
        char *path;             /* bus object path */
        char uuid_str[UUID_STRING_MAX];

        bool persistent, autostart, active;
        const char *busy;       /* a pool job runs: "starting", "refreshing"... (NULL: none) */
        bool removed;           /* undefined/destroyed transient while a job ran */
        uint64_t capacity, allocation, available;

        Volume **vols;
        size_t n_vols, n_allocated;
        Hashmap *vols_by_name;
} Pool;

int pool_new(Manager *m, StoragePoolDef *def, Pool **ret);
Pool *pool_free(Pool *p);

/* The definition to show: the pending one when asked for the inactive XML. */
const StoragePoolDef *pool_current_def(const Pool *p, bool inactive);

int pool_save_config(Pool *p);
int pool_remove_config(Pool *p);
int pool_set_autostart(Pool *p, bool autostart);
/* The live state: the definition in force (with the sizes), so that an
 * active pool, transient ones too, is found again after a restart. A
 * pool is active only once its state is written: a failure is the
 * caller's failure, never only a warning. pool_write_state() is the part a
 * start job's worker runs, on its copy of the definition. */
char *pool_state_file(Pool *p);
int pool_write_state(const char *file, StoragePoolDef *def, uint64_t capacity, uint64_t allocation,
                     uint64_t available);
int pool_save_state(Pool *p);
int pool_remove_state(Pool *p);

void pool_emit_event(Pool *p, int event);
void pool_emit_refresh(Pool *p);

Volume *pool_find_volume(Pool *p, const char *name);
int pool_add_volume(Pool *p, Volume *v);
void pool_remove_volume(Pool *p, Volume *v);
/* Drops every volume (pool stopped, or exit). */
void pool_clear_volumes(Pool *p);
/* Brings the volume list in line with a scan; volumes being created or
 * with a job running are left alone. */
int pool_apply_scan(Pool *p, PoolScan *scan);
unsigned pool_count_volume_jobs(const Pool *p);

/* Finishes a pool that went inactive: the pending definition takes over,
 * a transient pool goes away (true: p was freed). */
bool pool_finish_stop(Pool *p);

/* pool-ops.c: the asynchronous operations. Each answers msg (may be NULL)
 * when done and returns 1, or returns a negative errno with error set.
 * created: p is a new transient pool (StoragePoolCreateXML), answered with
 * its path, and removed again if it cannot start. */
int pool_start_async(Pool *p, unsigned build_flags, bool created, sd_bus_message *msg, sd_bus_error *error);
int pool_stop_async(Pool *p, sd_bus_message *msg, sd_bus_error *error);
int pool_build_async(Pool *p, unsigned flags, sd_bus_message *msg, sd_bus_error *error);
int pool_delete_async(Pool *p, unsigned flags, sd_bus_message *msg, sd_bus_error *error);
int pool_refresh_async(Pool *p, sd_bus_message *msg, sd_bus_error *error);
/* At start: is the active pool still there? Then refresh it. Both tell
 * manager_startup_step_done() when they are done. */
int pool_recover_async(Pool *p);
int pool_autostart_async(Pool *p);
