/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "instance-lock.h"
#include "log.h"
#include "util.h"

#define LOCK_FD_ENV "VIRTBUS_INSTANCE_LOCK_FD"

static int lock_fd = -1;

/* The fd a re-exec passed on, if it is really the lock file at path. */
static int adopt_passed_fd(const char *path) {
        const char *e = getenv(LOCK_FD_ENV);
        struct stat a, b;
        int fd;

        if (!e)
                return -ENOENT;
        unsetenv(LOCK_FD_ENV);
        if (safe_atoi(e, &fd) < 0 || fd < 3 || fstat(fd, &a) < 0)
                return -EBADF;
        if (stat(path, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
                /* not ours to keep: it would leak into every child */
                close(fd);
                return -EBADF;
        }
        (void) fd_cloexec(fd, true);
        return fd;
}

static void write_our_pid(int fd) {
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());

        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t) n, 0) != n)
                log_warning_errno(errno, "Cannot write our pid into the lock file: %m");
}

static int refuse_second_instance(int fd, const char *path) {
        char holder[32] = "";
        ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);

        holder[MAX(n, 0)] = 0;
        holder[strcspn(holder, "\n")] = 0;
        log_error("Another instance (pid %s) already runs on this state: %s is locked. Exiting.",
                  *holder ? holder : "unknown", path);
        return -EBUSY;
}

int instance_lock_take(const char *rundir, const char *name) {
        _cleanup_free_ char *file = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&file, "%s.lock", name) < 0 || !(path = path_join(rundir, file)))
                return log_oom();
        r = mkdir_p(rundir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", rundir);
        fd = adopt_passed_fd(path);
        if (fd >= 0) {
                lock_fd = TAKE_FD(fd);
                return 0;
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return refuse_second_instance(fd, path);
                return log_error_errno(errno, "Cannot lock %s: %m", path);
        }
        write_our_pid(fd);
        lock_fd = TAKE_FD(fd);
        return 0;
}

void instance_lock_pass_on(bool pass) {
        char num[16];

        if (lock_fd < 0)
                return;
        (void) fd_cloexec(lock_fd, !pass);
        if (!pass) {
                unsetenv(LOCK_FD_ENV);
                return;
        }
        snprintf(num, sizeof(num), "%d", lock_fd);
        setenv(LOCK_FD_ENV, num, 1);
}
