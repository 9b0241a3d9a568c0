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
#include "state-text.h"
#include "util.h"
#include "uuid.h"

#define PIPE_SIZE (1024 * 1024) /* see log-file.h for what it bounds */
#define PIPES_STATE "streams"
#define PIPES_STATE_MAX (16U * 1024 * 1024)
#define SPLICE_CHUNK (1024 * 1024)
/* How much one wakeup of one pipe may move, so 100 busy writers take turns. */
#define DRAIN_BUDGET (4ULL * 1024 * 1024)
/* And how many rotations, each up to max_backups renames. */
#define DRAIN_ROTATIONS 1U

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
        t->pipes_dir_fd = -1;
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
        *f = (LogFile) { .table = t, .fd = -1, .n_backups = -1 };
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

/* The highest backup that exists, found once per open file: rotating
 * renames up to it, so a rotation costs what is there, not max_backups. A
 * gap below it (a logd killed in the middle of a rotation) is renamed over
 * as before, never the files above it. */
static int count_backups(LogFile *f) {
        unsigned n = 0;

        for (unsigned i = 1; i <= f->table->max_backups; i++) {
                _cleanup_free_ char *p = log_rotated_path(f->path, i);

                if (!p)
                        return -ENOMEM;
                if (access(p, F_OK) == 0)
                        n = i;
        }
        return (int) n;
}

int log_file_rotate(LogFile *f) {
        LogTable *t = f->table;
        unsigned top;
        int fd;

        if (f->n_backups < 0) {
                int n = count_backups(f);
                if (n < 0)
                        return n;
                f->n_backups = n;
        }
        /* Oldest first: .N-1 over .N, ..., the live file over .1; at the
         * limit the rename over .max_backups drops the oldest. */
        top = MIN((unsigned) f->n_backups + 1, t->max_backups);
        for (unsigned i = top; i >= 1; i--) {
                _cleanup_free_ char *from = log_rotated_path(f->path, i - 1);
                _cleanup_free_ char *to = log_rotated_path(f->path, i);

                if (!from || !to)
                        return -ENOMEM;
                if (rename(from, to) < 0 && errno != ENOENT)
                        return log_warning_errno(errno, "Cannot rotate %s to %s: %m", from, to);
        }
        f->n_backups = (int) top;
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
        LogTable *t = f->table;

        sd_event_source_disable_unref(s->source);
        if (!keep_fd)
                close(s->fd);
        /* A pipe that ended goes; one that a stopping logd leaves is opened
         * again by the next. */
        if (s->fifo && !t->closing && unlinkat(t->pipes_dir_fd, s->fifo, 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove %s/%s: %m", t->pipes_dir, s->fifo);
        free(s->fifo);
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

int log_stream_drain(LogStream *s, uint64_t budget, unsigned max_rotations) {
        LogFile *f = s->file;
        unsigned rotations = 0;

        while (budget > 0) {
                size_t want = MIN(budget, (uint64_t) SPLICE_CHUNK);
                uint64_t room;
                loff_t off;
                ssize_t n;
                bool full = f->table->max_size > 0 && f->size >= f->table->max_size;
                int r;

                /* A rotation renames every backup: bound them per wakeup so
                 * the bus and the other pipes get their turn. */
                if (full && rotations >= max_rotations)
                        return 0;
                r = file_room(f, s->fd, &room);
                if (r == 0 && full)
                        rotations++;
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

static int pipes_save(LogTable *t);

static int on_stream_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        LogStream *s = userdata;
        LogFile *f = s->file;
        LogTable *t = f->table;
        bool fifo = s->fifo;
        int r = log_stream_drain(s, DRAIN_BUDGET, DRAIN_ROTATIONS);

        if (r == 0)
                return 0;
        if (r < 0)
                log_warning_errno(r, "Cannot read a log pipe of %s: %m", f->path);
        stream_free(s, false);
        if (f->n_streams == 0)
                log_file_free(f, false);
        if (fifo) {
                r = pipes_save(t);
                if (r < 0)
                        log_warning_errno(r, "Cannot record the open pipes in %s: %m", t->pipes_dir);
        }
        return 0;
}

static int stream_new(LogFile *f, int fd, const char *fifo) {
        LogTable *t = f->table;
        LogStream *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (LogStream) { .file = f, .fd = fd };
        if (fifo) {
                s->fifo = strdup(fifo);
                if (!s->fifo) {
                        free(s);
                        return -ENOMEM;
                }
        }
        if (t->event) {
                r = sd_event_add_io(t->event, &s->source, fd, EPOLLIN, on_stream_io, s);
                if (r < 0) {
                        free(s->fifo);
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
                (void) log_stream_drain(s, 64ULL * 1024 * 1024, UINT_MAX);
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
        t->closing = true;
        while (t->files) {
                LogFile *f = *(LogFile **) t->files;
                if (!keep_fds)
                        log_file_flush(f);
                log_file_free(f, keep_fds);
        }
        sd_event_unref(t->event);
        if (t->pipes_dir_fd >= 0)
                close(t->pipes_dir_fd);
        free(t->pipes_dir);
        strv_free(t->unrestored);
        free(t->logdir);
        free(t);
}

void log_table_free(LogTable *t) {
        table_free(t, false);
}

void log_table_forget(LogTable *t) {
        table_free(t, true);
}

/* ---- walking the files ---- */

typedef struct ForEach {
        LogFileFn fn;
        void *userdata;
} ForEach;

static void walk_files(const void *node, VISIT which, void *closure) {
        ForEach *e = closure;

        if (which != postorder && which != leaf)
                return;
        e->fn(*(LogFile *const *) node, e->userdata);
}

void log_table_foreach(LogTable *t, LogFileFn fn, void *userdata) {
        ForEach e = { .fn = fn, .userdata = userdata };

        twalk_r(t->files, walk_files, &e);
}

int log_file_escaped_names(const LogFile *f, char **ret_driver, char **ret_name) {
        *ret_driver = state_escape(f->driver);
        *ret_name = state_escape(f->name);
        return *ret_driver && *ret_name ? 0 : -ENOMEM;
}

/* ---- pipes that outlive logd ---- */

int log_table_open_pipes_dir(LogTable *t, const char *dir) {
        int fd, r;

        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", dir);
        free(t->pipes_dir);
        t->pipes_dir = strdup(dir);
        if (!t->pipes_dir) {
                close(fd);
                return -ENOMEM;
        }
        if (t->pipes_dir_fd >= 0)
                close(t->pipes_dir_fd);
        t->pipes_dir_fd = fd;
        return 0;
}

static void pipe_lines(LogFile *f, void *userdata) {
        FILE *out = userdata;
        _cleanup_free_ char *d = NULL, *n = NULL;

        (void) log_file_escaped_names(f, &d, &n);     /* "?" for a name out of memory */
        for (LogStream *s = f->streams; s; s = s->next)
                if (s->fifo)
                        fprintf(out, "pipe %s %s %s\n", s->fifo, d ?: "?", n ?: "?");
}

static int write_pipes(FILE *f, void *userdata) {
        LogTable *t = userdata;

        log_table_foreach(t, pipe_lines, f);
        /* kept for the next logd: their guests may still write */
        for (char **l = t->unrestored; l && *l; l++)
                fprintf(f, "pipe %s\n", *l);
        return 0;
}

/* <pipes dir>/streams: which FIFO feeds which log, for the next logd. */
static int pipes_save(LogTable *t) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len;
        int r;

        if (!t->pipes_dir)
                return 0;
        path = path_join(t->pipes_dir, PIPES_STATE);
        if (!path)
                return -ENOMEM;
        r = state_format("logd-pipes", write_pipes, t, &text, &len);
        if (r < 0)
                return r;
        return write_file_replace(path, text, len, 0600);
}

/* The read end of a FIFO, non-blocking. The kernel tells a FIFO's reader
 * that the writers are gone (POLLHUP) only if a writer opened it after the
 * reader did: a writer opened and closed at once makes sure of that, also
 * for a FIFO opened again after a restart, whose writer came long before. */
static int fifo_open_reader(LogTable *t, const char *name) {
        _cleanup_close_ int fd = -1, w = -1;

        fd = openat(t->pipes_dir_fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        w = openat(t->pipes_dir_fd, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (w < 0)
                return -errno;
        /* A bigger pipe: fewer wakeups, and a writer rarely waits on us. */
        (void) fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
        return TAKE_FD(fd);
}

/* A new pipe: its read end (ours, non-blocking) and write end (the
 * caller's); *ret_fifo gets the FIFO's name, NULL for an anonymous pipe. */
static int pipe_new(LogTable *t, int *ret_read, int *ret_write, char **ret_fifo) {
        char name[UUID_STRING_MAX + 8];
        uint8_t u[16];
        int p[2], r;

        *ret_fifo = NULL;
        if (!t->pipes_dir) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                (void) fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
                r = fd_nonblock(p[0], true);
                if (r < 0) {
                        close(p[0]);
                        close(p[1]);
                        return r;
                }
                *ret_read = p[0];
                *ret_write = p[1];
                return 0;
        }
        r = uuid_generate(u);
        if (r < 0)
                return r;
        uuid_format(u, name);
        strcat(name, ".fifo");
        if (mkfifoat(t->pipes_dir_fd, name, 0600) < 0)
                return -errno;
        p[0] = fifo_open_reader(t, name);
        /* O_RDWR: the writer holds a read end too, see log-file.h. */
        p[1] = p[0] < 0 ? -1 : openat(t->pipes_dir_fd, name, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (p[0] < 0 || p[1] < 0) {
                r = p[0] < 0 ? p[0] : -errno;
                if (p[0] >= 0)
                        close(p[0]);
                (void) unlinkat(t->pipes_dir_fd, name, 0);
                return r;
        }
        *ret_fifo = strdup(name);
        if (!*ret_fifo) {
                close(p[0]);
                close(p[1]);
                (void) unlinkat(t->pipes_dir_fd, name, 0);
                return -ENOMEM;
        }
        *ret_read = p[0];
        *ret_write = p[1];
        return 0;
}

static bool fifo_name_is_valid(const char *name) {
        return object_name_is_valid(name) && name[0] != '.' && endswith(name, ".fifo");
}

/* A recorded pipe that could not be taken back (out of fds, say) stays
 * recorded and its FIFO stays: its guest may still write, and a later logd
 * takes it back. */
static int keep_unrestored(LogTable *t, const char *args) {
        if (strv_extend(&t->unrestored, args) < 0)
                log_oom();
        return 0;
}

static int restore_pipe(const char *keyword, const char *args, void *userdata) {
        LogTable *t = userdata;
        char fifo[256], de[1100], ne[1100], text[ERRNO_TEXT_MAX];
        _cleanup_free_ char *driver = NULL, *name = NULL;
        LogFile *f;
        int fd, r;

        if (!streq(keyword, "pipe") || sscanf(args, "%255s %1099s %1099s", fifo, de, ne) != 3 ||
            !fifo_name_is_valid(fifo) || state_unescape(de, &driver) < 0 || state_unescape(ne, &name) < 0 ||
            log_check_names(driver, name, NULL) < 0)
                return -EINVAL;
        fd = fifo_open_reader(t, fifo);
        if (fd < 0) {
                log_warning("Cannot open the pipe %s/%s of %s/%s again: %s", t->pipes_dir, fifo, driver, name,
                            errno_text(fd, LOG_FD_HOLDERS, text));
                return fd == -ENOENT ? 0 : keep_unrestored(t, args);
        }
        r = log_file_get(t, driver, name, &f);
        if (r >= 0) {
                r = stream_new(f, fd, fifo);
                if (r < 0 && f->n_streams == 0)
                        log_file_free(f, false);
        }
        if (r < 0) {
                close(fd);
                log_warning("Cannot drain the pipe %s/%s into the log of %s/%s: %s", t->pipes_dir, fifo, driver,
                            name, errno_text(r, LOG_FD_HOLDERS, text));
                return keep_unrestored(t, args);
        }
        return 0;
}

static bool fifo_is_used(LogTable *t, const char *name);

int log_table_restore_pipes(LogTable *t) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        unsigned before = t->n_streams;
        struct dirent *de;
        int fd, r;

        if (!t->pipes_dir)
                return 0;
        path = path_join(t->pipes_dir, PIPES_STATE);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, PIPES_STATE_MAX, &text, NULL);
        if (r < 0 && r != -ENOENT)
                /* Neither the FIFOs nor their record are touched: a later
                 * logd that can read it takes them back. */
                return log_warning_errno(r, "Cannot read %s, the pipes it names are not taken back: %m", path);
        if (r >= 0)
                (void) state_parse("logd-pipes", text, restore_pipe, t);
        /* A FIFO nobody records was never handed out (logd died before Open
         * answered). */
        fd = openat(t->pipes_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = fd < 0 ? NULL : fdopendir(fd);
        if (!d && fd >= 0)
                close(fd);
        while (d && (de = readdir(d)))
                if (endswith(de->d_name, ".fifo") && !fifo_is_used(t, de->d_name))
                        (void) unlinkat(t->pipes_dir_fd, de->d_name, 0);
        r = pipes_save(t);
        if (r < 0)
                log_warning_errno(r, "Cannot record the open pipes in %s: %m", t->pipes_dir);
        if (t->n_streams > before)
                log_info("Opened %u pipe(s) left by the previous logd again.", t->n_streams - before);
        return (int) (t->n_streams - before);
}

typedef struct FindFifo {
        const char *name;
        bool found;
} FindFifo;

static void find_fifo(LogFile *f, void *userdata) {
        FindFifo *c = userdata;

        for (LogStream *s = f->streams; s; s = s->next)
                if (s->fifo && streq(s->fifo, c->name))
                        c->found = true;
}

static bool fifo_is_used(LogTable *t, const char *name) {
        FindFifo c = { .name = name };
        size_t n = strlen(name);

        log_table_foreach(t, find_fifo, &c);
        for (char **l = t->unrestored; !c.found && l && *l; l++)
                c.found = strncmp(*l, name, n) == 0 && (*l)[n] == ' ';
        return c.found;
}

/* ---- operations ---- */

int log_open(LogTable *t, const char *driver, const char *name, uint32_t flags, int *ret_fd, char **ret_path,
             sd_bus_error *error) {
        char text[ERRNO_TEXT_MAX];
        _cleanup_free_ char *path = NULL, *fifo = NULL;
        int rfd = -1, wfd = -1, r;
        LogFile *f;

        r = log_check_names(driver, name, error);
        if (r < 0)
                return r;
        if (flags != 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Unknown flags 0x%x.", flags);
        r = log_file_get(t, driver, name, &f);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot open the log of %s/%s: %s", driver, name,
                                     errno_text(r, LOG_FD_HOLDERS, text));
        path = strdup(f->path);
        r = path ? pipe_new(t, &rfd, &wfd, &fifo) : -ENOMEM;
        if (r >= 0) {
                r = stream_new(f, rfd, fifo);
                if (r < 0) {
                        close(rfd);
                        if (fifo)
                                (void) unlinkat(t->pipes_dir_fd, fifo, 0);
                }
        }
        /* Recorded before the caller has the fd: a pipe handed out is a pipe
         * that a restarted logd drains. */
        if (r >= 0 && fifo) {
                r = pipes_save(t);
                if (r < 0)
                        stream_free(f->streams, false);
        }
        if (r < 0) {
                if (wfd >= 0)
                        close(wfd);
                if (f->n_streams == 0)
                        log_file_free(f, false);
                if (r == -ENOMEM)
                        return r;
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot make a pipe into the log of %s/%s: %s",
                                     driver, name, errno_text(r, LOG_FD_HOLDERS, text));
        }
        *ret_fd = wfd;
        *ret_path = TAKE_PTR(path);
        return 0;
}

int log_append(LogTable *t, const char *driver, const char *name, const char *line, sd_bus_error *error) {
        char text[ERRNO_TEXT_MAX];
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
                                     errno_text(r, LOG_FD_HOLDERS, text));
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
                                     errno_text(r, LOG_FD_HOLDERS, text));
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
        char text[ERRNO_TEXT_MAX];
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
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot read %s: %s", path, errno_text(r, LOG_FD_HOLDERS, text));
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

int log_table_adopt_stream(LogTable *t, const char *driver, const char *name, int fd, const char *fifo) {
        LogFile *f = log_table_find(t, driver, name);
        int r;

        if (!f)
                return -ENOENT;
        if (fifo && (!t->pipes_dir || !fifo_name_is_valid(fifo)))
                return -EINVAL;
        r = fd_nonblock(fd, true);
        if (r < 0)
                return r;
        return stream_new(f, fd, fifo);
}
