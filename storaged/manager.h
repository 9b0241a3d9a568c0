/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* storaged's manager: the event loop, the bus, the pools, the volume
 * indexes, the job queue, the in-use table, and loading everything back at
 * start (active pools stay active across a restart, even after SIGKILL). */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hashmap.h"
#include "inuse.h"
#include "job.h"
#include "paths.h"
#include "pool.h"
#include "volume.h"

#define STORAGED_BUS_NAME "org.virtbus.storaged"
#define STORAGED_ROOT "/org/virtbus/storaged"
#define STORAGED_POOL_PREFIX STORAGED_ROOT "/storagepool"
#define STORAGED_VOL_PREFIX STORAGED_ROOT "/storagevol"
#define STORAGED_DRIVER "storage"

/* Who may call what is decided before any method runs, by common/bus-access.c
 * with storaged's open list in common/bus-policy.c (the same as the bus
 * policy, units/org.virtbus.storaged.conf): root everything, other users the
 * members that only read. It asks the bus for a caller's uid asynchronously,
 * once per connection; sd-bus's own check, synchronous, read every queued
 * message with its fds meanwhile, and a burst of Uploads took fds past any
 * reserve (fd-budget.h). These flags decide nothing then: they only say, to
 * the reader, which members are root's. */
#define BUS_READ SD_BUS_VTABLE_UNPRIVILEGED
#define BUS_ROOT SD_BUS_VTABLE_UNPRIVILEGED

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        VbPaths paths;
        char *confdir;          /* <confdir>/storage: persistent definitions */
        char *autostartdir;     /* <confdir>/storage/autostart */
        char *rundir;           /* <rundir>/storage: live state of active pools */

        Pool **pools;
        size_t n_pools, n_allocated;
        Hashmap *vols_by_key;   /* every volume of every active pool */
        Hashmap *vols_by_path;

        JobQueue jobs;
        InUseTable inuse;
        InUseTable chains;      /* the files running guests read, by resolved path (inuse.h) */

        unsigned startup_pending; /* pools still being checked or autostarted */
        bool autostarted;
        bool ready;
        bool lvm_no_dm;         /* no device-mapper in this kernel: LVM metadata only */
} Manager;

int manager_new(sd_event *event, sd_bus *bus, const char *root, Manager **ret);
Manager *manager_free(Manager *m);
/* Loads definitions and live state, checks that active pools are still
 * there (mounts, volume groups) and refreshes them, starts the autostart
 * pools, then takes the bus name. */
int manager_startup(Manager *m);
bool manager_is_busy(void *userdata);

int manager_add_pool(Manager *m, Pool *p);
void manager_remove_pool(Manager *m, Pool *p);
Pool *manager_find_pool_by_name(Manager *m, const char *name);
Pool *manager_find_pool_by_uuid(Manager *m, const uint8_t uuid[16]);
Pool *manager_find_pool_by_path(Manager *m, const char *bus_path);
Volume *manager_find_volume_by_key(Manager *m, const char *key);
Volume *manager_find_volume_by_path(Manager *m, const char *path);
Volume *manager_find_volume_by_bus_path(Manager *m, const char *bus_path);

/* Called by the startup checks as each pool is done. */
void manager_startup_step_done(Manager *m);

/* connect-dbus.c, storage1-dbus.c, pool-dbus.c, volume-dbus.c */
int connect_dbus_register(Manager *m);
int storage1_dbus_register(Manager *m);
int pool_dbus_register(Manager *m);
int volume_dbus_register(Manager *m);

/* Replies to a method call with the job's error (or a generic one). */
int reply_job_error(sd_bus_message *msg, const ConfError *err, int r, const char *fmt, ...) _printf_(4, 5);
