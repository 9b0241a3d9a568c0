/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QMP on the wire, without sockets: cutting the byte stream into lines,
 * parsing a line into a message, formatting a request. Pure functions,
 * tested on canned input (tests/unit/test-qemu-monitor.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-monitor-protocol.h"
#include "util.h"

/* ---- line buffer ---- */

int qmp_line_buffer_reserve(QmpLineBuffer *b, size_t min, char **ret, size_t *ret_size) {
        size_t used, want;
        char *p;

        /* Drop what was handed out already before growing. */
        if (b->start > 0) {
                used = b->end - b->start;
                memmove(b->data, b->data + b->start, used);
                b->start = 0;
                b->end = used;
        }

        if (b->allocated - b->end < min) {
                want = MAX(b->end + min, b->allocated * 2);
                /* +1 so qmp_line_buffer_next() can always NUL-terminate */
                p = realloc(b->data, want + 1);
                if (!p)
                        return -ENOMEM;
                b->data = p;
                b->allocated = want;
        }

        *ret = b->data + b->end;
        *ret_size = b->allocated - b->end;
        return 0;
}

void qmp_line_buffer_commit(QmpLineBuffer *b, size_t n) {
        b->end += n;
}

int qmp_line_buffer_append(QmpLineBuffer *b, const void *data, size_t n) {
        size_t size;
        char *p;
        int r;

        r = qmp_line_buffer_reserve(b, n, &p, &size);
        if (r < 0)
                return r;
        memcpy(p, data, n);
        qmp_line_buffer_commit(b, n);
        return 0;
}

int qmp_line_buffer_next(QmpLineBuffer *b, char **ret, size_t *ret_len) {
        char *line, *nl;
        size_t len;

        line = b->data + b->start;
        /* Only look at bytes not scanned before: a long reply arriving in many
         * reads is then searched once, not once per read. */
        nl = memchr(line + b->scanned, '\n', b->end - b->start - b->scanned);
        if (!nl) {
                b->scanned = b->end - b->start;
                if (b->scanned > QMP_LINE_MAX)
                        return -ENOBUFS;
                return 0;
        }

        len = nl - line;
        b->start += len + 1;
        b->scanned = 0;
        if (len > 0 && line[len - 1] == '\r')
                len--;
        line[len] = 0;

        *ret = line;
        *ret_len = len;
        return 1;
}

size_t qmp_line_buffer_pending(const QmpLineBuffer *b) {
        return b->end - b->start;
}

void qmp_line_buffer_done(QmpLineBuffer *b) {
        free(b->data);
        *b = (QmpLineBuffer) {};
}

/* ---- message parser ---- */

void qmp_message_done(QmpMessage *msg) {
        if (!msg)
                return;
        json_object_put(msg->root);
        *msg = (QmpMessage) {};
}

static const char *json_get_string(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static uint64_t parse_timestamp(json_object *root) {
        json_object *ts, *sec, *usec;
        int64_t s, u;

        if (!json_object_object_get_ex(root, "timestamp", &ts) ||
            !json_object_object_get_ex(ts, "seconds", &sec) ||
            !json_object_object_get_ex(ts, "microseconds", &usec))
                return 0;
        s = json_object_get_int64(sec);
        u = json_object_get_int64(usec);
        /* QEMU sends -1/-1 when it could not read the clock. */
        if (s < 0 || u < 0)
                return 0;
        return (uint64_t) s * 1000000ULL + (uint64_t) u;
}

static int classify_message(json_object *root, QmpMessage *m) {
        json_object *v, *id;

        if (json_object_object_get_ex(root, "QMP", &v)) {
                m->type = QMP_MESSAGE_GREETING;
                m->value = v;
                return 0;
        }

        if (json_object_object_get_ex(root, "event", &v)) {
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                m->type = QMP_MESSAGE_EVENT;
                m->event = json_object_get_string(v);
                if (!json_object_object_get_ex(root, "data", &m->value))
                        m->value = NULL;
                m->timestamp_usec = parse_timestamp(root);
                return 0;
        }

        if (json_object_object_get_ex(root, "id", &id) && json_object_is_type(id, json_type_int) &&
            json_object_get_int64(id) >= 0) {
                m->has_id = true;
                m->id = (uint64_t) json_object_get_int64(id);
        }

        if (json_object_object_get_ex(root, "return", &v)) {
                m->type = QMP_MESSAGE_RETURN;
                m->value = v;
                return 0;
        }

        if (json_object_object_get_ex(root, "error", &v)) {
                m->type = QMP_MESSAGE_ERROR;
                m->error_class = json_get_string(v, "class");
                if (!m->error_class)
                        return -EBADMSG;
                m->error_desc = json_get_string(v, "desc") ?: "";
                return 0;
        }

        return -EBADMSG;
}

int qmp_parse_message(const char *line, size_t len, QmpMessage *ret) {
        json_tokener *tok;
        json_object *root;
        QmpMessage m = {};
        size_t end;
        int r;

        if (len > INT32_MAX)
                return -EBADMSG;

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, line, (int) len);
        r = json_tokener_get_error(tok) == json_tokener_success ? 0 : -EBADMSG;
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (r < 0 || !root) {
                json_object_put(root);
                return -EBADMSG;
        }

        /* One message per line: anything but blanks after it is garbage. */
        for (; end < len; end++)
                if (!strchr(" \t\r\n", line[end])) {
                        json_object_put(root);
                        return -EBADMSG;
                }

        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return -EBADMSG;
        }

        m.root = root;
        r = classify_message(root, &m);
        if (r < 0) {
                json_object_put(root);
                return r;
        }

        *ret = m;
        return 0;
}

/* ---- requests ---- */

char *qmp_format_request(const char *command, json_object *arguments, uint64_t id) {
        json_object *req;
        char *line = NULL;
        int r;

        req = json_object_new_object();
        if (!req) {
                json_object_put(arguments);
                return NULL;
        }
        r = json_object_object_add(req, "execute", json_object_new_string(command));
        if (arguments && json_object_object_add(req, "arguments", arguments) < 0) {
                json_object_put(arguments);
                r = -ENOMEM;
        }
        if (r >= 0)
                r = json_object_object_add(req, "id", json_object_new_int64((int64_t) id));
        if (r >= 0) {
                const char *text = json_object_to_json_string_ext(
                        req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

                if (text && asprintf(&line, "%s\n", text) < 0)
                        line = NULL;
        }
        json_object_put(req);
        return line;
}
