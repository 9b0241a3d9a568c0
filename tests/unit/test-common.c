/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bus-util.h"
#include "cpuset.h"
#include "error.h"
#include "instance-lock.h"
#include "paths.h"
#include "process.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

static void test_uuid(void) {
        uint8_t u[16], v[16];
        char buf[UUID_STRING_MAX];

        CHECK(uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193f", u) == 0);
        CHECK_STREQ(uuid_format(u, buf), "6695eb01-f6a4-8304-79aa-97f2502e193f");
        CHECK(uuid_parse("6695EB01F6A4830479AA97F2502E193F", v) == 0);
        CHECK(memcmp(u, v, 16) == 0);
        CHECK(uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193", u) == -EINVAL);
        CHECK(uuid_parse("6695eb01xf6a4-8304-79aa-97f2502e193f", u) == -EINVAL);
        CHECK(uuid_generate(u) == 0);
        CHECK(!uuid_is_null(u));
}

static void test_bus_paths(void) {
        uint8_t u[16], v[16];
        _cleanup_free_ char *p = NULL;

        uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193f", u);
        p = bus_path_from_uuid("/org/virtbus/qemud", "domain", u);
        CHECK_STREQ(p, "/org/virtbus/qemud/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f");
        CHECK(bus_path_to_uuid(p, "/org/virtbus/qemud/domain", v) == 0);
        CHECK(memcmp(u, v, 16) == 0);
        CHECK(uuid_parse("6695EB01-F6A4-8304-79AA-97F2502E193F", v) == 0 && memcmp(u, v, 16) == 0);
        CHECK(uuid_parse("6695eb01-f6a4-8304-79aa-97f2502e193g", v) < 0);
        CHECK(uuid_parse("6695eb01f6a4830479aa97f2502e193f", v) == 0 && memcmp(u, v, 16) == 0);
        free(p);
        p = bus_path_from_uuid_str("/org/virtbus/qemud", "domain", "6695eb01-f6a4-8304-79aa-97f2502e193f");
        CHECK_STREQ(p, "/org/virtbus/qemud/domain/_6695eb01_f6a4_8304_79aa_97f2502e193f");
        CHECK(bus_path_to_uuid(p, "/org/virtbus/qemud/network", v) < 0);
        CHECK(bus_path_to_uuid("/org/virtbus/qemud/domain/_zz", "/org/virtbus/qemud/domain", v) < 0);
}

static void test_bus_label(void) {
        /* The vectors libvirt-dbus's own tests use. */
        static const char *const vec[][2] = {
                { "foobar", "foobar" },
                { "_", "_5f" },
                { "/path/to/some/file.img", "_2fpath_2fto_2fsome_2ffile_2eimg" },
        };
        for (size_t i = 0; i < ELEMENTSOF(vec); i++) {
                _cleanup_free_ char *e = bus_label_escape(vec[i][0]);
                _cleanup_free_ char *d = bus_label_unescape(vec[i][1]);
                CHECK_STREQ(e, vec[i][1]);
                CHECK_STREQ(d, vec[i][0]);
        }
        _cleanup_free_ char *lit = bus_label_unescape("a_");
        CHECK_STREQ(lit, "a_");
}

static void test_names_and_paths(void) {
        CHECK(object_name_is_valid("vm1"));
        CHECK(object_name_is_valid("a b-c.d"));
        CHECK(!object_name_is_valid(""));
        CHECK(!object_name_is_valid("a/b"));
        CHECK(!object_name_is_valid(".."));
        CHECK(!object_name_is_valid("a\nb"));
        /* "<name>.xml.tmp.<pid>" must still be a valid file name */
        char longest[OBJECT_NAME_MAX + 2];
        memset(longest, 'n', sizeof(longest));
        longest[OBJECT_NAME_MAX] = 0;
        CHECK(object_name_is_valid(longest));
        CHECK(strlen(longest) + strlen(".xml.tmp.4194304") <= 255);
        longest[OBJECT_NAME_MAX] = 'n';
        longest[OBJECT_NAME_MAX + 1] = 0;
        CHECK(!object_name_is_valid(longest));
        CHECK(path_is_normalized_absolute("/var/lib/x.img"));
        CHECK(!path_is_normalized_absolute("var/lib"));
        CHECK(!path_is_normalized_absolute("/var/../etc"));
        CHECK(!path_is_normalized_absolute("/var//lib"));
        CHECK(!path_is_normalized_absolute("/var/lib/"));
}

static void test_error_table(void) {
        size_t n;
        const VbErrorInfo *t = vb_error_table(&n);
        sd_bus_error e = SD_BUS_ERROR_NULL;

        CHECK(n > 10);
        for (size_t i = 0; i < n; i++) {
                CHECK(strncmp(t[i].name, VB_ERROR_PREFIX, strlen(VB_ERROR_PREFIX)) == 0);
                CHECK(t[i].errnum > 0);
                CHECK(t[i].libvirt_code > 0);
                for (size_t j = i + 1; j < n; j++)
                        CHECK(!streq(t[i].name, t[j].name));
        }
        CHECK_INTEQ(vb_error_lookup(VB_ERROR_NO_DOMAIN)->libvirt_code, 42);
        CHECK_INTEQ(vb_error_setf(&e, VB_ERROR_RESOURCE_BUSY, "disk %s busy", "/x"), -EBUSY);
        CHECK_STREQ(e.name, VB_ERROR_RESOURCE_BUSY);
        CHECK_STREQ(e.message, "disk /x busy");
        CHECK_INTEQ(vb_error_domain_for_daemon("org.virtbus.qemud"), 10);
        sd_bus_error_free(&e);
        /* a value cut inside a character: the reply must still be sendable */
        CHECK_INTEQ(vb_error_setf(&e, VB_ERROR_INVALID_ARG, "name '%.4s'", "ab\xc3\xa9\xc3\xa9"), -EINVAL);
        CHECK_STREQ(e.message, "name 'ab\xc3\xa9'");
        sd_bus_error_free(&e);
        CHECK_INTEQ(vb_error_setf(&e, VB_ERROR_INVALID_ARG, "name '%.3s'", "ab\xc3\xa9"), -EINVAL);
        CHECK_STREQ(e.message, "name 'ab?'");
        sd_bus_error_free(&e);
        char bad[] = "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 ok \xe2\x82\xac";
        utf8_sanitize(bad);
        CHECK_STREQ(bad, "?? ??? ???? ok \xe2\x82\xac");
}

static void test_atomic_write(void) {
        char dir[] = "/tmp/virtbus-unit-XXXXXX";
        _cleanup_free_ char *p = NULL, *data = NULL;
        size_t len;

        CHECK(mkdtemp(dir) != NULL);
        p = path_join(dir, "a/b/c.xml");
        CHECK(mkdir_p(dir, 0755) == 0);
        _cleanup_free_ char *sub = path_join(dir, "a/b");
        CHECK(mkdir_p(sub, 0755) == 0);
        CHECK(write_file_atomic(p, "hello", 5, 0600) == 0);
        CHECK(write_file_atomic(p, "world!", 6, 0600) == 0);
        CHECK(read_full_file(p, 0, &data, &len) == 0);
        CHECK_STREQ(data, "world!");
        CHECK_INTEQ(len, 6);
        free(data);
        data = NULL;
        CHECK(read_full_file(p, 3, &data, &len) == -EFBIG);
        /* The fsync-less variant replaces whole too, and leaves no temporary. */
        CHECK(write_file_replace(p, "again", 5, 0600) == 0);
        CHECK(read_full_file(p, 0, &data, &len) == 0);
        CHECK_STREQ(data, "again");
        free(data);
        data = NULL;
        CHECK_INTEQ(remove_stale_temporaries(dir, 0), 0);
        unlink(p);
        rmdir(sub);
        _cleanup_free_ char *a = path_join(dir, "a");
        rmdir(a);
        rmdir(dir);
}

static void test_paths_root(void) {
        VbPaths p;

        CHECK(vb_paths_init(&p, "/tmp/r") == 0);
        CHECK_STREQ(p.confdir, "/tmp/r/etc/virtbus");
        CHECK_STREQ(p.rundir, "/tmp/r/run/virtbus");
        CHECK_STREQ(p.statedir, "/tmp/r/var/lib/virtbus");
        CHECK_STREQ(p.logdir, "/tmp/r/var/log/virtbus");
        vb_paths_done(&p);
        unsetenv("VIRTBUS_ROOT");
        CHECK(vb_paths_init(&p, NULL) == 0);
        CHECK_STREQ(p.confdir, "/etc/virtbus");
        vb_paths_done(&p);
        CHECK(vb_paths_init(&p, "relative") == -EINVAL);
}

static void test_spawn_fd_map(void) {
        int a[2], b[2];
        pid_t pid;
        int pidfd = -1, status;
        char buf[64] = {};

        /* The child writes to fd 4 and fd 3: swapped sources must not clobber each other. */
        CHECK(pipe2(a, O_CLOEXEC) == 0);
        CHECK(pipe2(b, O_CLOEXEC) == 0);
        char *argv[] = { "/bin/sh", "-c", "echo three >&3; echo four >&4", NULL };
        ProcessFd map[] = { { a[1], 4 }, { b[1], 3 } };
        CHECK(process_spawn(argv, map, 2, PROCESS_NEW_SESSION, &pid, &pidfd) == 0);
        close(a[1]);
        close(b[1]);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(read(a[0], buf, sizeof(buf) - 1) > 0);
        CHECK_STREQ(buf, "four\n");
        memset(buf, 0, sizeof(buf));
        CHECK(read(b[0], buf, sizeof(buf) - 1) > 0);
        CHECK_STREQ(buf, "three\n");
        close(a[0]);
        close(b[0]);
        close(pidfd);

        char *bad[] = { "/nonexistent/binary", NULL };
        CHECK(process_spawn(bad, NULL, 0, 0, &pid, NULL) == -ENOENT);

        _cleanup_free_ char *out = NULL;
        int ex;
        char *echo[] = { "/bin/echo", "hi", NULL };
        CHECK(process_run(echo, &out, &ex) == 0);
        CHECK_STREQ(out, "hi\n");
        CHECK_INTEQ(ex, 0);
}

static void test_strv(void) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;

        CHECK(strv_extend(&l, "a") == 0);
        CHECK(strv_extendf(&l, "b%d", 2) == 0);
        CHECK_INTEQ(strv_length(l), 2);
        j = strv_join(l, ",");
        CHECK_STREQ(j, "a,b2");
        uint64_t v;
        CHECK(safe_atou64("18446744073709551615", &v) == 0);
        CHECK(safe_atou64("18446744073709551616", &v) == -ERANGE);
        CHECK(safe_atou64("-1", &v) == -EINVAL);
}
/* Below a soft RLIMIT_NOFILE of 1024 children used to fail with EINVAL:
 * their fds were moved to a fixed number, 1024. */
static void test_spawn_low_fd_limit(void) {
        struct rlimit old, low = { 64, 64 };
        int p[2], pidfd = -1, status;
        char buf[16] = {};
        pid_t pid;

        CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        low.rlim_max = old.rlim_max;
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        char *argv[] = { "/bin/sh", "-c", "echo low >&5", NULL };
        ProcessFd map[] = { { p[1], 5 } };
        CHECK_INTEQ(process_spawn(argv, map, 1, 0, &pid, &pidfd), 0);
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
        close(p[1]);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(read(p[0], buf, sizeof(buf) - 1) > 0);
        CHECK_STREQ(buf, "low\n");
        close(p[0]);
        close(pidfd);
}

static char *touch(const char *dir, const char *name) {
        char *p = path_join(dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

        CHECK(fd >= 0);
        close(fd);
        return p;
}

static void test_stale_temporaries(void) {
        char dir[] = "/tmp/virtbus-unit-XXXXXX", name[64];
        _cleanup_free_ char *sub = NULL, *dead = NULL, *deep = NULL, *ours = NULL, *keep = NULL,
                            *other = NULL;
        pid_t gone = fork();

        if (gone == 0)
                _exit(0);
        CHECK(waitpid(gone, NULL, 0) == gone);
        CHECK(mkdtemp(dir) != NULL);
        sub = path_join(dir, "qemu");
        CHECK(mkdir_p(sub, 0755) == 0);
        snprintf(name, sizeof(name), "vm1.xml.tmp.%d", (int) gone);
        dead = touch(dir, name);
        deep = touch(sub, name);
        /* a writer still running (here: this very process) keeps its file */
        snprintf(name, sizeof(name), "vm2.xml.tmp.%d", (int) getpid());
        ours = touch(sub, name);
        keep = touch(sub, "vm1.xml");
        other = touch(sub, "notes.tmp.x");
        CHECK_INTEQ(remove_stale_temporaries(dir, 3), 2);
        CHECK(access(dead, F_OK) < 0 && access(deep, F_OK) < 0);
        CHECK(access(ours, F_OK) == 0 && access(keep, F_OK) == 0 && access(other, F_OK) == 0);
        CHECK_INTEQ(remove_stale_temporaries("/nonexistent/virtbus", 3), 0);
        unlink(ours);
        unlink(keep);
        unlink(other);
        rmdir(sub);
        rmdir(dir);
}

/* A second instance on the same run directory is refused; the lock goes
 * with the process that held it. */
static void test_instance_lock(void) {
        char dir[] = "/tmp/virtbus-unit-XXXXXX";
        int status;
        pid_t holder;
        int ready[2];
        char c;

        CHECK(mkdtemp(dir) != NULL);
        CHECK(pipe2(ready, O_CLOEXEC) == 0);
        holder = fork();
        if (holder == 0) {
                int r = instance_lock_take(dir, "testd");
                (void) !write(ready[1], "x", 1);
                if (r < 0)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(ready[1]);
        CHECK(read(ready[0], &c, 1) == 1);
        close(ready[0]);
        pid_t second = fork();
        if (second == 0)
                _exit(instance_lock_take(dir, "testd") == -EBUSY ? 0 : 1);
        CHECK(waitpid(second, &status, 0) == second);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        kill(holder, SIGKILL);
        CHECK(waitpid(holder, NULL, 0) == holder);
        second = fork();
        if (second == 0)
                _exit(instance_lock_take(dir, "testd") == 0 ? 0 : 1);
        CHECK(waitpid(second, &status, 0) == second);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        _cleanup_free_ char *lock = path_join(dir, "testd.lock");
        unlink(lock);
        rmdir(dir);
}

static void test_cpuset(void) {
        cpu_set_t s;

        CHECK(cpuset_parse("0-3,^2,6", &s) == 0);
        CHECK_INTEQ(CPU_COUNT(&s), 4);
        CHECK(CPU_ISSET(0, &s) && CPU_ISSET(1, &s) && !CPU_ISSET(2, &s) && CPU_ISSET(3, &s) && CPU_ISSET(6, &s));
        CHECK(cpuset_parse("^1,0-1", &s) == 0); /* an exclusion applies wherever it stands */
        CHECK_INTEQ(CPU_COUNT(&s), 1);
        CHECK(cpuset_parse("5", &s) == 0 && CPU_ISSET(5, &s));
        CHECK(cpuset_parse("", &s) == -EINVAL);
        CHECK(cpuset_parse("3-1", &s) == -EINVAL);
        CHECK(cpuset_parse("1,", &s) == -EINVAL);
        CHECK(cpuset_parse("a", &s) == -EINVAL);
        CHECK(cpuset_parse("^0", &s) == -EINVAL); /* nothing left */
        CHECK(cpuset_parse("4000", &s) == -ERANGE);
}

UNIT_TESTS(test_cpuset, test_uuid, test_bus_paths, test_bus_label, test_names_and_paths, test_error_table,
           test_atomic_write, test_paths_root, test_spawn_fd_map, test_strv, test_spawn_low_fd_limit,
           test_stale_temporaries, test_instance_lock)
