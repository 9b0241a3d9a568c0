/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/confine.c: the settings, and what a confined child is left with
 * (checked in a forked child, in its /proc/self/status). */
#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "conf-file.h"
#include "confine.h"
#include "confine-ns.h"
#include "unit.h"
#include "util.h"

static void test_conf(void) {
        ConfineConf c;

        confine_conf_init(&c);
        CHECK(c.seccomp_sandbox == 1 && c.clear_caps);
        CHECK(confine_conf_flags(&c) == (CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS | CONFINE_MOUNT_NS));
        CHECK_INTEQ(conf_parse_text("seccomp_sandbox = 0\nclear_emulator_capabilities = 0\n", confine_conf_apply, &c,
                                    NULL), 0);
        CHECK(c.seccomp_sandbox == 0 && !c.clear_caps);
        CHECK(confine_conf_flags(&c) == (CONFINE_NO_NEW_PRIVS | CONFINE_MOUNT_NS));
        CHECK_INTEQ(conf_parse_text("seccomp_sandbox = -1\n", confine_conf_apply, &c, NULL), 0);
        CHECK(c.seccomp_sandbox == -1);
        CHECK(conf_parse_text("seccomp_sandbox = 2\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "seccomp_sandbox = 2"));
        CHECK(conf_parse_text("clear_emulator_capabilities = yes\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "clear_emulator_capabilities = yes"));
        /* other groups' keys are theirs */
        CHECK_INTEQ(conf_parse_text("user = \"+64055\"\n", confine_conf_apply, &c, NULL), 0);
}

/* The value of one "Key:\t..." line of /proc/self/status. */
static unsigned long long status_field(const char *key) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        size_t n = strlen(key);

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, key, n) == 0 && line[n] == ':')
                        return strtoull(line + n + 1, NULL, 16);
        return ~0ULL;
}

static int child_check(unsigned flags) {
        if (confine_child(flags) < 0)
                return 10;
        if (status_field("NoNewPrivs") != ((flags & CONFINE_NO_NEW_PRIVS) ? 1 : 0))
                return 11;
        if ((flags & CONFINE_DROP_CAPS) &&
            (status_field("CapBnd") != 0 || status_field("CapInh") != 0 || status_field("CapAmb") != 0))
                return 12;
        /* what the child still does before exec: its permitted set stays */
        if ((flags & CONFINE_DROP_CAPS) && status_field("CapEff") == 0)
                return 13;
        return 0;
}

static int run_child(unsigned flags) {
        int status;
        pid_t pid = fork();

        if (pid == 0)
                _exit(child_check(flags));
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

/* A child confined with flags, then nobody, then sh: its capability sets
 * after the exec are what QEMU's would be; 0 when CapEff and CapBnd are want. */
static int run_exec_as_nobody(unsigned flags, const char *want) {
        char script[256];
        int status;
        pid_t pid;

        snprintf(script, sizeof(script), "grep -q '^CapEff:[[:space:]]*%s$' /proc/self/status && "
                 "grep -q '^CapBnd:[[:space:]]*%s$' /proc/self/status", want, want);
        pid = fork();
        if (pid == 0) {
                if (confine_child(flags) < 0 || setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                    setresuid(65534, 65534, 65534) < 0 || confine_child_after_setuid(flags) < 0)
                        _exit(20);
                execl("/bin/sh", "sh", "-c", script, (char *) NULL);
                _exit(21);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

/* <disk rawio='yes'>: QEMU of any user keeps CAP_SYS_RAWIO (bit 17) and
 * nothing else; without it, nothing. */
static void test_keep_rawio(void) {
        unsigned drop = CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS;

        if (geteuid() != 0) {
                UNIT_SKIP("not root: there are no capabilities to keep");
                return;
        }
        CHECK_INTEQ(run_exec_as_nobody(drop | CONFINE_KEEP_RAWIO, "0000000000020000"), 0);
        CHECK_INTEQ(run_exec_as_nobody(drop, "0000000000000000"), 0);
}

static void test_child(void) {
        if (geteuid() != 0) {
                UNIT_SKIP("not root: there are no capabilities to drop");
                return;
        }
        CHECK_INTEQ(run_child(CONFINE_NO_NEW_PRIVS), 0);
        CHECK_INTEQ(run_child(CONFINE_DROP_CAPS), 0);
        CHECK_INTEQ(run_child(CONFINE_NO_NEW_PRIVS | CONFINE_DROP_CAPS), 0);
}

static void test_namespaces_conf(void) {
        ConfineConf c;

        confine_conf_init(&c);
        CHECK(c.mount_ns);
        CHECK(confine_conf_flags(&c) & CONFINE_MOUNT_NS);
        CHECK_INTEQ(conf_parse_text("namespaces = []\n", confine_conf_apply, &c, NULL), 0);
        CHECK(!c.mount_ns);
        CHECK(!(confine_conf_flags(&c) & CONFINE_MOUNT_NS));
        CHECK_INTEQ(conf_parse_text("namespaces = [ \"mount\" ]\n", confine_conf_apply, &c, NULL), 0);
        CHECK(c.mount_ns);
        CHECK_INTEQ(conf_parse_text("namespaces = [  ]  # none\n", confine_conf_apply, &c, NULL), 0);
        CHECK(!c.mount_ns);
        CHECK_INTEQ(conf_parse_text("namespaces = [\"mount\",]\n", confine_conf_apply, &c, NULL), 0);
        CHECK(c.mount_ns);
        CHECK(conf_parse_text("namespaces = [ \"net\" ]\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(strstr(c.bad, "namespaces = [ \"net\" ]"));
        CHECK(conf_parse_text("namespaces = mount\n", confine_conf_apply, &c, NULL) < 0);
        CHECK(conf_parse_text("namespaces = [ \"mount\" \"mount\" ]\n", confine_conf_apply, &c, NULL) < 0);
}

static void test_dev_submounts(void) {
        static const char text[] =
                "22 1 0:5 / /dev rw - devtmpfs devtmpfs rw\n"
                "23 22 0:21 / /dev/shm rw - tmpfs tmpfs rw\n"
                "24 22 0:22 / /dev/pts rw - devpts devpts rw\n"
                "25 24 0:22 / /dev/pts rw - devpts devpts rw\n"
                "26 22 0:30 / /dev/hugepages rw - hugetlbfs hugetlbfs rw\n"
                "27 26 0:31 / /dev/hugepages/sub rw - tmpfs tmpfs rw\n"
                "28 1 0:32 / /devices rw - tmpfs tmpfs rw\n"
                "29 1 0:33 / /run rw - tmpfs tmpfs rw\n";
        _cleanup_strv_free_ char **l = NULL;

        CHECK_INTEQ(confine_ns_dev_submounts(text, &l), 0);
        CHECK_INTEQ((int) strv_length(l), 3);
        CHECK_STREQ(l[0], "/dev/shm");
        CHECK_STREQ(l[1], "/dev/pts");
        CHECK_STREQ(l[2], "/dev/hugepages");
        l = strv_free_null(l);
        CHECK_INTEQ(confine_ns_dev_submounts("", &l), 0);
        CHECK(l && !l[0]);
}

static void test_root_shared(void) {
        CHECK_INTEQ(confine_ns_root_shared("26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"), 0);
        CHECK_INTEQ(confine_ns_root_shared("26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                                           "27 26 0:5 / /dev rw shared:2 - devtmpfs devtmpfs rw\n"), 1);
        /* the last mount on / counts; a "shared:" past " - " is not a tag */
        CHECK_INTEQ(confine_ns_root_shared("26 1 254:0 / / rw shared:1 - ext4 /dev/vda rw\n"
                                           "30 26 0:9 / / rw master:1 - tmpfs shared:7 rw\n"), 0);
        CHECK_INTEQ(confine_ns_root_shared("27 26 0:5 / /dev rw shared:2 - devtmpfs devtmpfs rw\n"), -ENOENT);
}

/* In a forked child: a private /dev holds exactly the nodes asked for (a
 * missing one left out), as the host has them, the standard links, and
 * the host's mounts below /dev; the host's /dev is untouched. */
static int ns_child_check(void) {
        char *const nodes[] = { "/dev/null", "/dev/urandom", "/dev/ptmx", "/dev/no-such-node", "/etc/passwd", NULL };
        static const char *const want[] = { "null", "urandom", "ptmx", "fd", "stdin", "stdout", "stderr" };
        struct stat host_null, st;
        struct dirent *e;
        DIR *dh;
        int fd;

        if (stat("/dev/null", &host_null) < 0 || confine_ns_child(nodes) < 0)
                return 20;
        if (stat("/dev/null", &st) < 0 || st.st_rdev != host_null.st_rdev || (st.st_mode & 07777) != 0666)
                return 21;
        fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || write(fd, "x", 1) != 1)
                return 22;
        close(fd);
        dh = opendir("/dev");
        if (!dh)
                return 23;
        while ((e = readdir(dh))) {
                bool ok = streq(e->d_name, ".") || streq(e->d_name, "..");

                for (size_t i = 0; i < ELEMENTSOF(want); i++)
                        ok = ok || streq(e->d_name, want[i]);
                /* a host mount right below /dev: a directory */
                ok = ok || (e->d_type == DT_DIR);
                if (!ok)
                        return 24;
        }
        closedir(dh);
        if (access("/dev/pts", F_OK) == 0) {
                /* a pty opens, and it is the host's devpts */
                fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);
                if (fd < 0)
                        return 25;
                close(fd);
        }
        return access("/dev/zero", F_OK) == 0 ? 26 : 0;
}

static void test_ns_child(void) {
        struct stat before, after;
        int status;
        pid_t pid;

        if (geteuid() != 0) {
                UNIT_SKIP("not root: no mount namespace to make");
                return;
        }
        CHECK(stat("/dev/zero", &before) == 0);
        pid = fork();
        if (pid == 0)
                _exit(ns_child_check());
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
        CHECK_INTEQ(WEXITSTATUS(status), 0);
        /* the host's /dev is as it was */
        CHECK(stat("/dev/zero", &after) == 0 && after.st_rdev == before.st_rdev);
}

/* A running process's namespace: a node made there and removed again,
 * the host's /dev never touched. */
static void test_ns_add_remove(void) {
        int p[2], status;
        char c, path[128];
        struct stat st;
        pid_t pid;

        if (geteuid() != 0) {
                UNIT_SKIP("not root: no mount namespace to make");
                return;
        }
        CHECK(pipe(p) == 0);
        pid = fork();
        if (pid == 0) {
                char *const nodes[] = { "/dev/null", NULL };

                close(p[1]);
                if (confine_ns_child(nodes) < 0)
                        _exit(1);
                (void) !read(p[0], &c, 1);
                _exit(0);
        }
        CHECK(pid > 0);
        close(p[0]);
        /* the child unshares before anything: wait until it is in its own */
        for (int i = 0; i < 2000 && confine_ns_is_private(pid) == 0; i++)
                usleep(1000);
        CHECK_INTEQ(confine_ns_is_private(pid), 1);
        CHECK_INTEQ(confine_ns_is_private(getpid()), 0);
        snprintf(path, sizeof(path), "/proc/%d/root/dev/zero", (int) pid);
        for (int i = 0; i < 2000 && access(path, F_OK) == 0; i++)
                usleep(1000);  /* its /dev still the host's: not yet mounted */
        snprintf(path, sizeof(path), "/proc/%d/root/dev/null", (int) pid);
        for (int i = 0; i < 2000 && access(path, F_OK) < 0; i++)
                usleep(1000);
        snprintf(path, sizeof(path), "/proc/%d/root/dev/zero", (int) pid);
        CHECK(access(path, F_OK) < 0);
        CHECK_INTEQ(confine_ns_add_node(pid, "/dev/zero"), 0);
        CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5));
        CHECK_INTEQ(confine_ns_remove_node(pid, "/dev/zero"), 0);
        CHECK(access(path, F_OK) < 0);
        CHECK(access("/dev/zero", F_OK) == 0);
        /* a host file below a host mount moved into its /dev (a disk image
         * in /dev/shm) is never removed */
        if (access("/dev/shm", W_OK) == 0) {
                char shm[64];
                int fd;

                snprintf(shm, sizeof(shm), "/dev/shm/vb-test-confine-%d", (int) getpid());
                fd = open(shm, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                CHECK(fd >= 0);
                if (fd >= 0)
                        close(fd);
                CHECK_INTEQ(confine_ns_add_node(pid, shm), 0);
                CHECK_INTEQ(confine_ns_remove_node(pid, shm), 0);
                CHECK(access(shm, F_OK) == 0);
                (void) unlink(shm);
        }
        CHECK(write(p[1], "x", 1) == 1);
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(p[1]);
}

UNIT_TESTS(test_conf, test_child, test_keep_rawio, test_namespaces_conf, test_dev_submounts, test_ns_child, test_ns_add_remove, test_root_shared)
