/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain-manager.h"
#include "error.h"
#include "lxc-console.h"
#include "util.h"

#define CONSOLE_SUFFIX ".console"

static int console_path(const char *base, char *buf, size_t size) {
        size_t len = strlen(base);

        if (endswith(base, ".exit"))
                len -= strlen(".exit");
        if (len + strlen(CONSOLE_SUFFIX) >= size)
                return -ENAMETOOLONG;
        snprintf(buf, size, "%.*s%s", (int) len, base, CONSOLE_SUFFIX);
        return 0;
}

/* ---- the supervisor's side ---- */

static int listen_fd = -1, client_fd = -1;
static char listen_path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];

int lxc_console_listen(const char *exit_file) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (!exit_file)
                return 0;
        r = console_path(exit_file, sa.sun_path, sizeof(sa.sun_path));
        if (r < 0)
                return r;
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (listen_fd < 0)
                return -errno;
        (void) unlink(sa.sun_path); /* one a killed supervisor left */
        if (bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 ||
            listen(listen_fd, 4) < 0) {
                r = -errno;
                close(listen_fd);
                listen_fd = -1;
                return r;
        }
        memcpy(listen_path, sa.sun_path, sizeof(listen_path));
        return 0;
}

void lxc_console_close(void) {
        if (client_fd >= 0)
                client_fd = (close(client_fd), -1);
        if (listen_fd >= 0) {
                listen_fd = (close(listen_fd), -1);
                (void) unlink(listen_path);
        }
}

/* Writes all of buf to a blocking-enough peer; a client too slow to keep
 * up (or gone) is dropped rather than holding the init's output. */
static void to_client(const char *buf, size_t len) {
        while (client_fd >= 0 && len > 0) {
                ssize_t n = send(client_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        client_fd = (close(client_fd), -1);
                        return;
                }
                buf += n;
                len -= n;
        }
}

/* What the client typed, on its way to the init: the client is not read
 * while some of it waits for room in the pty (an init that never reads
 * holds its client back, never its supervisor). */
static char typed[4096];
static size_t typed_len, typed_pos;

static void to_master(int master) {
        while (typed_pos < typed_len) {
                ssize_t n = write(master, typed + typed_pos, typed_len - typed_pos);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0)
                        break; /* the master's end shows on its own read */
                typed_pos += n;
        }
        typed_len = typed_pos = 0;
}

/* false when the client left */
static bool from_client(int master) {
        ssize_t n = recv(client_fd, typed, sizeof(typed), MSG_DONTWAIT);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        if (n == 0)
                return false;
        typed_len = n;
        typed_pos = 0;
        to_master(master);
        return true;
}

bool lxc_console_serve(int master, int timeout_ms) {
        struct pollfd pfd[3] = {
                { .fd = master, .events = POLLIN | (typed_len ? POLLOUT : 0) },
                { .fd = listen_fd, .events = POLLIN },
                { .fd = typed_len ? -1 : client_fd, .events = POLLIN },
        };
        static bool nonblocking;
        char buf[4096];

        /* written only as far as it takes; read only when poll said so */
        if (!nonblocking)
                nonblocking = fd_nonblock(master, true) >= 0;
        if (poll(pfd, 3, timeout_ms) <= 0)
                return true;
        if (pfd[1].revents & POLLIN) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd >= 0) {
                        if (client_fd >= 0)
                                close(client_fd); /* taken over */
                        client_fd = fd;
                        typed_len = typed_pos = 0; /* the last one's typing is not the new one's */
                        pfd[2].revents = 0;
                }
        }
        if (pfd[0].revents & POLLOUT)
                to_master(master);
        if (client_fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) && !from_client(master))
                client_fd = (close(client_fd), -1);
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = read(master, buf, sizeof(buf));
                if (n <= 0)
                        return n < 0 && (errno == EAGAIN || errno == EINTR);
                (void) !write(STDOUT_FILENO, buf, n);
                to_client(buf, n);
        }
        return true;
}

/* ---- lxcd's side ---- */

static int lxc_console_open(Domain *d, const char *dev_name, int *ret_fd, char **ret_key, sd_bus_error *error) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *base = NULL;
        int fd;

        /* the one console of a container, as libvirt's LXC driver names it */
        if (dev_name && !streq(dev_name, "console0"))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot find console device '%s'", dev_name);
        if (asprintf(&base, "%s/%s", d->manager->rundir, d->def->name) < 0)
                return -ENOMEM;
        if (console_path(base, sa.sun_path, sizeof(sa.sun_path)) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "the console path of '%s' is too long",
                                     d->def->name);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                close(fd);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot reach the console of '%s': %s",
                                     d->def->name, strerror(-r));
        }
        *ret_key = strdup("console0");
        if (!*ret_key) {
                close(fd);
                return -ENOMEM;
        }
        *ret_fd = fd;
        return 0;
}

const DomainConsoleOps lxc_console_ops = {
        .open = lxc_console_open,
};
