/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The storage volume XML model (storagevol.rng): parse, format.
 *
 * What a caller gives when creating a volume: name, capacity, allocation,
 * target format, permissions, nocow, compat, clusterSize, features, and a
 * backingStore. What the daemon reports besides: key, path, physical size,
 * timestamps, the source extents of logical volumes. Those output-only
 * values are read and kept when given (so that formatted XML parses back to
 * the same definition), and ignored when creating. <encryption> is
 * storage-vol-encryption.h's; security labels are refused with NotSupported. */

#include "storage-common.h"
#include "storage-vol-encryption.h"

typedef enum StorageVolType {
        STORAGE_VOL_FILE,
        STORAGE_VOL_BLOCK,
        STORAGE_VOL_DIR,
        STORAGE_VOL_NETWORK,
        STORAGE_VOL_NETDIR,
        STORAGE_VOL_PLOOP,
        _STORAGE_VOL_TYPE_MAX,
} StorageVolType;

typedef struct StorageVolExtent {
        uint64_t start, end;
} StorageVolExtent;

typedef struct StorageVolSourceDev {
        char *path;
        StorageVolExtent *extents;
        size_t n_extents;
} StorageVolSourceDev;

typedef struct StorageVolDef {
        char *name;
        char *key;
        StorageVolType type;
        bool type_given;

        bool has_capacity, has_allocation, has_physical;
        uint64_t capacity, allocation, physical; /* bytes */

        StorageVolSourceDev *source_devs;
        size_t n_source_devs;
        bool has_source;

        /* <target> */
        char *path;
        StorageFormat format;
        StoragePerms perms;
        StorageTimestamps timestamps;
        char *compat;           /* qcow2: "0.10" or "1.1" */
        uint64_t cluster_size;  /* bytes; 0 = not given */
        bool has_features, lazy_refcounts, extended_l2;
        bool nocow;
        StorageVolEncryption encryption;

        /* <backingStore> */
        char *backing_path;
        StorageFormat backing_format;
        StoragePerms backing_perms;
        StorageTimestamps backing_timestamps;
} StorageVolDef;

StorageVolDef *storage_vol_def_free(StorageVolDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageVolDef *, storage_vol_def_free);

int storage_vol_def_parse(const char *xml, size_t len, StorageVolDef **ret, ConfError *err);
int storage_vol_def_format(const StorageVolDef *def, char **ret);

const char *storage_vol_type_to_string(StorageVolType t);

/* A volume name usable as a file name in a pool's directory: not empty, at
 * most 255 bytes, no '/', not "." or "..", no control characters. The
 * message names the value. */
int storage_vol_name_check(const char *name, ConfError *err);
