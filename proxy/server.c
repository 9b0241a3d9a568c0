/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <malloc.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>

#include "dispatch.h"
#include "events.h"
#include "log.h"
#include "migrate-p2p.h"
#include "paths.h"
#include "peers.h"
#include "server.h"
#include "stream.h"
#include "util.h"

/* libvirtd's own default limit is 5 per client; a little more costs nothing. */
#define CLIENT_CALLS_MAX 32
/* Unsent output beyond this stops reading until the client catches up. */
#define CLIENT_OUT_HIGH (1024 * 1024)
#define READ_CHUNK 65536

static void client_update_events(Client *c);
static void client_schedule_resume(Client *c);

int server_socket_dir(const char *root, char **ret) {
        if (!root)
                root = getenv("VIRTBUS_ROOT");
        if (root && (!*root || streq(root, "/")))
                root = NULL;
        if (asprintf(ret, "%s/run/libvirt", root ? root : "") < 0)
                return -ENOMEM;
        return 0;
}

Client *client_ref(Client *c) {
        c->ref++;
        return c;
}

static void client_free(Client *c) {
        free(c->out_fds);
        free(c->events);
        free(c->in);
        free(c->out);
        free(c->uri);
        strv_free(c->incoming);
        free(c);
        /* a stream's or a long list's buffers leave free memory in the heap
         * that malloc would keep for later: give it back, idle is the usual
         * state (a few microseconds on a heap this small) */
        (void) malloc_trim(0);
}

void client_unref(Client *c) {
        if (c && --c->ref == 0)
                client_free(c);
}

void client_close(Client *c, const char *why) {
        Server *s = c->server;

        if (c->closed)
                return;
        if (why)
                log_info("Client %llu (pid %d, uid %u): %s; closing the connection.", (unsigned long long) c->id,
                         (int) c->pid, (unsigned) c->uid, why);
        /* what is queued (an error telling why) goes out if it can at once */
        if (c->out_pos < c->out_len)
                (void) send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
        c->closed = true;
        streams_close(c);
        migrate_client_gone(c);
        c->io = sd_event_source_disable_unref(c->io);
        c->resume = sd_event_source_disable_unref(c->resume);
        close(c->fd);
        c->fd = -1;
        for (size_t i = 0; i < c->n_out_fds; i++)
                close(c->out_fds[i].fd);
        c->n_out_fds = 0;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_clients--;
        client_unref(c);
}

static int client_flush(Client *c);

/* Room for n more bytes after what is queued; what was sent is dropped. */
static int out_reserve(Client *c, size_t n) {
        size_t cap;
        uint8_t *p;

        if (c->out_len + n <= c->out_cap)
                return 0;
        /* what was sent is dropped only when room is short: a download
         * queues a packet after another, each would move all the unsent */
        if (c->out_pos > 0) {
                memmove(c->out, c->out + c->out_pos, c->out_len - c->out_pos);
                for (size_t i = 0; i < c->n_out_fds; i++)
                        c->out_fds[i].at -= c->out_pos;
                c->out_len -= c->out_pos;
                c->out_pos = 0;
        }
        if (c->out_len + n <= c->out_cap)
                return 0;
        cap = MAX(c->out_cap * 2, c->out_len + n);
        p = realloc(c->out, cap);
        if (!p)
                return -ENOMEM;
        c->out = p;
        c->out_cap = cap;
        return 0;
}

/* Queues the frame in w (taken); -ENOMEM closes the connection. */
static int out_queue(Client *c, XdrWriter *w) {
        size_t n = w->len;

        if (c->closed || !n) {
                xdr_writer_done(w);
                return -ECANCELED;
        }
        if (c->out_pos == c->out_len) {
                /* Nothing queued: the frame's buffer becomes the queue. */
                free(c->out);
                c->out = TAKE_PTR(w->data);
                c->out_cap = w->cap;
                c->out_len = n;
                c->out_pos = 0;
        } else {
                if (out_reserve(c, n) < 0) {
                        xdr_writer_done(w);
                        client_close(c, "out of memory for a reply");
                        return -ENOMEM;
                }
                memcpy(c->out + c->out_len, w->data, n);
                c->out_len += n;
        }
        xdr_writer_done(w);
        return 0;
}

static void out_send(Client *c) {
        /* Most replies fit in the socket at once: no wait for EPOLLOUT. */
        if (client_flush(c) < 0) {
                client_close(c, NULL);
                return;
        }
        client_update_events(c);
}

void client_send(Client *c, XdrWriter *w) {
        if (out_queue(c, w) >= 0)
                out_send(c);
}

void client_send_fd(Client *c, XdrWriter *w, int fd) {
        void *p;

        if (out_queue(c, w) < 0) {
                close(fd);
                return;
        }
        p = reallocarray(c->out_fds, c->n_out_fds + 1, sizeof(*c->out_fds));
        if (!p || out_reserve(c, 1) < 0) {
                if (p)
                        c->out_fds = p;
                close(fd);
                client_close(c, "out of memory for a reply");
                return;
        }
        c->out_fds = p;
        c->out_fds[c->n_out_fds].at = c->out_len;
        c->out_fds[c->n_out_fds++].fd = fd;
        c->out[c->out_len++] = 0;
        out_send(c);
}

/* The byte at out_pos with the first queued fd, in a message of its own. */
static int send_fd_byte(Client *c) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = c->out + c->out_pos, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        ssize_t n;

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &c->out_fds[0].fd, sizeof(int));
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        close(c->out_fds[0].fd);
        memmove(c->out_fds, c->out_fds + 1, (c->n_out_fds - 1) * sizeof(*c->out_fds));
        c->n_out_fds--;
        c->out_pos++;
        return 1;
}

void client_call_started(Client *c) {
        c->n_calls++;
        client_update_events(c);
}

void client_call_finished(Client *c) {
        c->n_calls--;
        client_kick(c);
}

void client_kick(Client *c) {
        client_update_events(c);
        client_schedule_resume(c);
}

static bool client_wants_input(const Client *c) {
        return c->n_calls < CLIENT_CALLS_MAX && c->out_len - c->out_pos < CLIENT_OUT_HIGH &&
               !streams_block_input(c);
}

static void client_update_events(Client *c) {
        uint32_t ev = 0;

        if (c->closed)
                return;
        if (client_wants_input(c))
                ev |= EPOLLIN;
        if (c->out_pos < c->out_len)
                ev |= EPOLLOUT;
        (void) sd_event_source_set_io_events(c->io, ev);
}

static int client_flush(Client *c) {
        while (c->out_pos < c->out_len) {
                /* the bytes before the next fd's, then that one alone */
                size_t end = c->n_out_fds ? c->out_fds[0].at : c->out_len;
                ssize_t n;

                if (c->out_pos == end) {
                        int r = send_fd_byte(c);
                        if (r <= 0)
                                return r;
                        continue;
                }
                n = send(c->fd, c->out + c->out_pos, end - c->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return -errno;
                }
                c->out_pos += n;
        }
        c->out_pos = c->out_len = 0;
        client_schedule_resume(c);
        streams_resume(c);
        return 0;
}

/* Handles every complete frame at the start of the input buffer, as long as
 * the connection still wants input. */
static int client_process_input(Client *c) {
        size_t pos = 0;
        int r = 0;

        while (!c->closed && client_wants_input(c) && c->in_len > pos) {
                XdrReader rd = xdr_reader(c->in + pos, c->in_len - pos);
                uint32_t len;

                if (c->in_skip > 0) {
                        /* their fds were closed by recv() (no room for them) */
                        size_t n = MIN((size_t) c->in_skip, c->in_len - pos);
                        pos += n;
                        c->in_skip -= n;
                        continue;
                }
                if (c->in_len - pos < RPC_LEN_SIZE)
                        break;

                (void) xdr_get_u32(&rd, &len);
                if (rpc_frame_length_check(len) < 0) {
                        r = -EBADMSG;
                        break;
                }
                if (c->in_len - pos < len)
                        break;
                /* the client may go away inside: keep it until we are done */
                client_ref(c);
                r = dispatch_frame(c, c->in + pos + RPC_LEN_SIZE, len - RPC_LEN_SIZE);
                pos += len;
                if (c->closed) {
                        client_unref(c);
                        return 0;
                }
                client_unref(c);
                if (r < 0)
                        break;
        }
        if (pos > 0) {
                memmove(c->in, c->in + pos, c->in_len - pos);
                c->in_len -= pos;
        }
        /* a large frame does not keep its buffer once handled; an upload
         * does, its next packet comes at once */
        if (c->in_len == 0 && c->in_cap > 4 * READ_CHUNK && !c->streams) {
                c->in = mfree(c->in);
                c->in_cap = 0;
        }
        return r;
}

static void client_input_failed(Client *c, int r) {
        if (r == -EBADMSG)
                client_close(c, "malformed frame");
        else if (r == -EPROTO)
                client_close(c, "not libvirt's remote protocol (unknown program)");
        else if (r < 0)
                client_close(c, strerror(-r));
}

static int client_read(Client *c) {
        ssize_t n;

        if (c->in_cap - c->in_len < READ_CHUNK) {
                /* A frame may be up to 16 MiB; the buffer grows as one arrives. */
                size_t cap = MAX(c->in_cap * 2, c->in_len + READ_CHUNK);
                uint8_t *p;
                if (cap > RPC_FRAME_MAX + READ_CHUNK)
                        cap = RPC_FRAME_MAX + READ_CHUNK;
                p = realloc(c->in, cap);
                if (!p)
                        return -ENOMEM;
                c->in = p;
                c->in_cap = cap;
        }
        n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -ECONNRESET;
        c->in_len += n;
        return 1;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Client *c = userdata;
        int r;

        client_ref(c);
        if (revents & EPOLLOUT) {
                r = client_flush(c);
                if (r < 0) {
                        client_close(c, NULL);
                        goto out;
                }
        }
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = client_read(c);
                if (r == -ECONNRESET || r == -EPIPE) {
                        client_close(c, NULL);
                        goto out;
                }
                if (r < 0) {
                        client_close(c, strerror(-r));
                        goto out;
                }
        }
        r = client_process_input(c);
        client_input_failed(c, r);
        client_update_events(c);
out:
        client_unref(c);
        return 0;
}

/* Frames that arrived while the client was held back wait in the buffer;
 * no new input may come to wake us for them. */
static int on_client_resume(sd_event_source *es, void *userdata) {
        Client *c = userdata;
        int r;

        client_ref(c);
        r = client_process_input(c);
        client_input_failed(c, r);
        client_update_events(c);
        client_unref(c);
        return 0;
}

static void client_schedule_resume(Client *c) {
        if (!c->closed && c->in_len >= RPC_LEN_SIZE && client_wants_input(c))
                (void) sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
}

static int client_add(Server *s, int fd, bool readonly) {
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        Client *c;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                r = -errno;
                close(fd);
                return log_error_errno(r, "Cannot learn who connected: %m");
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return log_oom();
        }
        *c = (Client) {
                .server = s,
                .ref = 1,
                .fd = fd,
                .id = ++s->next_id,
                .uid = cred.uid,
                .pid = cred.pid,
                .ro_socket = readonly,
                .readonly = readonly,
        };
        r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, on_client_io, c);
        if (r >= 0)
                r = sd_event_add_defer(s->event, &c->resume, on_client_resume, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->resume, SD_EVENT_OFF);
        if (r < 0) {
                sd_event_source_disable_unref(c->io);
                sd_event_source_disable_unref(c->resume);
                close(fd);
                free(c);
                return log_error_errno(r, "Cannot watch a client: %m");
        }
        c->next = s->clients;
        if (s->clients)
                s->clients->prev = c;
        s->clients = c;
        s->n_clients++;
        log_debug("Client %llu: pid %d uid %u on the %s socket.", (unsigned long long) c->id, (int) cred.pid,
                  (unsigned) cred.uid, readonly ? "read-only" : "read-write");
        return 0;
}

static int on_listener_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_warning_errno(errno, "accept() on %s failed: %m", l->path);
                return 0;
        }
        (void) client_add(l->server, cfd, l->readonly);
        return 0;
}

static int socket_path_of(int fd, char **ret) {
        struct sockaddr_un sa = {};
        socklen_t len = sizeof(sa);

        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        if (sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) || !sa.sun_path[0])
                return -EINVAL;
        *ret = strndup(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
        return *ret ? 0 : -ENOMEM;
}

/* Sockets from systemd (virtbus-proxyd.socket and -ro.socket): the one whose
 * path ends in "-ro" is the read-only one. */
static int take_activated(Server *s, int n) {
        int r;

        if (n > (int) ELEMENTSOF(s->listeners))
                return log_error_errno(-EINVAL, "Got %d sockets from systemd, expected at most 2.", n);
        for (int i = 0; i < n; i++) {
                Listener *l = &s->listeners[s->n_listeners];
                int fd = SD_LISTEN_FDS_START + i;

                r = socket_path_of(fd, &l->path);
                if (r < 0)
                        return log_error_errno(r, "Socket %d from systemd is not a UNIX socket with a path: %m", fd);
                l->fd = fd;
                l->readonly = endswith(l->path, "-ro");
                s->n_listeners++;
                (void) fd_nonblock(fd, true);
                (void) fd_cloexec(fd, true);
        }
        return 0;
}

static int make_socket(const char *dir, const char *name, mode_t mode, Listener *l) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *path = path_join(dir, name);
        int r;

        if (!path)
                return -ENOMEM;
        if (strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(-ENAMETOOLONG, "Socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create a socket: %m");
        /* The instance lock (daemon_prepare) says no other proxy uses it. */
        (void) unlink(path);
        /* Bound with no access at all, then opened up: never a moment where
         * the read-write socket is open to everyone. */
        mode_t old = umask(0777);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return log_error_errno(errno, "Cannot bind %s: %m", path);
        if (chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = log_error_errno(errno, "Cannot set up %s: %m", path);
                (void) unlink(path);
                return r;
        }
        l->fd = TAKE_FD(fd);
        l->path = TAKE_PTR(path);
        l->ours = true;
        return 0;
}

static int make_sockets(Server *s, const char *dir) {
        _cleanup_free_ char *qemud_sock = path_join(dir, "virtqemud-sock");
        int r;

        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        if (qemud_sock && access(qemud_sock, F_OK) == 0)
                log_warning("%s exists: libvirt's clients will use it instead of libvirt-sock.", qemud_sock);
        r = make_socket(dir, "libvirt-sock", 0600, &s->listeners[0]);
        if (r < 0)
                return r;
        s->n_listeners = 1;
        r = make_socket(dir, "libvirt-sock-ro", 0666, &s->listeners[1]);
        if (r < 0)
                return r;
        s->listeners[1].readonly = true;
        s->n_listeners = 2;
        return 0;
}

/* The daemons' rundir, below the same root as our sockets. */
static int server_open_peers(Server *s, const char *root) {
        VbPaths p;
        int r = vb_paths_init(&p, root);

        if (r >= 0)
                r = peers_new(s->event, s->bus, p.rundir, &s->peers);
        vb_paths_done(&p);
        return r < 0 ? log_error_errno(r, "Cannot set up the private connections: %m") : 0;
}

sd_bus *server_bus(Server *s, const char *bus_name, const char *interface, bool read_only) {
        return s->peers ? peers_bus(s->peers, bus_name, interface, read_only) : s->bus;
}

int server_new(sd_event *e, sd_bus *bus, const char *root, Server **ret) {
        _cleanup_free_ char *dir = NULL;
        Server *s = calloc(1, sizeof(*s));
        int n, r;

        if (!s || server_socket_dir(root, &dir) < 0) {
                free(s);
                return log_oom();
        }
        s->event = sd_event_ref(e);
        s->bus = sd_bus_ref(bus);
        r = server_open_peers(s, root);
        if (r >= 0)
                r = events_watch(s);
        if (r < 0) {
                server_free(s);
                return r;
        }
        n = sd_listen_fds(true);
        if (n < 0)
                r = log_error_errno(n, "Cannot take the sockets from systemd: %m");
        else if (n > 0)
                r = take_activated(s, n);
        else
                r = make_sockets(s, dir);
        for (size_t i = 0; r >= 0 && i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                l->server = s;
                r = sd_event_add_io(e, &l->io, l->fd, EPOLLIN, on_listener_io, l);
                if (r < 0)
                        log_error_errno(r, "Cannot watch %s: %m", l->path);
                else
                        log_info("Listening on %s (%s).", l->path, l->readonly ? "read-only" : "read-write");
        }
        if (r < 0) {
                server_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

Server *server_free(Server *s) {
        if (!s)
                return NULL;
        while (s->clients)
                client_close(s->clients, NULL);
        for (size_t i = 0; i < s->n_listeners; i++) {
                Listener *l = &s->listeners[i];
                sd_event_source_disable_unref(l->io);
                if (l->fd >= 0)
                        close(l->fd);
                if (l->ours)
                        (void) unlink(l->path);
                free(l->path);
        }
        events_done(s);
        peers_free(s->peers);
        sd_bus_unref(s->bus);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

bool server_is_busy(void *userdata) {
        Server *s = userdata;
        return s->n_clients > 0;
}
