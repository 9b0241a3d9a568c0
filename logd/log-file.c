/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <search.h>
#include <sys/stat.h>

#include "error.h"
#include "log-file.h"
#include "log.h"
#include "util.h"

#define PIPE_SIZE (1024 * 1024)
#define SPLICE_CHUNK (1024 * 1024)
/* How much one wakeup of one pipe may move, so 100 busy writers take turns. */
#define DRAIN_BUDGET (4ULL * 1024 * 1024)

static int cmp_file(const void *a, const void *b) {
        return strcmp(((const LogFile *) a)->key, ((const LogFile *) b)->key);
}

LogFile *log_table_find(LogTable *t, const char *driver, const char *name) {
        struct {
                LogFile f;
                char buf[2 * 256 + 2];
        } k;
        void **n;

        if (strlen(driver) > 255 || strlen(name) > 255)
                return NULL;
        snprintf(k.f.key, sizeof(k.buf), "%s/%s", driver, name);
        n = tfind(&k.f, &t->files, cmp_file);
        return n ? *n : NULL;
}

int log_table_new(const char *logdir, uint64_t max_size, unsigned max_backups, sd_event *event, LogTable **ret) {
        LogTable *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->logdir = strdup(logdir);
        if (!t->logdir) {
                free(t);
                return -ENOMEM;
        }
        t->max_size = max_size;
        t->max_backups = max_backups;
        t->event = event ? sd_event_ref(event) : NULL;
        *ret = t;
        return 0;
}

int log_check_names(const char *driver, const char *name, sd_bus_error *error) {
        if (!driver || !*driver)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Driver name is empty.");
        if (!object_name_is_valid(driver))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Driver name '%s' is not valid.", driver);
        if (!object_name_is_valid(name))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Guest name '%s' is not valid.", name ?: "");
        return 0;
}

char *log_rotated_path(const char *path, unsigned i) {
        char *r;

        if (i == 0)
                return strdup(path);
        if (asprintf(&r, "%s.%u", path, i) < 0)
                return NULL;
        return r;
}

static int open_log(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);

        return fd < 0 ? -errno : fd;
}

/* ---- files ---- */

static void log_file_free(LogFile *f, bool keep_fds);

static int log_file_new(LogTable *t, const char *driver, const char *name, int fd, uint64_t size, LogFile **ret) {
        _cleanup_free_ char *dir = NULL;
        size_t kl = strlen(driver) + 1 + strlen(name) + 1;
        LogFile *f = calloc(1, sizeof(*f) + kl);
        bool opened = false;
        struct stat st;
        int r;

        if (!f)
                return -ENOMEM;
        *f = (LogFile) { .table = t, .fd = -1 };
        snprintf(f->key, kl, "%s/%s", driver, name);
        f->driver = strdup(driver);
        f->name = strdup(name);
        dir = path_join(t->logdir, driver);
        if (!f->driver || !f->name || !dir || asprintf(&f->path, "%s/%s.log", dir, name) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        if (fd < 0) {
                r = mkdir_p(dir, 0750);
                if (r < 0)
                        goto fail;
                fd = open_log(f->path);
                if (fd < 0) {
                        r = fd;
                        goto fail;
                }
                opened = true;
                size = fstat(fd, &st) < 0 ? 0 : (uint64_t) st.st_size;
        }
        f->fd = fd;
        f->size = size;
        if (!tsearch(f, &t->files, cmp_file)) {
                r = -ENOMEM;
                goto fail;
        }
        t->n_files++;
        *ret = f;
        return 0;
fail:
        /* An fd handed in stays the caller's. */
        if (opened)
                close(fd);
        free(f->driver);
        free(f->name);
        free(f->path);
        free(f);
        return r;
}

static int log_file_get(LogTable *t, const char *driver, const char *name, LogFile **ret) {
        LogFile *f = log_table_find(t, driver, name);

        if (f) {
                *ret = f;
                return 0;
        }
        return log_file_new(t, driver, name, -1, 0, ret);
}

int log_file_rotate(LogFile *f) {
        LogTable *t = f->table;
        int fd;

        /* Oldest first: .N-1 over .N, ..., the live file over .1. */
        for (unsigned i = t->max_backups; i >= 1; i--) {
                _cleanup_free_ char *from = log_rotated_path(f->path, i - 1);
                _cleanup_free_ char *to = log_rotated_path(f->path, i);

                if (!from || !to)
                        return -ENOMEM;
                if (rename(from, to) < 0 && errno != ENOENT)
                        return log_warning_errno(errno, "Cannot rotate %s to %s: %m", from, to);
        }
        if (t->max_backups == 0 && unlink(f->path) < 0 && errno != ENOENT)
                return -errno;
        fd = open_log(f->path);
        if (fd < 0)
                return log_warning_errno(fd, "Cannot open %s: %m", f->path);
        if (ftruncate(fd, 0) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        close(f->fd);
        f->fd = fd;
        f->size = 0;
        return 0;
}

/* Whether a pipe holds bytes now: 1 yes, 0 empty with writers, -EPIPE empty
 * with no writer left (EOF). */
static int pipe_has_data(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int avail = 0;

        if (ioctl(fd, FIONREAD, &avail) < 0)
                return -errno;
        if (avail > 0)
                return 1;
        if (poll(&p, 1, 0) < 0)
                return -errno;
        return p.revents & POLLHUP ? -EPIPE : 0;
}

/* Room left in the current file. A full file is rotated only once more
 * bytes wait, so the live file holds the newest bytes and a writer that
 * stopped right at the limit does not leave an empty log behind. Returns 0,
 * or 1 when nothing waits (*ret unset), 2 at EOF, -errno. */
static int file_room(LogFile *f, int pipe_fd, uint64_t *ret) {
        uint64_t max = f->table->max_size;
        int r;

        if (max == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (f->size >= max) {
                r = pipe_fd >= 0 ? pipe_has_data(pipe_fd) : 1;
                if (r == 0)
                        return 1;
                if (r == -EPIPE)
                        return 2;
                r = log_file_rotate(f);
                if (r < 0)
                        return r;
        }
        *ret = max - f->size;
        return 0;
}

/* ---- streams ---- */

static void stream_free(LogStream *s, bool keep_fd) {
        LogFile *f = s->file;

        sd_event_source_disable_unref(s->source);
        if (!keep_fd)
                close(s->fd);
        if (s->prev)
                s->prev->next = s->next;
        else
                f->streams = s->next;
        if (s->next)
                s->next->prev = s->prev;
        f->n_streams--;
        f->table->n_streams--;
        free(s);
}

/* A file that cannot be written must not block the guest writing into the
 * pipe: its bytes are read and dropped, and that is said once. */
static int discard(LogStream *s, int error, size_t len) {
        static char buf[65536];
        ssize_t n;

        if (!s->file->write_failed)
                log_error_errno(error, "Cannot write %s, dropping its output: %m", s->file->path);
        s->file->write_failed = true;
        n = read(s->fd, buf, MIN(len, sizeof(buf)));
        if (n == 0)
                return 1;
        if (n < 0)
                return errno == EAGAIN ? 0 : -errno;
        return 2;
}

int log_stream_drain(LogStream *s, uint64_t budget) {
        LogFile *f = s->file;

        while (budget > 0) {
                size_t want = MIN(budget, (uint64_t) SPLICE_CHUNK);
                uint64_t room;
                loff_t off;
                ssize_t n;
                int r;

                r = file_room(f, s->fd, &room);
                if (r == 1)
                        return 0;
                if (r == 2)
                        return 1;
                if (r >= 0) {
                        want = MIN(want, room);
                        off = (loff_t) f->size;
                        n = splice(s->fd, NULL, f->fd, &off, want, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
                        if (n > 0) {
                                f->size += (uint64_t) n;
                                f->table->bytes += (uint64_t) n;
                                f->write_failed = false;
                                budget -= (uint64_t) n;
                                continue;
                        }
                        if (n == 0)
                                return 1;
                        if (errno == EAGAIN)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                }
                r = discard(s, r, want);
                if (r != 2)
                        return r;
        }
        return 0;
}

static int on_stream_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        LogStream *s = userdata;
        LogFile *f = s->file;
        int r = log_stream_drain(s, DRAIN_BUDGET);

        if (r == 0)
                return 0;
        if (r < 0)
                log_warning_errno(r, "Cannot read a log pipe of %s: %m", f->path);
        stream_free(s, false);
        if (f->n_streams == 0)
                log_file_free(f, false);
        return 0;
}

static int stream_new(LogFile *f, int fd) {
        LogTable *t = f->table;
        LogStream *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (LogStream) { .file = f, .fd = fd };
        if (t->event) {
                r = sd_event_add_io(t->event, &s->source, fd, EPOLLIN, on_stream_io, s);
                if (r < 0) {
                        free(s);
                        return r;
                }
        }
        s->next = f->streams;
        if (f->streams)
                f->streams->prev = s;
        f->streams = s;
        f->n_streams++;
        t->n_streams++;
        return 0;
}

void log_file_flush(LogFile *f) {
        /* Bounded: a writer that never stops must not hold us here. */
        for (LogStream *s = f->streams; s; s = s->next)
                (void) log_stream_drain(s, 64ULL * 1024 * 1024);
}

static void log_file_free(LogFile *f, bool keep_fds) {
        LogTable *t;

        if (!f)
                return;
        t = f->table;
        while (f->streams)
                stream_free(f->streams, keep_fds);
        tdelete(f, &t->files, cmp_file);
        t->n_files--;
        if (f->fd >= 0 && !keep_fds)
                close(f->fd);
        free(f->driver);
        free(f->name);
        free(f->path);
        free(f);
}

static void table_free(LogTable *t, bool keep_fds) {
        if (!t)
                return;
        while (t->files) {
                LogFile *f = *(LogFile **) t->files;
                if (!keep_fds)
                        log_file_flush(f);
                log_file_free(f, keep_fds);
        }
        sd_event_unref(t->event);
        free(t->logdir);
        free(t);
}

void log_table_free(LogTable *t) {
        table_free(t, false);
}

void log_table_forget(LogTable *t) {
        table_free(t, true);
}

/* ---- operations ---- */

int log_open(LogTable *t, const char *driver, const char *name, uint32_t flags, int *ret_fd, char **ret_path,
             sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        int p[2], r;
        LogFile *f;

        r = log_check_names(driver, name, error);
        if (r < 0)
                return r;
        if (flags != 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Unknown flags 0x%x.", flags);
        r = log_file_get(t, driver, name, &f);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot open the log of %s/%s: %s", driver, name,
                                     strerror(-r));
        path = strdup(f->path);
        if (!path || pipe2(p, O_CLOEXEC) < 0) {
                r = path ? -errno : -ENOMEM;
                goto fail;
        }
        /* A bigger pipe: fewer wakeups, and a writer rarely waits on us. */
        (void) fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
        r = fd_nonblock(p[0], true);
        if (r >= 0)
                r = stream_new(f, p[0]);
        if (r < 0) {
                close(p[0]);
                close(p[1]);
                goto fail;
        }
        *ret_fd = p[1];
        *ret_path = TAKE_PTR(path);
        return 0;
fail:
        if (f->n_streams == 0)
                log_file_free(f, false);
        return r;
}

int log_append(LogTable *t, const char *driver, const char *name, const char *line, sd_bus_error *error) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        LogFile *f;
        int r;

        r = log_check_names(driver, name, error);
        if (r < 0)
                return r;
        len = strlen(line);
        if (len > LOG_LINE_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Line of %zu bytes is longer than %u.", len,
                                     LOG_LINE_MAX);
        if (asprintf(&buf, "%s%s", line, len > 0 && line[len - 1] == '\n' ? "" : "\n") < 0)
                return -ENOMEM;
        len = strlen(buf);
        r = log_file_get(t, driver, name, &f);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot open the log of %s/%s: %s", driver, name,
                                     strerror(-r));
        /* What the guest wrote before this call comes first. */
        log_file_flush(f);
        /* A line stays whole in one file. */
        if (t->max_size > 0 && f->size > 0 && f->size + len > t->max_size)
                r = log_file_rotate(f);
        for (size_t done = 0; r >= 0 && done < len;) {
                ssize_t n = pwrite(f->fd, buf + done, len - done, (off_t) (f->size + done));
                if (n < 0 && errno != EINTR)
                        r = -errno;
                else if (n > 0)
                        done += (size_t) n;
                if (done == len)
                        f->size += len;
        }
        if (f->n_streams == 0)
                log_file_free(f, false);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot write the log of %s/%s: %s", driver, name,
                                     strerror(-r));
        return 0;
}

/* Fills buf's end backwards from the newest file to older ones. */
static int tail_read(const char *path, unsigned max_backups, uint8_t *buf, size_t max, size_t *ret_filled) {
        size_t filled = 0;
        bool found = false;

        for (unsigned i = 0; i <= max_backups; i++) {
                _cleanup_free_ char *p = log_rotated_path(path, i);
                _cleanup_close_ int fd = -1;
                struct stat st;
                size_t take;

                if (!p)
                        return -ENOMEM;
                fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0 && errno == ENOENT && i == 0)
                        continue;
                if (fd < 0 && errno == ENOENT)
                        break;
                if (fd < 0 || fstat(fd, &st) < 0)
                        return -errno;
                found = true;
                if (filled == max)
                        break;
                take = MIN((uint64_t) st.st_size, max - filled);
                for (size_t got = 0; got < take;) {
                        ssize_t n = pread(fd, buf + max - filled - take + got, take - got,
                                          st.st_size - (off_t) take + (off_t) got);
                        if (n <= 0)
                                return n < 0 ? -errno : -EIO;
                        got += (size_t) n;
                }
                filled += take;
        }
        if (!found)
                return -ENOENT;
        *ret_filled = filled;
        return 0;
}

int log_tail(LogTable *t, const char *driver, const char *name, uint64_t max_bytes, void **ret, size_t *ret_len,
             sd_bus_error *error) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        LogFile *f;
        size_t filled = 0;
        int r;

        r = log_check_names(driver, name, error);
        if (r < 0)
                return r;
        if (max_bytes > LOG_TAIL_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "max_bytes %llu is over the limit of %u.",
                                     (unsigned long long) max_bytes, LOG_TAIL_MAX);
        f = log_table_find(t, driver, name);
        if (f)
                log_file_flush(f);
        dir = path_join(t->logdir, driver);
        buf = malloc(max_bytes ?: 1);
        if (!dir || !buf || asprintf(&path, "%s/%s.log", dir, name) < 0)
                return -ENOMEM;
        r = tail_read(path, t->max_backups, buf, (size_t) max_bytes, &filled);
        if (r == -ENOENT)
                return vb_error_setf(error, VB_ERROR_NO_LOG, "No log for %s/%s.", driver, name);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot read %s: %s", path, strerror(-r));
        memmove(buf, buf + max_bytes - filled, filled);
        *ret = TAKE_PTR(buf);
        *ret_len = filled;
        return 0;
}

int log_table_adopt_file(LogTable *t, const char *driver, const char *name, int fd, uint64_t size) {
        LogFile *f;

        if (log_table_find(t, driver, name))
                return -EEXIST;
        return log_file_new(t, driver, name, fd, size, &f);
}

int log_table_adopt_stream(LogTable *t, const char *driver, const char *name, int fd) {
        LogFile *f = log_table_find(t, driver, name);
        int r;

        if (!f)
                return -ENOENT;
        r = fd_nonblock(fd, true);
        if (r < 0)
                return r;
        return stream_new(f, fd);
}
