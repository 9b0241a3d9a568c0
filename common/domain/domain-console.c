/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Console sessions: a relay between a guest's character device and the
 * caller's socket, one per device (domain-console.h). The data is a person
 * typing and a guest printing: a small buffer each way, and a side is not
 * read while what came from it last has not all been written. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "domain-console.h"
#include "domain-manager.h"
#include "log.h"
#include "util.h"

#define CONSOLE_BUF 16384

typedef struct Session Session;
struct Session {
        Session *next;
        char uuid[37];
        char *key;
        int fd[2];                /* 0: the device, 1: the caller's end */
        sd_event_source *io[2];
        uint8_t buf[2][CONSOLE_BUF]; /* buf[i]: read from fd[i], to be written to the other */
        size_t len[2], pos[2];
};

static Session *sessions; /* of every domain: few at a time */

static void session_free(Session *s) {
        for (int i = 0; i < 2; i++) {
                sd_event_source_disable_unref(s->io[i]);
                if (s->fd[i] >= 0)
                        close(s->fd[i]);
        }
        free(s->key);
        free(s);
}

static void session_end(Session *s) {
        for (Session **p = &sessions; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        log_debug("Console session on %s of %s ended.", s->key, s->uuid);
        session_free(s);
}

/* fd[i] is read while its last data has all gone out, written while the
 * other side's waits. */
static void session_update(Session *s) {
        for (int i = 0; i < 2; i++) {
                uint32_t ev = (s->len[i] == 0 ? EPOLLIN : 0) | (s->len[!i] > 0 ? EPOLLOUT : 0);
                (void) sd_event_source_set_io_events(s->io[i], ev);
                (void) sd_event_source_set_enabled(s->io[i], ev ? SD_EVENT_ON : SD_EVENT_OFF);
        }
}

/* Writes what came from side `from` to the other side; -errno when that
 * side is gone. */
static int flush(Session *s, int from) {
        while (s->pos[from] < s->len[from]) {
                ssize_t n = write(s->fd[!from], s->buf[from] + s->pos[from], s->len[from] - s->pos[from]);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                s->pos[from] += n;
        }
        s->len[from] = s->pos[from] = 0;
        return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Session *s = userdata;
        int i = fd == s->fd[0] ? 0 : 1;

        if ((revents & EPOLLOUT) && flush(s, !i) < 0)
                return session_end(s), 0;
        if ((revents & (EPOLLHUP | EPOLLERR)) && s->len[i] > 0)
                return session_end(s), 0;
        if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && s->len[i] == 0) {
                ssize_t n = read(fd, s->buf[i], CONSOLE_BUF);
                /* EOF, or EIO from a pty whose guest went away: the end */
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                        return session_end(s), 0;
                if (n > 0) {
                        s->len[i] = n;
                        if (flush(s, i) < 0)
                                return session_end(s), 0;
                }
        }
        session_update(s);
        return 0;
}

static Session *session_find(const Domain *d, const char *key) {
        for (Session *s = sessions; s; s = s->next)
                if (streq(s->uuid, d->uuid_str) && streq(s->key, key))
                        return s;
        return NULL;
}

int domain_console_start(Domain *d, const char *key, int fd, bool force, int *ret_fd) {
        Session *old = session_find(d, key), *s;
        int pair[2], r;

        if (old && !force) {
                close(fd);
                return -EBUSY;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        s = calloc(1, sizeof(*s));
        if (!s || !(s->key = strdup(key))) {
                free(s);
                close(fd);
                close(pair[0]);
                close(pair[1]);
                return -ENOMEM;
        }
        memcpy(s->uuid, d->uuid_str, sizeof(s->uuid));
        s->fd[0] = fd;
        s->fd[1] = pair[0];
        (void) fd_nonblock(fd, true);
        for (int i = 0; i < 2; i++) {
                r = sd_event_add_io(d->manager->event, &s->io[i], s->fd[i], EPOLLIN, on_io, s);
                if (r < 0) {
                        session_free(s);
                        close(pair[1]);
                        return r;
                }
        }
        /* The session taken over ends here: its caller reads the end. */
        if (old) {
                log_info("Console %s of '%s' taken over by a forced open.", key, d->def->name);
                session_end(old);
        }
        s->next = sessions;
        sessions = s;
        *ret_fd = pair[1];
        return 0;
}
