/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QMP on the wire, without sockets (qemu-monitor-protocol.c): the line
 * buffer the monitor reads into, the parser of one line into a message, the
 * formatter of a request. The monitor (qemu-monitor.h) uses them; so do the
 * unit tests, on canned input. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

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

/* {"execute": command, "arguments": arguments, "id": id} on one line ending
 * in "\n", as QEMU reads requests. arguments is consumed (even on failure)
 * and may be NULL (no "arguments" then). NULL when out of memory. */
char *qmp_format_request(const char *command, json_object *arguments, uint64_t id);
