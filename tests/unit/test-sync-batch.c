/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/sync-batch.c on real files: nothing is answered before its batch's
 * flush; every queued file is answered once, with 0; a file removed before
 * the flush counts as done; what a callback queues goes into the next batch;
 * freeing flushes what is left. */
#include "sync-batch.h"
#include "unit.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-sync-batch-XXXXXX";
static sd_event *event;
static SyncBatch *batch;

typedef struct Done {
        int calls;
        int error;
        const char *requeue; /* queued again from the callback */
} Done;

static void on_done(void *userdata, int error) {
        Done *d = userdata;

        d->calls++;
        d->error = error;
        if (d->requeue) {
                const char *p = d->requeue;
                d->requeue = NULL;
                CHECK(sync_batch_queue(batch, p, on_done, d) == 0);
        }
}

static char *write_one(const char *name) {
        char *p = path_join(tmpdir, name);

        CHECK(p && write_file_replace(p, name, strlen(name), 0600) == 0);
        return p;
}

static void run_until(const int *calls, int want) {
        for (int i = 0; i < 500 && *calls < want; i++)
                CHECK(sd_event_run(event, 10000) >= 0);
        CHECK_INTEQ(*calls, want);
}

static void test_batch(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *gone = NULL, *again = NULL;
        Done da = {}, db = {}, dg = {};

        CHECK(mkdtemp(tmpdir) != NULL);
        CHECK(sd_event_default(&event) >= 0);
        CHECK(sync_batch_new(event, &batch) == 0);
        a = write_one("a.xml");
        b = write_one("b.xml");
        gone = write_one("gone.xml");
        again = write_one("again.xml");
        db.requeue = again;
        CHECK(sync_batch_queue(batch, a, on_done, &da) == 0);
        CHECK(sync_batch_queue(batch, b, on_done, &db) == 0);
        CHECK(sync_batch_queue(batch, gone, on_done, &dg) == 0);
        CHECK(unlink(gone) == 0);
        CHECK_INTEQ(da.calls + db.calls + dg.calls, 0);
        run_until(&dg.calls, 1);
        CHECK_INTEQ(da.calls, 1);
        CHECK_INTEQ(da.error, 0);
        CHECK_INTEQ(dg.error, 0);
        /* b's callback queued "again": answered by the next batch. */
        run_until(&db.calls, 2);
        CHECK_INTEQ(db.error, 0);
}

static void test_free_flushes(void) {
        _cleanup_free_ char *c = write_one("c.xml");
        _cleanup_free_ char *cmd = NULL;
        Done dc = {};

        CHECK(sync_batch_queue(batch, c, on_done, &dc) == 0);
        CHECK_INTEQ(dc.calls, 0);
        batch = sync_batch_free(batch);
        CHECK_INTEQ(dc.calls, 1);
        CHECK_INTEQ(dc.error, 0);
        sd_event_unref(event);
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_batch, test_free_flushes)
