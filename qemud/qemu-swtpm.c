/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The swtpm of an emulator TPM on the host: its state directory, the
 * first-start swtpm_setup, the daemon beside QEMU, its end, and its state
 * at undefine (qemu-swtpm.h). */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-confine.h"
#include "qemu-swtpm.h"
#include "util.h"
#include "uuid.h"

#define SWTPM_STOP_WAIT_MS 3000

typedef struct SwtpmFiles {
        char *top;       /* <statedir>/qemu/swtpm/<uuid> */
        char *state_dir; /* top/tpm2 or top/tpm1.2 */
        char *log;       /* top/swtpm.log */
        char *socket;
        char *pidfile;   /* swtpm's own, gone as soon as it begins to end */
        char *our_pid;   /* qemud's copy: the stop waits for that process */
        char *vmid;
} SwtpmFiles;

static void files_clear(SwtpmFiles *f) {
        free(f->top);
        free(f->state_dir);
        free(f->log);
        free(f->socket);
        free(f->pidfile);
        free(f->our_pid);
        free(f->vmid);
}

static int top_dir(const Manager *m, const DomainDef *def, char **ret) {
        char uuid[UUID_STRING_MAX];

        uuid_format(def->uuid, uuid);
        return asprintf(ret, "%s/qemu/swtpm/%s", m->paths.statedir, uuid) < 0 ? -ENOMEM : 0;
}

static int files_of(const Domain *d, const DomainTpmDef *t, SwtpmFiles *f) {
        _cleanup_free_ char *run = NULL;
        char uuid[UUID_STRING_MAX];

        uuid_format(d->live->uuid, uuid);
        if (top_dir(d->manager, d->live, &f->top) < 0 || qemu_confine_dir(d, &run) < 0)
                return -ENOMEM;
        if (asprintf(&f->state_dir, "%s/%s", f->top, qemu_swtpm_is_v2(t) ? "tpm2" : "tpm1.2") < 0 ||
            asprintf(&f->log, "%s/swtpm.log", f->top) < 0 ||
            asprintf(&f->socket, "%s/%s.swtpm.sock", run, t->alias) < 0 ||
            asprintf(&f->pidfile, "%s/%s.swtpm.pid", run, t->alias) < 0 ||
            asprintf(&f->our_pid, "%s/%s.swtpm.qemud-pid", run, t->alias) < 0 ||
            asprintf(&f->vmid, "%s:%s", d->live->name, uuid) < 0)
                return -ENOMEM;
        return 0;
}

/* argv[0] found in PATH, as execv() wants a path. */
static int resolve_program(char **argv) {
        const char *path = getenv("PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *copy = strdup(path);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *full;

                if (asprintf(&full, "%s/%s", dir, argv[0]) < 0)
                        return -ENOMEM;
                if (access(full, X_OK) == 0) {
                        free_and_replace_str(&argv[0], full);
                        return 0;
                }
                free(full);
        }
        return -ENOENT;
}

static int make_dir(const char *dir, mode_t mode, uid_t uid, gid_t gid) {
        if (mkdir(dir, mode) < 0 && errno != EEXIST)
                return -errno;
        if (chown(dir, uid, gid) < 0 || chmod(dir, mode) < 0)
                return -errno;
        return 0;
}

static int make_dirs(const SwtpmFiles *f, uid_t uid, gid_t gid) {
        _cleanup_free_ char *parent = strdup(f->top);
        int r;

        if (!parent)
                return -ENOMEM;
        *strrchr(parent, '/') = 0;
        /* root's, searchable: each guest's own below is its QEMU user's */
        r = mkdir_p(parent, 0711);
        if (r >= 0)
                r = make_dir(f->top, 0750, uid, gid);
        if (r >= 0)
                r = make_dir(f->state_dir, 0700, uid, gid);
        return r;
}

/* Runs argv as uid:gid, its output appended to log, and waits: swtpm_setup
 * to its end, swtpm until it is a daemon (its socket is there then). */
static int run_as(char **argv, const char *log, uid_t uid, gid_t gid, const char *what, ConfError *err) {
        _cleanup_close_ int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        ProcessCreds creds = { .uid = uid, .gid = gid };
        int r = fd < 0 ? -errno : resolve_program(argv), status = 0;
        pid_t pid;

        if (r >= 0 && fchown(fd, uid, gid) < 0)
                r = -errno;
        if (r >= 0) {
                ProcessFd map[] = { { fd, 1 }, { fd, 2 } };
                r = process_spawn_as(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION,
                                     uid || gid ? &creds : NULL, &pid, NULL);
        }
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot run %s for <devices/tpm>: %s%s",
                               what, strerror(-r), r == -ENOENT ? " (is Debian's swtpm-tools installed?)" : "");
                return r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: %s for <devices/tpm> failed "
                               "(status %d): see %s", what, status, log);
                return -EIO;
        }
        return 0;
}

/* swtpm wrote its pid before its parent ended: qemud keeps a copy in
 * the guest's run directory, which outlives a restart of qemud. */
static void keep_pid(const SwtpmFiles *f) {
        _cleanup_free_ char *s = NULL;
        size_t n = 0;

        if (read_full_file(f->pidfile, 64, &s, &n) < 0 || write_file_atomic(f->our_pid, s, n, 0600) < 0)
                log_warning("Cannot keep the pid of swtpm from %s in %s", f->pidfile, f->our_pid);
}

static int start_one(Domain *d, const DomainTpmDef *t, uid_t uid, gid_t gid, ConfError *err) {
        _cleanup_(files_clear) SwtpmFiles f = {};
        _cleanup_strv_free_ char **setup = NULL, **daemon = NULL;
        _cleanup_free_ char *permall = NULL;
        int r = files_of(d, t, &f);

        if (r < 0)
                return r;
        SwtpmPaths p = { f.state_dir, f.log, f.socket, f.pidfile, f.vmid };
        r = make_dirs(&f, uid, gid);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot make the TPM state "
                               "directory %s: %s", f.state_dir, strerror(-r));
                return r;
        }
        if (asprintf(&permall, "%s/%s", f.state_dir, qemu_swtpm_is_v2(t) ? "tpm2-00.permall" : "tpm-00.permall") < 0)
                return -ENOMEM;
        if (access(permall, F_OK) < 0) {
                r = qemu_swtpm_setup_argv(t, &p, &setup);
                if (r >= 0)
                        r = run_as(setup, f.log, uid, gid, "swtpm_setup", err);
                if (r < 0)
                        return r;
        }
        (void) unlink(f.socket);
        r = qemu_swtpm_argv(t, &p, &daemon);
        if (r >= 0)
                r = run_as(daemon, f.log, uid, gid, "swtpm", err);
        if (r >= 0)
                keep_pid(&f);
        if (r >= 0)
                log_info("Domain %s: swtpm for %s runs on %s, its state in %s", d->def->name, t->alias, f.socket,
                         f.state_dir);
        return r;
}

int qemu_swtpm_start(Domain *d, uid_t uid, gid_t gid, ConfError *err) {
        for (size_t i = 0; i < d->live->n_tpms; i++) {
                int r;

                if (d->live->tpms[i].backend != DOMAIN_TPM_EMULATOR)
                        continue;
                r = start_one(d, &d->live->tpms[i], uid, gid, err);
                if (r < 0) {
                        qemu_swtpm_stop(d);
                        return r;
                }
        }
        return 0;
}

/* The pid in the file, if it is still an swtpm: never a process that took
 * a recycled pid. */
static void chomp(char *s) {
        s[strcspn(s, " \n")] = 0;
}

static pid_t swtpm_pid(const char *pidfile) {
        _cleanup_free_ char *s = NULL, *comm = NULL, *comm_path = NULL;
        int pid;

        if (read_full_file(pidfile, 64, &s, NULL) < 0 || (chomp(s), safe_atoi(s, &pid)) < 0 || pid <= 1)
                return 0;
        if (asprintf(&comm_path, "/proc/%d/comm", pid) < 0 || read_full_file(comm_path, 64, &comm, NULL) < 0)
                return 0;
        return (chomp(comm), streq(comm, "swtpm")) ? pid : 0;
}

/* SIGTERM (it may be ending already, QEMU gone), and a short wait for its
 * end: it writes its state as it ends, and a removal of that state (a
 * transient guest's) must come after. */
static void end_swtpm(Domain *d, pid_t pid) {
        _cleanup_close_ int fd = pidfd_open_pid(pid);
        struct pollfd p = { .fd = fd, .events = POLLIN };

        if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) < 0)
                return;
        if (poll(&p, 1, SWTPM_STOP_WAIT_MS) <= 0)
                log_warning("Domain %s: swtpm %d has not ended yet", d->def->name, (int) pid);
        else
                log_info("Domain %s: stopped swtpm %d", d->def->name, (int) pid);
}

void qemu_swtpm_stop(Domain *d) {
        const DomainDef *def = d->live;

        for (size_t i = 0; def && i < def->n_tpms; i++) {
                _cleanup_(files_clear) SwtpmFiles f = {};
                pid_t pid;

                if (def->tpms[i].backend != DOMAIN_TPM_EMULATOR || !def->tpms[i].alias ||
                    files_of(d, &def->tpms[i], &f) < 0)
                        continue;
                /* With --terminate it has gone with QEMU's connection; this
                 * is for one QEMU never reached. */
                pid = swtpm_pid(f.our_pid);
                if (pid > 0)
                        end_swtpm(d, pid);
                (void) unlink(f.our_pid);
                (void) unlink(f.pidfile);
                (void) unlink(f.socket);
        }
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) (type == FTW_DP ? rmdir(path) : unlink(path));
        return 0;
}

void qemu_swtpm_undefine(Domain *d, unsigned flags) {
        if (!domain_is_active(d)) /* else the guest goes on, transient: its stop decides, as in libvirt */
                qemu_swtpm_remove_state(d, flags);
}

void qemu_swtpm_remove_state(Domain *d, unsigned flags) {
        _cleanup_free_ char *top = NULL;
        const DomainDef *def = d->def;

        for (size_t i = 0; def && i < def->n_tpms; i++) {
                const DomainTpmDef *t = &def->tpms[i];
                bool keep = t->persistent_state == TRISTATE_ON ? !(flags & SWTPM_UNDEFINE_TPM)
                                                                : !!(flags & SWTPM_UNDEFINE_KEEP_TPM);

                if (t->backend != DOMAIN_TPM_EMULATOR || keep)
                        continue;
                if (!top && top_dir(d->manager, def, &top) < 0)
                        return;
                if (access(top, F_OK) < 0)
                        return;
                log_info("Domain %s: removing its TPM state %s", def->name, top);
                /* an swtpm that outlived the wait may still write a file */
                for (int k = 0; k < 5 && access(top, F_OK) == 0; k++) {
                        if (k > 0)
                                (void) usleep(100 * 1000);
                        (void) nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
                }
                return;
        }
}
