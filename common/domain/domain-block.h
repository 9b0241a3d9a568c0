/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Block jobs of a running guest (org.libvirt.Domain): pull, commit, copy,
 * their abort and pivot, disk resize and write thresholds, and the
 * BlockJob / BlockThreshold signals. The core (domain-block-dbus.c) reads
 * and checks the arguments; the driver's hooks below do the work. A NULL
 * hook: the method answers NotSupported. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain-conf.h"

typedef struct Domain Domain;

enum { /* virDomainBlockJobType */
        DOMAIN_BLOCK_JOB_TYPE_UNKNOWN = 0,
        DOMAIN_BLOCK_JOB_TYPE_PULL = 1,
        DOMAIN_BLOCK_JOB_TYPE_COPY = 2,
        DOMAIN_BLOCK_JOB_TYPE_COMMIT = 3,
        DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT = 4,
};

enum { /* virConnectDomainEventBlockJobStatus */
        DOMAIN_BLOCK_JOB_COMPLETED = 0,
        DOMAIN_BLOCK_JOB_FAILED = 1,
        DOMAIN_BLOCK_JOB_CANCELED = 2,
        DOMAIN_BLOCK_JOB_READY = 3,
};

enum { /* libvirt's flags of the block methods */
        DOMAIN_BLOCK_JOB_ABORT_ASYNC = 1 << 0,
        DOMAIN_BLOCK_JOB_ABORT_PIVOT = 1 << 1,
        DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES = 1 << 0,
        DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES = 1 << 0,
        DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES = 1 << 6,
        DOMAIN_BLOCK_REBASE_SHALLOW = 1 << 0,
        DOMAIN_BLOCK_REBASE_REUSE_EXT = 1 << 1,
        DOMAIN_BLOCK_REBASE_COPY_RAW = 1 << 2,
        DOMAIN_BLOCK_REBASE_COPY = 1 << 3,
        DOMAIN_BLOCK_REBASE_RELATIVE = 1 << 4,
        DOMAIN_BLOCK_REBASE_COPY_DEV = 1 << 5,
        DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES = 1 << 6,
        DOMAIN_BLOCK_COMMIT_SHALLOW = 1 << 0,
        DOMAIN_BLOCK_COMMIT_DELETE = 1 << 1,
        DOMAIN_BLOCK_COMMIT_ACTIVE = 1 << 2,
        DOMAIN_BLOCK_COMMIT_RELATIVE = 1 << 3,
        DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES = 1 << 4,
        DOMAIN_BLOCK_COPY_SHALLOW = 1 << 0,
        DOMAIN_BLOCK_COPY_REUSE_EXT = 1 << 1,
        DOMAIN_BLOCK_COPY_TRANSIENT_JOB = 1 << 2,
        DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES = 1 << 3,
        DOMAIN_BLOCK_RESIZE_BYTES = 1 << 0,
};

/* What a job reports (virDomainBlockJobInfo), bandwidth in bytes/s. */
typedef struct DomainBlockJobInfo {
        int type;
        uint64_t bandwidth, cur, end;
} DomainBlockJobInfo;

/* The destination of a copy, from its <disk> XML. */
typedef struct DomainBlockCopyDest {
        const char *path;          /* NULL for a volume until the driver resolved it */
        const char *pool, *volume; /* <disk type='volume'>: a storaged volume, which must exist */
        DomainDiskFormat format;   /* NONE: the source's format */
        bool block;                /* <disk type='block'> */
        uint64_t bandwidth;        /* bytes/s, 0: unlimited */
        uint32_t granularity;
        uint64_t buf_size;
} DomainBlockCopyDest;

/* The job hooks run under the domain's modify job with the contract of
 * domain-job.h: 0 done, 1 the driver ends the job and answers msg, -errno
 * with error set. disk is a live disk of d (found by the core by target or
 * source). Bandwidths are in bytes/s. job_info takes no job: it answers
 * msg with (ittt) itself, now or later (1), or fails. */
typedef struct DomainBlockOps {
        int (*job_info)(Domain *d, const DomainDiskDef *disk, bool bytes, sd_bus_message *msg, sd_bus_error *error);
        int (*job_abort)(Domain *d, const DomainDiskDef *disk, uint32_t flags, sd_bus_error *error);
        int (*job_set_speed)(Domain *d, const DomainDiskDef *disk, uint64_t bandwidth, sd_bus_error *error);
        /* base NULL: the whole chain into the active image */
        int (*pull)(Domain *d, const DomainDiskDef *disk, const char *base, uint64_t bandwidth, uint32_t flags,
                    sd_bus_error *error);
        /* base and top NULL where not given */
        int (*commit)(Domain *d, const DomainDiskDef *disk, const char *base, const char *top, uint64_t bandwidth,
                      uint32_t flags, sd_bus_error *error);
        int (*copy)(Domain *d, const DomainDiskDef *disk, const DomainBlockCopyDest *dest, uint32_t flags,
                    sd_bus_error *error);
        int (*resize)(Domain *d, const DomainDiskDef *disk, uint64_t size, sd_bus_error *error);
        int (*set_threshold)(Domain *d, const DomainDiskDef *disk, uint64_t threshold, sd_bus_error *error);
} DomainBlockOps;

/* The live disk called name (its target or its source path), NULL if none. */
DomainDiskDef *domain_block_find_disk(const DomainDef *def, const char *name);

/* The signals (errors logged). */
void domain_emit_block_job(Domain *d, const char *disk, int type, int status);
void domain_emit_block_threshold(Domain *d, const char *dev, const char *path, uint64_t threshold,
                                 uint64_t excess);
