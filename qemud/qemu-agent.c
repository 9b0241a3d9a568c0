/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU guest agent's protocol (see qemu-agent.h): the sync before each
 * command, one command in flight, a timeout for each, on the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "qemu-agent.h"
#include "qemu-monitor-protocol.h"
#include "util.h"

#define DEFAULT_TIMEOUT_USEC (5ULL * 1000000ULL)
#define READ_CHUNK 4096U

/* ---- the pure part ---- */

char *qemu_agent_format_sync(uint64_t id) {
        char *s;

        if (asprintf(&s, "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%" PRIu64 "}}\n", id) < 0)
                return NULL;
        return s;
}

char *qemu_agent_format_command(const char *command, json_object *arguments) {
        json_object *o = json_object_new_object();
        const char *text;
        char *s = NULL;

        if (!o)
                return NULL;
        if (json_object_object_add(o, "execute", json_object_new_string(command)) < 0 ||
            (arguments && json_object_object_add(o, "arguments", json_object_get(arguments)) < 0)) {
                json_object_put(o);
                return NULL;
        }
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (text && asprintf(&s, "%s\n", text) < 0)
                s = NULL;
        json_object_put(o);
        return s;
}

ssize_t qemu_agent_after_delimiter(const char *data, size_t n) {
        const char *p = memchr(data, 0xff, n);

        return p ? (ssize_t) (p - data) + 1 : -1;
}

bool qemu_agent_is_sync_reply(const char *line, size_t len, uint64_t id) {
        QmpMessage msg;
        bool ok;

        if (qmp_parse_message(line, len, &msg) < 0)
                return false;
        ok = msg.type == QMP_MESSAGE_RETURN && json_object_is_type(msg.value, json_type_int) &&
             (uint64_t) json_object_get_int64(msg.value) == id;
        qmp_message_done(&msg);
        return ok;
}

uint64_t qemu_agent_timeout_from_env(void) {
        const char *e = getenv("VIRTBUS_AGENT_TIMEOUT_MS");
        char *end;
        unsigned long long ms;

        if (!e || !*e)
                return DEFAULT_TIMEOUT_USEC;
        errno = 0;
        ms = strtoull(e, &end, 10);
        if (errno || *end || ms == 0 || ms > 3600000ULL)
                return DEFAULT_TIMEOUT_USEC;
        return ms * 1000ULL;
}

/* ---- the connection ---- */

typedef enum AgentState {
        AGENT_IDLE,           /* nothing in flight: lines that come are stale */
        AGENT_SYNC_DELIM,     /* sync sent: waiting for the 0xFF */
        AGENT_SYNC_REPLY,     /* 0xFF seen: waiting for {"return": id} */
        AGENT_REPLY,          /* the command sent: its answer is the next line */
        AGENT_CLOSED,
} AgentState;

typedef struct AgentCommand AgentCommand;
struct AgentCommand {
        char *command;
        json_object *arguments;
        bool no_reply;
        uint64_t timeout_usec;
        QemuAgentReplyFn cb;
        void *userdata;
        AgentCommand *next;
};

struct QemuAgent {
        sd_event *event;
        int fd;
        AgentState state;
        sd_event_source *io_source;
        sd_event_source *timer;
        sd_event_source *kick;      /* starts the next command from the loop */
        QmpLineBuffer in;
        char *out;
        size_t out_size;
        uint64_t sync_id;
        AgentCommand *head, *tail;  /* head: in flight (state != IDLE) */
};

static void command_free(AgentCommand *c) {
        free(c->command);
        json_object_put(c->arguments);
        free(c);
}

static void agent_close(QemuAgent *a);

/* Ends the head command with its answer (or error). */
static void complete_head(QemuAgent *a, json_object *result, const char *error_class, const char *error_desc) {
        AgentCommand *c = a->head;

        if (!c)
                return;
        a->head = c->next;
        if (!a->head)
                a->tail = NULL;
        a->timer = sd_event_source_disable_unref(a->timer);
        if (a->state != AGENT_CLOSED)
                a->state = AGENT_IDLE;
        c->cb(result, error_class, error_desc, c->userdata);
        command_free(c);
}

static int set_events(QemuAgent *a) {
        return sd_event_source_set_io_events(a->io_source, a->out_size > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

static int flush(QemuAgent *a) {
        while (a->out_size > 0) {
                ssize_t n = send(a->fd, a->out, a->out_size, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                memmove(a->out, a->out + n, a->out_size - (size_t) n);
                a->out_size -= (size_t) n;
        }
        /* A command with no answer is done once it is out. */
        if (a->out_size == 0 && a->state == AGENT_REPLY && a->head && a->head->no_reply)
                complete_head(a, NULL, NULL, NULL);
        return set_events(a);
}

static int queue_text(QemuAgent *a, char *text) {
        size_t n = strlen(text);
        char *p = realloc(a->out, a->out_size + n);

        if (!p) {
                free(text);
                return -ENOMEM;
        }
        memcpy(p + a->out_size, text, n);
        a->out = p;
        a->out_size += n;
        free(text);
        return flush(a);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        QemuAgent *a = userdata;

        log_debug("Guest agent: %s timed out", a->head ? a->head->command : "?");
        complete_head(a, NULL, QEMU_AGENT_ERROR_TIMEOUT, "the guest agent did not answer in time");
        if (a->head && a->state != AGENT_CLOSED)
                (void) sd_event_source_set_enabled(a->kick, SD_EVENT_ONESHOT);
        return 0;
}

/* Sends the sync of the head command. */
static void start_head(QemuAgent *a) {
        AgentCommand *c = a->head;
        int r;

        if (!c || a->state != AGENT_IDLE)
                return;
        if (getrandom(&a->sync_id, sizeof(a->sync_id), GRND_NONBLOCK) != sizeof(a->sync_id))
                a->sync_id = now_usec(CLOCK_MONOTONIC) ^ (uint64_t) getpid();
        a->sync_id &= (1ULL << 53) - 1; /* stays exact through JSON numbers */
        /* What came before the sync is stale. */
        a->in.start = a->in.end = a->in.scanned = 0;
        a->state = AGENT_SYNC_DELIM;
        log_debug("Guest agent: sync %" PRIu64 " for %s", a->sync_id, c->command);
        r = sd_event_add_time_relative(a->event, &a->timer, CLOCK_MONOTONIC, c->timeout_usec, 0, on_timeout, a);
        if (r >= 0)
                r = queue_text(a, qemu_agent_format_sync(a->sync_id) ?: strdup(""));
        if (r < 0) {
                log_debug_errno(r, "Guest agent: cannot send: %m");
                agent_close(a);
        }
}

static int on_kick(sd_event_source *s, void *userdata) {
        start_head(userdata);
        return 0;
}

static void on_synced(QemuAgent *a) {
        AgentCommand *c = a->head;
        char *text = qemu_agent_format_command(c->command, c->arguments);
        int r;

        a->state = AGENT_REPLY;
        log_debug("Guest agent: synced, sending %s", c->command);
        r = text ? queue_text(a, text) : -ENOMEM;
        if (r < 0)
                agent_close(a);
}

static void on_line(QemuAgent *a, const char *line, size_t len) {
        QmpMessage msg;

        switch (a->state) {
        case AGENT_SYNC_REPLY:
                if (qemu_agent_is_sync_reply(line, len, a->sync_id))
                        on_synced(a);
                return;
        case AGENT_REPLY:
                if (a->head->no_reply)
                        return;
                if (qmp_parse_message(line, len, &msg) < 0 ||
                    (msg.type != QMP_MESSAGE_RETURN && msg.type != QMP_MESSAGE_ERROR)) {
                        if (msg.root)
                                qmp_message_done(&msg);
                        log_debug("Guest agent: an answer to %s that is no answer: %.*s", a->head->command,
                                  (int) MIN(len, 200U), line);
                        complete_head(a, NULL, "GenericError", "malformed answer from the guest agent");
                        break;
                }
                if (msg.type == QMP_MESSAGE_RETURN)
                        complete_head(a, msg.value, NULL, NULL);
                else
                        complete_head(a, NULL, msg.error_class, msg.error_desc);
                qmp_message_done(&msg);
                break;
        default:
                return; /* stale */
        }
        if (a->head && a->state == AGENT_IDLE)
                (void) sd_event_source_set_enabled(a->kick, SD_EVENT_ONESHOT);
}

static int feed(QemuAgent *a, const char *data, size_t n) {
        char *line;
        size_t len;
        int r;

        if (a->state == AGENT_SYNC_DELIM) {
                ssize_t off = qemu_agent_after_delimiter(data, n);
                if (off < 0)
                        return 0; /* all stale */
                a->in.start = a->in.end = a->in.scanned = 0;
                a->state = AGENT_SYNC_REPLY;
                data += off;
                n -= (size_t) off;
        }
        r = qmp_line_buffer_append(&a->in, data, n);
        if (r < 0)
                return r;
        while (a->state != AGENT_CLOSED && (r = qmp_line_buffer_next(&a->in, &line, &len)) > 0) {
                on_line(a, line, len);
                if (a->state == AGENT_SYNC_DELIM)
                        break; /* the next command's sync: the rest of this read is stale */
        }
        return r < 0 ? r : 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        QemuAgent *a = userdata;
        char buf[READ_CHUNK];
        ssize_t n;
        int r;

        if (revents & EPOLLOUT) {
                r = flush(a);
                if (r < 0) {
                        agent_close(a);
                        return 0;
                }
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                log_debug("Guest agent: connection closed");
                agent_close(a);
                return 0;
        }
        r = feed(a, buf, (size_t) n);
        if (r < 0)
                agent_close(a);
        return 0;
}

/* The connection is down: every command fails; the agent stays (closed)
 * until its owner frees it. */
static void agent_close(QemuAgent *a) {
        if (a->state == AGENT_CLOSED)
                return;
        a->state = AGENT_CLOSED;
        a->io_source = sd_event_source_disable_unref(a->io_source);
        if (a->fd >= 0)
                close(a->fd);
        a->fd = -1;
        while (a->head)
                complete_head(a, NULL, QEMU_AGENT_ERROR_CLOSED, "the guest agent's connection closed");
}

bool qemu_agent_is_closed(const QemuAgent *a) {
        return !a || a->state == AGENT_CLOSED;
}

int qemu_agent_new(sd_event *event, const char *socket_path, QemuAgent **ret) {
        _cleanup_(qemu_agent_freep) QemuAgent *a = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->fd = -1;
        a->event = sd_event_ref(event);
        a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (a->fd < 0)
                return -errno;
        /* QEMU listens already: a unix connect completes at once. */
        if (connect(a->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        r = sd_event_add_io(event, &a->io_source, a->fd, EPOLLIN, on_io, a);
        if (r < 0)
                return r;
        r = sd_event_add_defer(event, &a->kick, on_kick, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->kick, SD_EVENT_OFF);
        *ret = TAKE_PTR(a);
        return 0;
}

QemuAgent *qemu_agent_free(QemuAgent *a) {
        if (!a)
                return NULL;
        agent_close(a);
        a->timer = sd_event_source_disable_unref(a->timer);
        a->kick = sd_event_source_disable_unref(a->kick);
        qmp_line_buffer_done(&a->in);
        free(a->out);
        sd_event_unref(a->event);
        free(a);
        return NULL;
}

int qemu_agent_command(QemuAgent *a, const char *command, json_object *arguments, bool no_reply,
                       uint64_t timeout_usec, QemuAgentReplyFn cb, void *userdata) {
        AgentCommand *c;

        if (qemu_agent_is_closed(a)) {
                json_object_put(arguments);
                return -ENOTCONN;
        }
        c = calloc(1, sizeof(*c));
        if (!c || !(c->command = strdup(command))) {
                free(c);
                json_object_put(arguments);
                return -ENOMEM;
        }
        c->arguments = arguments;
        c->no_reply = no_reply;
        c->timeout_usec = timeout_usec ?: DEFAULT_TIMEOUT_USEC;
        c->cb = cb;
        c->userdata = userdata;
        if (a->tail)
                a->tail->next = c;
        else
                a->head = c;
        a->tail = c;
        /* From the loop: the callback never runs from within this call. */
        if (a->state == AGENT_IDLE && a->head == c)
                (void) sd_event_source_set_enabled(a->kick, SD_EVENT_ONESHOT);
        return 0;
}
