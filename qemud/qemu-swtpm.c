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
#include "qemu-domain.h"
#include "qemu-secrets.h"
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

/* An encrypted state's passphrase for swtpm or swtpm_setup: given on
 * n_fds pipes from SWTPM_PWD_FD on, never in a file or the argv. */
typedef struct SwtpmPwd {
        const void *data;
        size_t len;
        unsigned n_fds;
} SwtpmPwd;

/* The pipes' read ends, each holding the whole passphrase (at most
 * 64 KiB, what a pipe holds). */
static int pwd_pipes(const SwtpmPwd *pwd, int fds[2]) {
        for (unsigned i = 0; pwd && i < pwd->n_fds; i++) {
                int p[2];

                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                if (write(p[1], pwd->data, pwd->len) != (ssize_t) pwd->len) {
                        close(p[0]);
                        close(p[1]);
                        return -EIO;
                }
                close(p[1]);
                fds[i] = p[0];
        }
        return 0;
}

static int tpm_pwd(Domain *d, const DomainTpmDef *t, unsigned n_fds, SwtpmPwd *ret) {
        if (!t->secret)
                return 0;
        ret->n_fds = n_fds;
        return qemu_secrets_tpm_value(d, (size_t) (t - d->live->tpms), &ret->data, &ret->len);
}

/* Spawns argv as uid:gid in a session of its own, its output appended to
 * log; pwd (or NULL) on its pipes. */
static int spawn_as(char **argv, const char *log, uid_t uid, gid_t gid, const char *what, const SwtpmPwd *pwd,
                    pid_t *pid, int *pidfd, ConfError *err) {
        _cleanup_close_ int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        ProcessCreds creds = { .uid = uid, .gid = gid };
        int pipes[2] = { -1, -1 };
        int r = fd < 0 ? -errno : resolve_program(argv);

        if (r >= 0 && fchown(fd, uid, gid) < 0)
                r = -errno;
        if (r >= 0)
                r = pwd_pipes(pwd, pipes);
        if (r >= 0) {
                ProcessFd map[] = { { fd, 1 }, { fd, 2 }, { pipes[0], SWTPM_PWD_FD }, { pipes[1], SWTPM_PWD_FD + 1 } };
                r = process_spawn_as(argv, map, 2 + (pwd ? pwd->n_fds : 0), PROCESS_NEW_SESSION,
                                     uid || gid ? &creds : NULL, pid, pidfd);
        }
        for (size_t i = 0; i < ELEMENTSOF(pipes); i++)
                if (pipes[i] >= 0)
                        close(pipes[i]);
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot run %s for <devices/tpm>: %s%s",
                               what, strerror(-r), r == -ENOENT ? " (is Debian's swtpm-tools installed?)" : "");
        return r;
}

/* Runs argv and waits: swtpm until it is a daemon (its socket is there
 * then), which is at once. */
static int run_as(char **argv, const char *log, uid_t uid, gid_t gid, const char *what, const SwtpmPwd *pwd,
                  ConfError *err) {
        int r, status = 0;
        pid_t pid;

        r = spawn_as(argv, log, uid, gid, what, pwd, &pid, NULL, err);
        if (r < 0)
                return r;
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
        _cleanup_strv_free_ char **daemon = NULL;
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
        /* swtpm_setup ran before, in its own step (qemu_swtpm_setup) */
        (void) unlink(f.socket);
        SwtpmPwd pwd = {};
        r = qemu_swtpm_argv(t, &p, &daemon);
        if (r >= 0)
                r = tpm_pwd(d, t, 2, &pwd);
        if (r >= 0)
                r = run_as(daemon, f.log, uid, gid, "swtpm", t->secret ? &pwd : NULL, err);
        if (r >= 0)
                keep_pid(&f);
        if (r >= 0)
                log_info("Domain %s: swtpm for %s runs on %s, its state in %s", d->def->name, t->alias, f.socket,
                         f.state_dir);
        return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) (type == FTW_DP ? rmdir(path) : unlink(path));
        return 0;
}

/* The first start's swtpm_setup, a child of qemud whose exit its event
 * loop sees: every other call is answered meanwhile. */
struct QemuSwtpmSetup {
        Domain *d;
        uid_t uid;
        gid_t gid;
        qemu_swtpm_setup_fn done;
        size_t next;            /* the next TPM of d->live to look at */
        sd_event_source *watch; /* the running swtpm_setup's exit; owns its pidfd */
        pid_t pid;
        SwtpmFiles files;       /* the running one's */
        bool made_top, made_state; /* this start made them: gone if it fails */
};

static void setup_free(QemuSwtpmSetup *s) {
        s->watch = sd_event_source_disable_unref(s->watch);
        files_clear(&s->files);
        free(s);
}

static void remove_tree(const char *dir) {
        (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A failed or cancelled swtpm_setup leaves no half-made state. */
static void setup_forget(QemuSwtpmSetup *s) {
        if (s->made_state && s->files.state_dir)
                remove_tree(s->files.state_dir);
        if (s->made_top && s->files.top)
                remove_tree(s->files.top);
        files_clear(&s->files);
        s->files = (SwtpmFiles) {};
        s->made_top = s->made_state = false;
}

/* The last lines of swtpm_setup's log: they say why it failed. */
static void log_tail(const char *log, char *buf, size_t size) {
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        char *start;
        int lines = 0;

        buf[0] = 0;
        if (read_full_file(log, 1 << 20, &text, &n) < 0 || n == 0)
                return;
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
                text[--n] = 0;
        for (start = text + n; start > text; start--)
                if (start[-1] == '\n' && ++lines == 3)
                        break;
        for (char *c = start; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        n = strlen(start);
        snprintf(buf, size, "%s", n >= size ? start + n - (size - 1) : start);
}

static int exists(const char *path) {
        return access(path, F_OK) == 0;
}

static void on_setup_exit(pid_t pid, int code, int status, void *userdata);

/* Begins swtpm_setup for the TPM at or after s->next whose state is new:
 * 1 when one runs, 0 when none is left. */
static int setup_next(QemuSwtpmSetup *s, ConfError *err) {
        const DomainDef *def = s->d->live;

        for (; s->next < def->n_tpms; s->next++) {
                const DomainTpmDef *t = &def->tpms[s->next];
                _cleanup_strv_free_ char **argv = NULL;
                _cleanup_free_ char *permall = NULL;
                int r, pidfd;

                if (t->backend != DOMAIN_TPM_EMULATOR)
                        continue;
                files_clear(&s->files);
                s->files = (SwtpmFiles) {};
                if (files_of(s->d, t, &s->files) < 0 ||
                    asprintf(&permall, "%s/%s", s->files.state_dir,
                             qemu_swtpm_is_v2(t) ? "tpm2-00.permall" : "tpm-00.permall") < 0)
                        return -ENOMEM;
                if (exists(permall))
                        continue;
                s->made_top = !exists(s->files.top);
                s->made_state = !exists(s->files.state_dir);
                r = make_dirs(&s->files, s->uid, s->gid);
                if (r < 0) {
                        conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot make the TPM "
                                       "state directory %s: %s", s->files.state_dir, strerror(-r));
                        return r;
                }
                SwtpmPaths p = { s->files.state_dir, s->files.log, s->files.socket, s->files.pidfile,
                                 s->files.vmid };
                SwtpmPwd pwd = {};
                r = qemu_swtpm_setup_argv(t, &p, &argv);
                if (r >= 0)
                        r = tpm_pwd(s->d, t, 1, &pwd);
                if (r < 0)
                        return r;
                r = spawn_as(argv, s->files.log, s->uid, s->gid, "swtpm_setup", t->secret ? &pwd : NULL, &s->pid,
                             &pidfd, err);
                if (r < 0)
                        return r;
                r = process_watch(s->d->manager->event, s->pid, pidfd, on_setup_exit, s, &s->watch);
                if (r < 0) {
                        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                        (void) waitpid(s->pid, NULL, 0);
                        close(pidfd);
                        conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot watch "
                                       "swtpm_setup: %s", strerror(-r));
                        return r;
                }
                log_info("Domain %s: swtpm_setup %d makes the state of %s in %s", s->d->def->name, (int) s->pid,
                         t->alias, s->files.state_dir);
                s->next++;
                return 1;
        }
        return 0;
}

/* Ends the setup and calls back: the start goes on, or fails with msg. */
static void setup_end(QemuSwtpmSetup *s, int r, const char *msg) {
        Domain *d = s->d;
        qemu_swtpm_setup_fn done = s->done;

        if (r < 0)
                setup_forget(s);
        qemu_domain(d)->swtpm_setup = NULL;
        setup_free(s);
        done(d, r, msg);
}

static void on_setup_exit(pid_t pid, int code, int status, void *userdata) {
        QemuSwtpmSetup *s = userdata;
        ConfError err = {};
        char tail[400], msg[600];
        int r;

        s->watch = sd_event_source_disable_unref(s->watch);
        if (code != CLD_EXITED || status != 0) {
                log_tail(s->files.log, tail, sizeof(tail));
                snprintf(msg, sizeof(msg), "operation failed: swtpm_setup for <devices/tpm> failed (%s %d): %s",
                         code == CLD_EXITED ? "status" : "signal", status, tail[0] ? tail : "(its log is empty)");
                setup_end(s, -EIO, msg);
                return;
        }
        files_clear(&s->files);
        s->files = (SwtpmFiles) {};
        s->made_top = s->made_state = false; /* made and kept */
        r = setup_next(s, &err);
        if (r == 1)
                return;
        setup_end(s, r, r < 0 ? (err.message[0] ? err.message : strerror(-r)) : NULL);
}

int qemu_swtpm_setup(Domain *d, uid_t uid, gid_t gid, qemu_swtpm_setup_fn done, ConfError *err) {
        QemuSwtpmSetup *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (QemuSwtpmSetup) { .d = d, .uid = uid, .gid = gid, .done = done };
        r = setup_next(s, err);
        if (r == 1) {
                qemu_domain(d)->swtpm_setup = s;
                return 1;
        }
        if (r < 0)
                setup_forget(s);
        setup_free(s);
        return r;
}

/* A Destroy, or the start failing elsewhere: the running swtpm_setup and
 * the helpers it started (its session's group) are killed, and reaped. */
void qemu_swtpm_setup_cancel(Domain *d) {
        QemuSwtpmSetup *s = qemu_domain(d)->swtpm_setup;

        if (!s)
                return;
        if (s->watch) {
                /* not reaped yet: the group is still ours */
                (void) kill(-s->pid, SIGKILL);
                while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                log_info("Domain %s: killed swtpm_setup %d", d->def->name, (int) s->pid);
        }
        setup_forget(s);
        qemu_domain(d)->swtpm_setup = NULL;
        setup_free(s);
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

static pid_t swtpm_pid(const char *pidfile) {
        static const char *const names[] = { "swtpm", NULL };

        return pidfile_pid_named(pidfile, names);
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
