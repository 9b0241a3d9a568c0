/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The storage pool XML model (storagepool.rng): parse, format, copy.
 *
 * Pool types dir, fs and logical are modelled; every other type of the
 * schema, and any unknown one, is refused with NotSupported naming it. So is
 * every element or attribute we do not implement (vendor/product, labels,
 * mount options...). The sizes (<capacity>, <allocation>, <available>) are
 * what the pool reports; given in a definition they are read and kept, but
 * the daemon replaces them with the figures it measures. */

#include "storage-common.h"

typedef enum StoragePoolType {
        STORAGE_POOL_DIR,
        STORAGE_POOL_FS,
        STORAGE_POOL_NETFS,
        STORAGE_POOL_LOGICAL,
        STORAGE_POOL_DISK,
        STORAGE_POOL_ISCSI,
        STORAGE_POOL_SCSI,
        STORAGE_POOL_MPATH,
        STORAGE_POOL_RBD,
        STORAGE_POOL_SHEEPDOG,
        STORAGE_POOL_GLUSTER,
        STORAGE_POOL_ZFS,
        STORAGE_POOL_VSTORAGE,
        STORAGE_POOL_ISCSI_DIRECT,
        _STORAGE_POOL_TYPE_MAX,
} StoragePoolType;

typedef struct StoragePoolDef {
        StoragePoolType type;
        char *name;
        uint8_t uuid[16];

        bool has_sizes;
        uint64_t capacity, allocation, available;

        int cow; /* <features><cow state=''/>: -1 not given, 0 no, 1 yes */

        /* <source> */
        char *source_name;     /* logical: the volume group */
        char **source_devices; /* fs: one block device; logical: the PVs */
        char *source_format;   /* fs: ext4, xfs, auto...; logical: lvm2/unknown */

        /* <target> */
        char *target_path;     /* dir/fs: the directory; logical: /dev/<vg> */
        StoragePerms target_perms;
} StoragePoolDef;

StoragePoolDef *storage_pool_def_free(StoragePoolDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(StoragePoolDef *, storage_pool_def_free);

/* A uuid is generated when missing; logical pools get their defaults
 * (source name = pool name and the other way round, target /dev/<vg>). */
int storage_pool_def_parse(const char *xml, size_t len, StoragePoolDef **ret, ConfError *err);

enum {
        STORAGE_POOL_FORMAT_INACTIVE = 1 << 0, /* leave out the sizes */
};
int storage_pool_def_format(const StoragePoolDef *def, unsigned flags, char **ret);
int storage_pool_def_copy(const StoragePoolDef *def, StoragePoolDef **ret);

const char *storage_pool_type_to_string(StoragePoolType t);
int storage_pool_type_from_string(const char *s);
/* The types this daemon implements (dir, fs, logical). */
bool storage_pool_type_is_supported(StoragePoolType t);
/* File system formats <source><format type=''/> may name for fs pools. */
extern const char *const storage_pool_fs_formats[];
extern const size_t storage_pool_n_fs_formats;
