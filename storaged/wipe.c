/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "command.h"
#include "error.h"
#include "wipe.h"

#define WIPE_BUF ((size_t) 1024 * 1024)
/* scrub draws one progress bar of this many dots per pass. */
#define SCRUB_DOTS_PER_PASS 50

static const WipeAlgorithm algorithms[_WIPE_ALG_MAX] = {
        [WIPE_ALG_ZERO] = { WIPE_ALG_ZERO, "zero", WIPE_METHOD_ZERO, NULL, 1 },
        [WIPE_ALG_NNSA] = { WIPE_ALG_NNSA, "nnsa", WIPE_METHOD_SCRUB, "nnsa", 4 },
        [WIPE_ALG_DOD] = { WIPE_ALG_DOD, "dod", WIPE_METHOD_SCRUB, "dod", 4 },
        [WIPE_ALG_BSI] = { WIPE_ALG_BSI, "bsi", WIPE_METHOD_SCRUB, "bsi", 9 },
        [WIPE_ALG_GUTMANN] = { WIPE_ALG_GUTMANN, "gutmann", WIPE_METHOD_SCRUB, "gutmann", 35 },
        [WIPE_ALG_SCHNEIER] = { WIPE_ALG_SCHNEIER, "schneier", WIPE_METHOD_SCRUB, "schneier", 7 },
        [WIPE_ALG_PFITZNER7] = { WIPE_ALG_PFITZNER7, "pfitzner7", WIPE_METHOD_SCRUB, "pfitzner7", 7 },
        [WIPE_ALG_PFITZNER33] = { WIPE_ALG_PFITZNER33, "pfitzner33", WIPE_METHOD_SCRUB, "pfitzner33", 33 },
        [WIPE_ALG_RANDOM] = { WIPE_ALG_RANDOM, "random", WIPE_METHOD_RANDOM, NULL, 1 },
        [WIPE_ALG_TRIM] = { WIPE_ALG_TRIM, "trim", WIPE_METHOD_TRIM, NULL, 1 },
};

const WipeAlgorithm *wipe_algorithm(unsigned id) {
        return id < _WIPE_ALG_MAX ? &algorithms[id] : NULL;
}

size_t wipe_count_dots(const char *chunk, size_t n) {
        size_t dots = 0;

        for (size_t i = 0; i < n; i++)
                dots += chunk[i] == '.';
        return dots;
}

static int open_target(const char *path, bool *is_block, uint64_t *size, ConfError *err) {
        struct stat st;
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot open '%s' to wipe it: %m", path);
        if (fstat(fd, &st) < 0) {
                close(fd);
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot stat '%s': %m", path);
        }
        *is_block = S_ISBLK(st.st_mode);
        *size = (uint64_t) st.st_size;
        if (*is_block && ioctl(fd, BLKGETSIZE64, size) < 0) {
                close(fd);
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot get the size of '%s': %m", path);
        }
        return fd;
}

/* Overwrites [off, off+n) with zeros or random bytes. */
static int overwrite(Job *j, int fd, uint64_t off, uint64_t n, bool random, uint8_t *buf) {
        if (!random)
                memset(buf, 0, WIPE_BUF);
        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) WIPE_BUF);
                ssize_t w;

                if (job_cancelled(j))
                        return -ECANCELED;
                if (random) {
                        for (size_t got = 0; got < k;) {
                                ssize_t g = getrandom(buf + got, k - got, 0);
                                if (g < 0 && errno != EINTR)
                                        return -errno;
                                got += g > 0 ? (size_t) g : 0;
                        }
                }
                w = pwrite(fd, buf, k, (off_t) off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return w < 0 ? -errno : -EIO;
                off += (uint64_t) w;
                n -= (uint64_t) w;
                job_add_done(j, (uint64_t) w);
        }
        return 0;
}

/* zero: the blocks that hold data are overwritten (so the old bytes are
 * gone from the disk, not only unlinked from the file); holes stay holes.
 * A device is zeroed whole (BLKZEROOUT, else written). */
static int wipe_zero(Job *j, int fd, bool is_block, uint64_t size, uint8_t *buf) {
        uint64_t pos = 0;

        if (is_block) {
                uint64_t range[2] = { 0, size };
                if (ioctl(fd, BLKZEROOUT, range) == 0) {
                        job_add_done(j, size);
                        return 0;
                }
                return overwrite(j, fd, 0, size, false, buf);
        }
        while (pos < size) {
                off_t data = lseek(fd, (off_t) pos, SEEK_DATA), hole;
                int r;

                if (data < 0 && errno == ENXIO)
                        break;
                if (data < 0)
                        data = (off_t) pos;
                hole = lseek(fd, data, SEEK_HOLE);
                if (hole < 0 || (uint64_t) hole > size)
                        hole = (off_t) size;
                job_add_done(j, (uint64_t) data - pos);
                r = overwrite(j, fd, (uint64_t) data, (uint64_t) (hole - data), false, buf);
                if (r < 0)
                        return r;
                pos = (uint64_t) hole;
        }
        job_add_done(j, size > pos ? size - pos : 0);
        return 0;
}

static int wipe_trim(Job *j, int fd, bool is_block, uint64_t size, const char *path, ConfError *err) {
        if (is_block) {
                uint64_t range[2] = { 0, size };
                if (ioctl(fd, BLKDISCARD, range) < 0)
                        return conf_fail(err, errno == EOPNOTSUPP ? VB_ERROR_NOT_SUPPORTED : VB_ERROR_SYSTEM,
                                         "cannot discard '%s': %m", path);
        } else if (size > 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t) size) < 0)
                return conf_fail(err, errno == EOPNOTSUPP ? VB_ERROR_NOT_SUPPORTED : VB_ERROR_SYSTEM,
                                 "cannot trim '%s': %m", path);
        job_add_done(j, size);
        return 0;
}

typedef struct ScrubProgress {
        uint64_t size;
        uint64_t dots;
} ScrubProgress;

static void on_scrub_output(Job *j, const char *chunk, size_t n, void *userdata) {
        ScrubProgress *p = userdata;
        size_t d = wipe_count_dots(chunk, n);

        if (d == 0)
                return;
        p->dots += d;
        job_add_done(j, p->size / SCRUB_DOTS_PER_PASS * d);
}

static int wipe_scrub(Job *j, const char *path, const WipeAlgorithm *alg, uint64_t size, ConfError *err) {
        ScrubProgress p = { .size = size };
        /* -f: even if a previous scrub left its mark; -S: leave none, so the
         * volume ends with the pattern's last pass. */
        const char *argv[] = { "scrub", "-f", "-S", "-p", alg->scrub_pattern, path, NULL };

        return command_run_full(j, argv, on_scrub_output, &p, NULL, err);
}

int wipe_run(Job *j, const char *path, const WipeAlgorithm *alg, ConfError *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_close_ int fd = -1;
        bool is_block = false;
        uint64_t size = 0;
        int r;

        fd = open_target(path, &is_block, &size, err);
        if (fd < 0)
                return fd;
        job_set_total(j, size * alg->passes);
        switch (alg->method) {
        case WIPE_METHOD_SCRUB:
                close(TAKE_FD(fd));
                return wipe_scrub(j, path, alg, size, err);
        case WIPE_METHOD_TRIM:
                return wipe_trim(j, fd, is_block, size, path, err);
        case WIPE_METHOD_ZERO:
        case WIPE_METHOD_RANDOM:
                buf = malloc(WIPE_BUF);
                if (!buf)
                        return conf_fail(err, VB_ERROR_NO_MEMORY, "out of memory");
                r = alg->method == WIPE_METHOD_ZERO ? wipe_zero(j, fd, is_block, size, buf)
                                                    : overwrite(j, fd, 0, size, true, buf);
                if (r >= 0 && fdatasync(fd) < 0)
                        r = -errno;
                if (r == -ECANCELED)
                        return conf_fail(err, VB_ERROR_OPERATION_ABORTED, "wiping '%s' was cancelled", path);
                if (r < 0)
                        return conf_fail(err, VB_ERROR_SYSTEM, "cannot wipe '%s': %s", path, strerror(-r));
                return 0;
        }
        return conf_fail(err, VB_ERROR_INTERNAL, "unknown wipe method");
}
