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
 * is open, and Append/Tail work on a log with no pipe too. */

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
        sd_event_source *source;
        LogStream *next, *prev;
};

struct LogFile {
        LogTable *table;
        char *driver, *name;
        char *path;    /* <logdir>/<driver>/<name>.log */
        int fd;        /* the current file, written at offset size */
        uint64_t size;
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
};

int log_table_new(const char *logdir, uint64_t max_size, unsigned max_backups, sd_event *event, LogTable **ret);
/* Drains what the pipes hold, then closes everything. */
void log_table_free(LogTable *t);
/* Frees the memory, leaves the fds open (handed to a new process image). */
void log_table_forget(LogTable *t);

LogFile *log_table_find(LogTable *t, const char *driver, const char *name);

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
int log_stream_drain(LogStream *s, uint64_t budget);
/* Drains every stream of a log (before Append and Tail). */
void log_file_flush(LogFile *f);

/* "<path>.<i>" for i >= 1, path itself for 0. */
char *log_rotated_path(const char *path, unsigned i);
int log_file_rotate(LogFile *f);

/* For a state restored after re-exec: adopts the fds. */
int log_table_adopt_file(LogTable *t, const char *driver, const char *name, int fd, uint64_t size);
int log_table_adopt_stream(LogTable *t, const char *driver, const char *name, int fd);
