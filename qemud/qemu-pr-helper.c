/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The qemu-pr-helper of a guest's managed reservations (qemu-pr-helper.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-command.h"
#include "qemu-confine.h"
#include "qemu-pr-helper.h"
#include "qemu-security.h"
#include "qemu-virtiofs.h"
#include "util.h"
#include "xml-util.h"

static const DomainDiskDef *managed_disk(const DomainDef *def) {
        for (size_t i = 0; def && i < def->n_disks; i++)
                if (def->disks[i].pr && def->disks[i].pr->managed == TRISTATE_ON)
                        return &def->disks[i];
        return NULL;
}

static int pid_file(const Domain *d, char **ret) {
        _cleanup_free_ char *run = NULL;

        if (qemu_confine_dir(d, &run) < 0 || asprintf(ret, "%s/pr-helper0.pid", run) < 0)
                return -ENOMEM;
        return 0;
}

/* The live XML names the socket of each managed disk, as libvirt's does. */
static int note_socket(DomainDef *live, const char *sock) {
        for (size_t i = 0; i < live->n_disks; i++) {
                DomainDiskReservations *pr = live->disks[i].pr;

                if (!pr || pr->managed != TRISTATE_ON)
                        continue;
                free(pr->path);
                pr->path = strdup(sock);
                if (!pr->path)
                        return -ENOMEM;
        }
        return 0;
}

static void on_exit_reaped(pid_t pid, int code, int status, void *userdata) {
        sd_event_source **watch = userdata;

        log_info("qemu-pr-helper %d ended (%s %d)", (int) pid, code == CLD_EXITED ? "status" : "signal", status);
        *watch = sd_event_source_disable_unref(*watch);
        free(watch);
}

/* socket activation: the helper takes fd 3 when LISTEN_PID is its own pid */
pid_t qemu_pr_helper_spawn(const char *binary, int sock_fd, int log_fd, int *ret_pidfd) {
        ProcessFd map[] = { { log_fd, 1 }, { log_fd, 2 }, { sock_fd, 3 } };
        char pid[32];
        pid_t child;
        int r;

        r = process_fork(map, ELEMENTSOF(map), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &child, ret_pidfd);
        if (r < 0)
                return r;
        if (r > 0)
                return child;
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        if (setenv("LISTEN_PID", pid, 1) == 0 && setenv("LISTEN_FDS", "1", 1) == 0)
                execl(binary, binary, (char *) NULL);
        _exit(127);
}

static void keep_pid(const char *file, pid_t pid) {
        _cleanup_close_ int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0 || dprintf(fd, "%d\n", (int) pid) < 0)
                log_warning("cannot write %s: %m", file);
}

static int watch(Domain *d, pid_t pid, int pidfd, ConfError *err) {
        sd_event_source **w = calloc(1, sizeof(*w));
        int r = w ? process_watch(d->manager->event, pid, pidfd, on_exit_reaped, w, w) : -ENOMEM;

        if (r < 0) {
                /* not watched: it must not run unreaped */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                close(pidfd);
                free(w);
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot watch qemu-pr-helper: %s",
                               strerror(-r));
        }
        return r;
}

static int start_for(Domain *d, DomainDef *def, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        const DomainDiskDef *disk = managed_disk(def);
        _cleanup_free_ char *run = NULL, *sock = NULL, *pidf = NULL;
        _cleanup_close_ int fd = -1;
        int pidfd = -1;
        pid_t pid;

        if (!disk)
                return 0;
        if (access(QEMU_PR_HELPER, X_OK) < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: disk '%s': managed "
                               "<reservations> need %s, which is not an executable on this host (Debian's "
                               "qemu-system-common has it)", disk->dst, QEMU_PR_HELPER);
                return -EOPNOTSUPP;
        }
        if (qemu_confine_dir(d, &run) < 0 || !(sock = qemu_disk_pr_managed_socket(run)) || pid_file(d, &pidf) < 0)
                return -ENOMEM;
        fd = qemu_helper_listen_socket(sock, uid, gid);
        if (fd < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: disk '%s': cannot make the "
                               "qemu-pr-helper socket %s: %s", disk->dst, sock, strerror(-fd));
                return fd;
        }
        pid = qemu_pr_helper_spawn(QEMU_PR_HELPER, fd, log_fd, &pidfd);
        if (pid < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: disk '%s': cannot run %s: %s",
                               disk->dst, QEMU_PR_HELPER, strerror(-pid));
                return pid;
        }
        keep_pid(pidf, pid);
        if (watch(d, pid, pidfd, err) < 0)
                return -EIO;
        log_info("Domain %s: qemu-pr-helper %d listens on %s", d->def->name, (int) pid, sock);
        return note_socket(def, sock);
}

int qemu_pr_helper_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        return start_for(d, d->live, uid, gid, log_fd, err);
}

static pid_t helper_pid(const char *file) {
        static const char *const names[] = { "qemu-pr-helper", NULL };

        return pidfile_pid_named(file, names);
}

void qemu_pr_helper_stop(Domain *d) {
        if (managed_disk(d->live))
                qemu_pr_helper_end(d);
}

bool qemu_pr_helper_running(const Domain *d) {
        _cleanup_free_ char *pidf = NULL;

        return pid_file(d, &pidf) >= 0 && helper_pid(pidf) > 0;
}

int qemu_pr_helper_plug(Domain *d, DomainDef *live, bool *ret_started, ConfError *err) {
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char *run = NULL, *sock = NULL;
        _cleanup_close_ int log_fd = -1;
        ProcessCreds creds = {};
        int r;

        *ret_started = false;
        if (!managed_disk(live))
                return 0;
        if (qemu_pr_helper_running(d)) {
                if (qemu_confine_dir(d, &run) < 0 || !(sock = qemu_disk_pr_managed_socket(run)))
                        return -ENOMEM;
                return note_socket(live, sock);
        }
        r = qemu_security_creds(d, &creds, &groups);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: no user for the socket of "
                               "qemu-pr-helper: %s", strerror(-r));
                return r;
        }
        log_fd = qemu_helper_log_fd(d);
        if (log_fd < 0)
                return -errno;
        r = start_for(d, live, creds.uid, creds.gid, log_fd, err);
        *ret_started = r >= 0;
        return r;
}

void qemu_pr_helper_end(Domain *d) {
        _cleanup_free_ char *pidf = NULL;
        pid_t pid;

        if (pid_file(d, &pidf) < 0)
                return;
        pid = helper_pid(pidf);
        if (pid > 0 && kill(pid, SIGTERM) == 0)
                log_info("Domain %s: stopped qemu-pr-helper %d", d->def->name, (int) pid);
        (void) unlink(pidf);
}
