/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "confine-ns.h"
#include "util.h"

/* One node of the new /dev, as the host has it. */
typedef struct Node {
        char *path;
        char *link;     /* a symlink's text, else NULL */
        mode_t mode;
        dev_t rdev;
        uid_t uid;
        gid_t gid;
} Node;

typedef struct NodeList {
        Node *items;
        size_t n;
} NodeList;

static void node_list_done(NodeList *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].path);
                free(l->items[i].link);
        }
        l->items = mfree(l->items);
        l->n = 0;
}

static bool below_dev(const char *path) {
        return path && strncmp(path, "/dev/", 5) == 0 && path[5] && !strstr(path, "/../");
}

static bool listed(const NodeList *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i].path, path))
                        return true;
        return false;
}

/* The node at path as the host has it, then what a symlink points to (one
 * level of the list per link, the kernel's own limit on depth applies to
 * realpath). Missing nodes and what is neither a device nor a symlink are
 * left out: QEMU names what it could not open itself. */
static int collect(NodeList *l, const char *path) {
        char target[PATH_MAX];
        struct stat st;
        Node n = {};
        Node *a;

        if (!below_dev(path) || listed(l, path))
                return 0;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISLNK(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return 0;
        if (S_ISLNK(st.st_mode)) {
                ssize_t k = readlink(path, target, sizeof(target) - 1);

                if (k < 0)
                        return -errno;
                target[k] = 0;
                n.link = strdup(target);
                if (!n.link)
                        return -ENOMEM;
        }
        n.path = strdup(path);
        a = realloc(l->items, (l->n + 1) * sizeof(Node));
        if (!n.path || !a) {
                free(n.path);
                free(n.link);
                if (a)
                        l->items = a;
                return -ENOMEM;
        }
        n.mode = st.st_mode;
        n.rdev = st.st_rdev;
        n.uid = st.st_uid;
        n.gid = st.st_gid;
        l->items = a;
        l->items[l->n++] = n;
        if (n.link && realpath(path, target))
                return collect(l, target);
        return 0;
}

static int collect_all(NodeList *l, char *const *paths) {
        for (size_t i = 0; paths && paths[i]; i++) {
                int r = collect(l, paths[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int make_parents(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        return mkdir_p(dir, 0755);
}

/* Made afresh: whatever was at that path in the namespace goes. */
static int make_node(const Node *n) {
        int r = make_parents(n->path);

        if (r < 0)
                return r;
        if (unlink(n->path) < 0 && errno != ENOENT)
                return -errno;
        if (n->link)
                return symlink(n->link, n->path) < 0 ? -errno : 0;
        if (mknod(n->path, n->mode & (S_IFMT | 07777), n->rdev) < 0)
                return -errno;
        /* mknod's mode went through the umask */
        if (chmod(n->path, n->mode & 07777) < 0 || chown(n->path, n->uid, n->gid) < 0)
                return -errno;
        return 0;
}

static int make_nodes(const NodeList *l) {
        for (size_t i = 0; i < l->n; i++) {
                int r = make_node(&l->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the child's new /dev ------------------------------------------------ */

/* What the host mounts right below /dev ("/dev/pts", "/dev/shm"), each
 * once, in the order of the mountinfo text. */
int confine_ns_dev_submounts(const char *mountinfo, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *line = mountinfo;

        while (line && *line) {
                const char *eol = strchr(line, '\n');
                char mnt[512];

                /* id parent major:minor root MOUNTPOINT options ... */
                if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && below_dev(mnt) && !strchr(mnt + 5, '/') &&
                    !strchr(mnt, '\\') && !strv_contains(l, mnt) && strv_extend(&l, mnt) < 0)
                        return -ENOMEM;
                line = eol ? eol + 1 : NULL;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* A copy of each directory mount below /dev, detached, to be put in the
 * new /dev: a bind-mounted node (a container's /dev/kvm) is made as a node
 * instead. */
static int clone_submounts(char *const *mounts, int *fds) {
        for (size_t i = 0; mounts[i]; i++) {
                struct stat st;

                fds[i] = -1;
                if (stat(mounts[i], &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                fds[i] = open_tree(AT_FDCWD, mounts[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (fds[i] < 0)
                        return -errno;
        }
        return 0;
}

static int move_submounts(char *const *mounts, const int *fds) {
        for (size_t i = 0; mounts[i]; i++) {
                if (fds[i] < 0)
                        continue;
                if (mkdir(mounts[i], 0755) < 0 && errno != EEXIST)
                        return -errno;
                if (move_mount(fds[i], "", AT_FDCWD, mounts[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return -errno;
        }
        return 0;
}

static int make_std_links(void) {
        static const char *const links[][2] = {
                { "/proc/self/fd", "/dev/fd" },
                { "/proc/self/fd/0", "/dev/stdin" },
                { "/proc/self/fd/1", "/dev/stdout" },
                { "/proc/self/fd/2", "/dev/stderr" },
        };

        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
                        return -errno;
        return 0;
}

static int submounts_of_self(char ***ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file("/proc/self/mountinfo", 4 << 20, &text, NULL);

        return r < 0 ? r : confine_ns_dev_submounts(text, ret);
}

int confine_ns_child(char *const *nodes) {
        _cleanup_(node_list_done) NodeList l = {};
        _cleanup_strv_free_ char **mounts = NULL;
        _cleanup_free_ int *fds = NULL;
        int r;

        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* the host's mounts still reach us, ours never reach the host */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return -errno;
        r = submounts_of_self(&mounts);
        if (r < 0)
                return r;
        fds = malloc((strv_length(mounts) + 1) * sizeof(int));
        if (!fds)
                return -ENOMEM;
        /* everything read from the host's /dev before the new one hides it */
        r = clone_submounts(mounts, fds);
        if (r >= 0)
                r = collect_all(&l, nodes);
        if (r >= 0 && mount("devfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
                r = -errno;
        if (r >= 0)
                r = make_nodes(&l);
        if (r >= 0)
                r = make_std_links();
        if (r >= 0)
                r = move_submounts(mounts, fds);
        for (size_t i = 0; mounts[i]; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        return r;
}

/* ---- a running emulator's namespace --------------------------------------- */

int confine_ns_root_shared(const char *mountinfo) {
        const char *line = mountinfo;
        int shared = -ENOENT;

        while (line && *line) {
                const char *eol = strchr(line, '\n'), *sep = strstr(line, " - ");
                char mnt[8];
                size_t len = eol ? (size_t) (eol - line) : strlen(line);

                /* the last mount on / is the one seen; its optional fields
                 * (before " - ") say "shared:N" for a peer group */
                if (sscanf(line, "%*s %*s %*s %*s %7s", mnt) == 1 && streq(mnt, "/") && sep &&
                    (size_t) (sep - line) < len) {
                        const char *tag = strstr(line, " shared:");
                        shared = tag && tag < sep;
                }
                line = eol ? eol + 1 : NULL;
        }
        return shared;
}


int confine_ns_is_private(pid_t pid) {
        char path[64];
        struct stat self, other;

        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int) pid);
        if (stat("/proc/self/ns/mnt", &self) < 0 || stat(path, &other) < 0)
                return -errno;
        return self.st_ino != other.st_ino || self.st_dev != other.st_dev;
}

typedef int (*ns_fn)(const NodeList *l, const char *path);

/* fn runs in a child that entered pid's mount namespace: setns() wants a
 * single-threaded caller, and qemud's own namespace must stay as it is. */
static int in_namespace(pid_t pid, ns_fn fn, const NodeList *l, const char *path) {
        _cleanup_close_ int fd = -1;
        char ns[64];
        int status;
        pid_t child;

        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int) pid);
        fd = open(ns, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        child = fork();
        if (child < 0)
                return -errno;
        if (child == 0) {
                int r = setns(fd, CLONE_NEWNS) < 0 ? -errno : fn(l, path);
                _exit(r < 0 ? MIN(-r, 255) : 0);
        }
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
}

/* In the namespace: whether path is (or would be made) in its /dev tmpfs,
 * not in a host mount moved below it (/dev/shm, /dev/pts), whose files are
 * the host's. */
static bool in_own_dev(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        struct stat d, p;
        char *slash;

        if (!dir || stat("/dev", &d) < 0)
                return false;
        while ((slash = strrchr(dir, '/')) && slash > dir) {
                *slash = 0;
                if (stat(dir, &p) == 0)
                        return p.st_dev == d.st_dev;
        }
        return false;
}

static int add_in_ns(const NodeList *l, const char *path) {
        for (size_t i = 0; i < l->n; i++) {
                int r = in_own_dev(l->items[i].path) ? make_node(&l->items[i]) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Only a node or link of its own /dev goes: never a host file. */
static int remove_one(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0 || !in_own_dev(path) ||
            !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISLNK(st.st_mode)))
                return 0;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int remove_in_ns(const NodeList *l, const char *path) {
        char target[PATH_MAX];
        int r = 0;

        if (realpath(path, target) && below_dev(target) && !streq(target, path))
                r = remove_one(target);
        return r < 0 ? r : remove_one(path);
}

int confine_ns_add_node(pid_t pid, const char *path) {
        _cleanup_(node_list_done) NodeList l = {};
        char *const paths[] = { (char *) path, NULL };
        int r = collect_all(&l, paths);

        if (r < 0 || l.n == 0)
                return r;
        return in_namespace(pid, add_in_ns, &l, path);
}

int confine_ns_remove_node(pid_t pid, const char *path) {
        if (!below_dev(path))
                return 0;
        return in_namespace(pid, remove_in_ns, NULL, path);
}
