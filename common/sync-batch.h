/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Group commit for small files written with write_file_replace(): the files
 * queued while the event loop has other work are made durable together, once
 * nothing else is pending: their writeback started all at once, then one fsync
 * each (cheap once the data is on its way) and one fsync per folder. Many
 * clients defining at once then pay about one disk flush per batch instead of
 * two per file. Each file's done callback runs after its flush, with 0 or
 * -errno; a file removed in the meantime counts as done. */

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct SyncBatch SyncBatch;
typedef void (*sync_batch_done_fn)(void *userdata, int error);

int sync_batch_new(sd_event *event, SyncBatch **ret);
/* Flushes what is still queued (callbacks run), then frees. */
SyncBatch *sync_batch_free(SyncBatch *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(SyncBatch *, sync_batch_free);

/* Queues path (copied). done(userdata, error) is called exactly once, from the
 * event loop or from sync_batch_free(); when this returns -errno, never. */
int sync_batch_queue(SyncBatch *b, const char *path, sync_batch_done_fn done, void *userdata);
/* Flushes the queue now. */
void sync_batch_flush(SyncBatch *b);
