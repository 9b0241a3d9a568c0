/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcd's cgroup writes (lxc-cgroup.c, lxc-cgroup-procs.c) on a Cgroup
 * whose folders are a temporary tree: what a v2 host and a v1 host get
 * from one definition, freezing (waiting for cgroup.events) and killing
 * what is left. Then freeze, thaw and kill for real on a cgroup of this
 * host's v2 hierarchy (the unified one of a hybrid host), with a child
 * process in it; skipped where there is none or it is not ours to write. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxc-cgroup.h"
#include "unit.h"
#include "util.h"

static DomainDef *parse(const char *xml) {
        DomainDef *def = NULL;
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), &def, &err);

        if (r < 0)
                fprintf(stderr, "  parse: %s\n", err.message);
        CHECK(r >= 0);
        return def;
}

static const char *const tuned_xml =
        "<domain type='lxc'><name>c1</name><memory unit='MiB'>64</memory>"
        "<vcpu cpuset='0-1,^1'>1</vcpu>"
        "<cputune><shares>2048</shares><period>50000</period><quota>25000</quota></cputune>"
        "<blkiotune><weight>300</weight></blkiotune>"
        "<numatune><memory mode='strict' nodeset='0'/></numatune>"
        "<os><type>exe</type><init>/bin/sh</init></os><devices/></domain>";

static void put(const char *dir, const char *file, const char *text) {
        _cleanup_free_ char *p = path_join(dir, file);
        FILE *f = p ? fopen(p, "we") : NULL;

        CHECK(f);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static char *get(const char *dir, const char *file) {
        _cleanup_free_ char *p = path_join(dir, file);
        char *s = NULL;

        if (p && read_full_file(p, 4096, &s, NULL) >= 0) {
                size_t n = strlen(s);
                if (n && s[n - 1] == '\n')
                        s[n - 1] = 0;
        }
        return s ? s : strdup("(none)");
}

#define CHECK_FILE(dir, file, want)                      \
        do {                                             \
                _cleanup_free_ char *_s = get(dir, file); \
                CHECK_STREQ(_s, want);                   \
        } while (0)

static char *tree(void) {
        char tmpl[] = "/tmp/vb-lxc-cgroup-XXXXXX";
        char *d = mkdtemp(tmpl);

        CHECK(d);
        return d ? strdup(d) : NULL;
}

static void remove_tree(char *dir) {
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
        free(dir);
}

/* The one folder of a v2 cgroup, as the kernel makes it (files empty). */
static void fake_v2(Cgroup *cg, char *dir) {
        static const char *const files[] = { "memory.max", "memory.high", "memory.swap.max", "cpu.weight",
                                             "cpu.max", "io.weight", "cpuset.cpus", "cpuset.mems",
                                             "cgroup.freeze", "cgroup.procs", "cgroup.kill" };

        memset(cg, 0, sizeof(*cg));
        cg->v2 = true;
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                put(dir, files[i], "");
        put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (c != CGROUP_CPUACCT && c != CGROUP_FREEZER && c != CGROUP_DEVICES)
                        cg->dirs[c] = dir;
}

static void test_v2_limits(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse(tuned_xml);
        char *dir = tree(), msg[512] = "";
        Cgroup cg;

        if (!def || !dir)
                return;
        fake_v2(&cg, dir);
        CHECK_INTEQ(lxc_cgroup_apply(&cg, def, msg, sizeof(msg)), 0);
        if (*msg)
                fprintf(stderr, "  %s\n", msg);
        /* <memory> is the hard limit when <memtune> sets none */
        CHECK_FILE(dir, "memory.max", "67108864");
        CHECK_FILE(dir, "cpu.weight", "2048");
        CHECK_FILE(dir, "cpu.max", "25000 50000");
        CHECK_FILE(dir, "io.weight", "default 300");
        CHECK_FILE(dir, "cpuset.cpus", "0");
        CHECK_FILE(dir, "cpuset.mems", "0");
        remove_tree(dir);
}

static void test_v1_limits(void) {
        static const char *const ctl[] = { [CGROUP_CPU] = "cpu", [CGROUP_CPUACCT] = "cpuacct",
                                           [CGROUP_CPUSET] = "cpuset", [CGROUP_MEMORY] = "memory",
                                           [CGROUP_IO] = "blkio", [CGROUP_PIDS] = "pids",
                                           [CGROUP_FREEZER] = "freezer", [CGROUP_DEVICES] = NULL };
        static const char *const files[] = { "cpu/cpu.shares", "cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us",
                                             "memory/memory.limit_in_bytes", "memory/memory.soft_limit_in_bytes",
                                             "blkio/blkio.weight", "cpuset/cpuset.cpus", "cpuset/cpuset.mems",
                                             "freezer/freezer.state" };
        _cleanup_(domain_def_freep) DomainDef *def = parse(tuned_xml);
        char *dir = tree(), msg[512] = "";
        Cgroup cg = {};

        if (!def || !dir)
                return;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!ctl[c])
                        continue;
                cg.dirs[c] = path_join(dir, ctl[c]);
                CHECK(mkdir(cg.dirs[c], 0755) == 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                put(dir, files[i], "");
        CHECK_INTEQ(lxc_cgroup_apply(&cg, def, msg, sizeof(msg)), 0);
        if (*msg)
                fprintf(stderr, "  %s\n", msg);
        CHECK_FILE(dir, "memory/memory.limit_in_bytes", "67108864");
        CHECK_FILE(dir, "cpu/cpu.shares", "2048");
        CHECK_FILE(dir, "cpu/cpu.cfs_period_us", "50000");
        CHECK_FILE(dir, "cpu/cpu.cfs_quota_us", "25000");
        CHECK_FILE(dir, "blkio/blkio.weight", "300");
        CHECK_FILE(dir, "cpuset/cpuset.cpus", "0");
        CHECK_FILE(dir, "cpuset/cpuset.mems", "0");
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, true), 0);
        CHECK_FILE(dir, "freezer/freezer.state", "FROZEN");
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, false), 0);
        CHECK_FILE(dir, "freezer/freezer.state", "THAWED");
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                free(cg.dirs[c]);
        remove_tree(dir);
}

/* Bad <vcpu cpuset>: named, nothing written. */
static void test_cpuset_refused(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse("<domain type='lxc'><name>c1</name><memory unit='MiB'>64</memory>"
                      "<vcpu cpuset='0'>1</vcpu><os><type>exe</type><init>/bin/sh</init></os><devices/></domain>");
        char *dir = tree(), msg[512] = "";
        Cgroup cg;

        if (!def || !dir)
                return;
        fake_v2(&cg, dir);
        cg.dirs[CGROUP_CPUSET] = NULL;
        CHECK_INTEQ(lxc_cgroup_apply(&cg, def, msg, sizeof(msg)), -EOPNOTSUPP);
        CHECK(strstr(msg, "<vcpu cpuset>") && strstr(msg, "no cpuset cgroup controller"));
        remove_tree(dir);
}

/* Suspend waits for cgroup.events to say frozen, and gives up (thawed
 * again) when it never does. */
static void test_v2_freeze(void) {
        char *dir = tree();
        Cgroup cg;

        if (!dir)
                return;
        fake_v2(&cg, dir);
        put(dir, "cgroup.events", "populated 1\nfrozen 1\n");
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, true), 0);
        CHECK_FILE(dir, "cgroup.freeze", "1");
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, false), 0);
        CHECK_FILE(dir, "cgroup.freeze", "0");
        put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, true), -ETIMEDOUT);
        CHECK_FILE(dir, "cgroup.freeze", "0");
        remove_tree(dir);
}

static pid_t sleeper(void) {
        pid_t pid = fork();

        if (pid == 0) {
                for (;;)
                        pause();
        }
        CHECK(pid > 0);
        return pid;
}

static bool killed(pid_t pid) {
        int status = 0;

        return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* v2 with cgroup.kill: one write; without (before Linux 5.14) and on v1:
 * each process listed. */
static void test_kill_all(void) {
        char *dir = tree(), pids[32];
        Cgroup cg;
        pid_t pid;

        if (!dir)
                return;
        fake_v2(&cg, dir);
        CHECK_INTEQ(lxc_cgroup_kill_all(&cg), 0);
        CHECK_FILE(dir, "cgroup.kill", "1");
        _cleanup_free_ char *kill_file = path_join(dir, "cgroup.kill");
        CHECK(unlink(kill_file) == 0);
        pid = sleeper();
        snprintf(pids, sizeof(pids), "%d\n", (int) pid);
        put(dir, "cgroup.procs", pids);
        CHECK_INTEQ(lxc_cgroup_kill_all(&cg), 0);
        CHECK(killed(pid));

        cg.v2 = false;
        pid = sleeper();
        snprintf(pids, sizeof(pids), "%d\n", (int) pid);
        put(dir, "cgroup.procs", pids);
        CHECK_INTEQ(lxc_cgroup_kill_all(&cg), 0);
        CHECK(killed(pid));
        remove_tree(dir);
}

/* The host's v2 hierarchy: the whole of it, or a hybrid host's unified one. */
static const char *v2_root(void) {
        if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
                return "/sys/fs/cgroup";
        if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
                return "/sys/fs/cgroup/unified";
        return NULL;
}

static void test_v2_real(void) {
        const char *root = v2_root();
        char dir[256], freeze[300], pids[32];
        Cgroup cg = { .v2 = true };
        int frozen;
        pid_t pid;

        if (!root)
                UNIT_SKIP("no cgroup v2 hierarchy on this host");
        snprintf(dir, sizeof(dir), "%s/virtbus-unit-%d", root, (int) getpid());
        if (mkdir(dir, 0755) < 0)
                UNIT_SKIP("cannot make a cgroup in the v2 hierarchy (not root?)");
        snprintf(freeze, sizeof(freeze), "%s/cgroup.freeze", dir);
        if (access(freeze, F_OK) < 0) {
                (void) rmdir(dir);
                UNIT_SKIP("the kernel's cgroup v2 has no freezer (before Linux 5.2)");
        }
        cg.dirs[CGROUP_PIDS] = dir;
        pid = sleeper();
        snprintf(pids, sizeof(pids), "%d", (int) pid);
        put(dir, "cgroup.procs", pids);
        CHECK(cgroup_is_populated(&cg));
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, true), 0);
        _cleanup_free_ char *events = get(dir, "cgroup.events");
        frozen = strstr(events, "frozen 1") != NULL;
        CHECK(frozen);
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, false), 0);
        CHECK_FILE(dir, "cgroup.freeze", "0");
        /* killed while frozen too: thawed on the way */
        CHECK_INTEQ(lxc_cgroup_set_frozen(&cg, true), 0);
        CHECK_INTEQ(lxc_cgroup_kill_all(&cg), 0);
        CHECK(killed(pid));
        for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
                usleep(10000);
        CHECK(access(dir, F_OK) < 0);
}

UNIT_TESTS(test_v2_limits, test_v1_limits, test_cpuset_refused, test_v2_freeze, test_kill_all, test_v2_real)
