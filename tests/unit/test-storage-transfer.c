/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Upload/Download: libvirt's range rules, and the copy engine between real
 * files and pipes (bytes identical, holes kept, partial failures counted);
 * the wipe algorithm table and the wipes we do ourselves. */

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "error.h"
#include "process.h"
#include "transfer.h"
#include "unit.h"
#include "util.h"
#include "wipe.h"

#define MiB (1024ULL * 1024)

static char tmpdir[] = "/tmp/test-storage-transfer-XXXXXX";

static char *tmp(const char *name) {
        return path_join(tmpdir, name);
}

static void check_range(uint64_t off, uint64_t len, uint64_t limit, int want_r, uint64_t want_len,
                        const char *needle) {
        ConfError err = {};
        uint64_t got = 0;
        int r = transfer_check_range("v1", off, len, limit, &got, &err);

        CHECK_INTEQ(r, want_r);
        if (r >= 0)
                CHECK_INTEQ(got, want_len);
        else {
                CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
                if (!strstr(err.message, needle)) {
                        fprintf(stderr, "  '%s' not in '%s'\n", needle, err.message);
                        CHECK(false);
                }
        }
}

static void test_range_rules(void) {
        check_range(0, 0, 100, 0, 100, NULL);                 /* 0: to the end */
        check_range(40, 0, 100, 0, 60, NULL);
        check_range(40, 60, 100, 0, 60, NULL);
        check_range(100, 0, 100, 0, 0, NULL);                 /* at the end: nothing */
        check_range(10, (uint64_t) -1, 100, 0, 90, NULL);     /* virsh's -1: to the end */
        check_range(10, (uint64_t) -1000, 100, 0, 90, NULL);
        check_range((uint64_t) -2, 0, 100, -EINVAL, 0, "offset -2 is negative");
        check_range((uint64_t) -1, 5, 100, -EINVAL, 0, "offset -1 is negative");
        check_range(101, 0, 100, -EINVAL, 0, "offset 101 is past the end of volume 'v1' (capacity 100 bytes)");
        check_range(50, 51, 100, -EINVAL, 0, "51 bytes at offset 50 ends at 101");
        check_range(0, 101, 100, -EINVAL, 0, "capacity of volume 'v1' (100 bytes)");
        check_range(1ULL << 62, 1ULL << 62, UINT64_MAX >> 1, -EINVAL, 0, "past the capacity");
}

static void test_block_runs(void) {
        uint8_t buf[5 * 4096] = {};

        buf[2 * 4096 + 7] = 1;
        CHECK_INTEQ(transfer_block_run(buf, sizeof(buf), 4096, true), 2 * 4096);
        CHECK_INTEQ(transfer_block_run(buf + 2 * 4096, 3 * 4096, 4096, false), 4096);
        CHECK_INTEQ(transfer_block_run(buf + 3 * 4096, 2 * 4096, 4096, true), 2 * 4096);
        CHECK_INTEQ(transfer_block_run(buf, 100, 4096, true), 100);
        CHECK_INTEQ(transfer_block_run(buf, 0, 4096, true), 0);
}

/* 1 MiB of data, 6 MiB hole, 1 MiB of data: 8 MiB. */
static void make_sparse(const char *path) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        _cleanup_free_ uint8_t *buf = malloc(MiB);

        CHECK(fd >= 0 && buf);
        for (size_t i = 0; i < MiB; i++)
                buf[i] = (uint8_t) (i * 7 + 3);
        CHECK(pwrite(fd, buf, MiB, 0) == (ssize_t) MiB);
        CHECK(pwrite(fd, buf, MiB, 7 * MiB) == (ssize_t) MiB);
}

static bool same_content(const char *a, const char *b) {
        _cleanup_free_ char *x = NULL, *y = NULL;
        size_t nx = 0, ny = 0;

        if (read_full_file(a, 0, &x, &nx) < 0 || read_full_file(b, 0, &y, &ny) < 0)
                return false;
        return nx == ny && memcmp(x, y, nx) == 0;
}

static uint64_t allocated(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 ? (uint64_t) st.st_blocks * 512 : 0;
}

static void test_upload_download_sparse(void) {
        _cleanup_free_ char *src = tmp("src"), *vol = tmp("vol"), *out = tmp("out");
        _cleanup_close_ int s = -1, v = -1, o = -1;
        ConfError err = {};
        TransferRequest t;

        make_sparse(src);
        s = open(src, O_RDONLY | O_CLOEXEC);
        v = open(vol, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(s >= 0 && v >= 0);
        /* The volume held data everywhere: the hole must be punched. */
        CHECK(posix_fallocate(v, 0, (off_t) (8 * MiB)) == 0);
        t = (TransferRequest) { .client_fd = s, .volume_fd = v, .offset = 0, .length = 8 * MiB, .to_end = true,
                                .fsync = true };
        CHECK(transfer_upload(NULL, &t, &err) == 0);
        CHECK_INTEQ(t.done, 8 * MiB);
        CHECK(same_content(src, vol));
        CHECK(allocated(vol) <= 3 * MiB);
        CHECK_INTEQ(lseek(s, 0, SEEK_CUR), 8 * MiB); /* the caller's fd moved like read() */

        o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        t = (TransferRequest) { .client_fd = o, .volume_fd = v, .offset = 0, .length = 8 * MiB };
        CHECK(transfer_download(NULL, &t, &err) == 0);
        CHECK_INTEQ(t.done, 8 * MiB);
        CHECK(same_content(src, out));
        CHECK(allocated(out) <= 3 * MiB);

        /* A window in the middle, at a given offset. */
        CHECK(ftruncate(o, 0) == 0 && lseek(o, 0, SEEK_SET) == 0);
        t = (TransferRequest) { .client_fd = o, .volume_fd = v, .offset = 7 * MiB + 5, .length = 1000 };
        CHECK(transfer_download(NULL, &t, &err) == 0);
        CHECK_INTEQ(t.done, 1000);
        CHECK_INTEQ(lseek(o, 0, SEEK_END), 1000);
}

/* A pipe as the source: zero blocks become holes in the volume. */
static void test_upload_from_pipe(void) {
        _cleanup_free_ char *src = tmp("src"), *vol = tmp("vol2");
        _cleanup_close_ int v = -1;
        ConfError err = {};
        TransferRequest t;
        int p[2];
        pid_t pid;

        make_sparse(src);
        CHECK(pipe(p) == 0);
        pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *data = NULL;
                size_t n = 0, off = 0;
                close(p[0]);
                if (read_full_file(src, 0, &data, &n) < 0)
                        _exit(1);
                while (off < n) {
                        ssize_t k = write(p[1], data + off, n - off);
                        if (k <= 0)
                                _exit(1);
                        off += (size_t) k;
                }
                _exit(0);
        }
        close(p[1]);
        v = open(vol, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(ftruncate(v, (off_t) (8 * MiB)) == 0);
        t = (TransferRequest) { .client_fd = p[0], .volume_fd = v, .length = 8 * MiB, .to_end = true };
        CHECK(transfer_upload(NULL, &t, &err) == 0);
        close(p[0]);
        waitpid(pid, NULL, 0);
        CHECK_INTEQ(t.done, 8 * MiB);
        CHECK(same_content(src, vol));
        CHECK(allocated(vol) <= 3 * MiB);
}

/* Bytes of path's first len bytes in the page cache. */
static uint64_t resident(const char *path, uint64_t len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t pages = (size_t) (len / 4096);
        _cleanup_free_ unsigned char *vec = malloc(pages);
        uint64_t n = 0;
        void *map;

        CHECK(fd >= 0 && vec);
        map = mmap(NULL, (size_t) len, PROT_READ, MAP_SHARED, fd, 0);
        CHECK(map != MAP_FAILED);
        CHECK(mincore(map, (size_t) len, vec) == 0);
        for (size_t i = 0; i < pages; i++)
                n += vec[i] & 1 ? 4096 : 0;
        munmap(map, (size_t) len);
        return n;
}

/* An upload of 128 MiB leaves no more than its last 64 MiB (write-behind
 * window, last chunks) in the page cache: the rest was written out while it
 * ran and dropped. The bytes are the source's all the same. */
static void test_upload_write_behind(void) {
        _cleanup_free_ char *src = tmp("big"), *vol = tmp("vol4");
        _cleanup_close_ int s = -1, v = -1;
        _cleanup_free_ uint8_t *buf = malloc(MiB);
        ConfError err = {};
        TransferRequest t;
        struct statfs fs;

        CHECK(statfs(tmpdir, &fs) == 0 && buf);
        if (fs.f_type == TMPFS_MAGIC) {
                UNIT_SKIP("the temporary folder is on tmpfs: its pages have no writeback");
                return;
        }
        s = open(src, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(s >= 0);
        for (size_t i = 0; i < 128; i++) {
                memset(buf, (int) i + 1, MiB);
                CHECK(write(s, buf, MiB) == (ssize_t) MiB);
        }
        CHECK(lseek(s, 0, SEEK_SET) == 0);
        v = open(vol, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(v >= 0 && ftruncate(v, (off_t) (128 * MiB)) == 0);
        t = (TransferRequest) { .client_fd = s, .volume_fd = v, .length = 128 * MiB, .to_end = true,
                                .fsync = true };
        CHECK(transfer_upload(NULL, &t, &err) == 0);
        CHECK_INTEQ(t.done, 128 * MiB);
        CHECK(resident(vol, 128 * MiB) <= 64 * MiB); /* before reading it back */
        CHECK(same_content(src, vol));
}

/* More than the room from offset to the end: refused before writing. */
static void test_upload_too_large(void) {
        _cleanup_free_ char *src = tmp("src"), *vol = tmp("vol3");
        _cleanup_close_ int s = -1, v = -1;
        ConfError err = {};
        TransferRequest t;

        make_sparse(src);
        s = open(src, O_RDONLY | O_CLOEXEC);
        v = open(vol, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(ftruncate(v, (off_t) (4 * MiB)) == 0);
        t = (TransferRequest) { .client_fd = s, .volume_fd = v, .length = 4 * MiB, .to_end = true };
        CHECK(transfer_upload(NULL, &t, &err) < 0);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        CHECK(strstr(err.message, "8388608 bytes") != NULL);
        CHECK_INTEQ(t.done, 0);
        CHECK_INTEQ(allocated(vol), 0);
}

/* Writing into a full pipe whose reader went away fails half way: the
 * message says how far it got. */
static void test_download_fails_half_way(void) {
        _cleanup_free_ char *src = tmp("src");
        _cleanup_close_ int v = -1;
        ConfError err = {};
        TransferRequest t;
        int p[2];

        make_sparse(src);
        v = open(src, O_RDONLY | O_CLOEXEC);
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        CHECK(fcntl(p[1], F_SETPIPE_SZ, 65536) >= 0);
        close(p[0]); /* nobody reads: EPIPE at the first write */
        signal(SIGPIPE, SIG_IGN);
        t = (TransferRequest) { .client_fd = p[1], .volume_fd = v, .length = 8 * MiB };
        CHECK(transfer_download(NULL, &t, &err) < 0);
        close(p[1]);
        CHECK(strstr(err.message, "download failed after 0 of 8388608 bytes") != NULL);
}

static void test_wipe_table(void) {
        static const struct {
                unsigned id;
                const char *name, *pattern;
                WipeMethod method;
        } want[] = {
                { 0, "zero", NULL, WIPE_METHOD_ZERO },
                { 1, "nnsa", "nnsa", WIPE_METHOD_SCRUB },
                { 2, "dod", "dod", WIPE_METHOD_SCRUB },
                { 3, "bsi", "bsi", WIPE_METHOD_SCRUB },
                { 4, "gutmann", "gutmann", WIPE_METHOD_SCRUB },
                { 5, "schneier", "schneier", WIPE_METHOD_SCRUB },
                { 6, "pfitzner7", "pfitzner7", WIPE_METHOD_SCRUB },
                { 7, "pfitzner33", "pfitzner33", WIPE_METHOD_SCRUB },
                { 8, "random", NULL, WIPE_METHOD_RANDOM },
                { 9, "trim", NULL, WIPE_METHOD_TRIM },
        };

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const WipeAlgorithm *a = wipe_algorithm(want[i].id);

                CHECK(a != NULL);
                if (!a)
                        continue;
                CHECK_INTEQ(a->id, want[i].id);
                CHECK_STREQ(a->name, want[i].name);
                CHECK_INTEQ(a->method, want[i].method);
                CHECK(streq_ptr(a->scrub_pattern, want[i].pattern));
                CHECK(a->passes >= 1);
        }
        CHECK(wipe_algorithm(10) == NULL);
        CHECK(wipe_algorithm(UINT32_MAX) == NULL);
        CHECK_INTEQ(wipe_count_dots("scrub: dod |....", 16), 4);
}

static bool all_bytes(const char *path, uint8_t b, size_t *ret_n) {
        _cleanup_free_ char *x = NULL;
        size_t n = 0;

        if (read_full_file(path, 0, &x, &n) < 0)
                return false;
        *ret_n = n;
        for (size_t i = 0; i < n; i++)
                if ((uint8_t) x[i] != b)
                        return false;
        return true;
}

static void test_wipe_ours(void) {
        _cleanup_free_ char *f = tmp("wipe");
        ConfError err = {};
        size_t n = 0;

        make_sparse(f);
        CHECK(wipe_run(NULL, f, wipe_algorithm(WIPE_ALG_ZERO), &err) == 0);
        CHECK(all_bytes(f, 0, &n) && n == 8 * MiB);
        CHECK(allocated(f) <= 3 * MiB); /* the holes stay holes */

        CHECK(wipe_run(NULL, f, wipe_algorithm(WIPE_ALG_RANDOM), &err) == 0);
        CHECK(!all_bytes(f, 0, &n) && n == 8 * MiB);

        CHECK(wipe_run(NULL, f, wipe_algorithm(WIPE_ALG_TRIM), &err) == 0);
        CHECK(all_bytes(f, 0, &n) && n == 8 * MiB);
        CHECK(allocated(f) < MiB);
}

static void test_wipe_scrub(void) {
        _cleanup_free_ char *f = tmp("scrubbed");
        ConfError err = {};
        size_t n = 0;

        if (access("/usr/bin/scrub", X_OK) < 0)
                UNIT_SKIP("no scrub");
        make_sparse(f);
        /* dod ends with a pass of 0xff (and a verify of it). */
        CHECK(wipe_run(NULL, f, wipe_algorithm(WIPE_ALG_DOD), &err) == 0);
        CHECK(all_bytes(f, 0xff, &n) && n == 8 * MiB);
}

static void test_setup(void) {
        CHECK(mkdtemp(tmpdir) != NULL);
}

static void test_cleanup(void) {
        char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_setup, test_range_rules, test_block_runs, test_upload_download_sparse, test_upload_from_pipe,
           test_upload_write_behind, test_upload_too_large, test_download_fails_half_way, test_wipe_table,
           test_wipe_ours, test_wipe_scrub, test_cleanup)
