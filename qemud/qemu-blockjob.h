/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's side of block jobs (domain-block.h): block-stream, block-commit
 * and blockdev-mirror started with auto-dismiss off, their abort, pivot and
 * speed, block_resize and block-set-write-threshold, and the signals of
 * BLOCK_JOB_READY / _COMPLETED / _CANCELLED / _ERROR and
 * BLOCK_WRITE_THRESHOLD (rows of qemu-events.c).
 *
 * A job's id says what it is and for which disk ("copy-vda"); what its end
 * must do (the copy's destination a pivot switches to, the layers a commit
 * deletes, whether a pivot or abort was asked) is kept per domain and in
 * the live state, so a qemud killed and started again finishes it. The
 * live XML shows the copy's <mirror> and each disk's <backingStore>. */

#include <json-c/json.h>
#include <libxml/tree.h>

#include "domain-block.h"

typedef struct QemuBlockJob QemuBlockJob;

extern const DomainBlockOps qemu_block_ops;

/* The live state's <blockjob> elements (qemu-status.c): each disk's job
 * under way and its renamed top node; read back, each job is asked of
 * QEMU again once the daemon runs (finished while qemud was down: its end
 * is done now; QEMU gone: failed). */
int qemu_blockjob_status_format(Domain *d, char **ret);
int qemu_blockjob_status_parse(Domain *d, xmlNodePtr root);

/* The disk QEMU names by a top node a pivot gave it (qemu-control.c's
 * lookup by node name, for IOError and GetDiskErrors), NULL if none. */
const DomainDiskDef *qemu_blockjob_disk_of_node(Domain *d, const char *node);

/* Reads the backing chain of disk's image from the qcow2 headers into
 * disk->backing (the live <backingStore>); fill_chains: of every disk whose
 * chain is not known yet (called when the live state is written). */
int qemu_blockjob_read_chain(DomainDiskDef *disk);
void qemu_blockjob_fill_chains(Domain *d);

/* Frees the jobs kept for d (the domain's run ended or it is freed). */
void qemu_blockjob_free_all(Domain *d);

/* Event handlers (QemuEventHandleFn of qemu-events.h). */
void qemu_blockjob_on_event(Domain *d, const char *event, json_object *data);
void qemu_blockjob_on_threshold(Domain *d, const char *event, json_object *data);

/* qemu-img create -f fmt [-b backing -F backing_fmt] path [size]: the
 * daemon waits (creating an image is quick). Size 0 with a backing file
 * takes the backing file's. 0, or -errno with errbuf filled. */
int qemu_image_create(const char *path, const char *fmt, uint64_t size, const char *backing,
                      const char *backing_fmt, char *errbuf, size_t errsize);

/* Pure parts, for the unit test. */
/* "copy-vda" for (COPY, "vda"); NULL for an unknown type */
char *qemu_blockjob_id(int type, const char *dst);
/* The type and disk target of one of our job ids; -EINVAL for another id. */
int qemu_blockjob_parse_id(const char *id, int *type, char **dst);
/* The BlockJob status an event ends or readies a job with: aborted says a
 * BlockJobAbort without pivot was asked (QEMU ends a ready mirror that was
 * cancelled as COMPLETED; libvirt says CANCELED). -1: no signal. */
int qemu_blockjob_event_status(const char *event, bool has_error, bool aborted);
/* GetBlockJobInfo's cur: as libvirt, a job QEMU does not call ready yet is
 * never shown done (cur == end), which clients take as "pivot now". */
uint64_t qemu_blockjob_info_cur(uint64_t cur, uint64_t end, bool ready);
