/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One volume of an active pool. Its key is the file's path (dir and fs
 * pools) or the LV's uuid (logical pools), and its bus object path is
 * <root>/storagevol/<key escaped as libvirt-dbus does>. */

#include <systemd/sd-bus.h>

#include "job.h"
#include "vol-probe.h"

typedef struct Pool Pool;

/* libvirt's flags. */
enum {
        VOL_CREATE_PREALLOC_METADATA = 1 << 0,
        VOL_CREATE_REFLINK = 1 << 1,
        VOL_CREATE_VALIDATE = 1 << 2,
        VOL_DELETE_ZEROED = 1 << 0,
        VOL_DELETE_WITH_SNAPSHOTS = 1 << 1,
        VOL_RESIZE_ALLOCATE = 1 << 0,
        VOL_RESIZE_DELTA = 1 << 1,
        VOL_RESIZE_SHRINK = 1 << 2,
        VOL_GET_PHYSICAL = 1 << 0,
        VOL_TRANSFER_SPARSE = 1 << 0,
};

typedef struct Volume {
        Pool *pool;
        char *name;
        char *key;
        char *path;             /* file or block device */
        char *bus_path;
        VolInfo info;

        const char *busy;       /* what is being done to it (from checks to the end) */
        Job *job;               /* the job doing it, for progress */
        bool building;          /* being created: not listed, not usable yet */
} Volume;

int volume_new(Pool *pool, const char *name, const char *path, Volume **ret);
Volume *volume_free(Volume *v);
/* Sets the key (and with it the bus path), once it is known. */
int volume_set_key(Volume *v, const char *key);

/* The volume's XML as storagevol.rng has it. */
int volume_format_xml(const Volume *v, char **ret);
/* The limit of Upload/Download ranges: the capacity, or the file's size
 * when the container is larger (qcow2 metadata). */
uint64_t volume_transfer_limit(const Volume *v);
/* "raw" for raw files and block devices, else the format's name. */
const char *volume_disk_format(const Volume *v);
/* The pool's allocation after one of its volumes went from old to new. */
void volume_account(Pool *p, uint64_t old_alloc, uint64_t new_alloc);
/* Probes the volume again when its file or a layer below changed since it
 * was last probed (vol_info_is_stale): its <backingStore>, sizes and
 * timestamps are then those of now. */
void volume_refresh_if_stale(Volume *v);
/* Refuses with OperationInvalid while it is being created or a job runs. */
int volume_check_idle(const Volume *v, const char *what, sd_bus_error *error);

/* volume-ops.c: asynchronous operations; each answers msg when done. */
int volume_create_async(Pool *p, const char *xml, unsigned flags, Volume *clone_from, sd_bus_message *msg,
                        sd_bus_error *error);
int volume_delete_async(Volume *v, unsigned flags, sd_bus_message *msg, sd_bus_error *error);
int volume_resize_async(Volume *v, uint64_t capacity, unsigned flags, sd_bus_message *msg, sd_bus_error *error);
int volume_wipe_async(Volume *v, unsigned algorithm, unsigned flags, sd_bus_message *msg, sd_bus_error *error);
/* transfer-ops in volume-ops.c: fd belongs to msg, which the job holds. */
int volume_transfer_async(Volume *v, bool upload, int fd, uint64_t offset, uint64_t length, unsigned flags,
                          sd_bus_message *msg, sd_bus_error *error);
