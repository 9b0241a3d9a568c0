/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP client: the parser and line splitter against canned replies taken
 * from QEMU 7.2, then real exchanges with a fake QEMU on a socketpair (or a
 * socket path) inside an sd-event loop, and one with the real QEMU when it
 * is installed. */

#include <fcntl.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "log.h"
#include "process.h"
#include "qemu-monitor.h"
#include "unit.h"
#include "util.h"

#define DATA_DIR "tests/data/qmp/"

static char *read_data(const char *name, size_t *ret_len) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;
        size_t len = 0;

        path = path_join(DATA_DIR, name);
        if (!path || read_full_file(path, 0, &text, &len) < 0) {
                fprintf(stderr, "  cannot read %s%s (run from the top of the tree)\n", DATA_DIR, name);
                return NULL;
        }
        /* The canned files hold one line with its newline: cut it off. */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
                text[--len] = 0;
        if (ret_len)
                *ret_len = len;
        return text;
}

static int parse_file(const char *name, QmpMessage *ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        text = read_data(name, &len);
        if (!text)
                return -ENOENT;
        return qmp_parse_message(text, len, ret);
}

static json_object *get_path(json_object *o, const char *a, const char *b) {
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, a, &v))
                return NULL;
        if (b && !json_object_object_get_ex(v, b, &v))
                return NULL;
        return v;
}

/* ---- the parser ---- */

static void test_parse_greeting(void) {
        QmpMessage m;

        CHECK_INTEQ(parse_file("greeting.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_GREETING);
        CHECK(!m.has_id);
        CHECK_INTEQ(json_object_get_int(get_path(get_path(m.value, "version", "qemu"), "major", NULL)), 7);
        CHECK(json_object_is_type(get_path(m.value, "capabilities", NULL), json_type_array));
        qmp_message_done(&m);
        CHECK(m.root == NULL);
}

static void test_parse_return(void) {
        QmpMessage m;

        CHECK_INTEQ(parse_file("query-version.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_RETURN);
        CHECK(m.has_id);
        CHECK_INTEQ(m.id, 1);
        CHECK_INTEQ(json_object_get_int(get_path(get_path(m.value, "qemu", NULL), "minor", NULL)), 2);
        CHECK_STREQ(json_object_get_string(get_path(m.value, "package", NULL)), "Debian 1:7.2+dfsg-7+deb12u18+b3");
        qmp_message_done(&m);

        /* qmp_capabilities sent without an id */
        CHECK_INTEQ(parse_file("return-empty.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_RETURN);
        CHECK(!m.has_id);
        CHECK(json_object_is_type(m.value, json_type_object));
        CHECK_INTEQ(json_object_object_length(m.value), 0);
        qmp_message_done(&m);

        /* big replies parse as one line each */
        CHECK_INTEQ(parse_file("qom-list-types.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_RETURN);
        CHECK_INTEQ(m.id, 5);
        CHECK(json_object_array_length(m.value) > 400);
        qmp_message_done(&m);

        CHECK_INTEQ(parse_file("query-kvm.json", &m), 0);
        CHECK(json_object_get_boolean(get_path(m.value, "enabled", NULL)));
        qmp_message_done(&m);
}

static void test_parse_error(void) {
        QmpMessage m;

        CHECK_INTEQ(parse_file("error-command-not-found.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_ERROR);
        CHECK(m.has_id);
        CHECK_INTEQ(m.id, 6);
        CHECK_STREQ(m.error_class, "CommandNotFound");
        CHECK_STREQ(m.error_desc, "The command nosuch has not been found");
        CHECK(m.value == NULL);
        qmp_message_done(&m);

        CHECK_INTEQ(parse_file("error-generic.json", &m), 0);
        CHECK_INTEQ(m.id, 12);
        CHECK_STREQ(m.error_class, "GenericError");
        qmp_message_done(&m);

        CHECK_INTEQ(parse_file("error-no-id.json", &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_ERROR);
        CHECK(!m.has_id);
        qmp_message_done(&m);
}

static void test_parse_events(void) {
        static const struct {
                const char *file, *event, *reason;
                int guest; /* -1: no data */
                uint64_t timestamp;
        } table[] = {
                { "event-shutdown-guest.json", "SHUTDOWN", "guest-shutdown", 1, 1795306402118207ULL },
                { "event-shutdown-host.json", "SHUTDOWN", "host-qmp-quit", 0, 1795306237455008ULL },
                { "event-powerdown.json", "POWERDOWN", NULL, -1, 1795306311500521ULL },
                { "event-stop.json", "STOP", NULL, -1, 1795306311496469ULL },
                { "event-resume.json", "RESUME", NULL, -1, 1795306311496156ULL },
                { "event-reset.json", "RESET", "host-qmp-system-reset", 0, 1795306311500274ULL },
                { "event-reset-guest.json", "RESET", "guest-reset", 1, 1795306420000007ULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                QmpMessage m;

                CHECK_INTEQ(parse_file(table[i].file, &m), 0);
                CHECK_INTEQ(m.type, QMP_MESSAGE_EVENT);
                CHECK_STREQ(m.event, table[i].event);
                CHECK_INTEQ(m.timestamp_usec, table[i].timestamp);
                if (table[i].guest < 0)
                        CHECK(m.value == NULL);
                else {
                        CHECK_INTEQ(json_object_get_boolean(get_path(m.value, "guest", NULL)), table[i].guest);
                        CHECK_STREQ(json_object_get_string(get_path(m.value, "reason", NULL)), table[i].reason);
                }
                qmp_message_done(&m);
        }
}

static void test_parse_malformed(void) {
        static const char *const bad[] = {
                "",
                "   ",
                "[1, 2]",
                "42",
                "{\"id\": 3}",
                "{\"return\": {}, \"id\": ",
                "{\"return\": {}} trailing",
                "{\"return\": {}}{\"return\": {}}",
                "{\"error\": {\"desc\": \"no class\"}, \"id\": 1}",
                "{\"event\": 7}",
                "not json at all",
        };
        QmpMessage m;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = qmp_parse_message(bad[i], strlen(bad[i]), &m);
                if (r != -EBADMSG)
                        fprintf(stderr, "  accepted: %s\n", bad[i]);
                CHECK_INTEQ(r, -EBADMSG);
        }

        /* Not NUL-terminated: only len bytes count. */
        CHECK_INTEQ(qmp_parse_message("{\"return\": 42, \"id\": 1}GARBAGE", 23, &m), 0);
        CHECK_INTEQ(m.type, QMP_MESSAGE_RETURN);
        CHECK_INTEQ(json_object_get_int(m.value), 42);
        qmp_message_done(&m);

        /* A string id is not one of ours: no id. */
        CHECK_INTEQ(qmp_parse_message("{\"return\": {}, \"id\": \"x\"}", 25, &m), 0);
        CHECK(!m.has_id);
        qmp_message_done(&m);

        /* Every line of the malformed stream file: one good, three bad. */
        _cleanup_free_ char *text = read_data("malformed.txt", NULL);
        QmpLineBuffer b = {};
        unsigned good = 0, lines = 0;
        char *line;
        size_t len;

        CHECK(text != NULL);
        if (!text)
                return;
        CHECK_INTEQ(qmp_line_buffer_append(&b, text, strlen(text)), 0);
        CHECK_INTEQ(qmp_line_buffer_append(&b, "\n", 1), 0);
        while (qmp_line_buffer_next(&b, &line, &len) > 0) {
                lines++;
                if (qmp_parse_message(line, len, &m) == 0) {
                        good++;
                        qmp_message_done(&m);
                }
        }
        CHECK_INTEQ(lines, 4);
        CHECK_INTEQ(good, 1);
        qmp_line_buffer_done(&b);
}

/* ---- the line splitter ---- */

static const QmpMessageType session_types[] = {
        QMP_MESSAGE_GREETING, QMP_MESSAGE_RETURN, QMP_MESSAGE_EVENT, QMP_MESSAGE_RETURN,
        QMP_MESSAGE_RETURN,   QMP_MESSAGE_EVENT,  QMP_MESSAGE_RETURN,
};

/* Feeds the session in chunks of the given size, through reserve/commit
 * like the monitor does, and checks every message comes out whole. */
static void split_session(const char *text, size_t total, size_t chunk) {
        QmpLineBuffer b = {};
        unsigned n = 0, bad = 0;

        for (size_t off = 0; off < total; off += chunk) {
                size_t k = MIN(chunk, total - off), size;
                char *p, *line;
                size_t len;

                CHECK_INTEQ(qmp_line_buffer_reserve(&b, k, &p, &size), 0);
                CHECK(size >= k);
                memcpy(p, text + off, k);
                qmp_line_buffer_commit(&b, k);

                while (qmp_line_buffer_next(&b, &line, &len) > 0) {
                        QmpMessage m;

                        CHECK_INTEQ(strlen(line), len);
                        CHECK(len == 0 || line[len - 1] != '\r');
                        if (qmp_parse_message(line, len, &m) < 0) {
                                bad++;
                                continue;
                        }
                        if (n < ELEMENTSOF(session_types) && m.type != session_types[n])
                                bad++;
                        n++;
                        qmp_message_done(&m);
                }
        }

        if (n != ELEMENTSOF(session_types) || bad)
                fprintf(stderr, "  chunk size %zu: %u messages, %u bad\n", chunk, n, bad);
        CHECK_INTEQ(n, ELEMENTSOF(session_types));
        CHECK_INTEQ(bad, 0);
        CHECK_INTEQ(qmp_line_buffer_pending(&b), 0);
        qmp_line_buffer_done(&b);
}

static void test_split_reads(void) {
        static const size_t chunks[] = { 1, 2, 3, 7, 13, 64, 100, 333, 4096 };
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *path = path_join(DATA_DIR, "session.txt");
        size_t len = 0;

        CHECK(read_full_file(path, 0, &text, &len) >= 0);
        if (!text)
                return;
        for (size_t i = 0; i < ELEMENTSOF(chunks); i++)
                split_session(text, len, chunks[i]);
}

static void test_concatenated_reads(void) {
        QmpLineBuffer b = {};
        char *line;
        size_t len;

        /* Several messages and half of another in one read, "\n" or "\r\n". */
        static const char first[] = "{\"return\": {}, \"id\": 1}\r\n"
                                    "{\"event\": \"STOP\"}\n"
                                    "\r\n"
                                    "{\"return\": 5, \"i";
        CHECK_INTEQ(qmp_line_buffer_append(&b, first, strlen(first)), 0);
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 1);
        CHECK_STREQ(line, "{\"return\": {}, \"id\": 1}");
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 1);
        CHECK_STREQ(line, "{\"event\": \"STOP\"}");
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 1);
        CHECK_INTEQ(len, 0);
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 0);
        CHECK_INTEQ(qmp_line_buffer_pending(&b), 16);
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 0);

        CHECK_INTEQ(qmp_line_buffer_append(&b, "d\": 2}\r\n", 8), 0);
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 1);
        CHECK_STREQ(line, "{\"return\": 5, \"id\": 2}");
        CHECK_INTEQ(qmp_line_buffer_next(&b, &line, &len), 0);
        CHECK_INTEQ(qmp_line_buffer_pending(&b), 0);
        qmp_line_buffer_done(&b);
}

/* ---- requests ---- */

static void test_format_request(void) {
        _cleanup_free_ char *plain = NULL, *with_args = NULL, *odd = NULL;
        json_object *args, *req, *v;

        /* No arguments: none in the request; one line, ending in "\n". */
        plain = qmp_format_request("query-status", NULL, 0);
        CHECK_STREQ(plain, "{\"execute\":\"query-status\",\"id\":0}\n");

        args = json_object_new_object();
        json_object_object_add(args, "implements", json_object_new_string("device"));
        json_object_object_add(args, "abstract", json_object_new_boolean(false));
        with_args = qmp_format_request("qom-list-types", args, 18446744073709551615ULL / 2);
        CHECK_STREQ(with_args, "{\"execute\":\"qom-list-types\",\"arguments\":{\"implements\":\"device\","
                               "\"abstract\":false},\"id\":9223372036854775807}\n");

        /* What needs escaping stays on the one line; "/" is not escaped. */
        args = json_object_new_object();
        json_object_object_add(args, "path", json_object_new_string("/dev/x\n\"y\""));
        odd = qmp_format_request("x/y", args, 7);
        CHECK(odd && strchr(odd, '\n') == odd + strlen(odd) - 1);
        CHECK(odd && !strstr(odd, "\\/"));
        req = odd ? json_tokener_parse(odd) : NULL;
        CHECK(req);
        CHECK(req && json_object_object_get_ex(req, "execute", &v) && streq(json_object_get_string(v), "x/y"));
        CHECK(req && (v = get_path(req, "arguments", "path")) && streq(json_object_get_string(v), "/dev/x\n\"y\""));
        CHECK(req && json_object_object_get_ex(req, "id", &v) && json_object_get_int64(v) == 7);
        json_object_put(req);
}

/* ---- a fake QEMU on the event loop ---- */

typedef struct Fake Fake;
struct Fake {
        sd_event *event;
        int fd;
        sd_event_source *io;
        sd_event_source *greet_timer;
        QmpLineBuffer in;
        /* what the client sent, in order */
        char *executes[32];
        int64_t ids[32];
        unsigned n_requests;
        unsigned reads;
        unsigned lines_in_first_read;
        size_t last_len; /* of the last request line */
        /* test specific behaviour for each request */
        void (*on_request)(Fake *f, const char *execute, int64_t id);
        bool hang_up;

        /* the client side */
        QemuMonitor *monitor;
        unsigned ready, closed, events;
        int closed_error;
        char *event_names[16];
        unsigned replies;
        char *reply_log[32]; /* "<tag>:<result or class>" in callback order */
        bool free_in_event;
        bool ready_before_replies;
};

static void fake_send(Fake *f, const char *text) {
        size_t len = strlen(text);
        ssize_t n = send(f->fd, text, len, MSG_NOSIGNAL);

        CHECK_INTEQ(n, (ssize_t) len);
}

static void fake_sendf(Fake *f, const char *fmt, ...) _printf_(2, 3);
static void fake_sendf(Fake *f, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        CHECK(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        fake_send(f, s);
}

static void fake_close(Fake *f) {
        f->io = sd_event_source_disable_unref(f->io);
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
}

static int fake_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Fake *f = userdata;
        unsigned lines = 0;
        char buf[65536], *line;
        ssize_t n;
        size_t len;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
                fake_close(f);
                return 0;
        }
        f->reads++;
        CHECK_INTEQ(qmp_line_buffer_append(&f->in, buf, n), 0);

        while (qmp_line_buffer_next(&f->in, &line, &len) > 0) {
                json_object *req = json_tokener_parse(line), *v;
                const char *execute = NULL;
                int64_t id = -1;

                lines++;
                f->last_len = len;
                CHECK(req != NULL);
                if (json_object_object_get_ex(req, "execute", &v))
                        execute = json_object_get_string(v);
                if (json_object_object_get_ex(req, "id", &v))
                        id = json_object_get_int64(v);
                CHECK(execute != NULL);
                if (execute && f->n_requests < ELEMENTSOF(f->executes)) {
                        f->executes[f->n_requests] = strdup(execute);
                        f->ids[f->n_requests++] = id;
                }
                if (f->on_request && execute)
                        f->on_request(f, execute, id);
                json_object_put(req);
                if (f->fd < 0)
                        break;
        }
        if (f->reads == 1)
                f->lines_in_first_read = lines;
        return 0;
}

static const char greeting_line[] =
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
        "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n";

static int fake_greet(sd_event_source *s, uint64_t usec, void *userdata) {
        Fake *f = userdata;
        size_t half = sizeof(greeting_line) / 2;

        /* In two pieces, to make the client wait for the end of the line. */
        CHECK_INTEQ(send(f->fd, greeting_line, half, 0), (ssize_t) half);
        fake_send(f, greeting_line + half);
        return 0;
}

static void fake_start(Fake *f, int fd, uint64_t greet_after_usec) {
        f->fd = fd;
        CHECK(fd_nonblock(fd, true) >= 0);
        CHECK(sd_event_add_io(f->event, &f->io, fd, EPOLLIN, fake_on_io, f) >= 0);
        CHECK(sd_event_add_time_relative(f->event, &f->greet_timer, CLOCK_MONOTONIC, greet_after_usec, 1,
                                         fake_greet, f) >= 0);
}

static void fake_done(Fake *f) {
        fake_close(f);
        f->greet_timer = sd_event_source_disable_unref(f->greet_timer);
        qmp_line_buffer_done(&f->in);
        for (unsigned i = 0; i < f->n_requests; i++)
                free(f->executes[i]);
        for (unsigned i = 0; i < f->events && i < ELEMENTSOF(f->event_names); i++)
                free(f->event_names[i]);
        for (unsigned i = 0; i < f->replies && i < ELEMENTSOF(f->reply_log); i++)
                free(f->reply_log[i]);
        qemu_monitor_free(f->monitor);
        sd_event_unref(f->event);
}

static void client_on_ready(QemuMonitor *m, void *userdata) {
        Fake *f = userdata;

        f->ready++;
        if (f->replies == 0)
                f->ready_before_replies = true;
}

static void client_on_event(QemuMonitor *m, const char *event, json_object *data, uint64_t ts, void *userdata) {
        Fake *f = userdata;

        if (f->events < ELEMENTSOF(f->event_names))
                f->event_names[f->events] = strdup(event);
        f->events++;
        if (f->free_in_event)
                f->monitor = qemu_monitor_free(m);
}

static void client_on_closed(QemuMonitor *m, int error, void *userdata) {
        Fake *f = userdata;

        f->closed++;
        f->closed_error = error;
        sd_event_exit(f->event, 0);
}

static const QemuMonitorCallbacks client_callbacks = {
        .on_ready = client_on_ready,
        .on_event = client_on_event,
        .on_closed = client_on_closed,
};

/* Each command's userdata is a tag string; the reply is logged as
 * "tag:<result JSON>" or "tag:!<error class>". */
static void client_on_reply(QemuMonitor *m, json_object *result, const char *error_class,
                            const char *error_desc, void *userdata) {
        Fake *f = qemu_monitor_get_userdata(m);
        char *s = NULL;

        CHECK((result == NULL) != (error_class == NULL));
        if (error_class)
                CHECK(asprintf(&s, "%s:!%s", (const char *) userdata, error_class) >= 0);
        else
                CHECK(asprintf(&s, "%s:%s", (const char *) userdata,
                               json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN)) >= 0);
        if (f->replies < ELEMENTSOF(f->reply_log))
                f->reply_log[f->replies] = s;
        else
                free(s);
        f->replies++;
        if (f->replies == 3 && !f->hang_up)
                sd_event_exit(f->event, 0);
}

static int on_safety_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        fprintf(stderr, "  test timed out\n");
        unit_failed_checks++;
        sd_event_exit(sd_event_source_get_event(s), -ETIME);
        return 0;
}

static void run_loop(sd_event *e, uint64_t limit_usec) {
        sd_event_source *t = NULL;

        CHECK(sd_event_add_time_relative(e, &t, CLOCK_MONOTONIC, limit_usec, 1, on_safety_timeout, NULL) >= 0);
        CHECK(sd_event_loop(e) >= 0);
        sd_event_source_disable_unref(t);
}

/* Answers qmp_capabilities at once; the rest in reverse order once three
 * commands are in, with an event in front, all in one write. */
static void reply_reversed(Fake *f, const char *execute, int64_t id) {
        if (streq(execute, "qmp_capabilities")) {
                fake_sendf(f, "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
                return;
        }
        if (f->n_requests < 4)
                return;
        fake_sendf(f,
                   "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n"
                   "{\"id\": %" PRIi64 ", \"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}\r\n"
                   "{\"return\": {\"n\": 2}, \"id\": %" PRIi64 "}\r\n"
                   "{\"return\": {\"n\": 1}, \"id\": %" PRIi64 "}\r\n",
                   f->ids[3], f->ids[2], f->ids[1]);
}

static void test_monitor_queue_before_greeting(void) {
        Fake f = { .fd = -1, .on_request = reply_reversed };
        int pair[2];

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 2 * 1000000ULL, &client_callbacks, &f, &f.monitor) >= 0);
        fake_start(&f, pair[1], 5000);

        /* All three before the greeting: they must wait for it, and follow
         * qmp_capabilities. */
        CHECK(qemu_monitor_command(f.monitor, "one", NULL, client_on_reply, (void *) "a") >= 0);
        CHECK(qemu_monitor_command(f.monitor, "two", json_object_new_object(), client_on_reply, (void *) "b") >= 0);
        json_object *args = json_object_new_object();
        json_object_object_add(args, "path", json_object_new_string("/a/b"));
        CHECK(qemu_monitor_command(f.monitor, "three", args, client_on_reply, (void *) "c") >= 0);
        CHECK(!qemu_monitor_is_ready(f.monitor));

        run_loop(f.event, 2 * 1000000ULL);

        CHECK_INTEQ(f.n_requests, 4);
        if (f.n_requests == 4) {
                CHECK_STREQ(f.executes[0], "qmp_capabilities");
                CHECK_STREQ(f.executes[1], "one");
                CHECK_STREQ(f.executes[2], "two");
                CHECK_STREQ(f.executes[3], "three");
                /* distinct ids */
                CHECK(f.ids[1] != f.ids[2] && f.ids[2] != f.ids[3] && f.ids[1] != f.ids[3]);
        }
        /* capabilities and the queue in one write */
        CHECK_INTEQ(f.lines_in_first_read, 4);
        CHECK_INTEQ(f.ready, 1);
        CHECK(f.ready_before_replies);
        CHECK(qemu_monitor_is_ready(f.monitor));
        CHECK(qemu_monitor_get_greeting(f.monitor) != NULL);
        CHECK_INTEQ(f.events, 1);
        CHECK_STREQ(f.event_names[0], "STOP");
        CHECK_INTEQ(f.replies, 3);
        CHECK_STREQ(f.reply_log[0], "c:!GenericError");
        CHECK_STREQ(f.reply_log[1], "b:{\"n\":2}");
        CHECK_STREQ(f.reply_log[2], "a:{\"n\":1}");
        CHECK_INTEQ(f.closed, 0);

        fake_done(&f);
}

/* Answers qmp_capabilities and "ping", then hangs up when "hang" arrives
 * with two commands unanswered. */
static void reply_then_hang_up(Fake *f, const char *execute, int64_t id) {
        if (streq(execute, "qmp_capabilities") || streq(execute, "ping"))
                fake_sendf(f, "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
        else if (streq(execute, "hang"))
                fake_close(f);
}

static void on_ready_issue(QemuMonitor *m, void *userdata) {
        Fake *f = userdata;

        f->ready++;
        CHECK(qemu_monitor_command(m, "ping", NULL, client_on_reply, (void *) "p") >= 0);
        CHECK(qemu_monitor_command(m, "wait", NULL, client_on_reply, (void *) "w") >= 0);
        CHECK(qemu_monitor_command(m, "hang", NULL, client_on_reply, (void *) "h") >= 0);
}

static void test_monitor_close_in_flight(void) {
        static const QemuMonitorCallbacks cb = {
                .on_ready = on_ready_issue,
                .on_event = client_on_event,
                .on_closed = client_on_closed,
        };
        Fake f = { .fd = -1, .on_request = reply_then_hang_up, .hang_up = true };
        int pair[2];

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 0, &cb, &f, &f.monitor) >= 0);
        fake_start(&f, pair[1], 0);

        run_loop(f.event, 2 * 1000000ULL);

        CHECK_INTEQ(f.ready, 1);
        CHECK_INTEQ(f.closed, 1);
        CHECK_INTEQ(f.closed_error, 0);
        CHECK_INTEQ(f.replies, 3);
        CHECK_STREQ(f.reply_log[0], "p:{}");
        CHECK_STREQ(f.reply_log[1], "w:!" QEMU_MONITOR_ERROR_DISCONNECTED);
        CHECK_STREQ(f.reply_log[2], "h:!" QEMU_MONITOR_ERROR_DISCONNECTED);
        CHECK(qemu_monitor_is_closed(f.monitor));
        CHECK_INTEQ(qemu_monitor_command(f.monitor, "late", json_object_new_object(), client_on_reply, (void *) "l"),
                    -ENOTCONN);
        CHECK_INTEQ(f.replies, 3);

        fake_done(&f);
}

/* Sends an event followed by the reply in one write: the owner frees the
 * monitor in on_event, so the reply callback must never run. */
static void reply_event_then_return(Fake *f, const char *execute, int64_t id) {
        if (streq(execute, "qmp_capabilities"))
                fake_sendf(f, "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
        else
                fake_sendf(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n"
                              "{\"event\": \"POWERDOWN\"}\r\n"
                              "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
}

static int exit_soon(sd_event_source *s, uint64_t usec, void *userdata) {
        sd_event_exit(sd_event_source_get_event(s), 0);
        return 0;
}

static void test_monitor_free_in_callback(void) {
        Fake f = { .fd = -1, .on_request = reply_event_then_return, .free_in_event = true };
        sd_event_source *t = NULL;
        int pair[2];

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 0, &client_callbacks, &f, &f.monitor) >= 0);
        fake_start(&f, pair[1], 0);
        CHECK(qemu_monitor_command(f.monitor, "system_powerdown", NULL, client_on_reply, (void *) "x") >= 0);

        /* Leave the loop 50 ms after the monitor is gone. */
        CHECK(sd_event_add_time_relative(f.event, &t, CLOCK_MONOTONIC, 50000, 1, exit_soon, NULL) >= 0);
        run_loop(f.event, 2 * 1000000ULL);
        sd_event_source_disable_unref(t);

        CHECK(f.monitor == NULL);
        CHECK_INTEQ(f.events, 1);
        CHECK_STREQ(f.event_names[0], "SHUTDOWN");
        CHECK_INTEQ(f.replies, 0);
        CHECK_INTEQ(f.closed, 0);
        fake_done(&f);
}

/* A request far larger than the socket buffer goes out in pieces as the
 * socket turns writable, and a small one queued behind it follows intact. */
static void reply_sizes(Fake *f, const char *execute, int64_t id) {
        if (streq(execute, "qmp_capabilities"))
                fake_sendf(f, "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
        else
                fake_sendf(f, "{\"return\": {\"n\": %u, \"bytes\": %zu}, \"id\": %" PRIi64 "}\r\n",
                           f->n_requests, f->last_len, id);
}

static void test_monitor_large_command(void) {
        static const size_t size = 4 * 1024 * 1024;
        Fake f = { .fd = -1, .on_request = reply_sizes };
        _cleanup_free_ char *big = malloc(size + 1);
        json_object *args;
        int pair[2];

        CHECK(big != NULL);
        if (!big)
                return;
        memset(big, 'x', size);
        big[size] = 0;

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 0, &client_callbacks, &f, &f.monitor) >= 0);
        fake_start(&f, pair[1], 0);

        args = json_object_new_object();
        json_object_object_add(args, "data", json_object_new_string(big));
        CHECK(qemu_monitor_command(f.monitor, "big", args, client_on_reply, (void *) "big") >= 0);
        CHECK(qemu_monitor_command(f.monitor, "small", NULL, client_on_reply, (void *) "small") >= 0);
        CHECK(qemu_monitor_command(f.monitor, "third", NULL, client_on_reply, (void *) "third") >= 0);
        run_loop(f.event, 5 * 1000000ULL);

        CHECK_INTEQ(f.n_requests, 4);
        CHECK(f.reads > 10); /* it did come in pieces */
        CHECK_INTEQ(f.replies, 3);
        /* {"execute":"big","arguments":{"data":"xxx..."},"id":1} */
        CHECK_STREQ(f.reply_log[0], "big:{\"n\":2,\"bytes\":4194352}");
        CHECK_STREQ(f.reply_log[1], "small:{\"n\":3,\"bytes\":26}");
        CHECK_STREQ(f.reply_log[2], "third:{\"n\":4,\"bytes\":26}");
        fake_done(&f);
}

/* ---- file descriptors (getfd, add-fd) ---- */

/* What one read of the fake brought: the requests completed in it and the
 * inode of the fd that came with it (0: none). */
typedef struct FdRead {
        char lines[128];
        ino_t ino;
} FdRead;

typedef struct FdFake {
        sd_event *event;
        int fd;
        sd_event_source *io;
        QmpLineBuffer in;
        FdRead reads[16];
        unsigned n_reads, n_requests, n_fds;
        QemuMonitor *monitor;
        unsigned replies;
} FdFake;

static int fdfake_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FdFake *f = userdata;
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(4 * sizeof(int))];
        } control;
        char buf[4096], *line;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        FdRead *rd = f->n_reads < ELEMENTSOF(f->reads) ? &f->reads[f->n_reads] : NULL;
        ssize_t n;
        size_t len;

        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n <= 0) {
                f->io = sd_event_source_disable_unref(f->io);
                return 0;
        }
        CHECK(rd != NULL);
        if (!rd)
                return 0;
        f->n_reads++;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (size_t i = 0; i < k; i++) {
                                int got;
                                struct stat st;

                                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                CHECK(fstat(got, &st) >= 0);
                                rd->ino = st.st_ino;
                                f->n_fds++;
                                close(got);
                        }
                }
        CHECK_INTEQ(qmp_line_buffer_append(&f->in, buf, n), 0);
        while (qmp_line_buffer_next(&f->in, &line, &len) > 0) {
                json_object *req = json_tokener_parse(line), *v;
                int64_t id = -1;

                CHECK(req != NULL);
                if (!req)
                        continue;
                f->n_requests++;
                if (json_object_object_get_ex(req, "execute", &v)) {
                        strncat(rd->lines, json_object_get_string(v), sizeof(rd->lines) - strlen(rd->lines) - 2);
                        strcat(rd->lines, " ");
                }
                if (json_object_object_get_ex(req, "id", &v))
                        id = json_object_get_int64(v);
                char reply[64];
                snprintf(reply, sizeof(reply), "{\"return\": {}, \"id\": %" PRIi64 "}\r\n", id);
                CHECK_INTEQ(send(fd, reply, strlen(reply), MSG_NOSIGNAL), (ssize_t) strlen(reply));
                json_object_put(req);
        }
        return 0;
}

static void fd_on_reply(QemuMonitor *m, json_object *result, const char *error_class, const char *error_desc,
                        void *userdata) {
        FdFake *f = userdata;

        CHECK(result != NULL);
        if (++f->replies == 5)
                sd_event_exit(f->event, 0);
}

/* Commands with and without fds, queued before the greeting so that they
 * all wait in one buffer: each fd arrives in the read that brings its own
 * command and no other fd command (the kernel may join the bytes before it
 * to that read, never the next fd's), and the monitor's copies close. */
static void test_monitor_command_with_fd(void) {
        FdFake f = { .fd = -1 };
        struct stat sa, sb;
        int pair[2], pa[2], pb[2];
        bool seen_a = false, seen_b = false;

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(pipe2(pa, O_CLOEXEC) >= 0 && pipe2(pb, O_CLOEXEC) >= 0);
        CHECK(fstat(pa[1], &sa) >= 0 && fstat(pb[1], &sb) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 2 * 1000000ULL, NULL, &f, &f.monitor) >= 0);
        f.fd = pair[1];
        CHECK(sd_event_add_io(f.event, &f.io, f.fd, EPOLLIN, fdfake_on_io, &f) >= 0);

        CHECK(qemu_monitor_command(f.monitor, "one", NULL, fd_on_reply, &f) >= 0);
        json_object *args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("a"));
        CHECK(qemu_monitor_command_with_fd(f.monitor, "getfd", args, pa[1], fd_on_reply, &f) >= 0);
        CHECK(qemu_monitor_command(f.monitor, "two", NULL, fd_on_reply, &f) >= 0);
        CHECK(qemu_monitor_command_with_fd(f.monitor, "add-fd", NULL, pb[1], fd_on_reply, &f) >= 0);
        CHECK(qemu_monitor_command_with_fd(f.monitor, "three", NULL, -1, fd_on_reply, &f) >= 0);
        CHECK_INTEQ(qemu_monitor_command_with_fd(f.monitor, "bad", NULL, 9999, fd_on_reply, &f), -EBADF);
        /* the monitor holds copies: the caller's own may go at once */
        close(pa[1]);
        close(pb[1]);

        fake_send((Fake *) &(Fake) { .fd = f.fd }, greeting_line);
        run_loop(f.event, 2 * 1000000ULL);

        CHECK_INTEQ(f.replies, 5);
        CHECK_INTEQ(f.n_requests, 6);
        CHECK_INTEQ(f.n_fds, 2);
        for (unsigned i = 0; i < f.n_reads; i++) {
                const FdRead *rd = &f.reads[i];

                if (rd->ino == sa.st_ino) {
                        seen_a = true;
                        CHECK(strstr(rd->lines, "getfd ") != NULL);
                        CHECK(!strstr(rd->lines, "add-fd"));
                } else if (rd->ino == sb.st_ino) {
                        seen_b = true;
                        CHECK(strstr(rd->lines, "add-fd ") != NULL);
                        CHECK(!strstr(rd->lines, "getfd"));
                } else
                        CHECK(!strstr(rd->lines, "getfd") && !strstr(rd->lines, "add-fd"));
        }
        CHECK(seen_a && seen_b);

        /* the monitor's copies are closed once sent: the pipes see EOF */
        char c;
        CHECK_INTEQ(read(pa[0], &c, 1), 0);
        CHECK_INTEQ(read(pb[0], &c, 1), 0);
        close(pa[0]);
        close(pb[0]);

        f.monitor = qemu_monitor_free(f.monitor);
        f.io = sd_event_source_disable_unref(f.io);
        close(f.fd);
        qmp_line_buffer_done(&f.in);
        sd_event_unref(f.event);
}

/* An fd still queued when the monitor goes is closed with it. */
static void test_monitor_fd_dropped(void) {
        sd_event *e = NULL;
        QemuMonitor *m = NULL;
        int pair[2], p[2];
        char c;

        CHECK(sd_event_new(&e) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(pipe2(p, O_CLOEXEC) >= 0);
        CHECK(qemu_monitor_new(e, pair[0], NULL, 0, NULL, NULL, &m) >= 0);
        CHECK(qemu_monitor_command_with_fd(m, "getfd", NULL, p[1], NULL, NULL) >= 0);
        close(p[1]);
        qemu_monitor_free(m);
        CHECK_INTEQ(read(p[0], &c, 1), 0);
        close(p[0]);
        close(pair[1]);
        sd_event_unref(e);
}

/* ---- connecting by path ---- */

typedef struct Listener {
        Fake *fake;
        char path[108];
        int listen_fd;
        sd_event_source *accept_source;
} Listener;

static int listener_on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

        CHECK(cfd >= 0);
        if (cfd >= 0)
                fake_start(l->fake, cfd, 0);
        l->accept_source = sd_event_source_disable_unref(l->accept_source);
        return 0;
}

/* Plays QEMU creating its socket 20 ms after exec. */
static int listener_create(sd_event_source *s, uint64_t usec, void *userdata) {
        Listener *l = userdata;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        memcpy(sa.sun_path, l->path, sizeof(sa.sun_path)); /* both 108 bytes, NUL-terminated */
        l->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CHECK(l->listen_fd >= 0);
        CHECK(bind(l->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0);
        CHECK(listen(l->listen_fd, 1) >= 0);
        CHECK(sd_event_add_io(sd_event_source_get_event(s), &l->accept_source, l->listen_fd, EPOLLIN,
                              listener_on_accept, l) >= 0);
        return 0;
}

static void on_ready_exit(QemuMonitor *m, void *userdata) {
        Fake *f = userdata;

        f->ready++;
        sd_event_exit(f->event, 0);
}

static void test_monitor_connect_retry(void) {
        static const QemuMonitorCallbacks cb = {
                .on_ready = on_ready_exit,
                .on_closed = client_on_closed,
        };
        Fake f = { .fd = -1, .on_request = reply_reversed };
        Listener l = { .fake = &f, .listen_fd = -1 };
        char dir[] = "/tmp/test-qemu-monitor-XXXXXX";
        sd_event_source *t = NULL;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(l.path, sizeof(l.path), "%s/monitor.sock", dir);
        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(sd_event_add_time_relative(f.event, &t, CLOCK_MONOTONIC, 20000, 1, listener_create, &l) >= 0);

        uint64_t start = now_usec(CLOCK_MONOTONIC);
        CHECK(qemu_monitor_new(f.event, -1, l.path, 2 * 1000000ULL, &cb, &f, &f.monitor) >= 0);
        run_loop(f.event, 2 * 1000000ULL);
        uint64_t elapsed = now_usec(CLOCK_MONOTONIC) - start;

        CHECK_INTEQ(f.ready, 1);
        CHECK_INTEQ(f.closed, 0);
        /* The retry cadence is a few ms: ready soon after the socket appears
         * at 20 ms (loosely bounded, the machine may be busy). */
        if (elapsed > 100000)
                fprintf(stderr, "  ready after %" PRIu64 " us\n", elapsed);
        CHECK(elapsed < 100000);

        sd_event_source_disable_unref(t);
        sd_event_source_disable_unref(l.accept_source);
        if (l.listen_fd >= 0)
                close(l.listen_fd);
        unlink(l.path);
        rmdir(dir);
        fake_done(&f);
}

static void test_monitor_connect_timeout(void) {
        static const QemuMonitorCallbacks cb = {
                .on_ready = on_ready_exit,
                .on_closed = client_on_closed,
        };
        Fake f = { .fd = -1 };
        uint64_t start;

        CHECK(sd_event_new(&f.event) >= 0);
        start = now_usec(CLOCK_MONOTONIC);
        CHECK(qemu_monitor_new(f.event, -1, "/tmp/test-qemu-monitor-does-not-exist.sock", 30000, &cb, &f,
                               &f.monitor) >= 0);
        CHECK(qemu_monitor_command(f.monitor, "never", NULL, client_on_reply, (void *) "n") >= 0);
        f.hang_up = true;
        run_loop(f.event, 2 * 1000000ULL);

        CHECK_INTEQ(f.ready, 0);
        CHECK_INTEQ(f.closed, 1);
        CHECK_INTEQ(f.closed_error, -ETIMEDOUT);
        CHECK_INTEQ(f.replies, 1);
        CHECK_STREQ(f.reply_log[0], "n:!" QEMU_MONITOR_ERROR_DISCONNECTED);
        CHECK(now_usec(CLOCK_MONOTONIC) - start >= 30000);
        fake_done(&f);

        /* A path that cannot be a socket address at all. */
        char longpath[200];
        QemuMonitor *m = NULL;
        sd_event *e = NULL;

        memset(longpath, 'x', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = 0;
        CHECK(sd_event_new(&e) >= 0);
        CHECK_INTEQ(qemu_monitor_new(e, -1, longpath, 0, NULL, NULL, &m), -ENAMETOOLONG);
        CHECK_INTEQ(qemu_monitor_new(e, -1, NULL, 0, NULL, NULL, &m), -EINVAL);
        sd_event_unref(e);
}

/* A peer that sends garbage instead of a greeting is dropped with -EPROTO. */
static int send_garbage(sd_event_source *s, uint64_t usec, void *userdata) {
        Fake *f = userdata;

        fake_send(f, "HTTP/1.1 400 Bad Request\r\n");
        return 0;
}

static void test_monitor_protocol_error(void) {
        Fake f = { .fd = -1 };
        int pair[2];

        CHECK(sd_event_new(&f.event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) >= 0);
        CHECK(qemu_monitor_new(f.event, pair[0], NULL, 0, &client_callbacks, &f, &f.monitor) >= 0);
        f.fd = pair[1];
        CHECK(sd_event_add_time_relative(f.event, &f.greet_timer, CLOCK_MONOTONIC, 0, 1, send_garbage, &f) >= 0);
        run_loop(f.event, 2 * 1000000ULL);

        CHECK_INTEQ(f.closed, 1);
        CHECK_INTEQ(f.closed_error, -EPROTO);
        CHECK_INTEQ(f.ready, 0);
        fake_done(&f);
}

/* ---- against a real QEMU ---- */

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

typedef struct Real {
        sd_event *event;
        QemuMonitor *monitor;
        uint64_t start, ready_at;
        char events[256];
        char status[64];
        unsigned closed;
        int closed_error;
        bool quit_acked;
        char fd_replies[64];
} Real;

static void real_on_event(QemuMonitor *m, const char *event, json_object *data, uint64_t ts, void *userdata) {
        Real *r = userdata;

        CHECK(ts > 0);
        strncat(r->events, event, sizeof(r->events) - strlen(r->events) - 2);
        strcat(r->events, " ");
}

static void real_on_closed(QemuMonitor *m, int error, void *userdata) {
        Real *r = userdata;

        r->closed++;
        r->closed_error = error;
        sd_event_exit(r->event, 0);
}

static void real_on_status(QemuMonitor *m, json_object *result, const char *error_class, const char *error_desc,
                           void *userdata) {
        Real *r = userdata;
        json_object *v;

        CHECK(result != NULL);
        if (result && json_object_object_get_ex(result, "status", &v))
                snprintf(r->status, sizeof(r->status), "%s", json_object_get_string(v));
}

static void real_on_quit(QemuMonitor *m, json_object *result, const char *error_class, const char *error_desc,
                         void *userdata) {
        Real *r = userdata;

        /* QEMU may hang up before its "return" gets out: both are fine. */
        r->quit_acked = result != NULL || streq_ptr(error_class, QEMU_MONITOR_ERROR_DISCONNECTED);
}

static void real_on_fd_reply(QemuMonitor *m, json_object *result, const char *error_class, const char *error_desc,
                             void *userdata) {
        Real *r = userdata;

        strncat(r->fd_replies, result ? "ok " : "error ", sizeof(r->fd_replies) - strlen(r->fd_replies) - 1);
}

static void real_on_ready(QemuMonitor *m, void *userdata) {
        Real *r = userdata;
        json_object *args;

        r->ready_at = now_usec(CLOCK_MONOTONIC);
        /* QEMU takes the fd that came with getfd; one without is refused,
         * and the named one can be closed again */
        args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("fd-test"));
        CHECK(qemu_monitor_command_with_fd(m, "getfd", args, STDERR_FILENO, real_on_fd_reply, r) >= 0);
        args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("fd-none"));
        CHECK(qemu_monitor_command(m, "getfd", args, real_on_fd_reply, r) >= 0);
        args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("fd-test"));
        CHECK(qemu_monitor_command(m, "closefd", args, real_on_fd_reply, r) >= 0);
        CHECK(qemu_monitor_command(m, "cont", NULL, NULL, NULL) >= 0);
        CHECK(qemu_monitor_command(m, "stop", NULL, NULL, NULL) >= 0);
        CHECK(qemu_monitor_command(m, "query-status", NULL, real_on_status, r) >= 0);
        CHECK(qemu_monitor_command(m, "quit", NULL, real_on_quit, r) >= 0);
}

/* The way the driver starts a domain: bind and listen on the monitor path,
 * hand the listening fd to QEMU, connect by path. */
static void test_monitor_real_qemu(void) {
        static const QemuMonitorCallbacks cb = {
                .on_ready = real_on_ready,
                .on_event = real_on_event,
                .on_closed = real_on_closed,
        };
        char dir[] = "/tmp/test-qemu-monitor-XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        Real r = {};
        _cleanup_close_ int listen_fd = -1;
        int pidfd = -1;
        pid_t pid;

        if (access(QEMU_BINARY, X_OK) < 0)
                UNIT_SKIP(QEMU_BINARY " is not installed");

        CHECK(mkdtemp(dir) != NULL);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/monitor.sock", dir);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(listen_fd >= 0);
        CHECK(bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0);
        CHECK(listen(listen_fd, 1) >= 0);

        char *argv[] = {
                (char *) QEMU_BINARY, (char *) "-S", (char *) "-no-user-config", (char *) "-nodefaults",
                (char *) "-display", (char *) "none", (char *) "-machine", (char *) "none,accel=tcg",
                (char *) "-chardev", (char *) "socket,id=mon,fd=3,server=on,wait=off",
                (char *) "-mon", (char *) "chardev=mon,mode=control", NULL,
        };
        const ProcessFd map[] = { { listen_fd, 3 } };

        CHECK(sd_event_new(&r.event) >= 0);
        r.start = now_usec(CLOCK_MONOTONIC);
        CHECK(process_spawn(argv, map, ELEMENTSOF(map), 0, &pid, &pidfd) >= 0);
        /* QEMU owns the listener now: if it dies, a pending connect fails. */
        close(TAKE_FD(listen_fd));

        CHECK(qemu_monitor_new(r.event, -1, sa.sun_path, 5 * 1000000ULL, &cb, &r, &r.monitor) >= 0);
        run_loop(r.event, 10 * 1000000ULL);

        fprintf(stderr, "  ready %" PRIu64 " us after spawn\n", r.ready_at - r.start);
        CHECK(r.ready_at > 0);
        CHECK_STREQ(r.events, "RESUME STOP SHUTDOWN ");
        CHECK_STREQ(r.status, "paused");
        CHECK_STREQ(r.fd_replies, "ok error ok ");
        CHECK(r.quit_acked);
        CHECK_INTEQ(r.closed, 1);
        CHECK_INTEQ(r.closed_error, 0);

        r.monitor = qemu_monitor_free(r.monitor);
        if (pidfd >= 0) {
                siginfo_t si = {};

                CHECK(waitid((idtype_t) 3 /* P_PIDFD */, (id_t) pidfd, &si, WEXITED) >= 0);
                CHECK_INTEQ(si.si_status, 0);
                close(pidfd);
        }
        sd_event_unref(r.event);
        unlink(sa.sun_path);
        rmdir(dir);
}

/* QEMU refusing its command line: the connection queued on its listener
 * fails as soon as it exits, well before the monitor's timeout. */
static void test_monitor_real_qemu_fails(void) {
        static const QemuMonitorCallbacks cb = {
                .on_ready = real_on_ready,
                .on_event = real_on_event,
                .on_closed = real_on_closed,
        };
        char dir[] = "/tmp/test-qemu-monitor-XXXXXX";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int listen_fd = -1, null_fd = -1;
        Real r = {};
        pid_t pid;

        if (access(QEMU_BINARY, X_OK) < 0)
                UNIT_SKIP(QEMU_BINARY " is not installed");

        CHECK(mkdtemp(dir) != NULL);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/monitor.sock", dir);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(listen_fd >= 0);
        CHECK(bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0);
        CHECK(listen(listen_fd, 1) >= 0);
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

        char *argv[] = {
                (char *) QEMU_BINARY, (char *) "-S", (char *) "-no-user-config", (char *) "-nodefaults",
                (char *) "-display", (char *) "none", (char *) "-machine", (char *) "no-such-machine",
                (char *) "-chardev", (char *) "socket,id=mon,fd=3,server=on,wait=off",
                (char *) "-mon", (char *) "chardev=mon,mode=control", NULL,
        };
        const ProcessFd map[] = { { null_fd, 2 }, { listen_fd, 3 } };

        CHECK(sd_event_new(&r.event) >= 0);
        r.start = now_usec(CLOCK_MONOTONIC);
        CHECK(process_spawn(argv, map, ELEMENTSOF(map), 0, &pid, NULL) >= 0);
        close(TAKE_FD(listen_fd));

        CHECK(qemu_monitor_new(r.event, -1, sa.sun_path, 5 * 1000000ULL, &cb, &r, &r.monitor) >= 0);
        CHECK(qemu_monitor_command(r.monitor, "query-status", NULL, real_on_quit, &r) >= 0);
        run_loop(r.event, 10 * 1000000ULL);

        CHECK(r.ready_at == 0);
        CHECK_INTEQ(r.closed, 1);
        CHECK_INTEQ(r.closed_error, 0);
        CHECK(r.quit_acked); /* the command got "Disconnected" */
        CHECK(now_usec(CLOCK_MONOTONIC) - r.start < 2 * 1000000ULL);

        r.monitor = qemu_monitor_free(r.monitor);
        CHECK(waitpid(pid, NULL, 0) == pid);
        sd_event_unref(r.event);
        unlink(sa.sun_path);
        rmdir(dir);
}

static void setup(void) __attribute__((constructor));
static void setup(void) {
        log_parse_environment();
}

UNIT_TESTS(test_parse_greeting, test_parse_return, test_parse_error, test_parse_events, test_parse_malformed,
           test_split_reads, test_concatenated_reads, test_format_request, test_monitor_queue_before_greeting,
           test_monitor_close_in_flight, test_monitor_free_in_callback, test_monitor_large_command, test_monitor_command_with_fd,
           test_monitor_fd_dropped, test_monitor_connect_retry,
           test_monitor_connect_timeout, test_monitor_protocol_error, test_monitor_real_qemu,
           test_monitor_real_qemu_fails)
