/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtiofs shares: libvirt's rules, virtiofsd's command line, and the
 * virtiofsd qemud runs beside QEMU (qemu-virtiofs.h). */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "process.h"
#include "qemu-confine.h"
#include "qemu-security.h"
#include "qemu-virtiofs.h"
#include "util.h"
#include "xml-util.h"

/* libvirt's qemuValidateDomainDefVhostUserRequireSharedMemory(): every NUMA
 * cell shared (or, without cells, the whole memory). */
bool qemu_memory_shared(const DomainDef *def) {
        bool all = def->memory_backing.access == DOMAIN_MEMORY_ACCESS_SHARED;

        if (def->cpu.n_cells == 0)
                return all;
        for (size_t i = 0; i < def->cpu.n_cells; i++) {
                DomainMemoryAccess a = def->cpu.cells[i].mem_access;

                if (a == DOMAIN_MEMORY_ACCESS_PRIVATE || (a != DOMAIN_MEMORY_ACCESS_SHARED && !all))
                        return false;
        }
        return true;
}

/* What only a share virtiofsd of qemud serves refuses. */
static int validate_own_daemon(const DomainFsDef *fs, ConfError *err) {
        if (fs->readonly)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not yet support read-only mode",
                                           fs->dst);
        if (fs->accessmode != DOMAIN_FS_ACCESS_DEFAULT && fs->accessmode != DOMAIN_FS_ACCESS_PASSTHROUGH)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs only supports passthrough accessmode",
                                           fs->dst);
        if (fs->driver_wrpolicy)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not support wrpolicy", fs->dst);
        return 0;
}

int qemu_virtiofs_validate(const DomainDef *def, const DomainFsDef *fs, ConfError *err) {
        int r = fs->sock ? 0 : validate_own_daemon(fs, err);

        if (r < 0)
                return r;
        if (fs->model)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not support model", fs->dst);
        if (fs->driver_format)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not support format", fs->dst);
        if (fs->multidevs && !streq(fs->multidevs, "default"))
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not support multidevs", fs->dst);
        if (fs->fmode || fs->dmode)
                return xml_err_unsupported(err, "filesystem '%s': virtiofs does not support fmode and dmode",
                                           fs->dst);
        if (!qemu_memory_shared(def))
                return xml_err_unsupported(err, "filesystem '%s': 'virtiofs' requires shared memory "
                                           "(<memoryBacking><access mode='shared'/>, or memAccess='shared' on "
                                           "every NUMA cell)", fs->dst);
        return 0;
}

char *qemu_virtiofs_socket(const char *run_dir, const char *alias) {
        char *s;

        return asprintf(&s, "%s/%s-fs.sock", run_dir, alias) < 0 ? NULL : s;
}

/* -o source=DIR,...: a comma in the path doubled, as QEMU's option parser
 * (virtiofsd's own) wants it. */
static int source_opts(const DomainFsDef *fs, char **ret) {
        const DomainFsBinary *b = &fs->binary;
        _cleanup_free_ char *s = NULL;
        size_t n = 0;

        s = malloc(strlen(fs->src) * 2 + 128);
        if (!s)
                return -ENOMEM;
        n += (size_t) sprintf(s, "source=");
        for (const char *p = fs->src; *p; p++) {
                s[n++] = *p;
                if (*p == ',')
                        s[n++] = ',';
        }
        s[n] = 0;
        if (b->cache)
                n += (size_t) sprintf(s + n, ",cache=%s", b->cache);
        if (b->sandbox)
                n += (size_t) sprintf(s + n, ",sandbox=%s", b->sandbox);
        if (b->xattr)
                n += (size_t) sprintf(s + n, ",%sxattr", b->xattr == TRISTATE_ON ? "" : "no_");
        if (b->flock)
                n += (size_t) sprintf(s + n, ",%sflock", b->flock == TRISTATE_ON ? "" : "no_");
        if (b->posix_lock)
                (void) sprintf(s + n, ",%sposix_lock", b->posix_lock == TRISTATE_ON ? "" : "no_");
        *ret = TAKE_PTR(s);
        return 0;
}

int qemu_virtiofsd_argv(const DomainFsDef *fs, const char *binary, int fd, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *opts = NULL;

        if (!fs->src || source_opts(fs, &opts) < 0)
                return fs->src ? -ENOMEM : -EINVAL;
        if (strv_extend(&l, binary) < 0 || strv_extendf(&l, "--fd=%d", fd) < 0 || strv_extend(&l, "-o") < 0 ||
            strv_extend(&l, opts) < 0)
                return -ENOMEM;
        if (fs->binary.has_thread_pool && strv_extendf(&l, "--thread-pool-size=%d", fs->binary.thread_pool) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* The "binary" of a description of type "fs", or NULL. */
static char *fs_binary(const char *file) {
        _cleanup_free_ char *text = NULL;
        json_object *o, *type, *binary;
        char *ret = NULL;

        o = read_full_file(file, 65536, &text, NULL) >= 0 ? json_tokener_parse(text) : NULL;
        if (o && json_object_object_get_ex(o, "type", &type) && streq_ptr(json_object_get_string(type), "fs") &&
            json_object_object_get_ex(o, "binary", &binary) && json_object_get_string(binary))
                ret = strdup(json_object_get_string(binary));
        if (o)
                json_object_put(o);
        return ret;
}

char *qemu_virtiofs_find_binary(const char *dir) {
        DIR *d = opendir(dir);
        char *best = NULL;

        for (struct dirent *e; d && !best && (e = readdir(d));) {
                _cleanup_free_ char *path = NULL, *bin = NULL;

                if (e->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
                        continue;
                bin = fs_binary(path);
                if (bin && access(bin, X_OK) == 0)
                        best = TAKE_PTR(bin);
        }
        if (d)
                closedir(d);
        return best;
}

/* ---- the virtiofsd qemud runs ---- */

static bool runs_own_daemon(const DomainFsDef *fs) {
        return fs->virtiofs && !fs->sock;
}

static int pid_file(const Domain *d, const DomainFsDef *fs, char **ret) {
        _cleanup_free_ char *run = NULL;

        if (qemu_confine_dir(d, &run) < 0 || asprintf(ret, "%s/%s-fs.pid", run, fs->alias) < 0)
                return -ENOMEM;
        return 0;
}

/* A socket QEMU's user may connect to, bound before QEMU starts: QEMU
 * never waits for virtiofsd to be up. */
int qemu_helper_listen_socket(const char *path, uid_t uid, gid_t gid) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
            chown(path, uid, gid) < 0 || chmod(path, 0600) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The binary a share runs, checked before anything is made. */
static int binary_of(const DomainFsDef *fs, char **ret, ConfError *err) {
        struct stat st;

        *ret = fs->binary.path ? strdup(fs->binary.path) : qemu_virtiofs_find_binary(QEMU_VHOST_USER_DIR);
        if (!*ret && !fs->binary.path) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: filesystem '%s': virtiofs "
                               "needs virtiofsd, and no %s/*.json of type 'fs' names one on this host (Debian's "
                               "qemu-system-common has it)", fs->dst, QEMU_VHOST_USER_DIR);
                return -EOPNOTSUPP;
        }
        if (!*ret)
                return -ENOMEM;
        if (access(*ret, X_OK) < 0) {
                conf_error_set(err, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: filesystem '%s': virtiofsd "
                               "'%s' of <binary path=''/> is not an executable on this host", fs->dst, *ret);
                return -EOPNOTSUPP;
        }
        if (stat(fs->src, &st) < 0 || !S_ISDIR(st.st_mode)) {
                conf_error_set(err, VB_ERROR_INVALID_ARG, "invalid argument: filesystem '%s': source directory "
                               "'%s' is not a directory on this host", fs->dst, fs->src);
                return -ENOENT;
        }
        return 0;
}

typedef struct Virtiofsd {
        sd_event_source *watch;
        char *what;
} Virtiofsd;

/* virtiofsd ended (QEMU's connection closed, or the stop): reaped. */
static void on_daemon_exit(pid_t pid, int code, int status, void *userdata) {
        Virtiofsd *v = userdata;

        log_info("%s: virtiofsd %d ended (%s %d)", v->what, (int) pid, code == CLD_EXITED ? "status" : "signal",
                 status);
        v->watch = sd_event_source_disable_unref(v->watch);
        free(v->what);
        free(v);
}

static void keep_pid(const char *file, pid_t pid) {
        _cleanup_close_ int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0 || dprintf(fd, "%d\n", (int) pid) < 0)
                log_warning("cannot write %s: %m", file);
}

static int spawn(Domain *d, const DomainFsDef *fs, char **argv, int sock_fd, int log_fd, ConfError *err) {
        ProcessFd map[] = { { log_fd, 1 }, { log_fd, 2 }, { sock_fd, 3 } };
        _cleanup_free_ char *pidf = NULL;
        Virtiofsd *v;
        pid_t pid;
        int pidfd, r;

        r = process_spawn(argv, map, ELEMENTSOF(map), PROCESS_NEW_SESSION | PROCESS_DEVNULL_STDIN, &pid, &pidfd);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: filesystem '%s': cannot run %s: "
                               "%s", fs->dst, argv[0], strerror(-r));
                return r;
        }
        if (pid_file(d, fs, &pidf) >= 0)
                keep_pid(pidf, pid);
        v = calloc(1, sizeof(*v));
        if (v && asprintf(&v->what, "Domain %s, filesystem '%s'", d->def->name, fs->dst) < 0)
                v->what = NULL;
        r = v && v->what ? process_watch(d->manager->event, pid, pidfd, on_daemon_exit, v, &v->watch) : -ENOMEM;
        if (r < 0) {
                /* not watched: it must not run unreaped */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                close(pidfd);
                if (v)
                        free(v->what);
                free(v);
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot watch virtiofsd: %s",
                               strerror(-r));
                return r;
        }
        log_info("Domain %s: virtiofsd %d serves %s as '%s'", d->def->name, (int) pid, fs->src, fs->dst);
        return 0;
}

static int start_one(Domain *d, const DomainFsDef *fs, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        _cleanup_free_ char *binary = NULL, *run = NULL, *sock = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = binary_of(fs, &binary, err);
        if (r < 0)
                return r;
        if (qemu_confine_dir(d, &run) < 0 || !(sock = qemu_virtiofs_socket(run, fs->alias)))
                return -ENOMEM;
        fd = qemu_helper_listen_socket(sock, uid, gid);
        if (fd < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: filesystem '%s': cannot make the "
                               "virtiofsd socket %s: %s", fs->dst, sock, strerror(-fd));
                return fd;
        }
        r = qemu_virtiofsd_argv(fs, binary, 3, &argv);
        if (r < 0)
                return r;
        return spawn(d, fs, argv, fd, log_fd, err);
}

int qemu_virtiofs_start(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err) {
        for (size_t i = 0; i < d->live->n_filesystems; i++) {
                int r;

                if (!runs_own_daemon(&d->live->filesystems[i]))
                        continue;
                r = start_one(d, &d->live->filesystems[i], uid, gid, log_fd, err);
                if (r < 0) {
                        qemu_virtiofs_stop(d);
                        return r;
                }
        }
        return 0;
}

static pid_t daemon_pid(const char *file) {
        static const char *const names[] = { "virtiofsd", NULL };

        return pidfile_pid_named(file, names);
}

void qemu_virtiofs_stop_one(Domain *d, const DomainFsDef *fs) {
        _cleanup_free_ char *pidf = NULL;
        pid_t pid;

        if (!runs_own_daemon(fs) || !fs->alias || pid_file(d, fs, &pidf) < 0)
                return;
        /* it ends with QEMU's connection; this is for one QEMU never reached */
        pid = daemon_pid(pidf);
        if (pid > 0 && kill(pid, SIGTERM) == 0)
                log_info("Domain %s: stopped virtiofsd %d of '%s'", d->def->name, (int) pid, fs->dst);
        (void) unlink(pidf);
}

void qemu_virtiofs_stop(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_filesystems; i++)
                qemu_virtiofs_stop_one(d, &d->live->filesystems[i]);
}

/* The log pipe QEMU writes to (its stderr, opened again through /proc):
 * a helper started for a device plugged later logs where the others do. */
int qemu_helper_log_fd(const Domain *d) {
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/fd/2", (int) d->pid);
        fd = d->pid > 0 ? open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY) : -1;
        return fd >= 0 ? fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int qemu_virtiofs_start_plugged(Domain *d, const DomainFsDef *fs, ConfError *err) {
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_close_ int log_fd = -1;
        ProcessCreds creds = {};
        int r;

        if (!runs_own_daemon(fs))
                return 0;
        r = qemu_security_creds(d, &creds, &groups);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: filesystem '%s': no user for "
                               "QEMU's virtiofsd socket: %s", fs->dst, strerror(-r));
                return r;
        }
        log_fd = qemu_helper_log_fd(d);
        if (log_fd < 0)
                return -errno;
        return start_one(d, fs, creds.uid, creds.gid, log_fd, err);
}
