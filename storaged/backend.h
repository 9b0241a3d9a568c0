/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pool types. Each backend's operations (but check and vol_path) run in
 * a job's worker thread on copies: a pool definition and a VolRequest. */

#include "job.h"
#include "storage-pool-conf.h"
#include "vol-probe.h"

/* Pool build/create flags, libvirt's. */
enum {
        POOL_BUILD_REPAIR = 1 << 0,
        POOL_BUILD_RESIZE = 1 << 1,
        POOL_BUILD_NO_OVERWRITE = 1 << 2,
        POOL_BUILD_OVERWRITE = 1 << 3,
        POOL_CREATE_WITH_BUILD = 1 << 0,
        POOL_CREATE_WITH_BUILD_OVERWRITE = 1 << 1,
        POOL_CREATE_WITH_BUILD_NO_OVERWRITE = 1 << 2,
        POOL_DELETE_ZEROED = 1 << 0,
};

typedef struct ScanEntry {
        char *name, *path, *key;
        VolInfo info;
} ScanEntry;

typedef struct PoolScan {
        uint64_t capacity, allocation, available;
        ScanEntry *entries;
        size_t n, allocated;
} PoolScan;

void pool_scan_done(PoolScan *s);
/* Takes info; copies the strings. */
int pool_scan_add(PoolScan *s, const char *name, const char *path, const char *key, VolInfo *info);

typedef struct VolRequest {
        char *name, *path;
        StorageVolDef *def;     /* create: the definition given */
        /* create with <encryption>: the passphrase (secretd's), and the
         * private directory where qemu-img reads it from a file */
        uint8_t *secret;
        size_t secret_len;
        char *secret_dir;
        unsigned flags;
        /* clone: the source */
        char *src_path;
        StorageFormat src_format;
        uint64_t src_capacity;
        /* resize, wipe */
        uint64_t capacity;
        unsigned algorithm;
        /* the current state (resize, wipe, refresh) */
        VolInfo cur;
        /* the result: the volume as it is afterwards, and its key */
        VolInfo info;
        char *key;
        bool lvm_no_dm;
} VolRequest;

void vol_request_free(VolRequest *r);

typedef struct PoolBackend {
        StoragePoolType type;
        /* Quick checks of a definition, on the loop (stat only). */
        int (*check)(const StoragePoolDef *def, ConfError *err);
        int (*build)(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err);
        int (*start)(Job *j, const StoragePoolDef *def, ConfError *err);
        int (*stop)(Job *j, const StoragePoolDef *def, ConfError *err);
        int (*delete)(Job *j, const StoragePoolDef *def, unsigned flags, ConfError *err);
        /* After a restart: 1 still active (mounted, VG there), 0 not. */
        int (*is_active)(Job *j, const StoragePoolDef *def, ConfError *err);
        int (*refresh)(Job *j, const StoragePoolDef *def, PoolScan *scan, ConfError *err);

        char *(*vol_path)(const StoragePoolDef *def, const char *name);
        /* What this pool type can create, on the loop. */
        int (*vol_check)(const StoragePoolDef *def, const StorageVolDef *vdef, bool clone, ConfError *err);
        int (*vol_create)(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err);
        int (*vol_clone)(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err);
        int (*vol_delete)(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err);
        int (*vol_resize)(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err);
        /* Reads the volume again into req->info (and req->key). */
        int (*vol_refresh)(Job *j, const StoragePoolDef *def, VolRequest *req, ConfError *err);
} PoolBackend;

const PoolBackend *backend_for(StoragePoolType type);

extern const PoolBackend backend_dir, backend_fs, backend_logical;

/* backend-dir.c, shared with fs: the target directory. */
int dir_check_target(const StoragePoolDef *def, bool must_exist, ConfError *err);
int dir_build_target(const StoragePoolDef *def, ConfError *err);
int dir_scan(Job *j, const StoragePoolDef *def, PoolScan *scan, ConfError *err);
