/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Guest logs: <logdir>/<driver>/<name>.log, fed by pipes.
 *
 * Open hands out the write end of a fresh pipe (QEMU's stdout/stderr) and
 * keeps the read end; every pipe is drained asynchronously with splice(2)
 * into the log file, so the bytes never pass through userspace. A file that
 * reaches max_size is rotated: name.log -> name.log.1 -> ... -> name.log.N
 * (N = max_backups), the oldest dropped. The split falls exactly at max_size,
 * so the rotated files put together are the stream as written.
 *
 * One LogFile per guest log, shared by all the pipes opened on it (a guest
 * restarted while the old QEMU's pipe still drains); it lives while a pipe
 * is open, and Append/Tail work on a log with no pipe too.
 *
 * The pipes outlive logd. Each is a FIFO in logd's run directory
 * (<rundir>/logd/pipes/<uuid>.fifo), and the file "streams" there records
 * which FIFO feeds which log (written before Open answers, rewritten when a
 * pipe ends). The write end is handed out opened O_RDWR: the writer is a
 * reader too, so the pipe never loses its last reader when logd dies, the
 * writer never gets EPIPE, and what it writes meanwhile waits in the pipe.
 * A logd started afresh opens every recorded FIFO again and drains it; a
 * FIFO whose writers are all gone is drained and removed. What a SIGKILL of
 * logd can lose, exactly:
 *  - nothing while the writer keeps running: every byte is in the log file
 *    (splice moved it, and the page cache is not the process's) or in the
 *    pipe, and a pipe is drained from where the file ends;
 *  - while logd is down the pipe holds at most its size (1 MiB, PIPE_SIZE):
 *    a writer with a blocking fd then waits (QEMU's stdout/stderr are), one
 *    with O_NONBLOCK gets EAGAIN and drops what it could not write;
 *  - what sits in the pipe when its last writer exits while logd is down:
 *    the kernel frees a FIFO's buffer once nobody holds it open (at most
 *    1 MiB).
 * A re-exec loses nothing: the read ends stay open across it. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define LOG_MAX_SIZE_DEFAULT (2ULL * 1024 * 1024)
#define LOG_MAX_BACKUPS_DEFAULT 3U
#define LOG_MAX_BACKUPS_LIMIT 1000U
#define LOG_TAIL_MAX (16U * 1024 * 1024)
#define LOG_LINE_MAX (64U * 1024)

typedef struct LogTable LogTable;
typedef struct LogFile LogFile;
typedef struct LogStream LogStream;

struct LogStream {
        LogFile *file;
        int fd; /* read end of the pipe, non-blocking */
        char *fifo; /* its name in the pipes directory; NULL: an anonymous pipe */
        sd_event_source *source;
        LogStream *next, *prev;
};

struct LogFile {
        LogTable *table;
        char *driver, *name;
        char *path;    /* <logdir>/<driver>/<name>.log */
        int fd;        /* the current file, written at offset size */
        uint64_t size;
        int n_backups; /* <path>.1 .. .n_backups exist; -1: not counted yet */
        LogStream *streams;
        unsigned n_streams;
        bool write_failed; /* logged once, until a write works again */
        char key[];    /* "<driver>/<name>" */
};

struct LogTable {
        char *logdir;
        uint64_t max_size;    /* 0: never rotate */
        unsigned max_backups;
        sd_event *event;      /* NULL: nothing drains by itself (unit tests) */
        void *files;          /* tsearch tree by key */
        unsigned n_files, n_streams;
        uint64_t bytes;       /* moved since start, for the curious */
        char *pipes_dir;      /* NULL: anonymous pipes that die with logd (unit tests) */
        int pipes_dir_fd;
        char **unrestored;    /* "<fifo> <driver> <name>" records a restart could not take back */
        bool closing;         /* the table goes, the FIFOs and their record stay */
};

int log_table_new(const char *logdir, uint64_t max_size, unsigned max_backups, sd_event *event, LogTable **ret);
/* Drains what the pipes hold, then closes everything. */
void log_table_free(LogTable *t);
/* Frees the memory, leaves the fds open (handed to a new process image). */
void log_table_forget(LogTable *t);

/* Pipes are FIFOs in dir from now on (created if needed). */
int log_table_open_pipes_dir(LogTable *t, const char *dir);
/* On a fresh start: opens again every FIFO the streams file names and
 * drains it from the event loop; removes FIFOs nobody records. Returns how
 * many pipes were taken back. */
int log_table_restore_pipes(LogTable *t);

/* What holds logd's fds, for errno_text(). */
#define LOG_FD_HOLDERS "every open log and every pipe holds one"

LogFile *log_table_find(LogTable *t, const char *driver, const char *name);

typedef void (*LogFileFn)(LogFile *f, void *userdata);
/* Calls fn for every log file, in the order of their keys. */
void log_table_foreach(LogTable *t, LogFileFn fn, void *userdata);
/* f's driver and name escaped with state_escape() (the syntax of the state
 * and pipes records); -ENOMEM if either is NULL (the other may be set: the
 * caller frees both). */
int log_file_escaped_names(const LogFile *f, char **ret_driver, char **ret_name);

/* InvalidArg for a bad driver or name. */
int log_check_names(const char *driver, const char *name, sd_bus_error *error);
/* Returns the pipe's write end (the caller owns it) and the file path. */
int log_open(LogTable *t, const char *driver, const char *name, uint32_t flags, int *ret_fd, char **ret_path,
             sd_bus_error *error);
/* Appends line (and a newline if it has none), after what the pipes hold. */
int log_append(LogTable *t, const char *driver, const char *name, const char *line, sd_bus_error *error);
/* The last max_bytes bytes of the log, across rotated files; NoLog if none. */
int log_tail(LogTable *t, const char *driver, const char *name, uint64_t max_bytes, void **ret, size_t *ret_len,
             sd_bus_error *error);

/* Moves what a stream's pipe holds into the file; returns 0 on EAGAIN, 1
 * at EOF (the writers are gone and the pipe is empty), -errno. */
int log_stream_drain(LogStream *s, uint64_t budget, unsigned max_rotations);
/* Drains every stream of a log (before Append and Tail). */
void log_file_flush(LogFile *f);

/* "<path>.<i>" for i >= 1, path itself for 0. */
char *log_rotated_path(const char *path, unsigned i);
int log_file_rotate(LogFile *f);

/* For a state restored after re-exec: adopts the fds. */
int log_table_adopt_file(LogTable *t, const char *driver, const char *name, int fd, uint64_t size);
/* fifo: the FIFO's name in the pipes directory, NULL for an anonymous pipe. */
int log_table_adopt_stream(LogTable *t, const char *driver, const char *name, int fd, const char *fifo);
