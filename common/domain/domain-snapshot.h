/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Snapshots: the tree kept on disk (domain-snapshot.c), the Domain methods
 * (domain-snapshot-dbus.c), the org.libvirt.DomainSnapshot objects
 * (domain-snapshot-obj-dbus.c) and the driver's hooks (DomainDriver.snapshot,
 * qemud/qemu-snapshot.c).
 *
 * Each snapshot is one file, <confdir>/<driver dir>/snapshot/<domain>/<name>.xml,
 * as libvirt keeps it: the <domainsnapshot> with its parent's name, <active>1
 * for the current one, and the domain's definition at that moment. Nothing
 * is cached: every call reads the directory, so the tree is there after a
 * restart as it was, and a tree of a few dozen snapshots reads in no time. */

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-bus.h>

#include "domain-snapshot-conf.h"
#include "domain.h"

enum {
        /* virDomainSnapshotCreateFlags */
        SNAPSHOT_CREATE_REDEFINE = 1 << 0,
        SNAPSHOT_CREATE_CURRENT = 1 << 1,
        SNAPSHOT_CREATE_NO_METADATA = 1 << 2,
        SNAPSHOT_CREATE_HALT = 1 << 3,
        SNAPSHOT_CREATE_DISK_ONLY = 1 << 4,
        SNAPSHOT_CREATE_REUSE_EXT = 1 << 5,
        SNAPSHOT_CREATE_QUIESCE = 1 << 6,
        SNAPSHOT_CREATE_ATOMIC = 1 << 7,
        SNAPSHOT_CREATE_LIVE = 1 << 8,
        SNAPSHOT_CREATE_VALIDATE = 1 << 9,

        /* virDomainSnapshotListFlags */
        SNAPSHOT_LIST_ROOTS = 1 << 0,
        SNAPSHOT_LIST_DESCENDANTS = 1 << 0,
        SNAPSHOT_LIST_METADATA = 1 << 1,
        SNAPSHOT_LIST_LEAVES = 1 << 2,
        SNAPSHOT_LIST_NO_LEAVES = 1 << 3,
        SNAPSHOT_LIST_NO_METADATA = 1 << 4,
        SNAPSHOT_LIST_INACTIVE = 1 << 5,
        SNAPSHOT_LIST_ACTIVE = 1 << 6,
        SNAPSHOT_LIST_DISK_ONLY = 1 << 7,
        SNAPSHOT_LIST_INTERNAL = 1 << 8,
        SNAPSHOT_LIST_EXTERNAL = 1 << 9,
        SNAPSHOT_LIST_TOPOLOGICAL = 1 << 10,
        SNAPSHOT_LIST_ALL_FLAGS = (1 << 11) - 1,

        /* virDomainSnapshotXMLFlags */
        SNAPSHOT_XML_SECURE = 1 << 0,

        /* virDomainSnapshotRevertFlags */
        SNAPSHOT_REVERT_RUNNING = 1 << 0,
        SNAPSHOT_REVERT_PAUSED = 1 << 1,
        SNAPSHOT_REVERT_FORCE = 1 << 2,
        SNAPSHOT_REVERT_RESET_NVRAM = 1 << 3,

        /* virDomainSnapshotDeleteFlags */
        SNAPSHOT_DELETE_CHILDREN = 1 << 0,
        SNAPSHOT_DELETE_METADATA_ONLY = 1 << 1,
        SNAPSHOT_DELETE_CHILDREN_ONLY = 1 << 2,

        /* virDomainUndefineFlagsValues */
        DOMAIN_UNDEFINE_SNAPSHOTS_METADATA = 1 << 1,
};

/* The work of one snapshot call (create, revert, delete) under the
 * domain's modify job; domain-snapshot.c runs its steps. */
typedef struct SnapshotTask SnapshotTask;

/* The driver's hooks. Each runs inside the domain's modify job. create,
 * revert and remove return 0 when done, -errno with error set (the guest,
 * its disks and the tree as they were), or 1 when the work goes on (QEMU's
 * jobs): the driver then calls domain_snapshot_task_done(t, ...) exactly
 * once, even when the domain went away (domain_snapshot_task_alive() says
 * so; t's domain must not be touched then). */
struct DomainSnapshotOps {
        /* Fills what the driver decides in def (each disk's location, its
         * overlay's name, the memory) and refuses what it cannot take (an
         * internal snapshot of a raw disk, an overlay that exists), before
         * anything is done. */
        int (*prepare)(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error);
        /* Takes the snapshot def (prepared) of the domain as it is now. */
        int (*create)(Domain *d, DomainSnapshotDef *def, unsigned flags, SnapshotTask *t, sd_bus_error *error);
        /* Brings the domain back to def: its disks, and its memory when the
         * snapshot has it; state as the snapshot's or the REVERT flags. */
        int (*revert)(Domain *d, const DomainSnapshotDef *def, unsigned flags, SnapshotTask *t,
                      sd_bus_error *error);
        /* Removes def's data (internal snapshots in the disks, an external
         * memory file). */
        int (*remove)(Domain *d, const DomainSnapshotDef *def, SnapshotTask *t, sd_bus_error *error);
};

/* A delete's snapshots as read at its start (NULL for other tasks): a
 * hook that rewrites some of them changes them here, since the task
 * writes them again (their parent) after the hook. */
typedef struct SnapshotList SnapshotList;
SnapshotList *domain_snapshot_task_list(SnapshotTask *t);
/* Whether the job of t still runs (its domain is there). */
bool domain_snapshot_task_alive(const SnapshotTask *t);
/* The driver's work for t is over: r < 0 with error set when it failed.
 * Frees t when the call is answered. */
void domain_snapshot_task_done(SnapshotTask *t, int r, const sd_bus_error *error);

/* libvirt's virDomainJobOperation of a snapshot task's job (GetJobStats). */
enum {
        SNAPSHOT_JOB_OPERATION_CREATE = 6,  /* VIR_DOMAIN_JOB_OPERATION_SNAPSHOT */
        SNAPSHOT_JOB_OPERATION_REVERT = 7,  /* ..._SNAPSHOT_REVERT */
        SNAPSHOT_JOB_OPERATION_DELETE = 10, /* ..._SNAPSHOT_DELETE */
};

typedef enum SnapshotTaskKind {
        SNAPSHOT_TASK_CREATE,
        SNAPSHOT_TASK_REVERT,
        SNAPSHOT_TASK_DELETE,
} SnapshotTaskKind;

/* Runs a snapshot call as the active job of d: def is taken over (its
 * copy from disk for revert and delete), flags are the call's. The call
 * is answered, now or later (create with the new snapshot's path). */
void domain_snapshot_task_run(Domain *d, SnapshotTaskKind kind, DomainSnapshotDef *def, unsigned flags);

/* A domain's snapshots as read from disk. */
struct SnapshotList {
        DomainSnapshotDef **items;
        size_t n;
};

void snapshot_list_done(SnapshotList *l);
int domain_snapshot_list_load(const Domain *d, SnapshotList *ret);
DomainSnapshotDef *snapshot_list_find(const SnapshotList *l, const char *name);
DomainSnapshotDef *snapshot_list_current(const SnapshotList *l);
size_t snapshot_list_n_children(const SnapshotList *l, const char *name);
/* Whether a is b or below it. */
bool snapshot_list_is_descendant(const SnapshotList *l, const DomainSnapshotDef *a, const DomainSnapshotDef *b);

/* One snapshot; -ENOENT (with NoDomainSnapshot-like error) when not there. */
int domain_snapshot_load(const Domain *d, const char *name, DomainSnapshotDef **ret, sd_bus_error *error);
int domain_snapshot_write(const Domain *d, const DomainSnapshotDef *def);
int domain_snapshot_unlink(const Domain *d, const char *name);
size_t domain_snapshot_count(const Domain *d);
/* Removes snapshot name from the tree as a delete does once its data is
 * gone: its children hang on its parent, which becomes current if it was. */
int domain_snapshot_forget(const Domain *d, const char *name);
/* Makes name the current snapshot (NULL: none), rewriting the files whose
 * <active> changes. */
int domain_snapshot_set_current(const Domain *d, const char *name);

/* The object path: <root>/domainsnapshot/_<uuid>_<escaped name>. */
char *domain_snapshot_path(const Domain *d, const char *name);
/* Reverses it: the domain and the name (allocated). 0 when not ours. */
int domain_snapshot_from_path(Manager *m, const char *path, Domain **ret_d, char **ret_name);

/* Undefine's rule (libvirt's): an inactive domain with snapshots is
 * refused unless UNDEFINE_SNAPSHOTS_METADATA, which removes their files. */
int domain_undefine_check_snapshots(Domain *d, unsigned flags, sd_bus_error *error);
int domain_undefine_snapshots(Domain *d, unsigned flags);

/* virDomainSnapshotListFlags' filters (but ROOTS/DESCENDANTS), and the "ao"
 * reply of the snapshots of l that match: all (under NULL; ROOTS: those
 * without parent), or under's children (descendants: all below it). */
bool domain_snapshot_matches(const SnapshotList *l, const DomainSnapshotDef *s, uint32_t flags);
int domain_snapshot_reply_list(sd_bus_message *msg, const Domain *d, const SnapshotList *l,
                               const DomainSnapshotDef *under, uint32_t flags, bool descendants);

/* Registers org.libvirt.DomainSnapshot (domain-snapshot-obj-dbus.c). */
int domain_snapshot_dbus_register(Manager *m);

/* "Domain snapshot not found: ..." */
int snapshot_not_found(const Domain *d, const char *name, sd_bus_error *error);
