/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <emulator_period>/<emulator_quota> and <iothread_period>/<iothread_quota>:
 * as libvirt, the bandwidth of QEMU's emulator threads and of each IOThread,
 * in cgroups of their own below the guest's (qemu-tune-threads.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "qemu-tune-threads.h"
#include "util.h"

#define CPU_PERIOD_DEFAULT 100000

/* A period alone limits nothing: only a quota needs the threads' cgroup. */
static bool wants(uint64_t period, int64_t quota) {
        return quota > 0;
}

/* QEMU names its threads (-name debug-threads=on): "CPU 0/TCG", "CPU 1/KVM"
 * for vCPUs, "IO iothread1" for IOThreads; the rest are the emulator's. */
static const char *child_of_thread(const char *comm, bool emulator, bool iothreads, char *buf, size_t size) {
        if (strncmp(comm, "CPU ", 4) == 0 && strchr(comm, '/'))
                return NULL;
        if (iothreads && strncmp(comm, "IO ", 3) == 0) {
                snprintf(buf, size, "%s", comm + 3);
                return buf;
        }
        return emulator ? "emulator" : NULL;
}

/* A child cgroup of the cpu controller with its bandwidth. */
static int set_child(const Cgroup *cg, const char *child, uint64_t period, int64_t quota, char *msg, size_t size) {
        _cleanup_free_ char *dir = NULL, *file = NULL;
        int r;

        if (asprintf(&dir, "%s/%s", cg->dirs[CGROUP_CPU], child) < 0)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(msg, size, "cannot make the cgroup %s: %s", dir, strerror(-r));
                return r;
        }
        if (asprintf(&file, "%s/cpu.cfs_period_us", child) < 0)
                return -ENOMEM;
        r = cgroup_setf(cg, CGROUP_CPU, file, "%" PRIu64, period ? period : CPU_PERIOD_DEFAULT);
        if (r >= 0) {
                free(file);
                if (asprintf(&file, "%s/cpu.cfs_quota_us", child) < 0)
                        return -ENOMEM;
                r = cgroup_setf(cg, CGROUP_CPU, file, "%" PRId64, quota > 0 ? quota : -1);
        }
        if (r < 0)
                snprintf(msg, size, "cannot write %s of the cgroup %s (cpu controller): %s%s", file, cg->path,
                         strerror(-r), r == -EINVAL ? " (the kernel keeps a thread group's quota/period within "
                                                      "the guest's global one)" : "");
        return r;
}

/* Each thread of QEMU into the child cgroup it belongs to (made first). */
static int move_threads(const Cgroup *cg, pid_t pid, const DomainCputuneDef *t, char *msg, size_t size) {
        bool emulator = wants(t->emulator_period, t->emulator_quota);
        bool iothreads = wants(t->iothread_period, t->iothread_quota);
        _cleanup_free_ char *task_dir = NULL;
        DIR *dir;
        int r = 0;

        if (asprintf(&task_dir, "/proc/%d/task", (int) pid) < 0)
                return -ENOMEM;
        dir = opendir(task_dir);
        if (!dir)
                return 0;       /* QEMU is gone: its end is reported elsewhere */
        for (struct dirent *e; r >= 0 && (e = readdir(dir));) {
                _cleanup_free_ char *comm_path = NULL, *comm = NULL, *tasks = NULL;
                const char *child;
                char buf[64];

                if (e->d_name[0] == '.' || asprintf(&comm_path, "%s/%s/comm", task_dir, e->d_name) < 0 ||
                    read_full_file(comm_path, 64, &comm, NULL) < 0)
                        continue;
                comm[strcspn(comm, "\n")] = 0;
                child = child_of_thread(comm, emulator, iothreads, buf, sizeof(buf));
                if (!child)
                        continue;
                r = set_child(cg, child, streq(child, "emulator") ? t->emulator_period : t->iothread_period,
                              streq(child, "emulator") ? t->emulator_quota : t->iothread_quota, msg, size);
                if (r >= 0 && asprintf(&tasks, "%s/tasks", child) < 0)
                        r = -ENOMEM;
                if (r >= 0 && (r = cgroup_set(cg, CGROUP_CPU, tasks, e->d_name)) < 0 && r != -ESRCH) {
                        snprintf(msg, size, "cannot move QEMU's thread %s (%s) into the cgroup %s/%s: %s",
                                 e->d_name, comm, cg->path, child, strerror(-r));
                }
                if (r == -ESRCH)
                        r = 0;  /* the thread ended meanwhile */
        }
        closedir(dir);
        return r;
}

/* Children made before (a quota set earlier): their limit lifted. */
static int lift_children(const Cgroup *cg, char *msg, size_t size) {
        DIR *dir = opendir(cg->dirs[CGROUP_CPU]);
        int r = 0;

        for (struct dirent *e; dir && r >= 0 && (e = readdir(dir));)
                if (e->d_type == DT_DIR && e->d_name[0] != '.')
                        r = set_child(cg, e->d_name, 0, -1, msg, size);
        if (dir)
                closedir(dir);
        return r;
}

int qemu_tune_threads_apply(const Cgroup *cg, pid_t pid, const DomainDef *def, char *msg, size_t size) {
        const DomainCputuneDef *t = &def->cputune;

        if (!wants(t->emulator_period, t->emulator_quota) && !wants(t->iothread_period, t->iothread_quota))
                return cgroup_has(cg, CGROUP_CPU) && !cg->v2 ? lift_children(cg, msg, size) : 0;
        if (!cgroup_has(cg, CGROUP_CPU)) {
                snprintf(msg, size, "cannot apply the emulator or IOThread bandwidth of <cputune>: the host has no "
                         "cpu cgroup controller");
                return -EOPNOTSUPP;
        }
        if (cg->v2) {
                snprintf(msg, size, "cannot apply the emulator or IOThread bandwidth of <cputune>: qemud makes "
                         "those threads' cgroups with cgroup v1's cpu controller only, and this host's is v2");
                return -EOPNOTSUPP;
        }
        if (!wants(t->emulator_period, t->emulator_quota) || !wants(t->iothread_period, t->iothread_quota)) {
                int r = lift_children(cg, msg, size);
                if (r < 0)
                        return r;
        }
        return move_threads(cg, pid, t, msg, size);
}

void qemu_tune_threads_remove(const Cgroup *cg) {
        DIR *dir;

        if (!cgroup_has(cg, CGROUP_CPU) || cg->v2 || !(dir = opendir(cg->dirs[CGROUP_CPU])))
                return;
        for (struct dirent *e; (e = readdir(dir));)
                if (e->d_type == DT_DIR && e->d_name[0] != '.')
                        (void) unlinkat(dirfd(dir), e->d_name, AT_REMOVEDIR);
        closedir(dir);
}
