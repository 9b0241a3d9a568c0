/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor's FUSE filesystem (libfuse3, low level): meminfo, cpuinfo,
 * stat and uptime as the container should see them (lxc-procview.c), each
 * made afresh when opened. It is mounted in the supervisor's own mount
 * namespace (nothing of it on the host), which the init's copies, and
 * bound over the container's /proc files; a thread of the supervisor
 * serves it. */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lxc-fuse.h"
#include "lxc-procview.h"
#include "util.h"

static const char *const view_names[] = { "meminfo", "cpuinfo", "stat", "uptime" };
#define N_VIEWS ELEMENTSOF(view_names)
#define FIRST_INO 2

struct LxcFuse {
        struct fuse_session *se;
        char *dir;
        char **cgroups;     /* the container's cgroup folders */
        pid_t init_pid;
        bool serving;       /* its thread runs: the session is the thread's until exit */
};

static char *read_text(const char *path) {
        char *text = NULL;
        return read_full_file(path, 1 << 20, &text, NULL) < 0 ? NULL : text;
}

/* The first of the cgroup folders that has file, and its path. */
static char *cgroup_file(LxcFuse *f, const char *file) {
        for (char **c = f->cgroups; c && *c; c++) {
                char *p = path_join(*c, file);
                if (p && access(p, R_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}

static bool read_u64(LxcFuse *f, const char *file, uint64_t *ret) {
        _cleanup_free_ char *p = cgroup_file(f, file), *text = p ? read_text(p) : NULL;
        unsigned long long v;

        if (!text)
                return false;
        if (strncmp(text, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return true;
        }
        if (sscanf(text, "%llu", &v) != 1)
                return false;
        *ret = v;
        return true;
}

static void memory_of(LxcFuse *f, LxcMemory *m) {
        _cleanup_free_ char *p = NULL, *stat = NULL;
        bool v2;

        *m = (LxcMemory) { .limit = UINT64_MAX };
        v2 = read_u64(f, "memory.max", &m->limit);
        if (!v2)
                (void) read_u64(f, "memory.limit_in_bytes", &m->limit);
        /* v1's "no limit" is a page-rounded LONG_MAX */
        if (m->limit >= (UINT64_C(1) << 62))
                m->limit = UINT64_MAX;
        (void) read_u64(f, v2 ? "memory.current" : "memory.usage_in_bytes", &m->usage);
        p = cgroup_file(f, "memory.stat");
        stat = p ? read_text(p) : NULL;
        lxc_memory_parse_stat(stat, v2, m);
}

/* The init's start from its /proc/PID/stat (field 22, ticks since boot). */
static double init_start_ticks(pid_t pid) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        unsigned long long start;
        const char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        text = read_text(path);
        p = text ? strrchr(text, ')') : NULL;
        /* after ")": state is field 3; starttime is field 22 */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &start) != 1)
                return 0;
        return (double) start;
}

static void cpu_of(LxcFuse *f, LxcCpu *c, bool *cpus, size_t n) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        struct timespec now, real;
        cpu_set_t set;
        double boot_uptime, start;
        pid_t init = __atomic_load_n(&f->init_pid, __ATOMIC_ACQUIRE);

        *c = (LxcCpu) { .cpus = cpus, .n_cpus = n, .hz = sysconf(_SC_CLK_TCK) };
        if (c->hz <= 0)
                c->hz = 100;
        CPU_ZERO(&set);
        /* 0 (not known yet): the supervisor's, which the init inherits */
        if (sched_getaffinity(init, sizeof(set), &set) < 0)
                (void) sched_getaffinity(0, sizeof(set), &set);
        for (size_t i = 0; i < n; i++)
                cpus[i] = CPU_ISSET(i, &set);
        clock_gettime(CLOCK_BOOTTIME, &now);
        clock_gettime(CLOCK_REALTIME, &real);
        boot_uptime = now.tv_sec + now.tv_nsec / 1e9;
        start = init_start_ticks(init) / c->hz;
        c->uptime = boot_uptime > start ? boot_uptime - start : 0;
        c->boot_time = real.tv_sec - c->uptime;
        /* v2: cpu.stat's user_usec and system_usec; v1: cpuacct.stat's ticks */
        if ((p = cgroup_file(f, "cpu.stat")) && (text = read_text(p)) && strstr(text, "user_usec")) {
                unsigned long long u = 0, s = 0;
                const char *l = strstr(text, "user_usec ");
                if (l)
                        (void) sscanf(l + 10, "%llu", &u);
                l = strstr(text, "system_usec ");
                if (l)
                        (void) sscanf(l + 12, "%llu", &s);
                c->user_usec = u;
                c->system_usec = s;
                return;
        }
        free(p);
        free(text);
        text = NULL;
        if ((p = cgroup_file(f, "cpuacct.stat")) && (text = read_text(p))) {
                unsigned long long u = 0, s = 0;
                (void) sscanf(text, "user %llu system %llu", &u, &s);
                c->user_usec = u * 1000000 / c->hz;
                c->system_usec = s * 1000000 / c->hz;
        }
}

static char *render(LxcFuse *f, size_t view) {
        _cleanup_free_ char *host = NULL;
        bool cpus[CPU_SETSIZE];
        LxcMemory m;
        LxcCpu c;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%s", view_names[view]);
        if (view != 3 && !(host = read_text(path)))
                return NULL;
        if (view == 0) {
                memory_of(f, &m);
                return lxc_render_meminfo(host, &m);
        }
        cpu_of(f, &c, cpus, CPU_SETSIZE);
        if (view == 1)
                return lxc_render_cpuinfo(host, &c);
        if (view == 2)
                return lxc_render_stat(host, &c);
        return lxc_render_uptime(&c);
}

static void fill_attr(fuse_ino_t ino, struct stat *st) {
        *st = (struct stat) { .st_ino = ino, .st_uid = 0, .st_gid = 0 };
        if (ino == FUSE_ROOT_ID) {
                st->st_mode = S_IFDIR | 0555;
                st->st_nlink = 2;
        } else {
                st->st_mode = S_IFREG | 0444;
                st->st_nlink = 1;
        }
}

/* A file's size is its text's now: splice and sendfile (busybox cat) read
 * through the page cache up to it, where direct reads need none. */
static void file_attr(LxcFuse *f, fuse_ino_t ino, struct stat *st) {
        _cleanup_free_ char *text = NULL;

        fill_attr(ino, st);
        if (ino >= FIRST_INO && ino < FIRST_INO + N_VIEWS && (text = render(f, ino - FIRST_INO)))
                st->st_size = strlen(text);
}

static bool valid_ino(fuse_ino_t ino) {
        return ino == FUSE_ROOT_ID || (ino >= FIRST_INO && ino < FIRST_INO + N_VIEWS);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
        struct fuse_entry_param e = {};

        for (size_t i = 0; parent == FUSE_ROOT_ID && i < N_VIEWS; i++)
                if (streq(name, view_names[i])) {
                        e.ino = FIRST_INO + i;
                        /* the names never change: the kernel keeps them, and
                         * the init's binds need no request (lxc_fuse_warm) */
                        e.entry_timeout = 86400;
                        file_attr(fuse_req_userdata(req), e.ino, &e.attr);
                        (void) fuse_reply_entry(req, &e);
                        return;
                }
        (void) fuse_reply_err(req, ENOENT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        struct stat st;

        if (!valid_ino(ino)) {
                (void) fuse_reply_err(req, ENOENT);
                return;
        }
        file_attr(fuse_req_userdata(req), ino, &st);
        (void) fuse_reply_attr(req, &st, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        char buf[1024];
        size_t len = 0;
        struct stat st;

        if (ino != FUSE_ROOT_ID) {
                (void) fuse_reply_err(req, ENOTDIR);
                return;
        }
        for (size_t i = off; i < N_VIEWS; i++) {
                fill_attr(FIRST_INO + i, &st);
                size_t n = fuse_add_direntry(req, buf + len, sizeof(buf) - len, view_names[i], &st, i + 1);
                if (len + n > MIN(size, sizeof(buf)))
                        break;
                len += n;
        }
        (void) fuse_reply_buf(req, buf, len);
}

/* The text is made at open: one consistent view per reader. */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        LxcFuse *f = fuse_req_userdata(req);
        char *text;

        if (ino < FIRST_INO || ino >= FIRST_INO + N_VIEWS) {
                (void) fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
                return;
        }
        if ((fi->flags & O_ACCMODE) != O_RDONLY) {
                (void) fuse_reply_err(req, EACCES);
                return;
        }
        text = render(f, ino - FIRST_INO);
        if (!text) {
                (void) fuse_reply_err(req, EIO);
                return;
        }
        fi->fh = (uint64_t) (uintptr_t) text;
        fi->direct_io = 1; /* its size is not known before: reads go to us */
        fi->keep_cache = 0;
        if (fuse_reply_open(req, fi) < 0)
                free(text);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        const char *text = (const char *) (uintptr_t) fi->fh;
        size_t len = strlen(text);

        if ((size_t) off >= len)
                (void) fuse_reply_buf(req, NULL, 0);
        else
                (void) fuse_reply_buf(req, text + off, MIN(size, len - off));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        free((char *) (uintptr_t) fi->fh);
        (void) fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
        .lookup = op_lookup,
        .getattr = op_getattr,
        .readdir = op_readdir,
        .open = op_open,
        .read = op_read,
        .release = op_release,
};

static void quiet_log(enum fuse_log_level level, const char *fmt, va_list ap) {
        if (level <= FUSE_LOG_ERR) {
                fputs("lxc-fuse: ", stderr);
                vfprintf(stderr, fmt, ap);
        }
}

LxcFuse *lxc_fuse_free(LxcFuse *f) {
        if (!f)
                return NULL;
        if (f->se) {
                fuse_session_unmount(f->se);
                /* a serving thread may still read it: the process's exit ends both */
                if (!f->serving)
                        fuse_session_destroy(f->se);
        }
        if (f->dir)
                (void) rmdir(f->dir);
        if (f->serving)
                return NULL; /* the thread's until the process ends */
        free(f->dir);
        strv_free(f->cgroups);
        return mfree(f);
}

int lxc_fuse_start(const char *dir, char **cgroup_procs, LxcFuse **ret) {
        char *argv[] = { (char *) "virtbus-lxc-fuse", (char *) "-o",
                         (char *) "allow_other,default_permissions,fsname=virtbus-lxc,subtype=virtbus-lxc", NULL };
        struct fuse_args args = FUSE_ARGS_INIT(3, argv);
        _cleanup_(lxc_fuse_freep) LxcFuse *f = calloc(1, sizeof(*f));
        int r;

        if (!f || !(f->dir = strdup(dir)))
                return -ENOMEM;
        for (char **c = cgroup_procs; c && *c; c++) {
                const char *slash = strrchr(*c, '/');
                r = strv_extendf(&f->cgroups, "%.*s", (int) (slash ? slash - *c : (ptrdiff_t) strlen(*c)), *c);
                if (r < 0)
                        return r;
        }
        fuse_set_log_func(quiet_log);
        /* a mount namespace of the supervisor's: the mount is nobody else's
         * and goes with the supervisor, however it ends */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return -errno;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        f->se = fuse_session_new(&args, &ops, sizeof(ops), f);
        if (!f->se)
                return -EIO;
        if (fuse_session_mount(f->se, dir) != 0) {
                fuse_session_destroy(f->se);
                f->se = NULL;
                return -EIO;
        }
        *ret = TAKE_PTR(f);
        return 0;
}

static void *serve(void *userdata) {
        LxcFuse *f = userdata;

        /* until the supervisor exits (or the mount goes) */
        (void) fuse_session_loop(f->se);
        return NULL;
}

void lxc_fuse_set_init(LxcFuse *f, pid_t pid) {
        if (f)
                __atomic_store_n(&f->init_pid, pid, __ATOMIC_RELEASE);
}

int lxc_fuse_serve(LxcFuse *f) {
        pthread_attr_t attr;
        pthread_t t;
        int r;

        r = pthread_attr_init(&attr);
        if (r == 0)
                r = pthread_attr_setstacksize(&attr, 256 << 10);
        if (r == 0)
                r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (r == 0)
                r = pthread_create(&t, &attr, serve, f);
        (void) pthread_attr_destroy(&attr);
        if (r == 0)
                f->serving = true;
        return -r;
}

/* Looks the names up (an O_PATH open needs no attributes), so that the
 * init finds them in the kernel's cache when it binds them: its start
 * then waits on no request of ours.
 *
 * With a table of fds of its own, holding none: a request the serving
 * thread has read waits uninterruptibly for its answer, until the
 * connection is aborted when the last /dev/fuse fd closes. Sharing the
 * supervisor's table, this thread would keep that fd open itself once the
 * supervisor ended (its init failing early, a SIGKILL) with a lookup
 * unanswered: a zombie supervisor for good, its cgroup never removed. */
static void *warm(void *userdata) {
        LxcFuse *f = userdata;

        if (unshare(CLONE_FILES) < 0 || syscall(SYS_close_range, 0U, ~0U, 0) < 0)
                return NULL;

        for (size_t i = 0; i < N_VIEWS; i++) {
                _cleanup_free_ char *p = path_join(f->dir, view_names[i]);
                int fd = p ? open(p, O_PATH | O_CLOEXEC) : -1;
                if (fd >= 0)
                        close(fd);
        }
        return NULL;
}

int lxc_fuse_warm(LxcFuse *f) {
        pthread_attr_t attr;
        pthread_t t;
        int r;

        r = pthread_attr_init(&attr);
        if (r == 0)
                r = pthread_attr_setstacksize(&attr, 64 << 10);
        if (r == 0)
                r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (r == 0)
                r = pthread_create(&t, &attr, warm, f);
        (void) pthread_attr_destroy(&attr);
        return -r;
}

int lxc_fuse_fd(const LxcFuse *f) {
        return f && f->se ? fuse_session_fd(f->se) : -1;
}

const char *const *lxc_fuse_views(size_t *n) {
        *n = N_VIEWS;
        return view_names;
}
