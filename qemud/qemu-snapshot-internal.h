/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What qemu-snapshot.c (the hooks, QMP) and qemu-snapshot-external.c
 * (external snapshots' files: memory image, overlays on revert, commit on
 * delete) share. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "domain-snapshot.h"
#include "qemu-domain.h"
#include "qemu-save-image.h"

/* Runs qemu-img with args (at most 14); its stdout into *ret_out (may be
 * NULL), its last output line into msg. 0, or -EIO when it failed. */
int snapshot_qemu_img(const char *const *args, char **ret_out, char *msg, size_t msg_size);
int snapshot_img_info(const char *file, char **ret_format, uint64_t *ret_size, sd_bus_error *error);
/* A new qcow2 overlay on base (-u: base is not opened). */
int snapshot_img_create_overlay(const char *overlay, const char *base, sd_bus_error *error);
/* The same, base's format and virtual size known (QEMU's query-block). */
int snapshot_img_create_overlay_as(const char *overlay, const char *base, const char *format, uint64_t bytes,
                                   sd_bus_error *error);
const DomainDiskDef *snapshot_find_disk(const DomainDef *def, const char *name);
bool snapshot_def_is_external(const DomainSnapshotDef *def);
/* libvirt's default name of an overlay of src for snapshot name. */
char *snapshot_default_overlay(const char *src, const char *name);
/* Whether file holds the internal snapshot name (qemu-img snapshot -l). */
bool snapshot_img_has_snapshot(const char *file, const char *name);
/* The disks of dom switch to def's overlays. */
int snapshot_follow_overlays(DomainDef *dom, const DomainSnapshotDef *def);
/* d->live follows them, its status is saved, and storaged hears that the
 * volumes below them are layers now, not disks. */
int snapshot_follow_overlays_live(Domain *d, const DomainSnapshotDef *def);
/* The definition def holds (NULL when none), checked to be d's. */
int snapshot_domain(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret, sd_bus_error *error);

/* ---- qemu-snapshot-img.c: no QMP ---- */

static inline bool snapshot_guest_runs(const Domain *d) {
        return domain_is_active(d) && qemu_domain(d)->mon && !d->starting;
}
/* The snapshot has memory state (internal or in a file). */
bool snapshot_has_memory(const DomainSnapshotDef *def);
/* DomainSnapshotOps.prepare: each disk's location and overlay, the memory,
 * the state; refuses what cannot be taken, naming it. */
int snapshot_prepare(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error);
/* The image of an internal disk of the snapshot in dom, else NULL. */
const char *snapshot_internal_image(const DomainDef *dom, const DomainSnapshotDiskDef *sd);
/* The overlays of def that were made (not REUSE_EXT), of its first n disks. */
void snapshot_unlink_overlays(const DomainSnapshotDef *def, unsigned flags, size_t n);
/* formats and sizes (NULL: qemu-img info): of the images of def's
 * external disks, in their order. */
int snapshot_create_overlays(const DomainDef *dom, const DomainSnapshotDef *def, unsigned flags, char **formats,
                             const uint64_t *sizes, sd_bus_error *error);
/* A shut-off guest: qemu-img. */
int snapshot_create_offline(Domain *d, DomainSnapshotDef *def, unsigned flags, sd_bus_error *error);
/* Every image holds the internal snapshot: a revert that cannot finish does not begin. */
int snapshot_check_images(const DomainDef *dom, const DomainSnapshotDef *def, sd_bus_error *error);
int snapshot_revert_offline(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error);
int snapshot_remove_offline(Domain *d, const DomainSnapshotDef *def, sd_bus_error *error);

/* ---- qemu-snapshot-external.c ---- */

/* The memory file of an external snapshot is a save image
 * (qemu-save-image.h): header and the domain's XML, then QEMU's migration
 * stream at the data offset, where the returned fd stands. O_EXCL: a file
 * that exists is refused. */
int snapshot_memory_open(const char *path, const char *xml, bool running, QemuSaveHeader *hdr, int *ret_fd,
                         sd_bus_error *error);
/* QEMU is done writing: the header says the image is whole. */
int snapshot_memory_finish(int fd, QemuSaveHeader *hdr);

/* Revert to an external snapshot: everything it needs is there (each
 * disk's image as the snapshot kept it, the memory image). Changes
 * nothing. */
int snapshot_external_check(const Domain *d, const DomainSnapshotDef *def, sd_bus_error *error);
/* The definition the guest gets back: the snapshot's, each external disk
 * on a new overlay of the image the snapshot kept (the snapshot's own
 * overlay may carry its children: it is left alone). */
int snapshot_external_revert_def(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret,
                                 sd_bus_error *error);

/* Delete of external snapshot def: each disk's overlay (the data written
 * after it) is merged into the image below (the snapshot's), as libvirt
 * does with block-commit; the disk, or the image above the overlay, then
 * stands on that image, and the other snapshots of l that named the
 * overlay name the image instead. A shut-off guest: qemu-img. */
typedef struct SnapshotCommit {
        char *disk;        /* target */
        char *top;         /* the snapshot's overlay */
        char *base;        /* the image under it: the snapshot's */
        char *base_format;
        char *above;       /* the image whose backing top is, NULL when top is the disk's image */
} SnapshotCommit;

typedef struct SnapshotCommitPlan {
        SnapshotCommit *items;
        size_t n;
} SnapshotCommitPlan;

void snapshot_commit_plan_done(SnapshotCommitPlan *p);
/* What the delete of def would merge, checked against dom (the domain's
 * definition now) and the other snapshots of l; refused naming why when
 * it would break a chain. The disks' chains are QEMU's (nodes: the answer
 * of query-named-block-nodes) while it runs, else qemu-img's. */
int snapshot_commit_plan(const Domain *d, const DomainDef *dom, const DomainSnapshotDef *def,
                         const SnapshotList *l, json_object *nodes, SnapshotCommitPlan *ret, sd_bus_error *error);
/* qemu-img commit and rebase of a shut-off guest's images. */
int snapshot_commit_offline(const SnapshotCommitPlan *p, sd_bus_error *error);
/* After the merge: dom's disks, and the other snapshots of l (written),
 * name the base instead of the top; the tops are removed. */
int snapshot_commit_finish(const Domain *d, DomainDef *dom, const DomainSnapshotDef *def, SnapshotList *l,
                           const SnapshotCommitPlan *p);

/* All of it for d: its live and persistent definitions (saved), the other
 * snapshots of l, the tops and the memory file removed. */
int snapshot_commit_apply(Domain *d, const DomainSnapshotDef *def, SnapshotList *l, const SnapshotCommitPlan *p);

/* The bandwidth (MiB/s, 0: unlimited) of a memory snapshot: qemud.conf's
 * save_bandwidth_limit, as for a save (the memory file is a save image). */
uint64_t snapshot_memory_bandwidth(const Domain *d);

/* ---- qemu-snapshot-recover.c: the record of a running delete ---- */
int qemu_snapshot_delete_record_write(Domain *d, const DomainSnapshotDef *def, const SnapshotCommitPlan *p);
void qemu_snapshot_delete_record_remove(Domain *d);
