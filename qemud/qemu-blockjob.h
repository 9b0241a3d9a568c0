/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's side of block jobs (domain-block.h): block-stream, block-commit
 * and blockdev-mirror started with auto-dismiss off, their abort, pivot and
 * speed, block_resize and block-set-write-threshold, and the signals of
 * BLOCK_JOB_READY / _COMPLETED / _CANCELLED / _ERROR and
 * BLOCK_WRITE_THRESHOLD (rows of qemu-events.c).
 *
 * A job's id says what it is and for which disk ("copy-vda"), so a qemud
 * started again finds every job again with query-block-jobs and needs no
 * state of its own for it; what a pivot must change in the definition
 * (the copy's destination, the layers a commit deletes) is kept per
 * domain while the job runs. */

#include <json-c/json.h>

#include "domain-block.h"

typedef struct QemuBlockJob QemuBlockJob;

extern const DomainBlockOps qemu_block_ops;

/* Frees the jobs kept for d (the domain's run ended or it is freed). */
void qemu_blockjob_free_all(Domain *d);

/* Event handlers (QemuEventHandleFn of qemu-events.h). */
void qemu_blockjob_on_event(Domain *d, const char *event, json_object *data);
void qemu_blockjob_on_threshold(Domain *d, const char *event, json_object *data);

/* Pure parts, for the unit test. */
/* "copy-vda" for (COPY, "vda"); NULL for an unknown type */
char *qemu_blockjob_id(int type, const char *dst);
/* The type and disk target of one of our job ids; -EINVAL for another id. */
int qemu_blockjob_parse_id(const char *id, int *type, char **dst);
/* The BlockJob status an event ends or readies a job with: aborted says a
 * BlockJobAbort without pivot was asked (QEMU ends a ready mirror that was
 * cancelled as COMPLETED; libvirt says CANCELED). -1: no signal. */
int qemu_blockjob_event_status(const char *event, bool has_error, bool aborted);
