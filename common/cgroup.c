/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest's own cgroup on cgroup v2 or v1 (cgroup.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup-devices.h"
#include "log.h"
#include "macro.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define UNIFIED_ROOT CGROUP_ROOT "/unified"
#define PARTITION "machine.slice"
#define MACHINE_NAME_MAX 64

/* v2 names, then v1 names */
static const char *const controller_names[_CGROUP_CONTROLLER_MAX][2] = {
        [CGROUP_CPU] = { "cpu", "cpu" },         [CGROUP_CPUACCT] = { NULL, "cpuacct" },
        [CGROUP_CPUSET] = { "cpuset", "cpuset" }, [CGROUP_MEMORY] = { "memory", "memory" },
        [CGROUP_IO] = { "io", "blkio" },         [CGROUP_PIDS] = { "pids", "pids" },
        [CGROUP_FREEZER] = { NULL, "freezer" },  [CGROUP_DEVICES] = { NULL, "devices" },
};

bool cgroup_host_is_v2(void) {
        return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

static bool file_exists(const char *dir, const char *file);

CgroupDeviceFilter cgroup_device_filter(const char **ret_base) {
        const char *want = getenv("VIRTBUS_CGROUP_DEVICES");
        bool v1 = file_exists(CGROUP_ROOT "/devices", "cgroup.procs");
        bool unified = file_exists(UNIFIED_ROOT, "cgroup.controllers");

        if (cgroup_host_is_v2()) {
                *ret_base = CGROUP_ROOT;
                return CGROUP_DEVICE_FILTER_BPF;
        }
        if (v1 && !streq_ptr(want, "bpf"))
                return CGROUP_DEVICE_FILTER_V1;
        if (unified && !streq_ptr(want, "v1")) {
                *ret_base = UNIFIED_ROOT;
                return CGROUP_DEVICE_FILTER_BPF;
        }
        return CGROUP_DEVICE_FILTER_NONE;
}

const char *cgroup_controller_name(CgroupController c, bool v2) {
        if ((unsigned) c >= _CGROUP_CONTROLLER_MAX)
                return NULL;
        return controller_names[c][v2 ? 0 : 1];
}

/* --- names ------------------------------------------------------------------ */

char *cgroup_unit_escape(const char *s) {
        char *out = malloc(strlen(s) * 4 + 1), *p = out;

        if (!out)
                return NULL;
        for (const char *c = s; *c; c++) {
                unsigned char ch = (unsigned char) *c;

                if (ch == '/')
                        *p++ = '-';
                else if (isascii(ch) && (isalnum(ch) || ch == ':' || ch == '_' || (ch == '.' && c != s)))
                        *p++ = (char) ch;
                else
                        p += sprintf(p, "\\x%02x", ch);
        }
        *p = 0;
        return out;
}

char *cgroup_machine_name(const char *driver, int id, const char *name) {
        char *out = malloc(MACHINE_NAME_MAX + strlen(driver) + 16);
        bool fold = true; /* the prefix ends with '-' */
        size_t len;

        if (!out)
                return NULL;
        len = (size_t) sprintf(out, "%s-%d-", driver, id);
        for (const char *c = name; *c && len < MACHINE_NAME_MAX; c++) {
                unsigned char ch = (unsigned char) *c;

                if (ch == '-' || ch == '.') {
                        /* a run of them keeps its first: systemd refuses ".." and friends */
                        if (!fold)
                                out[len++] = (char) ch;
                        fold = true;
                        continue;
                }
                fold = false;
                if (isascii(ch) && isalnum(ch))
                        out[len++] = (char) ch;
        }
        while (len > 0 && (out[len - 1] == '-' || out[len - 1] == '.'))
                len--;
        out[len] = 0;
        return out;
}

/* FNV-1a: a stable short name for a private root. */
static uint64_t hash_string(const char *s) {
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(1099511628211);
        return h;
}

char *cgroup_partition(const char *root) {
        char *p;

        if (!root || !*root)
                return strdup(PARTITION);
        if (asprintf(&p, PARTITION "/machine-virtbus\\x2d%016" PRIx64 ".slice", hash_string(root)) < 0)
                return NULL;
        return p;
}

char *cgroup_machine_path(const char *root, const char *driver, int id, const char *name) {
        _cleanup_free_ char *partition = cgroup_partition(root), *machine = NULL, *escaped = NULL;
        char *p;

        machine = cgroup_machine_name(driver, id, name);
        if (!partition || !machine || !(escaped = cgroup_unit_escape(machine)))
                return NULL;
        if (asprintf(&p, "%s/machine-%s.scope", partition, escaped) < 0)
                return NULL;
        return p;
}

/* --- files ------------------------------------------------------------------ */

static int write_text(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *path = path_join(dir, file);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        if (!path)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

static int read_text(const char *dir, const char *file, char **ret) {
        _cleanup_free_ char *path = path_join(dir, file);
        char *s;
        size_t len;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 1 << 20, &s, &len);
        if (r < 0)
                return r;
        while (len > 0 && s[len - 1] == '\n')
                s[--len] = 0;
        *ret = s;
        return 0;
}

static bool file_exists(const char *dir, const char *file) {
        _cleanup_free_ char *path = path_join(dir, file);
        return path && access(path, F_OK) == 0;
}

/* --- making one ------------------------------------------------------------- */

void cgroup_free(Cgroup *cg) {
        if (!cg)
                return;
        for (size_t i = 0; i < _CGROUP_CONTROLLER_MAX; i++)
                free(cg->dirs[i]);
        free(cg->bpf_dir);
        cgroup_devices_state_free(cg->devs);
        free(cg->path);
        free(cg);
}

/* The hierarchy's root of a controller, NULL when the host lacks it. */
static char *hierarchy_of(CgroupController c, bool v2) {
        const char *name = cgroup_controller_name(c, v2);
        _cleanup_free_ char *controllers = NULL;
        char *dir;

        if (!name)
                return NULL;
        if (c == CGROUP_DEVICES && cgroup_device_filter(&(const char *){ NULL }) != CGROUP_DEVICE_FILTER_V1)
                return NULL;
        if (v2) {
                if (read_text(CGROUP_ROOT, "cgroup.controllers", &controllers) < 0)
                        return NULL;
                for (char *tok = strtok(controllers, " "); tok; tok = strtok(NULL, " "))
                        if (streq(tok, name))
                                return strdup(CGROUP_ROOT);
                return NULL;
        }
        dir = path_join(CGROUP_ROOT, name);
        if (dir && !file_exists(dir, "cgroup.procs")) {
                free(dir);
                return NULL;
        }
        return dir;
}

/* v2: a controller reaches a cgroup only when every ancestor enables it
 * for its children. Each is enabled on its own: one the parent lacks (or
 * a threaded subtree refuses) leaves the others. */
static void enable_v2(const char *dir, const Cgroup *cg) {
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                char add[32];

                if (!cg->dirs[c])
                        continue;
                snprintf(add, sizeof(add), "+%s", cgroup_controller_name(c, true));
                (void) write_text(dir, "cgroup.subtree_control", add);
        }
}

/* v1's cpuset starts a new cgroup with no CPUs and no memory nodes, and
 * refuses tasks until it has both: each level copies its parent's. */
static int inherit_cpuset(const char *parent, const char *dir) {
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *mine = NULL, *theirs = NULL;
                int r = read_text(dir, files[i], &mine);

                if (r < 0)
                        return r;
                if (*mine)
                        continue;
                if ((r = read_text(parent, files[i], &theirs)) < 0 || (r = write_text(dir, files[i], theirs)) < 0)
                        return r;
        }
        return 0;
}

/* Makes path below base level by level (so that each level is set up before
 * its child). */
static int make_levels(Cgroup *cg, CgroupController c, const char *base) {
        _cleanup_free_ char *dir = strdup(base);
        _cleanup_free_ char *rest = strdup(cg->path);
        char *save = NULL;
        int r;

        if (!dir || !rest)
                return -ENOMEM;
        for (char *part = strtok_r(rest, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                char *child = path_join(dir, part);

                if (!child)
                        return -ENOMEM;
                if (cg->v2)
                        enable_v2(dir, cg);
                if (mkdir(child, 0755) < 0 && errno != EEXIST) {
                        r = -errno;
                        free(child);
                        return r;
                }
                if (!cg->v2 && c == CGROUP_CPUSET && (r = inherit_cpuset(dir, child)) < 0) {
                        free(child);
                        return r;
                }
                free(dir);
                dir = child;
        }
        return 0;
}

/* The folder of the BPF device filter (Cgroup.bpf_dir): on a hybrid host
 * a cgroup of the same path in the cgroup2 hierarchy, which needs no
 * controller. A host that has none leaves it NULL. */
static int open_bpf_dir(Cgroup *cg, bool create) {
        const char *base = NULL;
        int r;

        if (cgroup_device_filter(&base) != CGROUP_DEVICE_FILTER_BPF)
                return 0;
        if (create && (r = make_levels(cg, _CGROUP_CONTROLLER_MAX, base)) < 0) {
                log_debug("Cannot make the cgroup %s/%s: %s", base, cg->path, strerror(-r));
                return r;
        }
        cg->bpf_dir = path_join(base, cg->path);
        if (!cg->bpf_dir)
                return -ENOMEM;
        if (access(cg->bpf_dir, F_OK) < 0) {
                cg->bpf_dir = mfree(cg->bpf_dir);
                return 0;
        }
        cg->devs = cgroup_devices_state_new();
        return cg->devs ? 0 : -ENOMEM;
}

int cgroup_open(const char *path, bool create, Cgroup **ret) {
        _cleanup_(cgroup_freep) Cgroup *cg = calloc(1, sizeof(*cg));
        bool any = false;
        int r = 0;

        if (!cg || !(cg->path = strdup(path)))
                return -ENOMEM;
        if (create && streq_ptr(getenv("VIRTBUS_CGROUPS"), "0"))
                return -EOPNOTSUPP; /* as a host without a usable hierarchy */
        cg->v2 = cgroup_host_is_v2();
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                _cleanup_free_ char *base = hierarchy_of(c, cg->v2);

                if (!base)
                        continue;
                /* a private partition removed meanwhile by another instance: once more */
                if (create && (r = make_levels(cg, c, base)) == -ENOENT)
                        r = make_levels(cg, c, base);
                if (create && r < 0) {
                        log_debug("Cannot make the cgroup %s/%s: %s", base, path, strerror(-r));
                        /* a v1 hierarchy we cannot use is one controller less */
                        if (cg->v2)
                                return r;
                        continue;
                }
                cg->dirs[c] = path_join(base, path);
                if (!cg->dirs[c])
                        return -ENOMEM;
                if (access(cg->dirs[c], F_OK) < 0) {
                        cg->dirs[c] = mfree(cg->dirs[c]);
                        continue;
                }
                any = true;
        }
        r = open_bpf_dir(cg, create);
        if (r < 0)
                return r;
        any = any || cg->bpf_dir;
        if (!any)
                return create ? -EOPNOTSUPP : -ENOENT;
        *ret = TAKE_PTR(cg);
        return 0;
}

bool cgroup_has(const Cgroup *cg, CgroupController c) {
        return cg && (unsigned) c < _CGROUP_CONTROLLER_MAX && cg->dirs[c];
}

bool cgroup_has_file(const Cgroup *cg, CgroupController c, const char *file) {
        return cgroup_has(cg, c) && file_exists(cg->dirs[c], file);
}

/* Each distinct folder once (on v2 all controllers share one; on v1 cpu
 * and cpuacct may be one mount). */
static bool seen_before(const Cgroup *cg, size_t c) {
        for (size_t i = 0; i < c; i++)
                if (cg->dirs[i] && streq(cg->dirs[i], cg->dirs[c]))
                        return true;
        return false;
}

bool cgroup_bpf_dir_extra(const Cgroup *cg) {
        if (!cg->bpf_dir)
                return false;
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->dirs[c] && streq(cg->dirs[c], cg->bpf_dir))
                        return false;
        return true;
}

int cgroup_attach(const Cgroup *cg, pid_t pid) {
        char value[32];

        snprintf(value, sizeof(value), "%d", (int) pid);
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                int r;

                if (!cg->dirs[c] || seen_before(cg, c))
                        continue;
                r = write_text(cg->dirs[c], "cgroup.procs", value);
                if (r < 0)
                        return r;
        }
        if (cgroup_bpf_dir_extra(cg))
                return write_text(cg->bpf_dir, "cgroup.procs", value);
        return 0;
}

int cgroup_set(const Cgroup *cg, CgroupController c, const char *file, const char *value) {
        if (!cgroup_has(cg, c))
                return -ENODEV;
        return write_text(cg->dirs[c], file, value);
}

int cgroup_setf(const Cgroup *cg, CgroupController c, const char *file, const char *fmt, ...) {
        _cleanup_free_ char *value = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&value, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return cgroup_set(cg, c, file, value);
}

int cgroup_get(const Cgroup *cg, CgroupController c, const char *file, char **ret) {
        if (!cgroup_has(cg, c))
                return -ENODEV;
        return read_text(cg->dirs[c], file, ret);
}

int cgroup_get_u64(const Cgroup *cg, CgroupController c, const char *file, uint64_t *ret) {
        _cleanup_free_ char *s = NULL;
        int r = cgroup_get(cg, c, file, &s);

        if (r < 0)
                return r;
        if (streq(s, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return safe_atou64(s, ret);
}

/* --- removing it ------------------------------------------------------------- */

bool cgroup_is_populated(const Cgroup *cg) {
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                _cleanup_free_ char *procs = NULL;

                if (cg->dirs[c] && read_text(cg->dirs[c], "cgroup.procs", &procs) >= 0 && *procs)
                        return true;
        }
        if (cg->bpf_dir) {
                _cleanup_free_ char *procs = NULL;

                if (read_text(cg->bpf_dir, "cgroup.procs", &procs) >= 0 && *procs)
                        return true;
        }
        return false;
}

/* The partition of a private root goes with its last guest, and
 * machine.slice too when nothing else is left in it (an instance for tests
 * leaves nothing behind; a system install never gets here). */
static void remove_partition(const char *dir) {
        _cleanup_free_ char *parent = strdup(dir);
        char *slash = parent ? strrchr(parent, '/') : NULL;

        if (!slash)
                return;
        *slash = 0;
        if (!strstr(parent, "/" PARTITION "/machine-virtbus") || rmdir(parent) < 0)
                return;
        slash = strrchr(parent, '/');
        *slash = 0;
        (void) rmdir(parent);
}

/* An emptied cgroup may stay busy while the kernel frees it. */
static int remove_dir(const char *dir, unsigned timeout_ms) {
        for (unsigned i = 0; rmdir(dir) < 0 && errno != ENOENT; i++) {
                if (errno != EBUSY || i * 10 >= timeout_ms) {
                        int r = -errno;
                        log_debug("Cannot remove the cgroup %s: %m", dir);
                        return r;
                }
                usleep(10000);
        }
        remove_partition(dir);
        return 0;
}

int cgroup_remove(Cgroup *cg, unsigned timeout_ms) {
        int r = 0, k;

        for (unsigned waited = 0; cgroup_is_populated(cg); waited += 10) {
                if (waited >= timeout_ms)
                        return -EBUSY;
                usleep(10000);
        }
        for (size_t c = 0; c < _CGROUP_CONTROLLER_MAX; c++) {
                if (!cg->dirs[c] || seen_before(cg, c))
                        continue;
                if ((k = remove_dir(cg->dirs[c], timeout_ms)) < 0 && r >= 0)
                        r = k;
        }
        /* its BPF program goes with it */
        if (cgroup_bpf_dir_extra(cg) && (k = remove_dir(cg->bpf_dir, timeout_ms)) < 0 && r >= 0)
                r = k;
        return r;
}
