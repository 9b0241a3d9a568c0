/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "error.h"
#include "transfer.h"

#define CHUNK ((size_t) 16 * 1024 * 1024)
#define BUF_SIZE ((size_t) 1024 * 1024)
#define ZERO_BLOCK ((size_t) 4096)
/* Upload write-behind: writeback of what was written starts every STEP, and
 * what lies more than WINDOW behind is waited for and dropped from the page
 * cache. */
#define WB_STEP ((uint64_t) 8 * 1024 * 1024)
#define WB_WINDOW ((uint64_t) 32 * 1024 * 1024)

int transfer_check_range(const char *volume, uint64_t offset, uint64_t length, uint64_t limit,
                         uint64_t *ret_length, ConfError *err) {
        if ((int64_t) offset < 0)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "offset %" PRId64 " is negative", (int64_t) offset);
        if (offset > limit)
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "offset %" PRIu64 " is past the end of volume '%s' (capacity %" PRIu64 " bytes)",
                                 offset, volume, limit);
        /* virsh's shorthand: a negative length is everything to the end. */
        if (length == 0 || (int64_t) length < 0) {
                *ret_length = limit - offset;
                return 0;
        }
        if (length > limit - offset)
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "range of %" PRIu64 " bytes at offset %" PRIu64 " ends at %" PRIu64
                                 ", past the capacity of volume '%s' (%" PRIu64 " bytes)",
                                 length, offset, offset + length, volume, limit);
        *ret_length = length;
        return 0;
}

size_t transfer_block_run(const uint8_t *buf, size_t len, size_t block_size, bool zero) {
        static const uint8_t zeros[ZERO_BLOCK];
        size_t off = 0;

        while (off < len) {
                size_t n = MIN(block_size, len - off);
                bool is_zero = n <= sizeof(zeros) ? memcmp(buf + off, zeros, n) == 0 : false;

                if (is_zero != zero)
                        break;
                off += n;
        }
        return off;
}

/* One side of a transfer. */
typedef struct End {
        int fd;
        bool positional;  /* regular file or block device: explicit offsets */
        bool regular;
        bool pipe;
        uint64_t pos;
        uint64_t size;    /* positional: current size */
        bool no_offload;  /* copy_file_range/sendfile refused: buffered from now on */
} End;

static int end_init(End *e, int fd, bool client, uint64_t offset) {
        struct stat st;
        int fl = fcntl(fd, F_GETFL);

        *e = (End) { .fd = fd };
        if (fstat(fd, &st) < 0 || fl < 0)
                return -errno;
        e->regular = S_ISREG(st.st_mode);
        e->pipe = S_ISFIFO(st.st_mode);
        /* An O_APPEND file takes writes at its end only: a stream to us. */
        e->positional = (e->regular || S_ISBLK(st.st_mode)) && !(fl & O_APPEND);
        if (e->regular)
                e->size = (uint64_t) st.st_size;
        else if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &e->size) < 0)
                return -errno;
        if (!client)
                e->pos = offset;
        else if (e->positional) {
                off_t p = lseek(fd, 0, SEEK_CUR);
                if (p < 0)
                        return -errno;
                e->pos = (uint64_t) p;
        }
        return 0;
}

static int write_all(End *dst, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = dst->positional ? pwrite(dst->fd, p, n, (off_t) dst->pos) : write(dst->fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
                dst->pos += (uint64_t) k;
        }
        if (dst->positional && dst->pos > dst->size)
                dst->size = dst->pos;
        return 0;
}

static int write_zeros(End *dst, uint64_t n) {
        static const uint8_t zeros[64 * 1024];

        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) sizeof(zeros));
                int r = write_all(dst, zeros, k);
                if (r < 0)
                        return r;
                n -= k;
        }
        return 0;
}

/* n bytes of zeros: a hole in a regular file (punched where it had data,
 * nothing past its end), zeroed blocks on a device, zeros in a stream. */
static int write_hole(End *dst, uint64_t n) {
        uint64_t inside;

        if (!dst->positional)
                return write_zeros(dst, n);
        inside = dst->pos < dst->size ? MIN(n, dst->size - dst->pos) : 0;
        if (inside > 0 &&
            fallocate(dst->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) dst->pos, (off_t) inside) < 0) {
                if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
                        return -errno;
                int r = write_zeros(dst, inside);
                if (r < 0)
                        return r;
                dst->pos -= inside; /* write_zeros advanced it */
        }
        if (!dst->regular && n > inside) {
                /* a device is as large as it is: zeros past "size" make no sense */
                return -ENOSPC;
        }
        dst->pos += n;
        return 0;
}

/* The kernel's copy: returns bytes moved, 0 at the source's end, -EAGAIN
 * when this pair of files cannot do it (the caller falls back). */
static ssize_t offload(End *src, End *dst, size_t n) {
        loff_t so = (loff_t) src->pos, dofs = (loff_t) dst->pos;
        ssize_t k;

        if (src->no_offload || !src->positional)
                return -EAGAIN;
        do {
                if (dst->positional)
                        k = copy_file_range(src->fd, &so, dst->fd, &dofs, n, 0);
                else
                        k = sendfile(dst->fd, src->fd, &so, n);
        } while (k < 0 && errno == EINTR);
        if (k < 0) {
                if (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS || errno == EBADF ||
                    errno == ETXTBSY) {
                        src->no_offload = true;
                        return -EAGAIN;
                }
                return -errno;
        }
        return k;
}

/* Reads into buf: at src's position for positional sources. */
static ssize_t read_some(End *src, uint8_t *buf, size_t n) {
        for (;;) {
                ssize_t k = src->positional ? pread(src->fd, buf, n, (off_t) src->pos) : read(src->fd, buf, n);
                if (k < 0 && errno == EINTR)
                        continue;
                return k < 0 ? -errno : k;
        }
}

/* Writes buf, turning whole zero blocks into holes when the destination
 * is a regular file. */
static int write_sparse(End *dst, const uint8_t *buf, size_t n) {
        size_t off = 0;

        if (!dst->regular)
                return write_all(dst, buf, n);
        while (off < n) {
                size_t z = transfer_block_run(buf + off, n - off, ZERO_BLOCK, true);
                int r;

                if (z > 0) {
                        r = write_hole(dst, z);
                        if (r < 0)
                                return r;
                        off += z;
                        continue;
                }
                size_t d = transfer_block_run(buf + off, n - off, ZERO_BLOCK, false);
                r = write_all(dst, buf + off, d);
                if (r < 0)
                        return r;
                off += d;
        }
        return 0;
}

/* An upload writes a whole image once: left to the page cache, it piles up
 * dirty pages that fsync then writes out in one go, after the copy (the two
 * add up), and it takes fresh memory for every page, which on a host that
 * gives freed memory back (virtio-balloon free page reporting) costs a fault
 * on the hypervisor side each time: 2-5 s instead of 1 s for 1 GiB, varying
 * with what else runs. Started early, the writeback overlaps the copy, and
 * pages dropped once on disk are reused by the next chunk at once; the final
 * fsync only has the last window left. */
typedef struct WriteBehind {
        bool on;
        uint64_t started;  /* writeback started for everything before */
        uint64_t dropped;  /* on disk and dropped for everything before */
} WriteBehind;

typedef struct Copy {
        Job *job;
        End src, dst;
        uint8_t *buf;
        uint64_t moved;
        WriteBehind wb;
} Copy;

/* Not every file has writeback (a pipe, some filesystems): then it is off.
 * An I/O error is the upload's: fsync would not see it again. */
static int write_behind_failed(WriteBehind *w, int r) {
        if (r == -EINVAL || r == -ESPIPE || r == -EOPNOTSUPP || r == -ENOSYS) {
                w->on = false;
                return 0;
        }
        return r;
}

static int write_behind(Copy *c) {
        WriteBehind *w = &c->wb;
        uint64_t pos = c->dst.pos, end;

        if (!w->on || pos < w->started + WB_STEP)
                return 0;
        if (sync_file_range(c->dst.fd, (off_t) w->started, (off_t) (pos - w->started), SYNC_FILE_RANGE_WRITE) < 0)
                return write_behind_failed(w, -errno);
        w->started = pos;
        if (w->started - w->dropped <= WB_WINDOW)
                return 0;
        end = w->started - WB_WINDOW;
        if (sync_file_range(c->dst.fd, (off_t) w->dropped, (off_t) (end - w->dropped),
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
                return write_behind_failed(w, -errno);
        /* Only a hint: pages someone else holds stay. */
        (void) posix_fadvise(c->dst.fd, (off_t) w->dropped, (off_t) (end - w->dropped), POSIX_FADV_DONTNEED);
        w->dropped = end;
        return 0;
}

/* Moves up to n bytes of data; fewer only at a stream's (or file's) end.
 * Returns bytes moved or -errno. */
static int64_t copy_data(Copy *c, uint64_t n) {
        uint64_t left = n;

        while (left > 0) {
                size_t want = (size_t) MIN(left, (uint64_t) CHUNK);
                ssize_t k;
                int r;

                if (job_cancelled(c->job))
                        return -ECANCELED;
                k = offload(&c->src, &c->dst, want);
                if (k == -EAGAIN) {
                        if (!c->buf && !(c->buf = malloc(BUF_SIZE)))
                                return -ENOMEM;
                        k = read_some(&c->src, c->buf, MIN(want, BUF_SIZE));
                        /* write_sparse() advances dst.pos */
                        if (k > 0 && (r = write_sparse(&c->dst, c->buf, (size_t) k)) < 0)
                                return r;
                } else if (k > 0) {
                        c->dst.pos += (uint64_t) k;
                        if (c->dst.positional && c->dst.pos > c->dst.size)
                                c->dst.size = c->dst.pos;
                }
                if (k < 0)
                        return k;
                if (k == 0)
                        break; /* the source ended */
                if ((r = write_behind(c)) < 0)
                        return r;
                c->src.pos += (uint64_t) k;
                left -= (uint64_t) k;
                c->moved += (uint64_t) k;
                job_add_done(c->job, (uint64_t) k);
        }
        return (int64_t) (n - left);
}

static int copy_hole(Copy *c, uint64_t n) {
        int r = write_hole(&c->dst, n);

        if (r < 0)
                return r;
        c->src.pos += n;
        c->moved += n;
        job_add_done(c->job, n);
        return 0;
}

/* Copies [src.pos, src.pos + n) of a regular source, data and holes. */
static int copy_extents(Copy *c, uint64_t n) {
        uint64_t end = c->src.pos + n;

        while (c->src.pos < end) {
                off_t data = lseek(c->src.fd, (off_t) c->src.pos, SEEK_DATA), hole;
                int64_t k;
                int r;

                if (data < 0 && errno == ENXIO)
                        data = (off_t) end; /* only a hole is left */
                else if (data < 0)
                        data = (off_t) c->src.pos; /* no hole support: all data */
                if ((uint64_t) data > end)
                        data = (off_t) end;
                if ((uint64_t) data > c->src.pos && (r = copy_hole(c, (uint64_t) data - c->src.pos)) < 0)
                        return r;
                if (c->src.pos >= end)
                        break;
                hole = lseek(c->src.fd, (off_t) c->src.pos, SEEK_HOLE);
                if (hole < 0 || (uint64_t) hole > end)
                        hole = (off_t) end;
                k = copy_data(c, (uint64_t) hole - c->src.pos);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break; /* the file shrank under us */
        }
        return 0;
}

static int copy_range(Copy *c, uint64_t n) {
        int64_t k;

        if (c->src.regular)
                return copy_extents(c, n);
        k = copy_data(c, n);
        return k < 0 ? (int) k : 0;
}

/* A regular destination grown by a trailing hole gets its size. */
static int finish_dst(Copy *c) {
        struct stat st;

        if (!c->dst.regular || !c->dst.positional)
                return 0;
        if (fstat(c->dst.fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size < c->dst.pos && ftruncate(c->dst.fd, (off_t) c->dst.pos) < 0)
                return -errno;
        return 0;
}

static int fail(TransferRequest *t, ConfError *err, const char *what, int r) {
        if (r == -ECANCELED)
                return conf_fail(err, VB_ERROR_OPERATION_ABORTED, "%s cancelled after %" PRIu64 " of %" PRIu64 " bytes",
                                 what, t->done, t->length);
        return conf_fail(err, r == -ENOSPC ? VB_ERROR_OPERATION_FAILED : VB_ERROR_SYSTEM,
                         "%s failed after %" PRIu64 " of %" PRIu64 " bytes: %s", what, t->done, t->length,
                         strerror(-r));
}

/* With to_end and a source of unknown length: is there more than fits? */
static int check_overflow(Copy *c, TransferRequest *t, ConfError *err) {
        uint8_t b;
        ssize_t k;

        if (!t->to_end || c->src.regular)
                return 0;
        k = read_some(&c->src, &b, 1);
        if (k > 0)
                return conf_fail(err, VB_ERROR_INVALID_ARG,
                                 "upload failed after %" PRIu64 " bytes: the source holds more than the %" PRIu64
                                 " bytes from offset %" PRIu64 " to the end of the volume",
                                 t->done, t->length, t->offset);
        return 0;
}

int transfer_upload(Job *j, TransferRequest *t, ConfError *err) {
        Copy c = { .job = j };
        uint64_t n = t->length;
        int r;

        r = end_init(&c.src, t->client_fd, true, 0);
        if (r >= 0)
                r = end_init(&c.dst, t->volume_fd, false, t->offset);
        if (r < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot use the file descriptors: %s", strerror(-r));
        c.wb = (WriteBehind) { .on = c.dst.positional, .started = t->offset, .dropped = t->offset };
        if (c.src.regular) {
                uint64_t avail = c.src.size > c.src.pos ? c.src.size - c.src.pos : 0;
                if (t->to_end && avail > n)
                        return conf_fail(err, VB_ERROR_INVALID_ARG,
                                         "the source holds %" PRIu64 " bytes from its position, more than the %" PRIu64
                                         " bytes from offset %" PRIu64 " to the end of the volume",
                                         avail, n, t->offset);
                n = MIN(n, avail);
        }
        job_set_total(j, n);
        r = copy_range(&c, n);
        t->done = c.moved;
        free(c.buf);
        if (r >= 0)
                r = finish_dst(&c);
        if (r < 0)
                return fail(t, err, "upload", r);
        r = check_overflow(&c, t, err);
        if (r < 0)
                return r;
        if (c.src.positional)
                (void) lseek(c.src.fd, (off_t) c.src.pos, SEEK_SET);
        if (t->fsync && fsync(t->volume_fd) < 0)
                return fail(t, err, "upload", -errno);
        return 0;
}

int transfer_download(Job *j, TransferRequest *t, ConfError *err) {
        Copy c = { .job = j };
        uint64_t n = t->length;
        int r;

        r = end_init(&c.src, t->volume_fd, false, t->offset);
        if (r >= 0)
                r = end_init(&c.dst, t->client_fd, true, 0);
        if (r < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot use the file descriptors: %s", strerror(-r));
        /* A qcow2 file is shorter than its capacity: its bytes are what there is. */
        if (c.src.regular)
                n = MIN(n, c.src.size > t->offset ? c.src.size - t->offset : 0);
        job_set_total(j, n);
        r = copy_range(&c, n);
        t->done = c.moved;
        free(c.buf);
        if (r >= 0)
                r = finish_dst(&c);
        if (r < 0)
                return fail(t, err, "download", r);
        if (c.dst.positional)
                (void) lseek(c.dst.fd, (off_t) c.dst.pos, SEEK_SET);
        return 0;
}
