/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A network's dnsmasq. It runs as a daemon of its own (it forks, and its
 * first process exits once the sockets are bound, with a status that says
 * whether it could start), so it is nobody's child and outlives networkd.
 * We find it by its pid file, check that it is ours by its command line,
 * and watch it through a pidfd: after a networkd restart too. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "dnsmasq-conf.h"
#include "log.h"
#include "manager.h"
#include "process.h"
#include "util.h"

#define DNSMASQ_STOP_TIMEOUT_USEC (5 * 1000000ULL)
#define DNSMASQ_RESTART_DELAY_USEC (1000000ULL)

static int write_text(const char *path, const char *text, mode_t mode) {
        return write_file_atomic(path, text, strlen(text), mode);
}

int dnsmasq_write_files(Network *n) {
        _cleanup_free_ char *conf = network_file(n, ".conf"), *pid = network_file(n, ".pid");
        _cleanup_free_ char *hosts = network_file(n, ".hostsfile"), *addn = network_file(n, ".addnhosts");
        _cleanup_free_ char *leases = network_lease_file(n);
        _cleanup_free_ char *text = NULL, *htext = NULL, *atext = NULL;
        DnsmasqPaths paths = { .pidfile = pid, .leasefile = leases, .hostsfile = hosts, .addnhosts = addn };
        int r;

        if (!conf || !pid || !hosts || !addn || !leases)
                return -ENOMEM;
        if ((r = dnsmasq_build_config(n->live, &paths, &text)) < 0 ||
            (r = dnsmasq_build_hostsfile(n->live, &htext)) < 0 || (r = dnsmasq_build_addnhosts(n->live, &atext)) < 0)
                return r;
        /* dnsmasq drops its privileges: the hosts files must stay readable */
        if ((r = write_text(hosts, htext, 0644)) < 0 || (r = write_text(addn, atext, 0644)) < 0)
                return r;
        return write_text(conf, text, 0644);
}

/* Whether the process runs with --conf-file=conf among its arguments. */
static bool runs_conf(pid_t pid, const char *conf) {
        _cleanup_free_ char *path = NULL, *cmdline = NULL;
        size_t len;

        if (asprintf(&path, "/proc/%d/cmdline", (int) pid) < 0 || read_full_file(path, 65536, &cmdline, &len) < 0)
                return false;
        /* argv is NUL-separated */
        for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
                if (strncmp(cmdline + i, "--conf-file=", 12) == 0 && streq(cmdline + i + 12, conf))
                        return true;
        return false;
}

#define KILL_WAIT_MSEC 2000

/* Kills one process through a pidfd (no recycled pid is hit), if it still
 * runs our configuration; returns the pidfd to wait on, or -1. */
static int kill_verified(pid_t pid, const char *conf) {
        int fd = pidfd_open_pid(pid);

        if (fd < 0)
                return -1;
        /* checked after the pidfd is open: the pidfd is that process */
        if (!runs_conf(pid, conf) || syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

int dnsmasq_kill_by_conf(const char *conf) {
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        int fds[64], n_fds = 0, killed = 0;
        pid_t pids[64];
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                int pid, fd;

                if (safe_atoi(de->d_name, &pid) < 0 || pid <= 1 || pid == getpid())
                        continue;
                fd = kill_verified(pid, conf);
                if (fd < 0)
                        continue;
                log_warning("Killed dnsmasq pid %d left running with %s.", pid, conf);
                killed++;
                if (n_fds < (int) ELEMENTSOF(fds)) {
                        pids[n_fds] = pid;
                        fds[n_fds++] = fd;
                } else
                        close(fd);
        }
        /* its sockets are free once it is gone: a start right after must be
         * able to bind them */
        for (int i = 0; i < n_fds; i++) {
                struct pollfd p = { .fd = fds[i], .events = POLLIN };
                (void) poll(&p, 1, KILL_WAIT_MSEC);
                close(fds[i]);
                /* a launcher may be our child: reap it (others: ECHILD) */
                (void) waitpid(pids[i], NULL, WNOHANG);
        }
        return killed;
}

/* The pid in the pid file, if that process is a dnsmasq running our config. */
static pid_t find_running(Network *n) {
        _cleanup_free_ char *pidfile = network_file(n, ".pid"), *conf = network_file(n, ".conf");
        _cleanup_free_ char *text = NULL;
        int pid;

        if (!pidfile || !conf || read_full_file(pidfile, 64, &text, NULL) < 0)
                return 0;
        text[strcspn(text, "\n")] = 0;
        if (safe_atoi(text, &pid) < 0 || pid <= 1 || pid_is_alive(pid) <= 0)
                return 0;
        return runs_conf(pid, conf) ? pid : 0;
}

static void finish(Network *n, int r, const char *errmsg) {
        dnsmasq_done_fn cb = n->dnsmasq_cb;

        n->dnsmasq_cb = NULL;
        if (cb)
                cb(n, r, errmsg);
}

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void on_daemon_exit(pid_t pid, int code, int status, void *userdata) {
        Network *n = userdata;
        int r;

        n->dnsmasq_watch = sd_event_source_disable_unref(n->dnsmasq_watch);
        n->dnsmasq_pid = 0;
        if (n->dnsmasq_cb) {
                /* we asked it to stop */
                n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
                finish(n, 0, NULL);
                return;
        }
        if (n->state != NETWORK_ACTIVE)
                return;
        log_warning("dnsmasq of network '%s' (pid %d) exited unexpectedly; restarting it.", n->def->name, (int) pid);
        n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
        r = sd_event_add_time_relative(n->manager->event, &n->dnsmasq_timer, CLOCK_MONOTONIC,
                                       DNSMASQ_RESTART_DELAY_USEC, 0, on_restart_timer, n);
        if (r < 0)
                log_error_errno(r, "Cannot schedule the restart of dnsmasq for '%s': %m", n->def->name);
}

static int watch_daemon(Network *n, pid_t pid) {
        int fd = pidfd_open_pid(pid), r;

        if (fd < 0)
                return fd;
        r = process_watch(n->manager->event, pid, fd, on_daemon_exit, n, &n->dnsmasq_watch);
        if (r < 0) {
                close(fd);
                return r;
        }
        n->dnsmasq_pid = pid;
        return 0;
}

int dnsmasq_adopt(Network *n) {
        pid_t pid = find_running(n);
        int r;

        if (pid <= 0)
                return 0;
        r = watch_daemon(n, pid);
        if (r < 0)
                return r;
        log_info("Network '%s': found its dnsmasq again (pid %d).", n->def->name, (int) pid);
        return 1;
}

static char *read_errors(int fd) {
        char buf[2048];
        ssize_t k = -1;

        if (fd >= 0 && lseek(fd, 0, SEEK_SET) >= 0)
                k = read(fd, buf, sizeof(buf) - 1);
        if (k < 0)
                k = 0;
        while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
                k--;
        buf[k] = 0;
        return strdup(buf);
}

/* The first process exited: 0 means the daemon is up, its pid in the file. */
static void on_launcher_exit(pid_t pid, int code, int status, void *userdata) {
        Network *n = userdata;
        _cleanup_free_ char *err = read_errors(n->dnsmasq_errfd);
        pid_t daemon_pid;
        int r;

        n->dnsmasq_watch = sd_event_source_disable_unref(n->dnsmasq_watch);
        closep(&n->dnsmasq_errfd);
        n->dnsmasq_errfd = -1;
        if (code != CLD_EXITED || status != 0) {
                log_error("dnsmasq for network '%s' failed to start (%s %d): %s", n->def->name,
                          code == CLD_EXITED ? "status" : "signal", status, err ? err : "");
                finish(n, -EIO, err && *err ? err : "dnsmasq failed to start");
                return;
        }
        daemon_pid = find_running(n);
        if (daemon_pid <= 0) {
                finish(n, -ESRCH, "dnsmasq started but its pid file names no running dnsmasq");
                return;
        }
        r = watch_daemon(n, daemon_pid);
        if (r < 0) {
                kill(daemon_pid, SIGTERM);
                finish(n, r, "cannot watch dnsmasq");
                return;
        }
        log_debug("Network '%s': dnsmasq runs as pid %d.", n->def->name, (int) daemon_pid);
        finish(n, 0, NULL);
}

int dnsmasq_start(Network *n, dnsmasq_done_fn cb) {
        _cleanup_free_ char *conf = network_file(n, ".conf"), *arg = NULL, *pidfile = network_file(n, ".pid");
        _cleanup_close_ int err = -1, pidfd = -1;
        pid_t pid;
        int r;

        if (!conf || !pidfile || asprintf(&arg, "--conf-file=%s", conf) < 0)
                return -ENOMEM;
        r = dnsmasq_write_files(n);
        if (r < 0)
                return r;
        (void) unlink_if_exists(pidfile);
        err = memfd_create("dnsmasq-stderr", MFD_CLOEXEC);
        if (err < 0)
                return -errno;
        char *argv[] = { (char *) n->manager->dnsmasq_path, arg, NULL };
        ProcessFd map[] = { { err, 1 }, { err, 2 } };
        /* its own session: no signal meant for networkd's group reaches it */
        r = process_spawn(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION, &pid, &pidfd);
        if (r < 0)
                return r;
        r = process_watch(n->manager->event, pid, pidfd, on_launcher_exit, n, &n->dnsmasq_watch);
        if (r < 0) {
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        TAKE_FD(pidfd);
        n->dnsmasq_errfd = TAKE_FD(err);
        n->dnsmasq_cb = cb;
        return 0;
}

static void restarted(Network *n, int r, const char *errmsg) {
        if (r < 0)
                log_error("Cannot restart dnsmasq for network '%s': %s", n->def->name, errmsg ? errmsg : "");
}

static int on_restart_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Network *n = userdata;
        int r;

        n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
        if (n->state != NETWORK_ACTIVE || n->dnsmasq_pid > 0 || n->dnsmasq_watch)
                return 0;
        r = dnsmasq_start(n, restarted);
        if (r < 0)
                log_error_errno(r, "Cannot restart dnsmasq for network '%s': %m", n->def->name);
        return 0;
}

int dnsmasq_reload(Network *n) {
        int r = dnsmasq_write_files(n);

        if (r < 0)
                return r;
        /* SIGHUP: dnsmasq reads dhcp-hostsfile and addn-hosts again */
        if (n->dnsmasq_pid > 0 && kill(n->dnsmasq_pid, SIGHUP) < 0)
                return -errno;
        return 0;
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Network *n = userdata;

        n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
        if (n->dnsmasq_pid > 0) {
                log_warning("dnsmasq of network '%s' ignored SIGTERM, killing it.", n->def->name);
                (void) kill(n->dnsmasq_pid, SIGKILL);
        }
        return 0;
}

int dnsmasq_stop(Network *n, dnsmasq_done_fn cb) {
        int r;

        n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
        if (n->dnsmasq_pid <= 0 || !n->dnsmasq_watch) {
                _cleanup_free_ char *conf = network_file(n, ".conf");

                if (n->dnsmasq_watch && n->dnsmasq_cb)
                        finish(n, -ECANCELED, "stopped while starting");
                dnsmasq_forget(n);
                /* A launcher still starting would daemonize a dnsmasq after
                 * its bridge is gone: it and what it started are killed by
                 * their configuration, and the launcher (our child) reaped. */
                if (conf)
                        (void) dnsmasq_kill_by_conf(conf);
                cb(n, 0, NULL);
                return 0;
        }
        n->dnsmasq_cb = cb;
        if (kill(n->dnsmasq_pid, SIGTERM) < 0 && errno != ESRCH)
                return -errno;
        r = sd_event_add_time_relative(n->manager->event, &n->dnsmasq_timer, CLOCK_MONOTONIC,
                                       DNSMASQ_STOP_TIMEOUT_USEC, 0, on_stop_timeout, n);
        return r < 0 ? r : 0;
}

void dnsmasq_forget(Network *n) {
        n->dnsmasq_watch = sd_event_source_disable_unref(n->dnsmasq_watch);
        n->dnsmasq_timer = sd_event_source_disable_unref(n->dnsmasq_timer);
        closep(&n->dnsmasq_errfd);
        n->dnsmasq_errfd = -1;
        n->dnsmasq_pid = 0;
        n->dnsmasq_cb = NULL;
}
