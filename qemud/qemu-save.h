/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's save, restore, core dump and job progress (DomainSaveOps of
 * domain-save.h); the image's layout is in qemu-save-image.h.
 *
 * Save: qemud writes the image's header and XML, pauses the guest, and has
 * QEMU "migrate" to an fd (getfd, then fd:): the write end of a FIFO of
 * qemud's (<rundir>/<name>.save.fifo), so that QEMU's sandbox may deny it
 * spawning anything; qemud's own writer child (cat, or the
 * compressor named by save_image_format in <confdir>/qemud.conf) reads the
 * FIFO into the image after the header. qemud polls query-migrate for the
 * progress (GetJobInfo/GetJobStats). When QEMU says "completed" and the
 * writer is done, the header is completed (data length, final magic),
 * QEMU is killed and the guest is shut off with reason "saved".
 *
 * Restore is a start (qemu-start.c) with QEMU_START_RESTORE: QEMU gets
 * "-incoming defer" and, once the start's steps are done, the finisher
 * sends migrate-incoming from an fd: the image file at its data, or a pipe
 * from the decompressor qemud runs; it waits
 * for QEMU to have loaded it, then "cont" (or stays paused). */

#include <stdbool.h>

#include <json-c/json.h>

#include "domain-save.h"

/* A start flag of QEMU's own: the start restores the image in QemuDomain. */
#define QEMU_START_RESTORE (1u << 30)

typedef struct QemuSaveState QemuSaveState;

extern const DomainSaveOps qemu_save_ops;

/* query-migrate's answer (a save's, or a migration's) into st: memory
 * figures, setup time and downtime; the caller sets type and time. */
void qemu_migrate_stats_parse(json_object *result, DomainJobStats *st);

/* Frees what a save, dump or restore still holds for d (domain_done). */
void qemu_save_state_free(Domain *d);

/* For the restore's finishers (qemu-start.c). done runs once QEMU loaded
 * the image (r = 0) or could not (r < 0, message says why). Returns
 * -errno when nothing was sent. */
typedef void (*qemu_incoming_fn)(Domain *d, int r, const char *message);
int qemu_save_incoming(Domain *d, qemu_incoming_fn done);
/* The restored guest runs (or stays paused): a managed image is removed. */
void qemu_save_restored(Domain *d);
