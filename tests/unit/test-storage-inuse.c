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

static void test_setup(void) {
        CHECK(mkdtemp(tmpdir) != NULL);
}

static void test_cleanup(void) {
        char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_setup, test_unsaved_changes_are_not_made, test_cleanup)
