/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup v2 device filter (common/cgroup-bpf.c, cgroup-devices.c): the
 * rules, the program built and read back, and on this host's cgroup2
 * hierarchy for real: a process of the cgroup opens what the list allows
 * and nothing else, the program swapped on a change, found again by a
 * fresh Cgroup (a daemon restarted), gone with the cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-bpf.h"
#include "cgroup-devices.h"
#include "cgroup.h"
#include "macro.h"
#include "unit.h"
#include "util.h"

static void check_roundtrip(const char *text, const char *want) {
        CgroupDevRule r;
        char buf[64] = "";

        CHECK_INTEQ(cgroup_dev_rule_parse(text, &r), 0);
        cgroup_dev_rule_format(&r, buf, sizeof(buf));
        CHECK_STREQ(buf, want);
}

static void test_rule_syntax(void) {
        CgroupDevRule r;

        check_roundtrip("c 1:3 rwm", "c 1:3 rwm");
        check_roundtrip("b 7:* wr", "b 7:* rw");
        check_roundtrip("a *:* m", "a *:* m");
        check_roundtrip("c 136:4095 r", "c 136:4095 r");
        CHECK_INTEQ(cgroup_dev_rule_parse("x 1:3 r", &r), -EINVAL);
        CHECK_INTEQ(cgroup_dev_rule_parse("c 1:3", &r), -EINVAL);
        CHECK_INTEQ(cgroup_dev_rule_parse("c 1:3 ", &r), -EINVAL);
        CHECK_INTEQ(cgroup_dev_rule_parse("c 1-3 r", &r), -EINVAL);
        CHECK_INTEQ(cgroup_dev_rule_parse("c 1:3 rx", &r), -EINVAL);
        CHECK_INTEQ(cgroup_dev_rule_parse("c 4294967295:1 r", &r), -EINVAL);
}

static void add(CgroupDevList *l, const char *text) {
        CgroupDevRule r;

        CHECK_INTEQ(cgroup_dev_rule_parse(text, &r), 0);
        CHECK_INTEQ(cgroup_dev_list_add(l, &r), 0);
}

static void del(CgroupDevList *l, const char *text) {
        CgroupDevRule r;

        CHECK_INTEQ(cgroup_dev_rule_parse(text, &r), 0);
        cgroup_dev_list_remove(l, &r);
}

/* As v1 merges devices.allow and devices.deny lines. */
static void test_list(void) {
        CgroupDevList l = {};

        add(&l, "b 8:0 r");
        add(&l, "b 8:0 w");
        add(&l, "c 136:* rwm");
        CHECK_INTEQ((int) l.n, 2);
        CHECK(cgroup_dev_list_allows(&l, 'b', 8, 0, CGROUP_DEV_READ | CGROUP_DEV_WRITE));
        CHECK(!cgroup_dev_list_allows(&l, 'b', 8, 0, CGROUP_DEV_MKNOD));
        CHECK(!cgroup_dev_list_allows(&l, 'c', 8, 0, CGROUP_DEV_READ));
        CHECK(cgroup_dev_list_allows(&l, 'c', 136, 77, CGROUP_DEV_ALL));
        del(&l, "b 8:0 w");
        CHECK(cgroup_dev_list_allows(&l, 'b', 8, 0, CGROUP_DEV_READ));
        CHECK(!cgroup_dev_list_allows(&l, 'b', 8, 0, CGROUP_DEV_WRITE));
        del(&l, "b 8:0 rwm");
        CHECK_INTEQ((int) l.n, 1);
        del(&l, "b 9:9 rwm"); /* not there: nothing */
        CHECK_INTEQ((int) l.n, 1);
        cgroup_dev_list_clear(&l);
}

static void test_build_decode(void) {
        static const char *const rules[] = { "c 1:3 rwm", "b 7:* rw", "a *:* m", "c *:5 r", "b 8:16 r" };
        CgroupDevList l = {}, back = {};
        _cleanup_free_ void *insns = NULL;
        size_t count = 0;

        for (size_t i = 0; i < ELEMENTSOF(rules); i++)
                add(&l, rules[i]);
        CHECK_INTEQ(cgroup_bpf_build(&l, &insns, &count), 0);
        /* prologue 6, epilogue 2, each rule 3 a check and 5 */
        CHECK_INTEQ((int) count, 6 + 2 + (9 + 5) + (6 + 5) + (0 + 5) + (6 + 5) + (9 + 5));
        CHECK_INTEQ(cgroup_bpf_decode(insns, count, &back), 0);
        CHECK_INTEQ((int) back.n, (int) ELEMENTSOF(rules));
        for (size_t i = 0; i < back.n && i < ELEMENTSOF(rules); i++) {
                char buf[64];

                cgroup_dev_rule_format(&back.rules[i], buf, sizeof(buf));
                CHECK_STREQ(buf, rules[i]);
        }
        cgroup_dev_list_clear(&back);
        /* anything else is not ours */
        ((struct bpf_insn *) insns)[8].off++; /* the first rule's first jump */
        CHECK_INTEQ(cgroup_bpf_decode(insns, count, &back), -EBADMSG);
        CHECK_INTEQ(cgroup_bpf_decode(insns, 3, &back), -EBADMSG);
        cgroup_dev_list_clear(&l);
        free(insns);
        /* the empty list denies everything */
        insns = NULL;
        CHECK_INTEQ(cgroup_bpf_build(&l, &insns, &count), 0);
        CHECK_INTEQ((int) count, 8);
        CHECK_INTEQ(cgroup_bpf_decode(insns, count, &back), 0);
        CHECK_INTEQ((int) back.n, 0);
}

/* --- on the host's cgroup2 hierarchy ------------------------------------------ */

/* A child that joins dir and opens path with flags: its errno, 0 when opened. */
static int open_in(const char *dir, const char *path, int flags) {
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                _cleanup_free_ char *procs = path_join(dir, "cgroup.procs");
                int fd = open(procs, O_WRONLY | O_CLOEXEC);

                if (fd < 0 || write(fd, "0", 1) != 1)
                        _exit(100);
                close(fd);
                fd = open(path, flags | O_CLOEXEC);
                _exit(fd >= 0 ? 0 : errno);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static int ids_attached(const char *dir) {
        _cleanup_free_ uint32_t *ids = NULL;
        size_t n = 0;

        return cgroup_bpf_query(dir, &ids, &n) < 0 ? -1 : (int) n;
}

static void test_live_filter(void) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL, *again = NULL;
        _cleanup_free_ char *path = NULL;
        char reason[160];
        const char *base = NULL;
        int r;

        if (geteuid() != 0)
                { UNIT_SKIP("not root: cannot make cgroups or load BPF programs"); return; }
        setenv("VIRTBUS_CGROUP_DEVICES", "bpf", 1);
        if (cgroup_device_filter(&base) != CGROUP_DEVICE_FILTER_BPF)
                { UNIT_SKIP("no cgroup2 hierarchy here (/sys/fs/cgroup or /sys/fs/cgroup/unified)"); return; }
        path = cgroup_machine_path("/tmp/virtbus-test-cgroup-bpf", "qemu", getpid(), "bpf");
        if ((r = cgroup_open(path, true, &cg)) < 0 || !cg->bpf_dir) {
                snprintf(reason, sizeof(reason), "cannot make a cgroup in %s: %s", base, strerror(r < 0 ? -r : ENOENT));
                { UNIT_SKIP(reason); return; }
        }
        if ((r = cgroup_bpf_supported(cg->bpf_dir)) < 0) {
                snprintf(reason, sizeof(reason), "this kernel loads no cgroup device program: %s", strerror(-r));
                (void) cgroup_remove(cg, 1000);
                UNIT_SKIP(reason);
                return;
        }
        CHECK(cgroup_devices_enabled(cg));
        CHECK_INTEQ(ids_attached(cg->bpf_dir), 0);
        /* nothing attached yet: an allow alone adds no filter */
        CHECK_INTEQ(cgroup_devices_allow(cg, "/dev/null", false), 0);
        CHECK_INTEQ(cgroup_devices_commit(cg), 0);
        CHECK_INTEQ(ids_attached(cg->bpf_dir), 0);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/zero", O_RDONLY), 0);

        /* the standard nodes only, less /dev/zero */
        CHECK_INTEQ(cgroup_devices_restrict(cg), 0);
        CHECK_INTEQ(cgroup_devices_deny(cg, "/dev/zero"), 0);
        CHECK_INTEQ(cgroup_devices_commit(cg), 0);
        CHECK_INTEQ(ids_attached(cg->bpf_dir), 1);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/null", O_RDWR), 0);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/zero", O_RDONLY), EPERM);

        /* a fresh Cgroup (a restarted daemon) reads the list back from the
         * kernel: /dev/zero read-only is added to it, not put in its place */
        CHECK_INTEQ(cgroup_open(path, false, &again), 0);
        CHECK_INTEQ(cgroup_devices_allow(again, "/dev/zero", true), 0);
        CHECK_INTEQ(cgroup_devices_commit(again), 0);
        CHECK_INTEQ(ids_attached(cg->bpf_dir), 1); /* swapped, not added */
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/zero", O_RDONLY), 0);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/zero", O_WRONLY), EPERM);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/null", O_RDWR), 0);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/full", O_RDWR), 0);

        CHECK_INTEQ(cgroup_bpf_detach(cg->bpf_dir), 0);
        CHECK_INTEQ(ids_attached(cg->bpf_dir), 0);
        CHECK_INTEQ(open_in(cg->bpf_dir, "/dev/zero", O_WRONLY), 0);
        CHECK_INTEQ(cgroup_remove(cg, 2000), 0);
        CHECK(access(cg->bpf_dir, F_OK) < 0);
}

UNIT_TESTS(test_rule_syntax, test_list, test_build_decode, test_live_filter)
