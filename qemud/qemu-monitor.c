/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP client on the event loop: connecting (with retries), reading and
 * writing without blocking, the greeting and qmp_capabilities, matching
 * replies to the commands in flight and handing events to the owner. The
 * bytes on the wire (lines, messages, requests) are qemu-monitor-protocol.c. */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "qemu-monitor.h"

/* How long to wait between two connect() attempts while QEMU has not created
 * or not started listening on its socket: short, because every millisecond
 * here is start-up latency; a little longer once it is clearly slow. */
#define CONNECT_RETRY_FAST_USEC 1000ULL
#define CONNECT_RETRY_SLOW_USEC 5000ULL
#define CONNECT_RETRY_FAST_COUNT 100U

/* How many reads one wake-up may do before yielding to the other sources
 * (epoll is level-triggered: the rest comes on the next iteration). */
#define READS_PER_DISPATCH 16
#define READ_CHUNK (64U * 1024U)

/* ---- the monitor ---- */

typedef enum MonitorState {
        MONITOR_CONNECTING,  /* waiting for the socket to appear or connect */
        MONITOR_GREETING,    /* connected, nothing sent until the greeting */
        MONITOR_NEGOTIATING, /* qmp_capabilities (and what was queued) sent */
        MONITOR_READY,
        MONITOR_CLOSED,
} MonitorState;

/* A file descriptor that goes with the command starting offset bytes into
 * the output buffer (SCM_RIGHTS on that command's first byte). */
typedef struct OutFd OutFd;
struct OutFd {
        size_t offset;
        int fd;
        OutFd *next;
};

typedef struct PendingCommand PendingCommand;
struct PendingCommand {
        uint64_t id;
        QemuMonitorReplyFn cb;
        void *userdata;
        PendingCommand *next;
};

struct QemuMonitor {
        unsigned n_ref;
        bool freed;

        sd_event *event;
        int fd;
        char *socket_path;
        MonitorState state;

        sd_event_source *io_source;
        sd_event_source *retry_source;
        sd_event_source *timeout_source;
        unsigned n_connect_attempts;

        QemuMonitorCallbacks cb;
        void *userdata;

        QmpLineBuffer in;
        char *out;              /* bytes not written yet */
        size_t out_size, out_allocated;
        OutFd *fds_head, *fds_tail; /* in buffer order */

        /* Commands sent or queued, oldest first: replies normally come in
         * this order, so the lookup by id ends at the head. */
        PendingCommand *pending_head, *pending_tail;
        uint64_t next_id;

        json_object *greeting;
};

/* VIRTBUS_QMP_TRACE=1: every line to and from QEMU goes to the log with the
 * wall-clock time and the monitor's socket (its name is the domain's), so
 * that a fault seen once under load can be read afterwards: what QEMU was
 * told, in which order, and what it said (events included). */
static bool trace_enabled(void) {
        static int on = -1;

        if (on < 0) {
                const char *e = getenv("VIRTBUS_QMP_TRACE");
                on = e && *e && !streq(e, "0");
        }
        return on;
}

static void trace_line(const QemuMonitor *m, const char *dir, const char *line, size_t len) {
        struct timespec ts;
        struct tm tm;

        if (!trace_enabled())
                return;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        (void) gmtime_r(&ts.tv_sec, &tm);
        log_info("QMP %02d:%02d:%02d.%03ld %s %s %.*s", tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
                 m->socket_path ?: "(fd)", dir, (int) MIN(len, 1600U), line);
}

static QemuMonitor *monitor_ref(QemuMonitor *m) {
        m->n_ref++;
        return m;
}

static void monitor_drop_io(QemuMonitor *m) {
        m->io_source = sd_event_source_disable_unref(m->io_source);
        m->retry_source = sd_event_source_disable_unref(m->retry_source);
        m->timeout_source = sd_event_source_disable_unref(m->timeout_source);
        if (m->fd >= 0) {
                close(m->fd);
                m->fd = -1;
        }
}

static void monitor_drop_fds(QemuMonitor *m) {
        for (OutFd *o = m->fds_head, *next; o; o = next) {
                next = o->next;
                close(o->fd);
                free(o);
        }
        m->fds_head = m->fds_tail = NULL;
}

static void monitor_unref(QemuMonitor *m) {
        if (!m)
                return;
        if (--m->n_ref > 0)
                return;

        monitor_drop_io(m);
        monitor_drop_fds(m);
        for (PendingCommand *p = m->pending_head, *next; p; p = next) {
                next = p->next;
                free(p);
        }
        qmp_line_buffer_done(&m->in);
        free(m->out);
        free(m->socket_path);
        json_object_put(m->greeting);
        sd_event_unref(m->event);
        free(m);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuMonitor *, monitor_unref);

/* True when the owner is gone or the connection is down: whoever just
 * called back into the owner must stop touching the monitor. */
static bool monitor_done(const QemuMonitor *m) {
        return m->freed || m->state == MONITOR_CLOSED;
}

static PendingCommand *pending_take(QemuMonitor *m, bool has_id, uint64_t id) {
        PendingCommand *prev = NULL;

        for (PendingCommand *p = m->pending_head; p; prev = p, p = p->next) {
                /* A reply without an id (QEMU could not even parse the
                 * request) answers the oldest request: replies come in order. */
                if (has_id && p->id != id)
                        continue;
                if (prev)
                        prev->next = p->next;
                else
                        m->pending_head = p->next;
                if (m->pending_tail == p)
                        m->pending_tail = prev;
                p->next = NULL;
                return p;
        }
        return NULL;
}

/* Ends the connection. Commands in flight are failed (unless the owner freed
 * the monitor); on_closed is called only when notify is set. The caller
 * holds a reference. */
static void monitor_disconnect(QemuMonitor *m, int error, bool notify) {
        PendingCommand *list;

        if (m->state == MONITOR_CLOSED)
                return;
        m->state = MONITOR_CLOSED;

        monitor_drop_io(m);
        qmp_line_buffer_done(&m->in);
        m->out_size = 0;
        monitor_drop_fds(m);

        list = m->pending_head;
        m->pending_head = m->pending_tail = NULL;
        while (list) {
                PendingCommand *p = list;

                list = p->next;
                if (!m->freed && p->cb)
                        p->cb(m, NULL, QEMU_MONITOR_ERROR_DISCONNECTED,
                              error < 0 ? "The monitor connection failed" : "QEMU closed the monitor connection",
                              p->userdata);
                free(p);
        }

        if (notify && !m->freed && m->cb.on_closed)
                m->cb.on_closed(m, error, m->userdata);
}

static int monitor_set_io_events(QemuMonitor *m, uint32_t events) {
        if (!m->io_source)
                return 0;
        return sd_event_source_set_io_events(m->io_source, events);
}

/* One send of up to len bytes, with fd (>= 0) as SCM_RIGHTS. */
static ssize_t send_with_fd(int sock, const char *buf, size_t len, int fd) {
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *c;

        if (fd < 0)
                return send(sock, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        mh.msg_control = &control;
        mh.msg_controllen = sizeof(control.buf);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* n bytes went out: the buffer and the fds' offsets move up; the fd that
 * went with them (fd_sent) is closed, QEMU has its own copy now. */
static void monitor_consume(QemuMonitor *m, size_t n, bool fd_sent) {
        memmove(m->out, m->out + n, m->out_size - n);
        m->out_size -= n;
        if (fd_sent) {
                OutFd *o = m->fds_head;

                m->fds_head = o->next;
                if (!m->fds_head)
                        m->fds_tail = NULL;
                close(o->fd);
                free(o);
        }
        for (OutFd *o = m->fds_head; o; o = o->next)
                o->offset -= n;
}

/* Writes what is buffered. Returns 0 when all of it or part of it went out
 * (EPOLLOUT then brings the rest), -errno when the connection is broken.
 * A command with an fd starts a write of its own, and the write stops
 * before the next such command: QEMU takes the fds that came with a read
 * as the ones of the command it reads (getfd, add-fd). */
static int monitor_flush(QemuMonitor *m) {
        ssize_t n;

        /* Nothing may precede qmp_capabilities, which waits for the greeting. */
        if (m->state != MONITOR_NEGOTIATING && m->state != MONITOR_READY)
                return 0;

        while (m->out_size > 0) {
                OutFd *o = m->fds_head;
                bool with_fd = o && o->offset == 0;
                size_t len = m->out_size;

                if (o && !with_fd)
                        len = MIN(len, o->offset);
                else if (with_fd && o->next)
                        len = MIN(len, o->next->offset);

                n = send_with_fd(m->fd, m->out, len, with_fd ? o->fd : -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                monitor_consume(m, n, with_fd);
        }

        return monitor_set_io_events(m, m->out_size > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

static int monitor_queue_bytes(QemuMonitor *m, const char *data, size_t n) {
        if (m->out_allocated - m->out_size < n) {
                size_t want = MAX(m->out_size + n, m->out_allocated * 2);
                char *p = realloc(m->out, want);

                if (!p)
                        return -ENOMEM;
                m->out = p;
                m->out_allocated = want;
        }
        memcpy(m->out + m->out_size, data, n);
        m->out_size += n;
        return 0;
}

static int monitor_queue_command(QemuMonitor *m, const char *command, json_object *arguments, int fd,
                                 QemuMonitorReplyFn cb, void *userdata) {
        _cleanup_free_ PendingCommand *p = NULL;
        _cleanup_free_ OutFd *o = NULL;
        _cleanup_free_ char *line = NULL;
        int r;

        line = qmp_format_request(command, arguments, m->next_id);
        if (!line)
                return -ENOMEM;

        p = malloc(sizeof(PendingCommand));
        if (!p)
                return -ENOMEM;
        *p = (PendingCommand) { .id = m->next_id, .cb = cb, .userdata = userdata };

        if (fd >= 0) {
                o = malloc(sizeof(OutFd));
                if (!o)
                        return -ENOMEM;
                *o = (OutFd) { .offset = m->out_size, .fd = fcntl(fd, F_DUPFD_CLOEXEC, 3) };
                if (o->fd < 0)
                        return -errno;
        }

        r = monitor_queue_bytes(m, line, strlen(line));
        if (r < 0) {
                if (o)
                        close(o->fd);
                return r;
        }
        if (o) {
                if (m->fds_tail)
                        m->fds_tail->next = o;
                else
                        m->fds_head = o;
                m->fds_tail = TAKE_PTR(o);
        }

        log_debug("QMP: queued %s (id %" PRIu64 ")", command, m->next_id);
        trace_line(m, ">", line, strlen(line));
        m->next_id++;
        if (m->pending_tail)
                m->pending_tail->next = p;
        else
                m->pending_head = p;
        m->pending_tail = TAKE_PTR(p);
        return 0;
}

static void on_capabilities_reply(QemuMonitor *m, json_object *result, const char *error_class,
                                  const char *error_desc, void *userdata) {
        if (m->state == MONITOR_CLOSED)
                return;
        if (error_class) {
                log_debug("QMP: qmp_capabilities failed: %s: %s", error_class, error_desc);
                monitor_disconnect(m, -EPROTO, true);
                return;
        }

        m->state = MONITOR_READY;
        m->timeout_source = sd_event_source_disable_unref(m->timeout_source);
        if (m->cb.on_ready)
                m->cb.on_ready(m, m->userdata);
}

static int monitor_handle_greeting(QemuMonitor *m, QmpMessage *msg) {
        if (m->state != MONITOR_GREETING) {
                log_debug("QMP: unexpected second greeting, ignored.");
                return 0;
        }

        m->greeting = json_object_get(msg->value);
        m->state = MONITOR_NEGOTIATING;
        /* qmp_capabilities is first in the queue; what the owner issued
         * meanwhile follows in the same write. */
        return monitor_flush(m);
}

static void monitor_handle_reply(QemuMonitor *m, QmpMessage *msg) {
        _cleanup_free_ PendingCommand *p = NULL;

        p = pending_take(m, msg->has_id, msg->id);
        if (!p) {
                log_debug("QMP: reply to unknown id %" PRIu64 " ignored.", msg->id);
                return;
        }

        if (!p->cb)
                return;
        if (msg->type == QMP_MESSAGE_RETURN)
                p->cb(m, msg->value, NULL, NULL, p->userdata);
        else
                p->cb(m, NULL, msg->error_class, msg->error_desc, p->userdata);
}

/* Returns < 0 when the connection must be dropped. */
static int monitor_handle_line(QemuMonitor *m, const char *line, size_t len) {
        QmpMessage msg;
        int r;

        trace_line(m, "<", line, len);
        r = qmp_parse_message(line, len, &msg);
        if (r < 0) {
                log_debug("QMP: cannot parse \"%.*s\"", (int) MIN(len, 200U), line);
                return -EPROTO;
        }

        switch (msg.type) {
        case QMP_MESSAGE_GREETING:
                r = monitor_handle_greeting(m, &msg);
                break;
        case QMP_MESSAGE_RETURN:
        case QMP_MESSAGE_ERROR:
                monitor_handle_reply(m, &msg);
                break;
        case QMP_MESSAGE_EVENT:
                log_debug("QMP: event %s", msg.event);
                if (m->cb.on_event)
                        m->cb.on_event(m, msg.event, msg.value, msg.timestamp_usec, m->userdata);
                break;
        }

        qmp_message_done(&msg);
        return r;
}

/* Handles every complete line buffered; stops as soon as a callback freed or
 * closed the monitor. */
static int monitor_process_lines(QemuMonitor *m) {
        char *line;
        size_t len;
        int r;

        while (!monitor_done(m)) {
                r = qmp_line_buffer_next(&m->in, &line, &len);
                if (r <= 0)
                        return r;
                if (len == 0)
                        continue;
                r = monitor_handle_line(m, line, len);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reads what is there. Returns 1 on EOF, 0 when the socket is drained (or
 * enough was read for one wake-up), -errno on failure. */
static int monitor_read(QemuMonitor *m) {
        for (unsigned i = 0; i < READS_PER_DISPATCH; i++) {
                size_t size;
                ssize_t n;
                char *p;
                int r;

                r = qmp_line_buffer_reserve(&m->in, READ_CHUNK, &p, &size);
                if (r < 0)
                        return r;

                n = recv(m->fd, p, size, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        /* QEMU exiting with our last request unread resets
                         * the connection: that is a hang-up too. */
                        if (errno == ECONNRESET)
                                return 1;
                        return -errno;
                }
                if (n == 0)
                        return 1;

                qmp_line_buffer_commit(&m->in, n);
                r = monitor_process_lines(m);
                if (r < 0)
                        return r;
                if (monitor_done(m))
                        return 0;
        }
        return 0;
}

static int monitor_connected(QemuMonitor *m);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(monitor_unrefp) QemuMonitor *m = monitor_ref(userdata);
        int r, write_error = 0;

        if (m->state == MONITOR_CONNECTING) {
                int error = 0;
                socklen_t sl = sizeof(error);

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &sl) < 0)
                        error = errno;
                if (error != 0) {
                        monitor_disconnect(m, -error, true);
                        return 0;
                }
                r = monitor_connected(m);
                if (r < 0)
                        monitor_disconnect(m, r, true);
                return 0;
        }

        if (revents & EPOLLOUT) {
                r = monitor_flush(m);
                if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
                        log_debug_errno(r, "QMP: write failed: %m");
                        monitor_disconnect(m, r, true);
                        return 0;
                }
                /* A broken pipe: first read what QEMU said before it went
                 * away, the read below then finds the end of the stream. */
                write_error = r;
        }

        if (write_error < 0 || (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                r = monitor_read(m);
                if (monitor_done(m))
                        return 0;
                if (r > 0) {
                        log_debug("QMP: connection closed by QEMU.");
                        monitor_disconnect(m, 0, true);
                } else if (r < 0 || write_error < 0) {
                        r = r < 0 ? r : write_error;
                        log_debug_errno(r, "QMP: connection failed: %m");
                        monitor_disconnect(m, r, true);
                }
        }
        return 0;
}

static int monitor_connected(QemuMonitor *m) {
        m->state = MONITOR_GREETING;
        m->n_connect_attempts = 0;
        if (m->io_source)
                return sd_event_source_set_io_events(m->io_source, EPOLLIN);
        return sd_event_add_io(m->event, &m->io_source, m->fd, EPOLLIN, on_io, m);
}

static int on_connect_retry(sd_event_source *s, uint64_t usec, void *userdata);

static int monitor_schedule_retry(QemuMonitor *m) {
        uint64_t delay = m->n_connect_attempts < CONNECT_RETRY_FAST_COUNT ? CONNECT_RETRY_FAST_USEC
                                                                          : CONNECT_RETRY_SLOW_USEC;

        if (m->retry_source) {
                int r = sd_event_source_set_time_relative(m->retry_source, delay);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(m->retry_source, SD_EVENT_ONESHOT);
        }
        /* An accuracy of 1 µs: the default (250 ms) would let sd-event
         * postpone the retry far beyond what we asked for. */
        return sd_event_add_time_relative(m->event, &m->retry_source, CLOCK_MONOTONIC, delay, 1,
                                          on_connect_retry, m);
}

/* One non-blocking connect() attempt. */
static int monitor_try_connect(QemuMonitor *m) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        m->n_connect_attempts++;
        strncpy(sa.sun_path, m->socket_path, sizeof(sa.sun_path) - 1);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                if (r == -EINPROGRESS) {
                        /* Finishes when the socket turns writable. */
                        m->fd = fd;
                        return sd_event_add_io(m->event, &m->io_source, fd, EPOLLOUT, on_io, m);
                }
                close(fd);
                /* Not created yet, not listening yet, or its backlog is full. */
                if (r == -ENOENT || r == -ECONNREFUSED || r == -EAGAIN)
                        return monitor_schedule_retry(m);
                return r;
        }

        m->fd = fd;
        log_debug("QMP: connected to %s after %u attempt(s).", m->socket_path, m->n_connect_attempts);
        return monitor_connected(m);
}

static int on_connect_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_(monitor_unrefp) QemuMonitor *m = monitor_ref(userdata);
        int r;

        r = monitor_try_connect(m);
        if (r < 0) {
                log_debug_errno(r, "QMP: cannot connect to %s: %m", m->socket_path);
                monitor_disconnect(m, r, true);
        }
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_(monitor_unrefp) QemuMonitor *m = monitor_ref(userdata);

        log_debug("QMP: %s not ready in time.", m->socket_path ?: "monitor");
        monitor_disconnect(m, -ETIMEDOUT, true);
        return 0;
}

int qemu_monitor_new(sd_event *event, int fd, const char *socket_path, uint64_t timeout_usec,
                     const QemuMonitorCallbacks *cb, void *userdata, QemuMonitor **ret) {
        _cleanup_(monitor_unrefp) QemuMonitor *m = NULL;
        int r;

        if (!event || !ret || (fd < 0 && !socket_path))
                return -EINVAL;
        if (fd < 0 && strlen(socket_path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -ENAMETOOLONG;

        m = calloc(1, sizeof(QemuMonitor));
        if (!m)
                return -ENOMEM;
        m->n_ref = 1;
        m->fd = -1;
        m->event = sd_event_ref(event);
        m->userdata = userdata;
        if (cb)
                m->cb = *cb;
        if (socket_path) {
                m->socket_path = strdup(socket_path);
                if (!m->socket_path)
                        return -ENOMEM;
        }

        /* qmp_capabilities goes first, whatever the owner queues before the
         * greeting comes after it. */
        r = monitor_queue_command(m, "qmp_capabilities", NULL, -1, on_capabilities_reply, NULL);
        if (r < 0)
                return r;

        if (timeout_usec > 0) {
                r = sd_event_add_time_relative(event, &m->timeout_source, CLOCK_MONOTONIC, timeout_usec,
                                               1000, on_timeout, m);
                if (r < 0)
                        return r;
        }

        if (fd >= 0) {
                int flags = fcntl(fd, F_GETFL);

                if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                        return -errno;
                m->fd = fd;
                r = monitor_connected(m);
                if (r < 0) {
                        m->fd = -1; /* still the caller's */
                        return r;
                }
        } else {
                m->state = MONITOR_CONNECTING;
                r = monitor_try_connect(m);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(m);
        return 0;
}

QemuMonitor *qemu_monitor_free(QemuMonitor *m) {
        if (!m)
                return NULL;

        /* Stop every callback now; the memory lives on while a dispatch
         * further up the stack still holds a reference. */
        m->freed = true;
        m->cb = (QemuMonitorCallbacks) {};
        monitor_disconnect(m, 0, false);
        monitor_unref(m);
        return NULL;
}

void qemu_monitor_close(QemuMonitor *m) {
        if (!m)
                return;
        monitor_ref(m);
        monitor_disconnect(m, 0, false);
        monitor_unref(m);
}

int qemu_monitor_command_with_fd(QemuMonitor *m, const char *command, json_object *arguments, int fd,
                                 QemuMonitorReplyFn cb, void *userdata) {
        int r;

        if (!m || !command) {
                json_object_put(arguments);
                return -EINVAL;
        }
        if (m->state == MONITOR_CLOSED) {
                json_object_put(arguments);
                return -ENOTCONN;
        }

        r = monitor_queue_command(m, command, arguments, fd, cb, userdata);
        if (r < 0)
                return r;

        /* Try right away: one write per command in the common case. A broken
         * connection is not reported from here (the owner would get callbacks
         * from inside its own call): EPOLLHUP/EPOLLOUT lets on_io find it. */
        r = monitor_flush(m);
        if (r < 0) {
                log_debug_errno(r, "QMP: write failed, closing on the next iteration: %m");
                (void) monitor_set_io_events(m, EPOLLIN | EPOLLOUT);
        }
        return 0;
}

int qemu_monitor_command(QemuMonitor *m, const char *command, json_object *arguments,
                         QemuMonitorReplyFn cb, void *userdata) {
        return qemu_monitor_command_with_fd(m, command, arguments, -1, cb, userdata);
}

bool qemu_monitor_is_ready(const QemuMonitor *m) {
        return m && m->state == MONITOR_READY;
}

bool qemu_monitor_is_closed(const QemuMonitor *m) {
        return !m || m->state == MONITOR_CLOSED;
}

json_object *qemu_monitor_get_greeting(const QemuMonitor *m) {
        return m ? m->greeting : NULL;
}

void *qemu_monitor_get_userdata(const QemuMonitor *m) {
        return m ? m->userdata : NULL;
}

void qemu_monitor_set_userdata(QemuMonitor *m, void *userdata) {
        if (m)
                m->userdata = userdata;
}
