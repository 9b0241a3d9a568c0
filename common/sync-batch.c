/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "log.h"
#include "sync-batch.h"
#include "util.h"

typedef struct {
        char *path;
        sync_batch_done_fn done;
        void *userdata;
} SyncEntry;

/* How long a queued file may wait for the loop to go idle: a client that
 * keeps the loop busy must not hold the others' replies. */
#define SYNC_BATCH_MAX_WAIT_USEC (20 * 1000ULL)

struct SyncBatch {
        sd_event_source *source; /* idle priority: runs once the loop has nothing else */
        sd_event_source *timer;  /* ... or after SYNC_BATCH_MAX_WAIT_USEC */
        SyncEntry *entries;
        size_t n, n_allocated;
};

static int on_idle(sd_event_source *s, void *userdata) {
        sync_batch_flush(userdata);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        sync_batch_flush(userdata);
        return 0;
}

int sync_batch_new(sd_event *event, SyncBatch **ret) {
        _cleanup_(sync_batch_freep) SyncBatch *b = calloc(1, sizeof(*b));
        int r;

        if (!b)
                return -ENOMEM;
        r = sd_event_add_defer(event, &b->source, on_idle, b);
        if (r < 0)
                return r;
        r = sd_event_source_set_priority(b->source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &b->timer, CLOCK_MONOTONIC, SYNC_BATCH_MAX_WAIT_USEC, 0,
                                               on_timer, b);
        if (r >= 0)
                r = sd_event_source_set_enabled(b->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

SyncBatch *sync_batch_free(SyncBatch *b) {
        if (!b)
                return NULL;
        sync_batch_flush(b);
        sd_event_source_disable_unref(b->source);
        sd_event_source_disable_unref(b->timer);
        free(b->entries);
        free(b);
        return NULL;
}

int sync_batch_queue(SyncBatch *b, const char *path, sync_batch_done_fn done, void *userdata) {
        _cleanup_free_ char *copy = strdup(path);
        int r;

        if (!copy)
                return -ENOMEM;
        if (b->n == b->n_allocated) {
                size_t n = MAX(b->n_allocated * 2, (size_t) 16);
                SyncEntry *e = reallocarray(b->entries, n, sizeof(*e));
                if (!e)
                        return -ENOMEM;
                b->entries = e;
                b->n_allocated = n;
        }
        if (b->n == 0) {
                r = sd_event_source_set_time_relative(b->timer, SYNC_BATCH_MAX_WAIT_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(b->timer, SD_EVENT_ONESHOT);
                if (r >= 0)
                        r = sd_event_source_set_enabled(b->source, SD_EVENT_ONESHOT);
                if (r < 0)
                        return r;
        }
        b->entries[b->n++] = (SyncEntry) { .path = TAKE_PTR(copy), .done = done, .userdata = userdata };
        return 0;
}

static int open_queued(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        return fd < 0 ? -errno : fd;
}

static bool same_folder(const char *a, const char *b) {
        const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

        return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t) (sa - a)) == 0;
}

/* One fsync per folder: the entries of a batch mostly share one. */
static void sync_folders(const SyncEntry *e, size_t n, int *err) {
        _cleanup_free_ bool *synced = calloc(n, sizeof(bool));

        for (size_t i = 0; i < n; i++) {
                bool done = false;

                if (err[i] < 0)
                        continue;
                for (size_t j = 0; synced && j < i && !done; j++)
                        done = synced[j] && same_folder(e[j].path, e[i].path);
                if (done)
                        continue;
                err[i] = fsync_directory_of(e[i].path);
                if (synced)
                        synced[i] = err[i] == 0;
        }
}

void sync_batch_flush(SyncBatch *b) {
        SyncEntry *e = b->entries;
        size_t n = b->n;
        _cleanup_free_ int *fds = NULL, *err = NULL;

        if (n == 0)
                return;
        /* Entries queued by a done callback go into the next batch. */
        (void) sd_event_source_set_enabled(b->source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(b->timer, SD_EVENT_OFF);
        b->entries = NULL;
        b->n = b->n_allocated = 0;
        fds = calloc(n, sizeof(int));
        err = calloc(n, sizeof(int));
        if (!fds || !err) {
                for (size_t i = 0; i < n; i++) {
                        /* No memory for the batch: one file at a time. */
                        int fd = open_queued(e[i].path);
                        int r = fd < 0 ? (fd == -ENOENT ? 0 : fd) : (fsync(fd) < 0 ? -errno : 0);
                        if (fd >= 0)
                                close(fd);
                        if (r == 0 && fd >= 0)
                                r = fsync_directory_of(e[i].path);
                        e[i].done(e[i].userdata, r);
                        free(e[i].path);
                }
                free(e);
                return;
        }
        /* Start every file's writeback first, so that each fsync below finds
         * its data on the way and the journal commits are shared. */
        for (size_t i = 0; i < n; i++) {
                fds[i] = open_queued(e[i].path);
                if (fds[i] >= 0)
                        (void) sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
        }
        for (size_t i = 0; i < n; i++) {
                if (fds[i] == -ENOENT)
                        err[i] = 0; /* removed since: nothing to keep */
                else if (fds[i] < 0)
                        err[i] = fds[i];
                else if (fsync(fds[i]) < 0)
                        err[i] = -errno;
        }
        sync_folders(e, n, err);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] >= 0)
                        close(fds[i]);
                if (err[i] < 0)
                        log_warning_errno(err[i], "Cannot flush %s to disk: %m", e[i].path);
                e[i].done(e[i].userdata, err[i]);
                free(e[i].path);
        }
        free(e);
}
