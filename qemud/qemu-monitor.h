/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An asynchronous QMP client on an sd-event loop.
 *
 * The monitor reads QEMU's greeting, sends qmp_capabilities by itself and
 * then calls on_ready. Commands may be issued at any time after
 * qemu_monitor_new(): those issued before the greeting are queued and sent,
 * right behind qmp_capabilities, in one write as soon as the greeting
 * arrives (QMP handles requests in order, so there is no need to wait for
 * the capabilities reply). Replies are matched to commands by "id".
 *
 * Nothing here blocks: connecting, reading and writing all happen from
 * the event loop. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct QemuMonitor QemuMonitor;

typedef struct QemuMonitorCallbacks {
        /* Greeting read and qmp_capabilities accepted. */
        void (*on_ready)(QemuMonitor *m, void *userdata);
        /* An asynchronous event; data is NULL when QEMU sent none. Borrowed:
         * json_object_get() it to keep it. timestamp_usec is QEMU's
         * CLOCK_REALTIME stamp (0 when absent). */
        void (*on_event)(QemuMonitor *m, const char *event, json_object *data,
                         uint64_t timestamp_usec, void *userdata);
        /* The connection ended: error is 0 when QEMU hung up (EOF or
         * ECONNRESET), else -errno (-ETIMEDOUT: not ready in time, -EPROTO:
         * QEMU spoke no QMP, ...). Commands still in flight got their reply
         * callback with error class "Disconnected" just before. Called at
         * most once; the monitor may be freed from here. */
        void (*on_closed)(QemuMonitor *m, int error, void *userdata);
} QemuMonitorCallbacks;

/* Exactly one of result and error_class is non-NULL. result is borrowed:
 * json_object_get() it to keep it. error_class is QEMU's ("GenericError",
 * "CommandNotFound", ...) or "Disconnected" when the monitor closed before
 * the reply came. */
typedef void (*QemuMonitorReplyFn)(QemuMonitor *m, json_object *result, const char *error_class,
                                   const char *error_desc, void *userdata);

/* The error class given to commands whose reply never came. */
#define QEMU_MONITOR_ERROR_DISCONNECTED "Disconnected"

/* Creates a monitor on an already connected stream socket (fd >= 0, taken
 * over on success only, switched to non-blocking) or, with fd < 0, connects
 * to socket_path, retrying every few milliseconds while the socket does not
 * exist yet or does not listen yet (QEMU creates it shortly after exec).
 * timeout_usec bounds the whole way to on_ready (connect, greeting,
 * capabilities); 0 means no limit. cb is copied; it may be NULL. */
int qemu_monitor_new(sd_event *event, int fd, const char *socket_path, uint64_t timeout_usec,
                     const QemuMonitorCallbacks *cb, void *userdata, QemuMonitor **ret);

/* Frees the monitor and closes the connection. No callback of any kind is
 * called afterwards, not even for commands in flight: their owners must
 * clean up on their own (or call qemu_monitor_close() first). Safe to call
 * from inside any of the monitor's callbacks. Returns NULL. */
QemuMonitor *qemu_monitor_free(QemuMonitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuMonitor *, qemu_monitor_free);

/* Closes the connection on our side: commands in flight get their reply
 * callback with "Disconnected", on_closed is not called. Idempotent. */
void qemu_monitor_close(QemuMonitor *m);

/* Sends {"execute": command, "arguments": arguments, "id": N}. arguments is
 * consumed (even on failure) and may be NULL. cb may be NULL to ignore the
 * reply. Returns -ENOTCONN once the monitor is closed; the callback is then
 * never called. The command goes out in a single write when the socket
 * accepts it; otherwise the rest is sent when it becomes writable. */
int qemu_monitor_command(QemuMonitor *m, const char *command, json_object *arguments,
                         QemuMonitorReplyFn cb, void *userdata);

bool qemu_monitor_is_ready(const QemuMonitor *m);
bool qemu_monitor_is_closed(const QemuMonitor *m);
/* The greeting's "QMP" object (version, capabilities), NULL before it came. */
json_object *qemu_monitor_get_greeting(const QemuMonitor *m);
void *qemu_monitor_get_userdata(const QemuMonitor *m);
void qemu_monitor_set_userdata(QemuMonitor *m, void *userdata);

/* ---- The protocol, without sockets (exposed for the unit tests). ---- */

typedef enum QmpMessageType {
        QMP_MESSAGE_GREETING,
        QMP_MESSAGE_RETURN,
        QMP_MESSAGE_ERROR,
        QMP_MESSAGE_EVENT,
} QmpMessageType;

typedef struct QmpMessage {
        QmpMessageType type;
        json_object *root;      /* owns everything below */

        bool has_id;            /* replies: an integer "id" was present */
        uint64_t id;

        /* GREETING: the "QMP" object; RETURN: the "return" value;
         * EVENT: "data" or NULL. */
        json_object *value;

        const char *error_class; /* ERROR */
        const char *error_desc;  /* ERROR, "" when absent */

        const char *event;       /* EVENT */
        uint64_t timestamp_usec; /* EVENT, 0 when absent */
} QmpMessage;

/* Parses one line (without its "\r\n"; line need not be NUL-terminated).
 * -EBADMSG when it is not JSON or not an object QMP sends. */
int qmp_parse_message(const char *line, size_t len, QmpMessage *ret);
void qmp_message_done(QmpMessage *msg);

/* Cuts a byte stream into lines: copes with partial reads and with several
 * lines in one read. */
typedef struct QmpLineBuffer {
        char *data;
        size_t start;     /* first byte not handed out yet */
        size_t end;       /* end of the buffered bytes */
        size_t scanned;   /* bytes after start known to hold no '\n' */
        size_t allocated;
} QmpLineBuffer;

/* A line longer than this closes the connection (-ENOBUFS). */
#define QMP_LINE_MAX (64U * 1024U * 1024U)

/* Makes room for at least min bytes at the end: *ret points at free space of
 * *ret_size bytes; say how many were filled with qmp_line_buffer_commit(). */
int qmp_line_buffer_reserve(QmpLineBuffer *b, size_t min, char **ret, size_t *ret_size);
void qmp_line_buffer_commit(QmpLineBuffer *b, size_t n);
int qmp_line_buffer_append(QmpLineBuffer *b, const void *data, size_t n);
/* Returns 1 with the next complete line, NUL-terminated, "\n" and a "\r"
 * before it removed, valid until the next reserve/append; 0 when no
 * complete line is buffered; -ENOBUFS when the partial line exceeds
 * QMP_LINE_MAX. */
int qmp_line_buffer_next(QmpLineBuffer *b, char **ret, size_t *ret_len);
/* Bytes buffered that do not form a complete line yet. */
size_t qmp_line_buffer_pending(const QmpLineBuffer *b);
void qmp_line_buffer_done(QmpLineBuffer *b);
