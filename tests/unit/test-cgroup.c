/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest's cgroup as libvirt and systemd-machined name it, and the module
 * on the host's real hierarchy (v1 or v2, whichever it has). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "macro.h"
#include "unit.h"
#include "util.h"

static void check_escape(const char *in, const char *want) {
        _cleanup_free_ char *s = cgroup_unit_escape(in);
        CHECK_STREQ(s, want);
}

static void test_unit_escape(void) {
        check_escape("qemu-1-web", "qemu\\x2d1\\x2dweb");
        check_escape("a_b:c.d", "a_b:c.d");
        check_escape(".hidden", "\\x2ehidden");
        check_escape("a/b", "a-b");
        check_escape("sp ace\\", "sp\\x20ace\\x5c");
        check_escape("\xc3\xa9", "\\xc3\\xa9");
}

static void check_machine(const char *driver, int id, const char *name, const char *want) {
        _cleanup_free_ char *s = cgroup_machine_name(driver, id, name);
        CHECK_STREQ(s, want);
}

static void test_machine_name(void) {
        check_machine("qemu", 1, "web", "qemu-1-web");
        check_machine("lxc", 12, "my_box", "lxc-12-mybox");
        check_machine("qemu", 3, "a..b--c.-d", "qemu-3-a.b-c.d");
        check_machine("qemu", 4, "trail-.", "qemu-4-trail");
        check_machine("qemu", 5, "-lead", "qemu-5-lead");
        check_machine("qemu", 6, "\xc3\xa9t\xc3\xa9 1", "qemu-6-t1");
        /* 64 bytes at most */
        check_machine("qemu", 7,
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                      "qemu-7-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void test_machine_path(void) {
        _cleanup_free_ char *sys = cgroup_machine_path(NULL, "qemu", 1, "web");
        _cleanup_free_ char *lxc = cgroup_machine_path(NULL, "lxc", 2, "c1");
        _cleanup_free_ char *a = cgroup_machine_path("/tmp/a", "qemu", 1, "web");
        _cleanup_free_ char *b = cgroup_machine_path("/tmp/b", "qemu", 1, "web");
        _cleanup_free_ char *pa = cgroup_partition("/tmp/a");

        CHECK_STREQ(sys, "machine.slice/machine-qemu\\x2d1\\x2dweb.scope");
        CHECK_STREQ(lxc, "machine.slice/machine-lxc\\x2d2\\x2dc1.scope");
        /* two private roots never share a guest's cgroup */
        CHECK(a && b && !streq(a, b));
        /* the hash is FNV-1a of the root: tests/integration/virtbus_harness.py's
         * cleanup computes the same to remove what a killed guest left */
        CHECK_STREQ(pa, "machine.slice/machine-virtbus\\x2d6cc13bddf2746ce7.slice");
        CHECK(a && pa && strncmp(a, pa, strlen(pa)) == 0 && endswith(a, "/machine-qemu\\x2d1\\x2dweb.scope"));
}

static void test_controller_names(void) {
        CHECK_STREQ(cgroup_controller_name(CGROUP_IO, true), "io");
        CHECK_STREQ(cgroup_controller_name(CGROUP_IO, false), "blkio");
        CHECK(cgroup_controller_name(CGROUP_FREEZER, true) == NULL);
        CHECK(cgroup_controller_name(_CGROUP_CONTROLLER_MAX, true) == NULL);
}

/* The real thing: made, a process in it, a value set and read back,
 * removed once the process is gone. */
static void test_live(void) {
        _cleanup_free_ char *root = NULL, *path = NULL, *value = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL, *again = NULL;
        pid_t pid;
        int r;

        if (geteuid() != 0)
                UNIT_SKIP("not root: cannot make cgroups");
        if (asprintf(&root, "/unit-test-cgroup-%d", (int) getpid()) < 0)
                abort();
        path = cgroup_machine_path(root, "qemu", 1, "unit-test");
        r = cgroup_open(path, true, &cg);
        if (r == -EOPNOTSUPP || r == -EROFS || r == -EACCES)
                UNIT_SKIP("the host's cgroups cannot be written here");
        CHECK_INTEQ(r, 0);
        if (r < 0)
                return;
        CHECK(cgroup_open(path, false, &again) == 0);
        pid = fork();
        if (pid == 0) {
                pause();
                _exit(0);
        }
        CHECK_INTEQ(cgroup_attach(cg, pid), 0);
        CHECK(cgroup_is_populated(cg));
        if (cgroup_has(cg, CGROUP_PIDS)) {
                CHECK_INTEQ(cgroup_set(cg, CGROUP_PIDS, "pids.max", "50"), 0);
                CHECK_INTEQ(cgroup_get(cg, CGROUP_PIDS, "pids.max", &value), 0);
                CHECK_STREQ(value, "50");
        }
        /* busy while the process lives */
        CHECK_INTEQ(cgroup_remove(cg, 50), -EBUSY);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CHECK_INTEQ(cgroup_remove(cg, 2000), 0);
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->dirs[c])
                        CHECK(access(cg->dirs[c], F_OK) < 0);
        cgroup_free(TAKE_PTR(again));
        /* the private partition went with it */
        CHECK(cgroup_open(path, false, &again) == -ENOENT);
}

UNIT_TESTS(test_unit_escape, test_machine_name, test_machine_path, test_controller_names, test_live)
