/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* logd: rotation naming and logic, Append and Tail across rotation, bad
 * input, conf parsing, state round trip with bytes in flight. */
#include <sys/resource.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "error.h"
#include "log-file.h"
#include "log-state.h"
#include "logd-conf.h"
#include "unit.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-log-XXXXXX";

static void setup(void) {
        static bool done;

        if (!done && !mkdtemp(tmpdir))
                abort();
        done = true;
}

/* Byte i of the test stream: position-derived, so any range can be checked. */
static char pattern(uint64_t i) {
        return (char) ('a' + (i * 7 + i / 26) % 26);
}

static void write_pattern(int fd, uint64_t from, size_t n) {
        char buf[4096];

        while (n > 0) {
                size_t k = MIN(n, sizeof(buf));
                for (size_t j = 0; j < k; j++)
                        buf[j] = pattern(from + j);
                CHECK(write(fd, buf, k) == (ssize_t) k);
                from += k;
                n -= k;
        }
}

static off_t file_size(const char *path) {
        struct stat st;

        return stat(path, &st) < 0 ? -1 : st.st_size;
}

static void drain_all(LogTable *t, const char *driver, const char *name) {
        LogFile *f = log_table_find(t, driver, name);

        CHECK(f != NULL);
        if (f)
                log_file_flush(f);
}

static void test_rotated_path(void) {
        _cleanup_free_ char *a = log_rotated_path("/l/vm.log", 0), *b = log_rotated_path("/l/vm.log", 1),
                            *c = log_rotated_path("/l/vm.log", 12);

        CHECK_STREQ(a, "/l/vm.log");
        CHECK_STREQ(b, "/l/vm.log.1");
        CHECK_STREQ(c, "/l/vm.log.12");
}

static void test_rotation(void) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        LogTable *t = NULL;
        int fd = -1;

        setup();
        dir = path_join(tmpdir, "rot");
        CHECK(log_table_new(dir, 100, 2, NULL, &t) == 0);
        CHECK(log_open(t, "qemu", "vm1", 0, &fd, &path, NULL) == 0);
        CHECK(path && strstr(path, "/rot/qemu/vm1.log"));
        write_pattern(fd, 0, 250);
        drain_all(t, "qemu", "vm1");
        {
                _cleanup_free_ char *p1 = log_rotated_path(path, 1), *p2 = log_rotated_path(path, 2),
                                    *p3 = log_rotated_path(path, 3);
                CHECK_INTEQ(file_size(path), 50);
                CHECK_INTEQ(file_size(p1), 100);
                CHECK_INTEQ(file_size(p2), 100);
                CHECK_INTEQ(file_size(p3), -1);
                /* Two more rotations: the oldest goes, never a .3. */
                write_pattern(fd, 250, 160);
                drain_all(t, "qemu", "vm1");
                CHECK_INTEQ(file_size(path), 10);
                CHECK_INTEQ(file_size(p1), 100);
                CHECK_INTEQ(file_size(p2), 100);
                CHECK_INTEQ(file_size(p3), -1);
        }
        /* Tail across the three files equals the stream's last bytes. */
        {
                void *data = NULL;
                size_t len = 0;
                bool same = true;

                CHECK(log_tail(t, "qemu", "vm1", 180, &data, &len, NULL) == 0);
                CHECK_INTEQ(len, 180);
                for (size_t i = 0; i < len && data; i++)
                        same = same && ((char *) data)[i] == pattern(410 - 180 + i);
                CHECK(same);
                free(data);
                CHECK(log_tail(t, "qemu", "vm1", 100000, &data, &len, NULL) == 0);
                CHECK_INTEQ(len, 210);
                free(data);
                CHECK(log_tail(t, "qemu", "vm1", 0, &data, &len, NULL) == 0);
                CHECK_INTEQ(len, 0);
                free(data);
        }
        /* The writer goes: the pipe reports EOF and the log closes. */
        close(fd);
        {
                LogFile *f = log_table_find(t, "qemu", "vm1");
                CHECK(f && log_stream_drain(f->streams, 1 << 20, UINT_MAX) == 1);
        }
        log_table_free(t);
}

/* A rotation renames the backups that exist, not max_backups of them, and
 * one wakeup rotates at most as often as it is told. */
static void test_rotation_cost(void) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        LogTable *t = NULL;
        LogFile *f;
        int fd = -1;

        setup();
        dir = path_join(tmpdir, "cost");
        CHECK(log_table_new(dir, 100, 1000, NULL, &t) == 0);
        CHECK(log_open(t, "qemu", "vm3", 0, &fd, &path, NULL) == 0);
        for (unsigned i = 1; i <= 3; i++) {
                _cleanup_free_ char *p = log_rotated_path(path, i);
                _cleanup_close_ int b = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                CHECK(b >= 0);
        }
        f = log_table_find(t, "qemu", "vm3");
        write_pattern(fd, 0, 350);
        /* 100 fit; the first rotation is allowed, the second waits. */
        CHECK(f && log_stream_drain(f->streams, 1 << 20, 1) == 0);
        CHECK_INTEQ(f ? f->n_backups : -1, 4);
        CHECK_INTEQ(file_size(path), 100);
        drain_all(t, "qemu", "vm3");
        CHECK_INTEQ(f->n_backups, 6);
        CHECK_INTEQ(file_size(path), 50);
        {
                _cleanup_free_ char *p6 = log_rotated_path(path, 6), *p7 = log_rotated_path(path, 7);
                CHECK_INTEQ(file_size(p6), 0); /* the first of the three empty ones */
                CHECK_INTEQ(file_size(p7), -1);
        }
        close(fd);
        log_table_free(t);
}

static void test_append(void) {
        _cleanup_free_ char *dir = NULL, *text = NULL, *p1 = NULL, *t1 = NULL;
        char line[61];
        LogTable *t = NULL;

        setup();
        dir = path_join(tmpdir, "app");
        CHECK(log_table_new(dir, 100, 3, NULL, &t) == 0);
        /* Append works on a log no pipe has opened. */
        CHECK(log_append(t, "qemu", "vm2", "first", NULL) == 0);
        CHECK(log_append(t, "qemu", "vm2", "second\n", NULL) == 0);
        CHECK_INTEQ(t->n_files, 0);
        memset(line, 'x', 60);
        line[60] = 0;
        /* 13 + 61 fits; the next would cross 100: it starts a new file whole. */
        CHECK(log_append(t, "qemu", "vm2", line, NULL) == 0);
        CHECK(log_append(t, "qemu", "vm2", line, NULL) == 0);
        {
                _cleanup_free_ char *path = path_join(dir, "qemu/vm2.log");
                p1 = log_rotated_path(path, 1);
                CHECK(read_full_file(path, 0, &text, NULL) == 0);
                CHECK(read_full_file(p1, 0, &t1, NULL) == 0);
        }
        CHECK_INTEQ(strlen(t1), 13 + 61);
        CHECK(t1 && strncmp(t1, "first\nsecond\n", 13) == 0);
        CHECK_INTEQ(strlen(text ?: ""), 61);
        {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                char *big = malloc(LOG_LINE_MAX + 2);
                memset(big, 'y', LOG_LINE_MAX + 1);
                big[LOG_LINE_MAX + 1] = 0;
                CHECK(log_append(t, "qemu", "vm2", big, &e) == -EINVAL);
                CHECK_STREQ(e.name, VB_ERROR_INVALID_ARG);
                sd_bus_error_free(&e);
                free(big);
        }
        log_table_free(t);
}

static void test_bad_input(void) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        LogTable *t = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        void *data = NULL;
        size_t len;
        int fd = -1;

        setup();
        dir = path_join(tmpdir, "bad");
        CHECK(log_table_new(dir, 100, 3, NULL, &t) == 0);
        CHECK(log_open(t, "", "vm", 0, &fd, &path, &e) == -EINVAL);
        CHECK_STREQ(e.name, VB_ERROR_INVALID_ARG);
        CHECK(e.message && strstr(e.message, "empty"));
        sd_bus_error_free(&e);
        CHECK(log_open(t, "qemu", "../etc/x", 0, &fd, &path, &e) == -EINVAL);
        CHECK(e.message && strstr(e.message, "'../etc/x'"));
        sd_bus_error_free(&e);
        CHECK(log_open(t, "qe/mu", "vm", 0, &fd, &path, &e) == -EINVAL);
        CHECK(e.message && strstr(e.message, "'qe/mu'"));
        sd_bus_error_free(&e);
        CHECK(log_open(t, "qemu", "vm", 8, &fd, &path, &e) == -EINVAL);
        sd_bus_error_free(&e);
        CHECK(log_append(t, "qemu", "a/b", "x", NULL) == -EINVAL);
        CHECK(log_tail(t, "qemu", "nolog", 10, &data, &len, &e) == -ENOENT);
        CHECK_STREQ(e.name, VB_ERROR_NO_LOG);
        sd_bus_error_free(&e);
        CHECK(log_tail(t, "qemu", "nolog", (uint64_t) LOG_TAIL_MAX + 1, &data, &len, &e) == -EINVAL);
        sd_bus_error_free(&e);
        CHECK_INTEQ(t->n_files, 0);
        /* Nothing was created for the refused names. */
        CHECK(access(dir, F_OK) < 0);
        log_table_free(t);
}

static void test_state_round_trip(void) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL, *text2 = NULL, *content = NULL;
        LogTable *a = NULL, *b = NULL;
        size_t len = 0;
        bool same = true;
        int fd = -1;

        setup();
        dir = path_join(tmpdir, "state");
        CHECK(log_table_new(dir, 1000, 3, NULL, &a) == 0);
        CHECK(log_open(a, "lxc", "ct one", 0, &fd, &path, NULL) == 0);
        write_pattern(fd, 0, 300);
        drain_all(a, "lxc", "ct one");
        /* These bytes sit in the pipe across the "exec". */
        write_pattern(fd, 300, 200);
        CHECK(log_state_format(a, &text, NULL) == 0);
        CHECK(text && strstr(text, "file lxc ct\\x20one ") && strstr(text, " 300\n") && strstr(text, "stream lxc"));
        log_table_forget(a);

        CHECK(log_table_new(dir, 1000, 3, NULL, &b) == 0);
        CHECK(log_state_parse(b, text) == 0);
        CHECK_INTEQ(b->n_files, 1);
        CHECK_INTEQ(b->n_streams, 1);
        CHECK(log_state_format(b, &text2, NULL) == 0);
        CHECK_STREQ(text2, text);
        write_pattern(fd, 500, 100);
        drain_all(b, "lxc", "ct one");
        CHECK(read_full_file(path, 0, &content, &len) == 0);
        CHECK_INTEQ(len, 600);
        for (size_t i = 0; i < len && content; i++)
                same = same && content[i] == pattern(i);
        CHECK(same);
        close(fd);
        log_table_free(b);
}

/* With a pipes directory, a pipe is a FIFO that outlives its table (logd
 * killed or stopped): the next table opens it again from the record, drains
 * what waited, sees the writer go, and carries the FIFO's name across an
 * exec. */
static void test_pipes_outlive_table(void) {
        _cleanup_free_ char *dir = NULL, *pipes = NULL, *path = NULL, *content = NULL, *rec = NULL,
                            *state = NULL, *streams = NULL;
        LogTable *a = NULL, *b = NULL, *c = NULL;
        LogFile *f;
        int fd = -1;

        setup();
        dir = path_join(tmpdir, "fifo-logs");
        pipes = path_join(tmpdir, "pipes");
        streams = path_join(pipes, "streams");
        CHECK(log_table_new(dir, 0, 3, NULL, &a) == 0);
        CHECK(log_table_open_pipes_dir(a, pipes) == 0);
        CHECK(log_open(a, "qemu", "vm 1", 0, &fd, &path, NULL) == 0);
        CHECK(read_full_file(streams, 0, &rec, NULL) == 0);
        CHECK(rec && strstr(rec, ".fifo qemu vm\\x201\n"));
        CHECK(write(fd, "one\n", 4) == 4);
        log_table_free(a); /* drains what it can and lets go */

        /* No reader but the writer itself: no EPIPE, the bytes wait. */
        CHECK(write(fd, "two\n", 4) == 4);
        CHECK(log_table_new(dir, 0, 3, NULL, &b) == 0);
        CHECK(log_table_open_pipes_dir(b, pipes) == 0);
        CHECK_INTEQ(log_table_restore_pipes(b), 1);
        CHECK(write(fd, "three\n", 6) == 6);
        drain_all(b, "qemu", "vm 1");
        CHECK(read_full_file(path, 0, &content, NULL) == 0);
        CHECK_STREQ(content, "one\ntwo\nthree\n");
        /* Across an exec the stream keeps its FIFO's name. */
        CHECK(log_state_format(b, &state, NULL) == 0);
        CHECK(state && strstr(state, ".fifo\n"));
        close(fd);
        f = log_table_find(b, "qemu", "vm 1");
        CHECK(f && f->streams && log_stream_drain(f->streams, 1024, UINT_MAX) == 1); /* the writer is gone */
        log_table_free(b);

        /* A recorded FIFO whose writers are gone is opened and found ended. */
        CHECK(log_table_new(dir, 0, 3, NULL, &c) == 0);
        CHECK(log_table_open_pipes_dir(c, pipes) == 0);
        CHECK_INTEQ(log_table_restore_pipes(c), 1);
        f = log_table_find(c, "qemu", "vm 1");
        CHECK(f && f->streams && log_stream_drain(f->streams, 1024, UINT_MAX) == 1);
        log_table_free(c);
}

/* A restart that cannot take a recorded pipe back (out of fds) keeps the
 * FIFO and its record: its guest still writes, and a later logd drains it.
 * They used to be deleted, and the guest blocked on a full pipe for good. */
static void test_pipes_kept_when_not_taken_back(void) {
        _cleanup_free_ char *dir = NULL, *pipes = NULL, *path = NULL, *content = NULL, *rec = NULL, *fifo = NULL;
        struct rlimit old, low;
        LogTable *a = NULL, *b = NULL, *c = NULL;
        int fd = -1, probe, taken;

        setup();
        dir = path_join(tmpdir, "kept-logs");
        pipes = path_join(tmpdir, "kept-pipes");
        CHECK(log_table_new(dir, 0, 3, NULL, &a) == 0);
        CHECK(log_table_open_pipes_dir(a, pipes) == 0);
        CHECK(log_open(a, "qemu", "vm2", 0, &fd, &path, NULL) == 0);
        log_table_free(a);
        CHECK(write(fd, "while down\n", 11) == 11);

        CHECK(log_table_new(dir, 0, 3, NULL, &b) == 0);
        CHECK(log_table_open_pipes_dir(b, pipes) == 0);
        /* room for reading the record, not for opening the FIFO too */
        probe = dup(0);
        close(probe);
        CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
        low = (struct rlimit) { (rlim_t) probe + 1, old.rlim_max };
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        taken = log_table_restore_pipes(b);
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
        CHECK_INTEQ(taken, 0);
        log_table_free(b);
        rec = path_join(pipes, "streams");
        CHECK(read_full_file(rec, 0, &content, NULL) == 0);
        CHECK(content && strstr(content, " qemu vm2\n"));
        if (content && strstr(content, "pipe ")) {
                fifo = strndup(strstr(content, "pipe ") + 5, strcspn(strstr(content, "pipe ") + 5, " "));
                _cleanup_free_ char *fp = path_join(pipes, fifo);
                CHECK(access(fp, F_OK) == 0);
        }
        free(content);
        content = NULL;

        CHECK(log_table_new(dir, 0, 3, NULL, &c) == 0);
        CHECK(log_table_open_pipes_dir(c, pipes) == 0);
        CHECK_INTEQ(log_table_restore_pipes(c), 1);
        drain_all(c, "qemu", "vm2");
        CHECK(read_full_file(path, 0, &content, NULL) == 0);
        CHECK(content && strstr(content, "while down\n"));
        close(fd);
        log_table_free(c);
}

static void test_parse_size(void) {
        uint64_t v = 0;

        CHECK(parse_size("4096", &v) == 0 && v == 4096);
        CHECK(parse_size("512K", &v) == 0 && v == 512 * 1024);
        CHECK(parse_size("2M", &v) == 0 && v == 2 * 1024 * 1024);
        CHECK(parse_size("2MiB", &v) == 0 && v == 2 * 1024 * 1024);
        CHECK(parse_size("1G", &v) == 0 && v == 1024ULL * 1024 * 1024);
        CHECK(parse_size("", &v) < 0);
        CHECK(parse_size("M", &v) < 0);
        CHECK(parse_size("2X", &v) < 0);
        CHECK(parse_size("-1", &v) < 0);
        CHECK(parse_size("99999999999999999999G", &v) < 0);
}

static void test_conf(void) {
        LogdConfig c;
        unsigned line = 0;

        logd_config_defaults(&c);
        CHECK_INTEQ(c.max_size, 2 * 1024 * 1024);
        CHECK_INTEQ(c.max_backups, 3);
        CHECK(logd_config_parse(&c, "# logd\nmax_size = 8M\n  max_backups=5 # keep five\n", NULL) == 0);
        CHECK_INTEQ(c.max_size, 8 * 1024 * 1024);
        CHECK_INTEQ(c.max_backups, 5);
        CHECK(logd_config_parse(&c, "max_size = \"1M\"\n", NULL) == 0);
        CHECK_INTEQ(c.max_size, 1024 * 1024);
        CHECK(logd_config_parse(&c, "max_size = 0\n", NULL) == 0);
        CHECK_INTEQ(c.max_size, 0);
        CHECK(logd_config_parse(&c, "\nmax_size = 10\n", &line) == -EINVAL); /* under 4096 */
        CHECK_INTEQ(line, 2);
        CHECK(logd_config_parse(&c, "max_backups = 100000\n", NULL) == -EINVAL);
        CHECK(logd_config_parse(&c, "colour = blue\n", &line) == -EINVAL);
        CHECK(logd_config_parse(&c, "max_size =\n", NULL) == -EINVAL);
}

static void test_cleanup(void) {
        _cleanup_free_ char *cmd = NULL;

        setup();
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_rotated_path, test_rotation, test_rotation_cost, test_append, test_bad_input, test_state_round_trip,
           test_pipes_outlive_table, test_pipes_kept_when_not_taken_back, test_parse_size,
           test_conf, test_cleanup)
