/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/nsfs.h>
#include <termios.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor-load.h"
#include "lxc-console.h"
#include "lxc-fuse.h"
#include "lxc-loop.h"
#include "lxc-nbd.h"
#include "lxc-net.h"
#include "lxc-plan.h"
#include "lxc-supervise.h"
#include "util.h"

static pid_t init_pid;
static int console_slave = -1;   /* the init's console: a pty the supervisor holds the master of */
static char console_name[128];   /* its path on the host's devpts */
static volatile sig_atomic_t child_exited;
/* The init's word that its network namespace exists, and ours that its
 * interfaces are in (a socketpair: [0] the supervisor's, [1] the init's). */
static int net_sync[2] = { -1, -1 };
static int hold_container_netns(void);
/* With host interfaces (<hostdev type='net'>): the host's network
 * namespace and the container's, held open so that the interfaces can go
 * back once the init is gone (a namespace lives while an fd holds it). */
static int host_netns = -1, container_netns = -1;
static size_t hostnets_moved;
static volatile sig_atomic_t kill_asked;
/* The /proc views (lxc-fuse.c), served by the supervisor; NULL without. */
static LxcFuse *fuse;
static char fuse_dir[4096];
/* lxcd's spare network namespace (LXC_SUPERVISE_NETNS_FD), or -1. */
static int spare_netns = -1;

/* In the child: tells lxcd why the container cannot run ("error <why>"
 * on the status pipe, which the init holds close-on-exec: EOF without a
 * word means it runs), and ends. */
/* "error <text>\n" in one write: the pipe is shared with the supervisor. */
static void status_line(int fd, const char *text, int len) {
        char line[1100];
        int n = snprintf(line, sizeof(line), "error %.*s\n", len, text);

        if (n > (int) sizeof(line) - 1) {
                n = sizeof(line) - 1;
                line[n - 1] = '\n';
        }
        (void) !write(fd, line, n);
}

__attribute__((noreturn)) static void child_fail(int fd, int err, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf) - 64, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t) n > sizeof(buf) - 64)
                n = sizeof(buf) - 64;
        if (err)
                n += snprintf(buf + n, 64, ": %s", strerror(err));
        status_line(fd, buf, n);
        _exit(127);
}

static int make_dir(const char *path) {
        return mkdir_p(path, 0755);
}

/* The root's image, on its folder (made here, removed by lxcd at stop). */
static void mount_root_image(const LxcPlan *p, int fd) {
        const LxcMount *mt = lxc_plan_root_image(p);
        int r;

        if (!mt)
                return;
        if (make_dir(p->root) < 0)
                child_fail(fd, errno, "cannot make the root's mount point %s", p->root);
        if ((r = lxc_mount_device(mt->src, p->root, mt->readonly)) < 0)
                child_fail(fd, -r, "cannot mount the root %s", mt->src);
}

static void mount_binds(const LxcPlan *p, int fd) {
        int r;

        for (size_t i = 0; i < p->n_mounts; i++) {
                const LxcMount *mt = &p->mounts[i];
                _cleanup_free_ char *dst = lxc_plan_host_path(p, mt->dst);
                char opts[64];

                if (!dst)
                        child_fail(fd, ENOMEM, "cannot mount %s", mt->dst);
                /* Only inside the container's own root: never a folder on the host. */
                if (p->root && make_dir(dst) < 0)
                        child_fail(fd, errno, "cannot make the mount point %s", mt->dst);
                if (mt->kind == LXC_MOUNT_FILE || mt->kind == LXC_MOUNT_BLOCK) {
                        if (streq(mt->dst, "/"))
                                continue; /* mount_root_image() */
                        if ((r = lxc_mount_device(mt->src, dst, mt->readonly)) < 0)
                                child_fail(fd, -r, "cannot mount %s on %s", mt->src, mt->dst);
                        continue;
                }
                if (mt->kind == LXC_MOUNT_BIND) {
                        if (mount(mt->src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                                child_fail(fd, errno, "cannot bind %s on %s", mt->src, mt->dst);
                        if (mt->readonly && mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                                child_fail(fd, errno, "cannot make %s read-only", mt->dst);
                        continue;
                }
                if (mt->size_kib)
                        snprintf(opts, sizeof(opts), "size=%lluk,mode=0755", (unsigned long long) mt->size_kib);
                else
                        snprintf(opts, sizeof(opts), "mode=0755");
                if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                        child_fail(fd, errno, "cannot mount a tmpfs on %s", mt->dst);
        }
}

static const struct {
        const char *name;
        unsigned major, minor;
} dev_nodes[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* A <hostdev> node as the host has it, looked at before the container's
 * /dev hides the host's: its mode and number, or (in a user namespace,
 * which may not mknod) an fd to bind from. */
typedef struct NodeSource {
        struct stat st;
        int fd;
} NodeSource;

static NodeSource *look_at_nodes(const LxcPlan *p, int fd, bool userns) {
        NodeSource *src = calloc(p->n_nodes + 1, sizeof(*src));

        if (!src)
                child_fail(fd, ENOMEM, "cannot make the container's /dev");
        for (size_t i = 0; i < p->n_nodes; i++) {
                const char *path = p->nodes[i].path;
                src[i].fd = -1;
                if (stat(path, &src[i].st) < 0)
                        child_fail(fd, errno, "cannot find the host device %s", path);
                if (p->nodes[i].block ? !S_ISBLK(src[i].st.st_mode) : !S_ISCHR(src[i].st.st_mode))
                        child_fail(fd, 0, "the host device %s is no %s device", path,
                                   p->nodes[i].block ? "block" : "character");
                if (userns && (src[i].fd = open(path, O_PATH | O_CLOEXEC)) < 0)
                        child_fail(fd, errno, "cannot open the host device %s", path);
        }
        return src;
}

/* Each at its own path below the container's /dev (the folders made). */
static void make_nodes(const LxcPlan *p, const char *dev, NodeSource *src, int fd) {
        for (size_t i = 0; i < p->n_nodes; i++) {
                const char *rel = p->nodes[i].path + strlen("/dev/");
                _cleanup_free_ char *path = path_join(dev, rel);
                char *slash = path ? strrchr(path, '/') : NULL;
                char from[64];

                if (!slash)
                        child_fail(fd, ENOMEM, "cannot make %s", p->nodes[i].path);
                *slash = 0;
                if (make_dir(path) < 0)
                        child_fail(fd, errno, "cannot make the folder of %s", p->nodes[i].path);
                *slash = '/';
                if (src[i].fd < 0) {
                        if (mknod(path, src[i].st.st_mode & (S_IFMT | 07777), src[i].st.st_rdev) < 0 ||
                            chmod(path, src[i].st.st_mode & 07777) < 0)
                                child_fail(fd, errno, "cannot make the device %s", p->nodes[i].path);
                } else {
                        _cleanup_close_ int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                        snprintf(from, sizeof(from), "/proc/self/fd/%d", src[i].fd);
                        if (f < 0 || mount(from, path, NULL, MS_BIND, NULL) < 0)
                                child_fail(fd, errno, "cannot bind the device %s", p->nodes[i].path);
                        close(src[i].fd);
                }
        }
        free(src);
}

/* A /dev of its own: a tmpfs with the harmless nodes, the <hostdev> ones
 * and a private devpts. */
static void mount_dev(const LxcPlan *p, const char *dev, int fd, bool userns) {
        NodeSource *nodes = look_at_nodes(p, fd, userns);
        int host[ELEMENTSOF(dev_nodes)], console = -1;
        char path[4096], src[64];

        /* A mount is bound from this mount namespace only: the console is
         * opened again here (the inherited fd is of the supervisor's). */
        if (console_slave >= 0 && (console = open(console_name, O_PATH | O_CLOEXEC)) < 0)
                child_fail(fd, errno, "cannot open the console %s", console_name);

        /* A user namespace may not mknod: the host's nodes are bound in,
         * opened before the tmpfs hides them. */
        for (size_t i = 0; userns && i < ELEMENTSOF(dev_nodes); i++) {
                snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i].name);
                host[i] = open(path, O_PATH | O_CLOEXEC);
                if (host[i] < 0)
                        child_fail(fd, errno, "cannot open the host's %s", path);
        }
        if (make_dir(dev) < 0 || mount("devfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
                child_fail(fd, errno, "cannot mount /dev");
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                snprintf(path, sizeof(path), "%s/%s", dev, dev_nodes[i].name);
                if (userns) {
                        _cleanup_close_ int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
                        snprintf(src, sizeof(src), "/proc/self/fd/%d", host[i]);
                        if (f < 0 || mount(src, path, NULL, MS_BIND, NULL) < 0)
                                child_fail(fd, errno, "cannot bind /dev/%s", dev_nodes[i].name);
                        close(host[i]);
                        continue;
                }
                if (mknod(path, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0 ||
                    chmod(path, 0666) < 0)
                        child_fail(fd, errno, "cannot make /dev/%s", dev_nodes[i].name);
        }
        make_nodes(p, dev, nodes, fd);
        if (console >= 0) {
                _cleanup_close_ int f = -1;
                snprintf(path, sizeof(path), "%s/console", dev);
                snprintf(src, sizeof(src), "/proc/self/fd/%d", console);
                f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                if (f < 0 || mount(src, path, NULL, MS_BIND, NULL) < 0)
                        child_fail(fd, errno, "cannot bind the console on /dev/console");
                close(console);
        }
        snprintf(path, sizeof(path), "%s/pts", dev);
        if (mkdir(path, 0755) < 0 ||
            mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                child_fail(fd, errno, "cannot mount /dev/pts");
        snprintf(path, sizeof(path), "%s/ptmx", dev);
        if (symlink("pts/ptmx", path) < 0)
                child_fail(fd, errno, "cannot make /dev/ptmx");
        snprintf(path, sizeof(path), "%s/shm", dev);
        (void) mkdir(path, 01777);
        snprintf(path, sizeof(path), "%s/fd", dev);
        (void) symlink("/proc/self/fd", path);
        snprintf(path, sizeof(path), "%s/stdin", dev);
        (void) symlink("/proc/self/fd/0", path);
        snprintf(path, sizeof(path), "%s/stdout", dev);
        (void) symlink("/proc/self/fd/1", path);
        snprintf(path, sizeof(path), "%s/stderr", dev);
        (void) symlink("/proc/self/fd/2", path);
}

/* The supervisor's FUSE views over /proc/meminfo, cpuinfo, stat, uptime. */
static void mount_views(const char *proc, int fd) {
        const char *const *names;
        size_t n;

        if (!fuse)
                return;
        names = lxc_fuse_views(&n);
        for (size_t i = 0; i < n; i++) {
                char src[4200], dst[4200];
                snprintf(src, sizeof(src), "%s/%s", fuse_dir, names[i]);
                snprintf(dst, sizeof(dst), "%s/%s", proc, names[i]);
                if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
                        child_fail(fd, errno, "cannot bind the container's view of /proc/%s", names[i]);
        }
}

static void mount_api(const LxcPlan *p, int fd, bool userns) {
        _cleanup_free_ char *proc = lxc_plan_host_path(p, "/proc"), *sys = lxc_plan_host_path(p, "/sys"),
                            *dev = lxc_plan_host_path(p, "/dev");

        if (!proc || !sys || !dev)
                child_fail(fd, ENOMEM, "cannot mount /proc");
        /* the pid namespace's own /proc, and /sys: read-only, the host's knobs stay the host's */
        if (make_dir(proc) < 0 ||
            mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
                child_fail(fd, errno, "cannot mount /proc");
        if (make_dir(sys) < 0 ||
            mount("sysfs", sys, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
                child_fail(fd, errno, "cannot mount /sys");
        mount_views(proc, fd);
        mount_dev(p, dev, fd, userns);
}

static void enter_root(const LxcPlan *p, int fd) {
        if (!p->root)
                return;
        if (chdir(p->root) < 0)
                child_fail(fd, errno, "cannot enter the root %s", p->root);
        /* pivot_root(".", "."): the old root ends up on top, unmounted next */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                child_fail(fd, errno, "cannot pivot to the root %s", p->root);
        if (umount2(".", MNT_DETACH) < 0)
                child_fail(fd, errno, "cannot detach the host's root");
        if (chdir("/") < 0)
                child_fail(fd, errno, "cannot enter /");
}

/* A number, or a name looked up in the container's own file (after the
 * pivot): "name:x:id:..." lines. No NSS: it would load the host's modules. */
static int lookup_id(const char *file, const char *name, unsigned *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024];
        size_t len = strlen(name);

        int v;

        if (safe_atoi(name, &v) >= 0 && v >= 0) {
                *ret = (unsigned) v;
                return 0;
        }
        f = fopen(file, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *c;
                if (strncmp(line, name, len) != 0 || line[len] != ':')
                        continue;
                c = strchr(line + len + 1, ':');
                if (c && sscanf(c + 1, "%u", ret) == 1)
                        return 0;
        }
        return -ESRCH;
}

static void set_identity(const LxcPlan *p, int fd) {
        unsigned uid = 0, gid = 0;
        int r;

        if (p->group && (r = lookup_id("/etc/group", p->group, &gid)) < 0)
                child_fail(fd, -r, "cannot find the group '%s' in the container", p->group);
        if (p->user && (r = lookup_id("/etc/passwd", p->user, &uid)) < 0)
                child_fail(fd, -r, "cannot find the user '%s' in the container", p->user);
        if (!p->user && !p->group)
                return;
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                child_fail(fd, errno, "cannot become %s:%s", p->user ?: "0", p->group ?: "0");
}

static void setup_link(const LxcNet *n, bool veth, int fd) {
        int r;

        if ((r = lxc_net_link_up(n->peer, veth ? n->guest : NULL, veth ? n->mac : NULL)) < 0)
                child_fail(fd, -r, "cannot set up the interface %s", n->guest);
        for (char **a = n->ips; a && *a; a++)
                if ((r = lxc_net_addr_add(n->guest, *a)) < 0)
                        child_fail(fd, -r, "cannot add the address %s to %s", *a, n->guest);
        for (char **a = n->routes; a && a[0] && a[1]; a += 2)
                if ((r = lxc_net_route_add(n->guest, a[0], a[1])) < 0)
                        child_fail(fd, -r, "cannot add the route to %s via %s on %s", a[0], a[1], n->guest);
}

/* In the new network namespace: the supervisor moves the veth ends in
 * (it may, from the host's namespaces), then they get their names, MACs,
 * addresses and routes, as libvirt's LXC container sets them. */
static void setup_net(const LxcPlan *p, int fd, bool lo_down) {
        char c = 'n';
        int r;

        if (p->n_nets + p->n_hostnets > 0) {
                if (write(net_sync[1], &c, 1) != 1 || read(net_sync[1], &c, 1) != 1)
                        child_fail(fd, 0, "the supervisor did not hand over the interfaces");
        }
        if (net_sync[1] >= 0)
                close(net_sync[1]);
        if (lo_down && (r = lxc_net_link_up("lo", NULL, NULL)) < 0)
                child_fail(fd, -r, "cannot set lo up");
        for (size_t i = 0; i < p->n_nets; i++)
                setup_link(&p->nets[i], true, fd);
        /* a host interface keeps its name and MAC, as under libvirt */
        for (size_t i = 0; i < p->n_hostnets; i++)
                setup_link(&p->hostnets[i], false, fd);
}

/* The init execs under the container's AppArmor profile (lxc-security.h). */
static void confine_init(const LxcPlan *p, int fd) {
        int r = p->apparmor ? apparmor_change_onexec(p->apparmor) : 0;

        if (r < 0)
                child_fail(fd, -r, "cannot confine the init with the AppArmor profile %s", p->apparmor);
}

/* Its own namespaces; the network one lxcd's spare (lo already up there)
 * when it gave one. */
static void make_namespaces(const LxcPlan *p, int fd) {
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (spare_netns < 0 ? CLONE_NEWNET : 0)) < 0)
                child_fail(fd, errno, "cannot make the container's namespaces");
        if (spare_netns >= 0) {
                if (setns(spare_netns, CLONE_NEWNET) < 0)
                        child_fail(fd, errno, "cannot enter the container's network namespace");
                close(spare_netns);
        }
        setup_net(p, fd, spare_netns < 0);
}

__attribute__((noreturn)) static void run_init(const LxcPlan *p, int fd, bool userns) {
        /* its binds of the views may wait on the supervisor: if it ends
         * meanwhile, its exit must abort them (lxc-fuse.h) */
        if (lxc_fuse_fd(fuse) >= 0)
                close(lxc_fuse_fd(fuse));
        make_namespaces(p, fd);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_fail(fd, errno, "cannot make the mounts private");
        if (sethostname(p->name, strlen(p->name)) < 0)
                child_fail(fd, errno, "cannot set the hostname");
        mount_root_image(p, fd);
        /* pivot_root needs the new root to be a mount point */
        if (p->root && mount(p->root, p->root, NULL, MS_BIND | MS_REC, NULL) < 0)
                child_fail(fd, errno, "cannot bind the root %s", p->root);
        mount_binds(p, fd);
        mount_api(p, fd, userns);
        enter_root(p, fd);
        if (chdir(p->workdir ?: "/") < 0)
                child_fail(fd, errno, "cannot enter the init's directory %s", p->workdir ?: "/");
        set_identity(p, fd);
        /* After the identity change, which clears it: the init goes with
         * its supervisor (Destroy kills the supervisor). */
        if (console_slave >= 0 &&
            (setsid() < 0 || ioctl(console_slave, TIOCSCTTY, 0) < 0 || dup2(console_slave, 0) < 0 ||
             dup2(console_slave, 1) < 0 || dup2(console_slave, 2) < 0))
                child_fail(fd, errno, "cannot take the console");
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                child_fail(fd, errno, "cannot tie the init to its supervisor");
        confine_init(p, fd);
        execve(p->argv[0], p->argv, p->env);
        child_fail(fd, errno, "cannot run the init %s", p->argv[0]);
}

/* A pty for the init's console; its output is copied to the supervisor's
 * stdout (logd's pipe). No \r\n translation: the log keeps plain lines. */
static int open_console(int *ret_master) {
        char name[128];
        struct termios t;
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
                return -errno;
        snprintf(console_name, sizeof(console_name), "%s", name);
        console_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (console_slave < 0)
                return -errno;
        if (tcgetattr(console_slave, &t) == 0) {
                t.c_oflag &= ~(tcflag_t) ONLCR;
                t.c_lflag &= ~(tcflag_t) ECHO;
                (void) tcsetattr(console_slave, TCSANOW, &t);
        }
        *ret_master = master;
        return 0;
}

static void on_sigchld(int sig) {
        child_exited = 1;
}

static bool relay(int master) {
        char buf[4096];
        ssize_t n = read(master, buf, sizeof(buf));

        if (n <= 0)
                return n < 0 && (errno == EAGAIN || errno == EINTR);
        (void) !write(STDOUT_FILENO, buf, n);
        return true;
}

/* Copies the console to the log until the init is gone; its status. */
static int wait_init(int master) {
        bool open = master >= 0;
        int status;

        for (;;) {
                pid_t r = waitpid(init_pid, &status, open ? WNOHANG : 0);
                if (r == init_pid)
                        break;
                if (r < 0 && errno != EINTR)
                        return -1;
                if (!open)
                        continue;
                /* a bounded wait: a SIGCHLD just before poll() is not lost
                 * for long; OpenConsole's client is served meanwhile */
                if (!lxc_console_serve(master, child_exited ? 0 : 200))
                        open = false;
        }
        if (open) {
                (void) fd_nonblock(master, true);
                while (relay(master) && errno != EAGAIN)
                        ;
        }
        return status;
}

static void forward_signal(int sig) {
        if (init_pid > 0)
                kill(init_pid, sig);
}

/* LXC_SUPERVISE_KILL_SIGNAL: Destroy. The init goes; wait_init() sees it. */
static void on_kill(int sig) {
        kill_asked = 1;
        if (init_pid > 0)
                kill(init_pid, SIGKILL);
}

static void status_write(const char *fmt, ...) {
        char buf[1100];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n > 0)
                (void) !write(LXC_SUPERVISE_STATUS_FD, buf, MIN((size_t) n, sizeof(buf) - 1));
}

static void write_exit_file(const char *path, int status) {
        _cleanup_free_ char *text = NULL;

        if (!path)
                return;
        if (WIFSIGNALED(status))
                (void) asprintf(&text, "signal %d\n", WTERMSIG(status));
        else
                (void) asprintf(&text, "exited %d\n", WEXITSTATUS(status));
        if (text)
                (void) write_file_atomic(path, text, strlen(text), 0600);
}

/* The init in a new pid namespace, as the supervisor's child. */
static int fork_plain(const LxcPlan *p) {
        if (unshare(CLONE_NEWPID) < 0) {
                status_write("error cannot make the pid namespace: %s\n", strerror(errno));
                return -1;
        }
        init_pid = fork();
        if (init_pid < 0) {
                status_write("error cannot fork: %s\n", strerror(errno));
                return -1;
        }
        if (init_pid == 0) {
                if (net_sync[0] >= 0)
                        close(net_sync[0]);
                run_init(p, LXC_SUPERVISE_STATUS_FD, false);
        }
        /* the init's now: the namespace lives while the init is in it */
        if (spare_netns >= 0)
                close(spare_netns);
        spare_netns = -1;
        return 0;
}

static int write_map(pid_t pid, const char *file, const char *map) {
        char path[64];
        _cleanup_close_ int fd = -1;
        size_t len = strlen(map);

        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, map, len) != (ssize_t) len)
                return -errno;
        return 0;
}

/* With <idmap>: a user namespace made together with the pid namespace, so
 * that it owns it (the init may mount its /proc); the supervisor writes
 * the maps while the child waits on sync. */
static int fork_userns(const LxcPlan *p) {
        int sync[2], r;
        char c = 0;

        if (pipe2(sync, O_CLOEXEC) < 0) {
                status_write("error cannot make a pipe: %s\n", strerror(errno));
                return -1;
        }
        init_pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
        if (init_pid < 0) {
                status_write("error cannot make the user and pid namespaces: %s\n", strerror(errno));
                return -1;
        }
        if (init_pid == 0) {
                close(sync[1]);
                if (net_sync[0] >= 0)
                        close(net_sync[0]);
                if (read(sync[0], &c, 1) != 1)
                        _exit(127); /* the supervisor said no: it reports why */
                close(sync[0]);
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        child_fail(LXC_SUPERVISE_STATUS_FD, errno, "cannot become root in the user namespace");
                run_init(p, LXC_SUPERVISE_STATUS_FD, true);
        }
        close(sync[0]);
        if ((r = write_map(init_pid, "uid_map", p->uid_map)) < 0 ||
            (r = write_map(init_pid, "gid_map", p->gid_map)) < 0) {
                status_write("error cannot write the <idmap> of the user namespace: %s\n", strerror(-r));
                close(sync[1]);
                (void) kill(init_pid, SIGKILL);
                (void) waitpid(init_pid, NULL, 0);
                return -1;
        }
        r = write(sync[1], &c, 1) == 1 ? 0 : -1;
        close(sync[1]);
        return r;
}

/* Waits for the init's network namespace and moves the peers in. The
 * init's end closed with no word: it failed before, and says why. */
static int move_nets(const LxcPlan *p) {
        char c;
        ssize_t n;
        int r;

        close(net_sync[1]);
        net_sync[1] = -1;
        do
                n = read(net_sync[0], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return 0;
        for (size_t i = 0; i < p->n_nets; i++)
                if ((r = lxc_net_link_move(p->nets[i].peer, init_pid)) < 0) {
                        status_write("error cannot move the interface %s into the container: %s\n",
                                     p->nets[i].peer, strerror(-r));
                        return -1;
                }
        if (p->n_hostnets > 0 && (r = hold_container_netns()) < 0) {
                status_write("error cannot open the container's network namespace: %s\n", strerror(-r));
                return -1;
        }
        for (; hostnets_moved < p->n_hostnets; hostnets_moved++)
                if ((r = lxc_net_link_move(p->hostnets[hostnets_moved].peer, init_pid)) < 0) {
                        status_write("error cannot move the host interface %s into the container: %s\n",
                                     p->hostnets[hostnets_moved].peer, strerror(-r));
                        return -1;
                }
        return write(net_sync[0], &c, 1) == 1 ? 0 : -1;
}

static int hold_container_netns(void) {
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) init_pid);
        container_netns = open(path, O_RDONLY | O_CLOEXEC);
        return container_netns < 0 ? -errno : 0;
}

/* The host interfaces back from the container's namespace (which the fd
 * keeps, whether its init still runs or not) into the host's. Only this
 * thread switches: the views' thread stays where it is. */
static void restore_hostnets(const LxcPlan *p) {
        int r;

        if (hostnets_moved == 0)
                return;
        if (setns(container_netns, CLONE_NEWNET) < 0) {
                fprintf(stderr, "lxc: cannot enter the container's network namespace to give back its host "
                        "interfaces: %s\n", strerror(errno));
                return;
        }
        for (size_t i = 0; i < hostnets_moved; i++) {
                const char *name = p->hostnets[i].peer;
                /* down first: the host gets it as it was before the container */
                (void) lxc_net_link_down(name);
                if ((r = lxc_net_link_move_fd(name, host_netns)) < 0)
                        fprintf(stderr, "lxc: cannot give the interface %s back to the host: %s\n", name,
                                strerror(-r));
        }
        if (setns(host_netns, CLONE_NEWNET) < 0)
                fprintf(stderr, "lxc: cannot return to the host's network namespace: %s\n", strerror(errno));
        hostnets_moved = 0;
}

/* <driver type='nbd'>: qemu-nbd serves the image on a /dev/nbdN, which
 * replaces the file in the plan; detach_nbds() lets them go at the end. */
static char *nbd_devs[64];
static size_t n_nbd_devs;

static int attach_nbd(LxcMount *mt) {
        char *dev = NULL;
        int r;

        if (n_nbd_devs >= ELEMENTSOF(nbd_devs))
                r = -E2BIG;
        else
                r = lxc_nbd_attach(mt->src, mt->nbd_format, mt->readonly, &dev);
        if (r < 0) {
                status_write("error cannot serve the image %s (format %s) on an nbd device: %s\n", mt->src,
                             mt->nbd_format, strerror(-r));
                return r;
        }
        nbd_devs[n_nbd_devs++] = strdup(dev);
        free(mt->src);
        mt->src = dev;
        return 0;
}

/* Once the container's mounts are gone (its init and namespace with it). */
static void detach_nbds(void) {
        for (size_t i = 0; i < n_nbd_devs; i++) {
                int r = nbd_devs[i] ? lxc_nbd_detach(nbd_devs[i]) : -ENOMEM;
                if (r < 0)
                        fprintf(stderr, "lxc: cannot let go of %s: %s\n", nbd_devs[i] ?: "an nbd device", strerror(-r));
                free(nbd_devs[i]);
        }
        n_nbd_devs = 0;
}

/* Each image of a file on a loop device: the device replaces the file in
 * the plan, and its fd stays open here (close-on-exec) until the init's
 * mounts hold it; it detaches itself once the container's mounts are gone. */
static int attach_images(LxcPlan *p) {
        for (size_t i = 0; i < p->n_mounts; i++) {
                LxcMount *mt = &p->mounts[i];
                char *dev = NULL;
                int fd, r;

                if (mt->kind != LXC_MOUNT_FILE)
                        continue;
                if (mt->nbd_format) {
                        r = attach_nbd(mt);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = lxc_loop_attach(mt->src, mt->readonly, &dev, &fd);
                if (r < 0) {
                        status_write("error cannot attach the image %s to a loop device: %s\n", mt->src,
                                     strerror(-r));
                        return r;
                }
                free(mt->src);
                mt->src = dev;
        }
        return 0;
}

/* The views live next to the exit file: <rundir>/lxc/<name>.fuse. Without
 * FUSE the container sees the host's files, as libvirt's without. */
static void start_views(const LxcPlan *p) {
        size_t len = p->exit_file ? strlen(p->exit_file) : 0;
        int r;

        if (len < 5 || !endswith(p->exit_file, ".exit") || len + 1 > sizeof(fuse_dir))
                return;
        snprintf(fuse_dir, sizeof(fuse_dir), "%.*s.fuse", (int) (len - 5), p->exit_file);
        r = lxc_fuse_start(fuse_dir, p->cgroups, &fuse);
        if (r < 0) {
                fprintf(stderr, "lxc: no /proc views for the container (FUSE: %s)\n", strerror(-r));
                fuse = NULL;
        }
}

/* The views' own thread: the init's mounts look them up while it sets up.
 * Made before fork_plain()'s unshare (a process may not make threads once
 * its children's pid namespace is another), after fork_userns()'s raw
 * clone (which, unlike fork(), would give the child the locks other
 * threads hold). */
static void serve_views(void) {
        int r;

        if (fuse && (r = lxc_fuse_serve(fuse)) < 0) {
                fprintf(stderr, "lxc: no /proc views for the container (thread: %s)\n", strerror(-r));
                fuse = lxc_fuse_free(fuse);
        }
        if (fuse)
                (void) lxc_fuse_warm(fuse);
}

static int supervise(char **argv);

/* Only a network namespace, and only without a user namespace: the init's
 * user namespace must own its network namespace. */
static void take_spare_netns(const LxcPlan *p) {
        int fd = LXC_SUPERVISE_NETNS_FD;

        if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
                return;
        if (p->uid_map || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                close(fd);
                return;
        }
        spare_netns = fd;
}

int lxc_supervise_main(char **argv) {
        int r = supervise(argv);

        detach_nbds();
        return r;
}

static int supervise(char **argv) {
        _cleanup_(lxc_plan_freep) LxcPlan *p = NULL;
        int status, r, master = -1;
        bool userns;

        r = lxc_plan_parse(argv, &p);
        if (r < 0) {
                status_write("error invalid supervisor arguments\n");
                return 2;
        }
        /* before the fork: nothing of the container runs outside its cgroup */
        for (char **c = p->cgroups; c && *c; c++) {
                _cleanup_close_ int fd = open(*c, O_WRONLY | O_CLOEXEC);
                char pid[32];
                int len = snprintf(pid, sizeof(pid), "%d", (int) getpid());
                if (fd < 0 || write(fd, pid, len) != len) {
                        status_write("error cannot join the cgroup %s: %s\n", *c, strerror(errno));
                        return 1;
                }
        }
        take_spare_netns(p);
        if (attach_images(p) < 0)
                return 1;
        /* the init holds the status pipe until it runs (lxc-supervise.h) */
        if (fcntl(LXC_SUPERVISE_STATUS_FD, F_SETFD, FD_CLOEXEC) < 0) {
                status_write("error cannot set up the status pipe: %s\n", strerror(errno));
                return 1;
        }
        if ((r = open_console(&master)) < 0) {
                status_write("error cannot make the console pty: %s\n", strerror(-r));
                return 1;
        }
        if ((r = lxc_console_listen(p->exit_file)) < 0) {
                status_write("error cannot listen for the console: %s\n", strerror(-r));
                return 1;
        }
        start_views(p);
        if (p->n_hostnets > 0) {
                host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
                if (host_netns < 0) {
                        status_write("error cannot open the host's network namespace: %s\n", strerror(errno));
                        return 1;
                }
                (void) signal(LXC_SUPERVISE_KILL_SIGNAL, on_kill);
        }
        if (p->n_nets + p->n_hostnets > 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, net_sync) < 0) {
                status_write("error cannot make a socket pair: %s\n", strerror(errno));
                return 1;
        }
        (void) signal(SIGCHLD, on_sigchld);
        userns = p->uid_map && p->gid_map;
        if (!userns)
                serve_views();
        r = userns ? fork_userns(p) : fork_plain(p);
        if (r < 0)
                return 1;
        if (userns)
                serve_views();
        lxc_fuse_set_init(fuse, init_pid);
        status_write("pid %d\n", (int) init_pid);
        if (kill_asked)
                (void) kill(init_pid, SIGKILL);
        if (p->n_nets + p->n_hostnets > 0 && move_nets(p) < 0) {
                (void) kill(init_pid, SIGKILL);
                (void) waitpid(init_pid, NULL, 0);
                restore_hostnets(p);
                return 1;
        }
        /* from now on the pipe is the init's alone: lxcd hears its EOF
         * (it runs) or its error itself, without waiting for us */
        close(LXC_SUPERVISE_STATUS_FD);
        close(console_slave);
        console_slave = -1;
        (void) signal(SIGTERM, forward_signal);
        (void) signal(SIGINT, forward_signal);
        (void) signal(SIGHUP, SIG_IGN);
        status = wait_init(master);
        restore_hostnets(p);
        lxc_console_close();
        fuse = lxc_fuse_free(fuse);
        if (status < 0)
                return 1;
        write_exit_file(p->exit_file, status);
        return 0;
}
