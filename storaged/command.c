/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "command.h"
#include "error.h"
#include "log.h"
#include "process.h"
#include "util.h"

#define STDOUT_MAX (16U * 1024 * 1024)
#define STDERR_KEEP 4096

const char *command_find(const char *name) {
        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                            "/usr/bin",        "/sbin",          "/bin" };
        static __thread char buf[256];

        if (strchr(name, '/'))
                return access(name, X_OK) == 0 ? name : NULL;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(buf, sizeof(buf), "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        return NULL;
}

typedef struct Output {
        char *data;
        size_t len;
        bool truncated;
} Output;

static void output_append(Output *o, const char *p, size_t n, size_t max, bool keep_tail) {
        if (keep_tail && o->len + n > max) {
                /* stderr: only the end matters for the message */
                size_t drop = MIN(o->len, o->len + n - max);
                memmove(o->data, o->data + drop, o->len - drop);
                o->len -= drop;
                if (n > max) {
                        p += n - max;
                        n = max;
                }
        } else if (o->len + n > max) {
                o->truncated = true;
                n = max - o->len;
        }
        char *d = realloc(o->data, o->len + n + 1);
        if (!d)
                return;
        o->data = d;
        memcpy(o->data + o->len, p, n);
        o->len += n;
        o->data[o->len] = 0;
}

/* "qemu-img: error ...\n" -> the last non-empty line, for the message. */
static const char *last_line(char *s) {
        char *end, *start;

        if (!s)
                return "";
        end = s + strlen(s);
        while (end > s && (end[-1] == '\n' || end[-1] == ' '))
                *--end = 0;
        start = strrchr(s, '\n');
        return start ? start + 1 : s;
}

static int pump(Job *j, pid_t pid, int out, int errfd, command_output_fn on_output, void *userdata, Output *o,
                Output *e) {
        struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = errfd, .events = POLLIN } };
        bool killed = false;
        char buf[16384];

        while (p[0].fd >= 0 || p[1].fd >= 0) {
                int n = poll(p, 2, 200);

                if (n < 0 && errno != EINTR)
                        return -errno;
                if (job_cancelled(j) && !killed) {
                        kill(pid, SIGTERM);
                        killed = true;
                }
                for (int i = 0; i < 2 && n > 0; i++) {
                        ssize_t k;

                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        k = read(p[i].fd, buf, sizeof(buf));
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0) {
                                p[i].fd = -1;
                                continue;
                        }
                        if (i == 0) {
                                if (on_output)
                                        on_output(j, buf, (size_t) k, userdata);
                                output_append(o, buf, (size_t) k, STDOUT_MAX, false);
                        } else
                                output_append(e, buf, (size_t) k, STDERR_KEEP, true);
                }
        }
        return killed ? -ECANCELED : 0;
}

static int wait_child(pid_t pid, int *ret_status) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return 0;
}

int command_run_full(Job *j, const char *const argv[], command_output_fn on_output, void *userdata,
                     char **ret_stdout, ConfError *err) {
        _cleanup_free_ char *cmdline = strv_join((char *const *) argv, " ");
        const char *exe = command_find(argv[0]);
        Output o = {}, e = {};
        int outp[2], errp[2], status = 0, r;
        char exe_buf[256];
        pid_t pid;

        if (!exe)
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot run %s: it is not installed", argv[0]);
        if (strv_length((char **) argv) >= COMMAND_ARGS_MAX)
                return conf_fail(err, VB_ERROR_INVALID_ARG, "cannot run %s: more than %d arguments", argv[0],
                                 COMMAND_ARGS_MAX - 1);
        snprintf(exe_buf, sizeof(exe_buf), "%s", exe);
        if (pipe2(outp, O_CLOEXEC) < 0)
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot create a pipe: %m");
        if (pipe2(errp, O_CLOEXEC) < 0) {
                close(outp[0]);
                close(outp[1]);
                return conf_fail(err, VB_ERROR_SYSTEM, "cannot create a pipe: %m");
        }
        log_debug("Running %s", cmdline ? cmdline : argv[0]);

        /* argv[0] as given (the program's messages use it), the path to exec. */
        const char *args[COMMAND_ARGS_MAX];
        size_t n = 0;
        args[n++] = exe_buf;
        for (size_t i = 1; argv[i]; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        ProcessFd map[] = { { outp[1], 1 }, { errp[1], 2 } };
        r = process_spawn((char *const *) args, map, ELEMENTSOF(map), 0, &pid, NULL);
        close(outp[1]);
        close(errp[1]);
        if (r < 0) {
                close(outp[0]);
                close(errp[0]);
                return conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot run %s: %s", argv[0], strerror(-r));
        }
        r = pump(j, pid, outp[0], errp[0], on_output, userdata, &o, &e);
        close(outp[0]);
        close(errp[0]);
        if (wait_child(pid, &status) < 0 && r >= 0)
                r = -ECHILD;
        if (r == -ECANCELED)
                r = conf_fail(err, VB_ERROR_OPERATION_ABORTED, "%s was cancelled", argv[0]);
        else if (r < 0)
                r = conf_fail(err, VB_ERROR_OPERATION_FAILED, "cannot run %s: %s", argv[0], strerror(-r));
        else if (status != 0)
                r = conf_fail(err, VB_ERROR_OPERATION_FAILED, "%s failed (exit status %d): %s", argv[0], status,
                              last_line(e.data));
        if (r >= 0 && ret_stdout) {
                *ret_stdout = o.data ? TAKE_PTR(o.data) : strdup("");
                if (!*ret_stdout)
                        r = -ENOMEM;
        }
        free(o.data);
        free(e.data);
        return r;
}

int command_run(Job *j, const char *const argv[], char **ret_stdout, ConfError *err) {
        return command_run_full(j, argv, NULL, NULL, ret_stdout, err);
}
