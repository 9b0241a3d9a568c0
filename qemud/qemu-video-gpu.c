/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vhost-user-gpu backend of a <video><driver name='vhostuser'/>
 * (qemu-video.h). vhost-user-gpu takes a connected socket (--fd), not a
 * listening one: qemud binds the socket QEMU connects to before QEMU
 * starts, and once QEMU connected (its first vhost-user message waits in
 * the socket) accepts the connection and starts vhost-user-gpu on it, in
 * the guest's log. It ends when QEMU's connection closes. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain-handle.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-command.h"
#include "qemu-confine.h"
#include "qemu-video.h"
#include "qemu-virtiofs.h"
#include "util.h"

typedef struct GpuBackend {
        DomainHandle *handle;
        sd_event_source *io;      /* the listening socket, until QEMU connects */
        sd_event_source *watch;   /* the running backend */
        int log_fd;
        char *binary, *what, *pid_file;
        struct GpuBackend *next;
} GpuBackend;

static GpuBackend *backends;

static void backend_free(GpuBackend *b) {
        for (GpuBackend **i = &backends; *i; i = &(*i)->next)
                if (*i == b) {
                        *i = b->next;
                        break;
                }
        domain_handle_unref(b->handle);
        sd_event_source_disable_unref(b->io);
        sd_event_source_disable_unref(b->watch);
        if (b->log_fd >= 0)
                close(b->log_fd);
        free(b->binary);
        free(b->what);
        free(b->pid_file);
        free(b);
}

static void on_exit_(pid_t pid, int code, int status, void *userdata) {
        GpuBackend *b = userdata;

        log_info("%s: vhost-user-gpu %d ended (%s %d)", b->what, (int) pid, code == CLD_EXITED ? "status" : "signal",
                 status);
        (void) unlink(b->pid_file);
        backend_free(b);
}

static void keep_pid(const char *file, pid_t pid) {
        _cleanup_close_ int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0 || dprintf(fd, "%d\n", (int) pid) < 0)
                log_warning("cannot write %s: %m", file);
}

/* QEMU connected: the backend starts on its connection. */
static int on_connect(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        GpuBackend *b = userdata;
        Domain *d = b->handle->owner;
        _cleanup_close_ int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        char *argv[] = { b->binary, (char *) "--fd=3", NULL };
        ProcessFd map[] = { { b->log_fd, 1 }, { b->log_fd, 2 }, { conn, 3 } };
        pid_t pid;
        int pidfd, r;

        b->io = sd_event_source_disable_unref(b->io);
        if (!d || conn < 0) {
                backend_free(b);
                return 0;
        }
        r = process_spawn(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &pid, &pidfd);
        if (r >= 0)
                r = process_watch(d->manager->event, pid, pidfd, on_exit_, b, &b->watch);
        if (r < 0) {
                log_error("%s: cannot run %s: %s", b->what, b->binary, strerror(-r));
                backend_free(b);
                return 0;
        }
        keep_pid(b->pid_file, pid);
        log_info("%s: vhost-user-gpu %d serves QEMU", b->what, (int) pid);
        return 0;
}

static int listen_socket(const char *path, uid_t uid, gid_t gid) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 || chown(path, uid, gid) < 0 ||
            chmod(path, 0600) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int start_one(Domain *d, size_t i, const char *binary, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        _cleanup_free_ char *run = NULL, *sock = NULL;
        _cleanup_close_ int fd = -1;
        GpuBackend *b;
        int r;

        if (qemu_confine_dir(d, &run) < 0 || qemu_video_vhost_user_path(d->live, i, run, &sock) < 0)
                return -ENOMEM;
        fd = listen_socket(sock, uid, gid);
        if (fd < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: video %zu: cannot make the "
                               "vhost-user-gpu socket %s: %s", i, sock, strerror(-fd));
                return fd;
        }
        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->log_fd = fcntl(log_fd, F_DUPFD_CLOEXEC, 3);  /* the start closes its own */
        b->handle = domain_handle_get(&d->handle, d);
        b->binary = strdup(binary);
        if (asprintf(&b->what, "Domain %s, video %zu", d->def->name, i) < 0)
                b->what = NULL;
        if (asprintf(&b->pid_file, "%s/video%zu-gpu.pid", run, i) < 0)
                b->pid_file = NULL;
        b->next = backends;
        backends = b;
        r = b->log_fd < 0 || !b->handle || !b->binary || !b->what || !b->pid_file ? -ENOMEM :
            sd_event_add_io(d->manager->event, &b->io, fd, EPOLLIN, on_connect, b);
        if (r < 0) {
                backend_free(b);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(b->io, true);
        TAKE_FD(fd);
        return 0;
}

int qemu_video_start_backends(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        _cleanup_free_ char *binary = NULL;

        for (size_t i = 0; i < d->live->n_videos; i++) {
                int r;

                if (!d->live->videos[i].vhostuser)
                        continue;
                if (!binary && !(binary = qemu_video_find_backend(QEMU_VHOST_USER_DIR)))
                        return -EOPNOTSUPP;     /* qemu_video_prepare() said so */
                r = start_one(d, i, binary, uid, gid, log_fd, err);
                if (r < 0) {
                        qemu_video_stop_backends(d);
                        return r;
                }
        }
        return 0;
}

static pid_t backend_pid(const char *file) {
        static const char *const names[] = { "vhost-user-gpu", NULL };

        return pidfile_pid_named(file, names);
}

void qemu_video_stop_backends(Domain *d) {
        _cleanup_free_ char *run = NULL;

        /* a socket QEMU never connected to */
        for (GpuBackend *b = backends, *next; b; b = next) {
                next = b->next;
                if (b->io && (!b->handle || !b->handle->owner || b->handle->owner == d))
                        backend_free(b);
        }
        for (size_t i = 0; d->live && i < d->live->n_videos && qemu_confine_dir(d, &run) >= 0; i++) {
                _cleanup_free_ char *pidf = NULL;
                pid_t pid;

                if (!d->live->videos[i].vhostuser || asprintf(&pidf, "%s/video%zu-gpu.pid", run, i) < 0) {
                        run = mfree(run);
                        continue;
                }
                /* it ends with QEMU's connection; this is for one left behind */
                pid = backend_pid(pidf);
                if (pid > 0 && kill(pid, SIGTERM) == 0)
                        log_info("Domain %s: stopped vhost-user-gpu %d of video %zu", d->def->name, (int) pid, i);
                (void) unlink(pidf);
                run = mfree(run);
        }
}
