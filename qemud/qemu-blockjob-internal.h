/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the block job files share: qemu-blockjob.c (the jobs and their
 * QMP), qemu-blockjob-chain.c (the live XML: <mirror>, <backingStore>)
 * and qemu-blockjob-status.c (the live state, and jobs met again after a
 * restart or when QEMU went away). */

#include <json-c/json.h>

#include "qemu-blockjob.h"

/* What qemud keeps of one disk for block jobs: the job under way (type 0:
 * none) and what it must remember for its end, and the disk's top node
 * once a pivot moved it off the start's "<alias>-fmt". All of it is in the
 * live state (qemu_blockjob_status_format), so a qemud started again
 * finishes what a job left to do. */
struct QemuBlockJob {
        QemuBlockJob *next;
        Domain *d;
        char *dst;
        char *top_node;        /* NULL: the start's; else the pivot's (QEMU names the disk by it) */
        sd_event_source *exit_watch; /* QEMU's exit: the job failed, the node names are gone */
        sd_event_source *recheck;    /* after a restart: ask QEMU where the job is */
        int type;              /* 0: no job on this disk */
        bool ready;            /* QEMU said BLOCK_JOB_READY */
        bool aborted;          /* BlockJobAbort without PIVOT */
        bool pivot;            /* BlockJobAbort with PIVOT */
        bool waiting;          /* a synchronous abort's modify job ends with the job */
        bool transient;        /* copy with TRANSIENT_JOB: the persistent definition stays */
        char *new_path;        /* the disk's source after a pivot */
        char *new_pool, *new_volume; /* copy to a storaged volume: the disk is that volume after a pivot */
        DomainDiskFormat new_format;
        bool new_block;
        char *old_fmt, *old_file; /* copy: the source's nodes, removed after a pivot */
        char *new_fmt, *new_file; /* copy: the target's nodes, removed after a cancel */
        char **delete;         /* commit with DELETE: the layers merged away */
};

/* A query-block or query-jobs about one disk of d. */
typedef struct DiskRefresh {
        Domain *d;
        char *dst;
} DiskRefresh;

static inline const char *json_str(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static inline json_object *json_child(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* qemu-blockjob.c */
const char *blockjob_word(int type);
int blockjob_type_of_word(const char *w);
QemuBlockJob *blockjob_entry_find(Domain *d, const char *dst);
QemuBlockJob *blockjob_find(Domain *d, const char *dst);
QemuBlockJob *blockjob_entry_get(Domain *d, const char *dst);
void blockjob_entry_unlink(Domain *d, QemuBlockJob *gone);
void blockjob_free(QemuBlockJob *j);
void blockjob_finish(Domain *d, QemuBlockJob *j, const char *id, int status);
json_object *blockjob_find_block_entry(json_object *result, const char *alias);

/* qemu-blockjob-chain.c */
void blockjob_save_state(Domain *d);
void blockjob_set_mirror(Domain *d, const QemuBlockJob *j, const char *job);
void blockjob_mirror_ready(Domain *d, const char *dst, const char *ready);
void blockjob_drop_mirror(Domain *d, const char *dst);
void blockjob_refresh_disk(Domain *d, const char *dst);
void blockjob_refresh_free(DiskRefresh *x);

/* qemu-blockjob-lease.c */
#include "lockd-client.h"
bool blockjob_lease_no_manager(const sd_bus_error *e);
int blockjob_lease_take(Domain *d, const char *path, lockd_reply_fn cb, void *userdata);
void blockjob_lease_release(Domain *d, const char *path);
/* old: the disk's image before the pivot, new: after it; take_new: a lease
 * on it is not held yet (an active commit's base). */
void blockjob_lease_follow_pivot(Domain *d, const char *old, const char *new, bool take_new);

/* qemu-blockjob-status.c */
void blockjob_watch_qemu_exit(QemuBlockJob *j);
