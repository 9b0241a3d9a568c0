/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-id128.h>

#include "bus-peer.h"
#include "log.h"
#include "util.h"

typedef struct PeerListener {
        sd_bus *bus;      /* the daemon's bus connection, whose objects are served */
        sd_event *event;
        int fd;
        char *path;
        sd_id128_t id;
} PeerListener;

typedef struct Peer {
        sd_bus *conn;
        sd_bus *bus;
        sd_event_source *first; /* until the first call: see on_first_call */
        bool busy, gone;        /* in on_first_call; disconnected meanwhile */
} Peer;

static void peer_free(Peer *p) {
        (void) sd_bus_detach_event(p->conn);
        sd_event_source_disable_unref(p->first);
        sd_bus_unref(p->conn); /* calls still being answered hold it */
        free(p);
}

static PeerListener *the_listener; /* one per daemon; its socket goes at exit */

int bus_peer_path(const char *rundir, const char *name, char **ret) {
        if (asprintf(ret, "%s/private/%s", rundir, name) < 0)
                return -ENOMEM;
        return 0;
}

bool bus_peer_carries(const char *interface) {
        return interface && strncmp(interface, "org.freedesktop.DBus.", strlen("org.freedesktop.DBus.")) != 0;
}

/* A socket address for path; one too long for sun_path (a deep --root) is
 * reached through its folder, opened (O_PATH) into *dirfd. */
static int unix_address(const char *path, struct sockaddr_un *sa, int *dirfd) {
        _cleanup_free_ char *dir = NULL;
        const char *base = strrchr(path, '/');

        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        *dirfd = -1;
        if (strlen(path) < sizeof(sa->sun_path)) {
                strcpy(sa->sun_path, path);
                return 0;
        }
        if (!base || !(dir = strndup(path, base - path)))
                return -ENOMEM;
        *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*dirfd < 0)
                return -errno;
        if ((size_t) snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d%s", *dirfd, base) >=
            sizeof(sa->sun_path)) {
                close(*dirfd);
                *dirfd = -1;
                return -ENAMETOOLONG;
        }
        return 0;
}

static void listener_remove(void) {
        if (the_listener)
                (void) unlink(the_listener->path);
}

static int on_peer_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Peer *p = userdata;

        if (p->busy)
                p->gone = true; /* on_first_call frees it */
        else
                peer_free(p);
        return 0;
}

/* Every call is the bus connection's to dispatch; its reply comes back here. */
static int on_peer_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Peer *p = userdata;
        int r;

        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        p->first = sd_event_source_disable_unref(p->first);
        if (!bus_peer_carries(sd_bus_message_get_interface(m)))
                return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_NOT_SUPPORTED,
                                                  "%s is not served on the private connection: call it on the bus.",
                                                  sd_bus_message_get_interface(m) ?: "a call without an interface");
        r = sd_bus_enqueue_for_read(p->bus, m);
        if (r < 0)
                return sd_bus_reply_method_errnof(m, r, "Cannot dispatch the call: %m");
        /* Dispatched now: left queued, the bus's event source would arm its
         * timer to fire at once and then disarm it, two timerfd_settime()
         * calls that cost more than the call itself here. A call queued
         * before it (rare) goes first, and ours waits for the timer. */
        (void) sd_bus_process(p->bus, NULL);
        return 1;
}

/* A client that sends its first call in the same write as its BEGIN
 * (libdbus does) leaves that call in sd-bus's buffer once the handshake is
 * read, and no input wakes us for it: this sd-bus version only looks at the
 * buffer when it reads. Until the first call comes, we look after each turn
 * of the loop. */
static int on_first_call(sd_event_source *s, void *userdata) {
        Peer *p = userdata;

        /* what the handshake's read took beyond it may hold several calls */
        p->busy = true;
        while (!p->gone && sd_bus_process(p->conn, NULL) > 0)
                ;
        p->busy = false;
        if (p->gone)
                peer_free(p);
        return 0;
}

static int peer_add(PeerListener *l, int fd) {
        _cleanup_(sd_bus_unrefp) sd_bus *conn = NULL;
        Peer *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p) {
                close(fd);
                return -ENOMEM;
        }
        p->bus = l->bus;
        r = sd_bus_new(&conn);
        if (r >= 0)
                r = sd_bus_set_fd(conn, fd, fd);
        if (r < 0) {
                close(fd);
                free(p);
                return r;
        }
        p->conn = conn;
        if ((r = sd_bus_set_server(conn, 1, l->id)) < 0 || (r = sd_bus_set_description(conn, "private")) < 0 ||
            (r = sd_bus_add_filter(conn, NULL, on_peer_message, p)) < 0 ||
            (r = sd_bus_match_signal(conn, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                     "org.freedesktop.DBus.Local", "Disconnected", on_peer_disconnected, p)) < 0 ||
            (r = sd_bus_attach_event(conn, l->event, SD_EVENT_PRIORITY_NORMAL)) < 0 ||
            (r = sd_event_add_post(l->event, &p->first, on_first_call, p)) < 0 ||
            (r = sd_bus_start(conn)) < 0) {
                sd_event_source_disable_unref(p->first);
                free(p);
                return r;
        }
        TAKE_PTR(conn); /* freed when it disconnects */
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PeerListener *l = userdata;
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int r;

        if (cfd < 0)
                return 0;
        /* The socket's mode says the same; this holds even if it were opened. */
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid())) {
                log_warning("Refused a private connection from uid %d (root only).", (int) cred.uid);
                close(cfd);
                return 0;
        }
        r = peer_add(l, cfd);
        if (r < 0)
                log_warning_errno(r, "Cannot serve a private connection: %m");
        return 0;
}

static int listen_at(const char *path) {
        struct sockaddr_un sa;
        _cleanup_close_ int dirfd = -1;
        _cleanup_close_ int fd = -1;
        mode_t old;
        int r;

        r = unix_address(path, &sa, &dirfd);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* our instance lock says no other instance of us uses it */
        (void) unlink(sa.sun_path);
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int bus_peer_listen(sd_event *e, sd_bus *bus, const char *rundir, const char *name) {
        _cleanup_free_ char *dir = path_join(rundir, "private");
        PeerListener *l;
        struct stat st;
        int r;

        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        /* root's folder, closed to everybody else, whoever made it */
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
                return -EPERM;
        if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0)
                return -errno;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->bus = bus;
        l->event = e;
        l->fd = -1;
        r = bus_peer_path(rundir, name, &l->path);
        if (r >= 0)
                r = sd_id128_randomize(&l->id);
        if (r >= 0)
                r = l->fd = listen_at(l->path);
        if (r >= 0)
                r = sd_event_add_io(e, NULL, l->fd, EPOLLIN, on_accept, l);
        if (r < 0) {
                if (l->fd >= 0)
                        close(l->fd);
                free(l->path);
                free(l);
                return r;
        }
        the_listener = l;
        atexit(listener_remove);
        return 0;
}

int bus_peer_connect(const char *rundir, const char *name, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *conn = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int dirfd = -1;
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        int r;

        r = bus_peer_path(rundir, name, &path);
        if (r < 0)
                return r;
        r = unix_address(path, &sa, &dirfd);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if ((r = fd_nonblock(fd, true)) < 0 || (r = sd_bus_new(&conn)) < 0 ||
            (r = sd_bus_set_fd(conn, fd, fd)) < 0)
                return r;
        TAKE_FD(fd); /* the connection's now */
        if ((r = sd_bus_set_description(conn, name)) < 0 || (r = sd_bus_start(conn)) < 0)
                return r;
        *ret = TAKE_PTR(conn);
        return 0;
}
