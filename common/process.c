/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "confine.h"
#include "confine-ns.h"
#include "apparmor-load.h"
#include "log.h"
#include "process.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
}

static void reset_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t all;

        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void) sigaction(s, &sa, NULL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
}

static bool is_target(const ProcessFd *map, size_t n, int fd) {
        for (size_t i = 0; i < n; i++)
                if (map[i].target == fd)
                        return true;
        return false;
}

static int max_target_of(const ProcessFd *map, size_t n) {
        int max_target = 2;

        for (size_t i = 0; i < n; i++)
                max_target = MAX(max_target, map[i].target);
        return max_target;
}

/* In the child: move every source fd above the highest target first, so that
 * one mapping cannot clobber the source of another, then put each in place.
 * Nothing here depends on a fixed fd number, so it works with any
 * RLIMIT_NOFILE that leaves room for the targets and one copy of each. */
static int child_map_fds(const ProcessFd *map, size_t n, unsigned flags) {
        int tmp[n ? n : 1], max_target = max_target_of(map, n);

        for (size_t i = 0; i < n; i++) {
                tmp[i] = fcntl(map[i].fd, F_DUPFD_CLOEXEC, max_target + 1);
                /* EINVAL here means the limit leaves no room above the targets. */
                if (tmp[i] < 0)
                        return errno == EINVAL ? -EMFILE : -errno;
        }
        for (size_t i = 0; i < n; i++)
                if (dup2(tmp[i], map[i].target) < 0)
                        return -errno;
        if (!is_target(map, n, 0)) {
                int null = open("/dev/null", O_RDWR);
                if (null < 0)
                        return -errno;
                if (null != 0) {
                        dup2(null, 0);
                        close(null);
                }
        }
        for (int fd = 3; fd <= max_target; fd++)
                if (!is_target(map, n, fd))
                        close(fd);
        /* Mark the rest close-on-exec rather than closing it, so the error
         * pipe still works should exec fail. */
        if (syscall(SYS_close_range, (unsigned) max_target + 1, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
                for (int fd = max_target + 1; fd < 65536; fd++)
                        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return 0;
}

int process_spawn(char *const argv[], const ProcessFd *map, size_t n_map, unsigned flags,
                  pid_t *ret_pid, int *ret_pidfd) {
        return process_spawn_as(argv, map, n_map, flags, NULL, ret_pid, ret_pidfd);
}

static int child_set_creds(const ProcessCreds *c) {
        int r = (c->confine & CONFINE_MOUNT_NS) ? confine_ns_child(c->ns_nodes) : 0;

        /* stderr is the child's log already: it says which step failed */
        if (r < 0)
                dprintf(2, "cannot make a private mount namespace and /dev: %s\n", strerror(-r));
        /* before no new privileges: the profile changes at the exec */
        if (r >= 0 && c->apparmor_profile && (r = apparmor_change_onexec(c->apparmor_profile)) < 0)
                dprintf(2, "cannot exec under the AppArmor profile %s: %s\n", c->apparmor_profile, strerror(-r));
        if (r >= 0)
                r = confine_child(c->confine);
        if (r < 0)
                return r;
        if (setgroups(c->n_groups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                return -errno;
        return confine_child_after_setuid(c->confine);
}

int process_spawn_as(char *const argv[], const ProcessFd *map, size_t n_map, unsigned flags,
                     const ProcessCreds *creds, pid_t *ret_pid, int *ret_pidfd) {
        return process_spawn_env(argv, NULL, map, n_map, flags, creds, ret_pid, ret_pidfd);
}

int process_spawn_env(char *const argv[], char *const envp[], const ProcessFd *map, size_t n_map, unsigned flags,
                      const ProcessCreds *creds, pid_t *ret_pid, int *ret_pidfd) {
        int errpipe[2];
        pid_t pid;
        int child_errno = 0;
        ssize_t n;

        if (pipe2(errpipe, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(errpipe[0]);
                close(errpipe[1]);
                return r;
        }
        if (pid == 0) {
                int r, wfd;

                reset_signals();
                if (flags & PROCESS_NEW_SESSION)
                        setsid();
                /* Keep the error pipe above every target fd: the moves
                 * below could clobber it where it is. */
                wfd = fcntl(errpipe[1], F_DUPFD_CLOEXEC, max_target_of(map, n_map) + 1);
                if (wfd < 0) {
                        r = errno == EINVAL ? EMFILE : errno;
                        (void) !write(errpipe[1], &r, sizeof(r));
                        _exit(127);
                }
                r = child_map_fds(map, n_map, flags);
                if (r >= 0 && creds)
                        r = child_set_creds(creds);
                if (r >= 0) {
                        if (envp)
                                execve(argv[0], argv, envp);
                        else
                                execv(argv[0], argv);
                        r = -errno;
                }
                r = -r;
                (void) !write(wfd, &r, sizeof(r));
                _exit(127);
        }
        close(errpipe[1]);
        do
                n = read(errpipe[0], &child_errno, sizeof(child_errno));
        while (n < 0 && errno == EINTR);
        close(errpipe[0]);
        if (n == sizeof(child_errno)) {
                (void) waitpid(pid, NULL, 0);
                return -child_errno;
        }
        if (ret_pidfd) {
                int fd = pidfd_open_pid(pid);
                if (fd < 0) {
                        kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        return fd;
                }
                *ret_pidfd = fd;
        }
        if (ret_pid)
                *ret_pid = pid;
        return 0;
}

/* Closes every fd above the map's targets: a forked child that does not
 * exec must not keep the parent's (its bus, its listeners). */
static void child_close_rest(const ProcessFd *map, size_t n) {
        int first = max_target_of(map, n) + 1;

        if (syscall(SYS_close_range, (unsigned) first, ~0U, 0) < 0)
                for (int fd = first; fd < 65536; fd++)
                        (void) close(fd);
}

int process_fork(const ProcessFd *map, size_t n_map, unsigned flags, pid_t *ret_pid, int *ret_pidfd) {
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                reset_signals();
                if (flags & PROCESS_NEW_SESSION)
                        setsid();
                if (child_map_fds(map, n_map, flags) < 0)
                        _exit(127);
                child_close_rest(map, n_map);
                return 0;
        }
        if (ret_pidfd) {
                int fd = pidfd_open_pid(pid);
                if (fd < 0) {
                        kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        return fd;
                }
                *ret_pidfd = fd;
        }
        *ret_pid = pid;
        return 1;
}

static int read_proc_stat_fields(pid_t pid, char *state, uint64_t *utime, uint64_t *stime,
                                 uint64_t *start) {
        char path[64], buf[1024];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = 0;
        /* The command name may contain anything: start after its closing ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        unsigned long long ut = 0, st = 0, stt = 0;
        char s = 0;
        if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
                   &s, &ut, &st, &stt) != 4)
                return -EIO;
        if (state)
                *state = s;
        if (utime)
                *utime = ut;
        if (stime)
                *stime = st;
        if (start)
                *start = stt;
        return 0;
}

int pid_is_alive(pid_t pid) {
        char state;
        int r;

        if (pid <= 0)
                return 0;
        r = read_proc_stat_fields(pid, &state, NULL, NULL, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return state != 'Z' && state != 'X';
}

int pid_start_time(pid_t pid, uint64_t *ret) {
        return read_proc_stat_fields(pid, NULL, NULL, NULL, ret);
}

pid_t pidfile_pid_named(const char *pidfile, const char *const names[]) {
        _cleanup_free_ char *s = NULL, *comm = NULL;
        char path[64];
        int pid;

        if (read_full_file(pidfile, 64, &s, NULL) < 0)
                return 0;
        s[strcspn(s, " \n")] = 0;
        if (safe_atoi(s, &pid) < 0 || pid <= 1)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/comm", pid);
        if (read_full_file(path, 64, &comm, NULL) < 0)
                return 0;
        comm[strcspn(comm, "\n")] = 0;
        return strv_contains((char *const *) names, comm) ? pid : 0;
}

int pid_cpu_time_ns(pid_t pid, uint64_t *ret) {
        uint64_t ut, st;
        long hz = sysconf(_SC_CLK_TCK);
        int r = read_proc_stat_fields(pid, NULL, &ut, &st, NULL);

        if (r < 0)
                return r;
        *ret = (ut + st) * (1000000000ULL / (uint64_t) (hz > 0 ? hz : 100));
        return 0;
}

typedef struct ProcessWatch {
        pid_t pid;
        process_exit_fn cb;
        void *userdata;
} ProcessWatch;

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ProcessWatch *w = userdata;
        siginfo_t si = {};
        int code = -1, status = -1;

        /* Reaps our own children; for adopted processes waitid fails with ECHILD. */
        if (waitid((idtype_t) P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) == 0 && si.si_pid > 0) {
                code = si.si_code;
                status = si.si_status;
        }
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        w->cb(w->pid, code, status, w->userdata);
        return 0;
}

static void watch_destroy(void *userdata) {
        free(userdata);
}

int process_watch(sd_event *e, pid_t pid, int pidfd, process_exit_fn cb, void *userdata,
                  sd_event_source **ret) {
        ProcessWatch *w = calloc(1, sizeof(*w));
        sd_event_source *s = NULL;
        int r;

        if (!w)
                return -ENOMEM;
        *w = (ProcessWatch) { .pid = pid, .cb = cb, .userdata = userdata };
        r = sd_event_add_io(e, &s, pidfd, EPOLLIN, on_pidfd, w);
        if (r < 0) {
                free(w);
                return r;
        }
        sd_event_source_set_destroy_callback(s, watch_destroy);
        /* The source owns the pidfd from now on. */
        sd_event_source_set_io_fd_own(s, true);
        *ret = s;
        return 0;
}

int process_run(char *const argv[], char **ret_stdout, int *ret_exit_status) {
        int pipefd[2];
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        pid_t pid;
        int status, r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        ProcessFd map[] = { { pipefd[1], 1 } };
        r = process_spawn(argv, map, 1, 0, &pid, NULL);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                return r;
        }
        for (;;) {
                char buf[4096];
                ssize_t n = read(pipefd[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                char *nb = realloc(out, size + (size_t) n + 1);
                if (!nb)
                        break;
                out = nb;
                memcpy(out + size, buf, (size_t) n);
                size += (size_t) n;
                out[size] = 0;
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (ret_exit_status)
                *ret_exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (ret_stdout)
                *ret_stdout = out ? TAKE_PTR(out) : strdup("");
        return 0;
}
