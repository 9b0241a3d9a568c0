/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-use table: what is in memory is what its file says. A change
 * that cannot be saved is not made, and the caller hears of it. */

#include <sys/stat.h>

#include "inuse.h"
#include "process.h"
#include "unit.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-storage-inuse-XXXXXX";

/* The file's place taken by a directory that is not empty: every rename
 * onto it fails. */
static void block(const char *file) {
        _cleanup_free_ char *inner = path_join(file, "x");

        CHECK(unlink(file) == 0 || errno == ENOENT);
        CHECK(mkdir(file, 0700) == 0);
        CHECK(inner && write_file_atomic(inner, "x", 1, 0600) == 0);
}

static void unblock(const char *file) {
        _cleanup_free_ char *inner = path_join(file, "x");

        CHECK(unlink(inner) == 0);
        CHECK(rmdir(file) == 0);
}

static void test_unsaved_changes_are_not_made(void) {
        _cleanup_free_ char *file = path_join(tmpdir, "inuse");
        InUseTable t = {}, again = {};

        CHECK(inuse_init(&t, file) == 0);
        CHECK_INTEQ(inuse_set(&t, "vm1", "/p/a.img", true), 1);
        CHECK_INTEQ(inuse_set(&t, "vm1", "/p/b.img", true), 1);
        CHECK_INTEQ(inuse_set(&t, "vm2", "/p/c.img", true), 1);

        block(file);
        CHECK(inuse_set(&t, "vm3", "/p/d.img", true) < 0);
        CHECK(inuse_owner_of(&t, "/p/d.img") == NULL);
        CHECK(inuse_set(&t, "vm1", "/p/a.img", false) < 0);
        CHECK_STREQ(inuse_owner_of(&t, "/p/a.img"), "vm1");
        CHECK(inuse_release_owner(&t, "vm1") < 0);
        CHECK_STREQ(inuse_owner_of(&t, "/p/a.img"), "vm1");
        CHECK_STREQ(inuse_owner_of(&t, "/p/b.img"), "vm1");
        CHECK_INTEQ(t.n, 3);
        unblock(file);

        /* the file was written last with the three: it still says so */
        CHECK_INTEQ(inuse_release_owner(&t, "vm1"), 2);
        CHECK_INTEQ(inuse_release_owner(&t, "vm1"), 0);
        CHECK(inuse_init(&again, file) == 0);
        CHECK_INTEQ(again.n, 1);
        CHECK_STREQ(inuse_owner_of(&again, "/p/c.img"), "vm2");
        inuse_done(&again);
        inuse_done(&t);
}

/* A guest's chain replaced as a whole: the layers it no longer reads are
 * free, the label (its name) kept across a reload, a failed save changes
 * nothing. */
static void test_replace_owner(void) {
        _cleanup_free_ char *file = path_join(tmpdir, "chains");
        char *chain1[] = { "/p/top.qcow2", "/p/mid.qcow2", "/p/base.raw", "/p/mid.qcow2" };
        char *chain2[] = { "/p/top.qcow2", "/p/base.raw" };
        InUseTable t = {}, again = {};

        CHECK(inuse_init(&t, file) == 0);
        CHECK_INTEQ(inuse_set(&t, "other", "/p/x.raw", true), 1);
        CHECK_INTEQ(inuse_replace_owner(&t, "uuid1", "vm1", chain1, 4), 1);
        CHECK_INTEQ(t.n, 4); /* mid listed twice, kept once */
        CHECK_INTEQ(inuse_replace_owner(&t, "uuid1", "vm1", chain1, 3), 0);
        CHECK_STREQ(inuse_entry_of(&t, "/p/mid.qcow2")->label, "vm1");

        block(file);
        CHECK(inuse_replace_owner(&t, "uuid1", "vm1", chain2, 2) < 0);
        CHECK_STREQ(inuse_owner_of(&t, "/p/mid.qcow2"), "uuid1");
        CHECK_INTEQ(t.n, 4);
        unblock(file);

        CHECK_INTEQ(inuse_replace_owner(&t, "uuid1", "vm1", chain2, 2), 1);
        CHECK(inuse_owner_of(&t, "/p/mid.qcow2") == NULL);
        CHECK_STREQ(inuse_owner_of(&t, "/p/x.raw"), "other");
        CHECK(inuse_init(&again, file) == 0);
        CHECK_INTEQ(again.n, 3);
        CHECK_STREQ(inuse_entry_of(&again, "/p/base.raw")->label, "vm1");
        CHECK(inuse_entry_of(&again, "/p/x.raw")->label == NULL);
        inuse_done(&again);
        CHECK_INTEQ(inuse_replace_owner(&t, "uuid1", "vm1", NULL, 0), 1);
        CHECK_INTEQ(t.n, 1);
        inuse_done(&t);
}

static void test_setup(void) {
        CHECK(mkdtemp(tmpdir) != NULL);
}

static void test_cleanup(void) {
        char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_setup, test_unsaved_changes_are_not_made, test_replace_owner, test_cleanup)
