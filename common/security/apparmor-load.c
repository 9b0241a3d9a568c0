/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading, replacing and removing guest profiles; exec under one. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor-load.h"
#include "process.h"
#include "util.h"

#define DEFAULT_PARSER "/sbin/apparmor_parser"

bool apparmor_enabled(void) {
        char c = 0;
        int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return false;
        if (read(fd, &c, 1) != 1)
                c = 0;
        close(fd);
        return c == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static void set_msg(char *msg, size_t size, const char *fmt, const char *a, const char *b) {
        if (msg && size)
                snprintf(msg, size, fmt, a, b);
}

/* Runs the parser with what it says (stdout and stderr) into msg. */
static int run_parser(const AppArmorLoader *l, const char *op, const char *path, char *msg, size_t msg_size) {
        const char *argv[8];
        size_t n = 0, used = 0;
        int pipefd[2], status, r;
        pid_t pid;

        argv[n++] = l && l->parser ? l->parser : DEFAULT_PARSER;
        argv[n++] = op;
        if (l && l->skip_kernel_load) {
                argv[n++] = "--skip-kernel-load";
                argv[n++] = "--skip-cache";
        }
        if (l && l->include_dir) {
                argv[n++] = "-I";
                argv[n++] = l->include_dir;
        }
        argv[n++] = path;
        argv[n] = NULL;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        ProcessFd map[] = { { pipefd[1], 1 }, { pipefd[1], 2 } };
        r = process_spawn((char *const *) argv, map, 2, PROCESS_DEVNULL_STDIN, &pid, NULL);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                set_msg(msg, msg_size, "cannot run %s: %s", argv[0], strerror(-r));
                return r;
        }
        if (msg && msg_size)
                msg[0] = 0;
        for (;;) {
                char buf[1024];
                ssize_t k = read(pipefd[0], buf, sizeof(buf));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                /* The first words are the ones that say what was wrong. */
                for (ssize_t i = 0; msg && i < k && used + 1 < msg_size; i++)
                        msg[used++] = buf[i] == '\n' ? ' ' : buf[i];
                if (msg && msg_size)
                        msg[used] = 0;
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

static int write_file(const char *path, const char *text) {
        size_t len = strlen(text);
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < len;) {
                ssize_t k = write(fd, text + done, len - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                done += (size_t) k;
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

/* The new text is loaded from a file aside and renamed over path only once
 * loaded: a refused profile leaves the loaded one and its file as they
 * were (remove needs that file). */
int apparmor_profile_load(const AppArmorLoader *l, const char *path, const char *text, char *msg, size_t msg_size) {
        _cleanup_free_ char *tmp = NULL;
        int r;

        if (asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        r = write_file(tmp, text);
        if (r < 0) {
                set_msg(msg, msg_size, "cannot write %s: %s", tmp, strerror(-r));
                (void) unlink(tmp);
                return r;
        }
        r = run_parser(l, "-r", tmp, msg, msg_size);
        if (r >= 0 && rename(tmp, path) < 0) {
                r = -errno;
                set_msg(msg, msg_size, "cannot write %s: %s", path, strerror(-r));
        }
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int apparmor_profile_remove(const AppArmorLoader *l, const char *path, char *msg, size_t msg_size) {
        int r;

        if (access(path, F_OK) < 0)
                return errno == ENOENT ? 0 : -errno;
        /* -R of a profile that is not loaded fails; it is gone all the same. */
        r = run_parser(l, "-R", path, msg, msg_size);
        if (r < 0 && msg && strstr(msg, "not found"))
                r = 0;
        if (unlink(path) < 0 && errno != ENOENT && r == 0) {
                r = -errno;
                set_msg(msg, msg_size, "cannot delete %s: %s", path, strerror(-r));
        }
        return r;
}

static int write_attr(const char *file, const char *text) {
        size_t len = strlen(text);
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        ssize_t k;

        if (fd < 0)
                return -errno;
        do
                k = write(fd, text, len);
        while (k < 0 && errno == EINTR);
        k = k < 0 ? -errno : (size_t) k == len ? 0 : -EIO;
        close(fd);
        return (int) k;
}

int apparmor_change_onexec(const char *name) {
        char cmd[512];
        int r;

        if (!name || !*name || strchr(name, '\n'))
                return -EINVAL;
        if ((size_t) snprintf(cmd, sizeof(cmd), "exec %s", name) >= sizeof(cmd))
                return -ENAMETOOLONG;
        /* The AppArmor-only attribute first (kernels with LSM stacking),
         * then the shared one. */
        r = write_attr("/proc/thread-self/attr/apparmor/exec", cmd);
        if (r == -ENOENT)
                r = write_attr("/proc/thread-self/attr/exec", cmd);
        return r;
}
