/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-manager.h"
#include "log.h"
#include "lxc-cgroup.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char *const v1_controllers[] = { "freezer", "memory", "cpuacct" };

bool lxc_cgroup_is_v2(void) {
        return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

int lxc_cgroup_path(const Domain *d, const char *controller, char **ret) {
        if (lxc_cgroup_is_v2())
                return asprintf(ret, CGROUP_ROOT "/virtbus/lxc-%s", d->uuid_str) < 0 ? -ENOMEM : 0;
        return asprintf(ret, CGROUP_ROOT "/%s/virtbus/lxc-%s", controller, d->uuid_str) < 0 ? -ENOMEM : 0;
}

static int write_text(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *path = path_join(dir, file);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);

        if (!path)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t) len)
                return -errno;
        return 0;
}

static int add_procs(LxcPlan *plan, const char *dir) {
        return strv_consume(&plan->cgroups, path_join(dir, "cgroup.procs"));
}

static int prepare_v2(Domain *d, LxcPlan *plan, char *msg, size_t size) {
        _cleanup_free_ char *dir = NULL;
        char value[32];
        int r;

        if ((r = lxc_cgroup_path(d, NULL, &dir)) < 0)
                return r;
        /* controllers are handed down only where each parent enables them */
        (void) write_text(CGROUP_ROOT, "cgroup.subtree_control", "+memory");
        (void) mkdir(CGROUP_ROOT "/virtbus", 0755);
        (void) write_text(CGROUP_ROOT "/virtbus", "cgroup.subtree_control", "+memory");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                snprintf(msg, size, "cannot make the cgroup %s: %s", dir, strerror(errno));
                return -errno;
        }
        if (d->live->memory_kib) {
                snprintf(value, sizeof(value), "%llu", (unsigned long long) d->live->memory_kib * 1024);
                if ((r = write_text(dir, "memory.max", value)) < 0) {
                        snprintf(msg, size, "cannot set memory.max of %s: %s", dir, strerror(-r));
                        return r;
                }
        }
        return add_procs(plan, dir);
}

static int prepare_v1(Domain *d, LxcPlan *plan, char *msg, size_t size) {
        for (size_t i = 0; i < ELEMENTSOF(v1_controllers); i++) {
                _cleanup_free_ char *dir = NULL;
                char value[32];
                int r;

                if ((r = lxc_cgroup_path(d, v1_controllers[i], &dir)) < 0)
                        return r;
                if ((r = mkdir_p(dir, 0755)) < 0) {
                        snprintf(msg, size, "cannot make the cgroup %s: %s", dir, strerror(-r));
                        return r;
                }
                if (streq(v1_controllers[i], "memory") && d->live->memory_kib) {
                        snprintf(value, sizeof(value), "%llu", (unsigned long long) d->live->memory_kib * 1024);
                        if ((r = write_text(dir, "memory.limit_in_bytes", value)) < 0) {
                                snprintf(msg, size, "cannot set memory.limit_in_bytes of %s: %s", dir,
                                         strerror(-r));
                                return r;
                        }
                }
                if ((r = add_procs(plan, dir)) < 0)
                        return r;
        }
        return 0;
}

int lxc_cgroup_prepare(Domain *d, LxcPlan *plan, char *msg, size_t size) {
        int r = lxc_cgroup_is_v2() ? prepare_v2(d, plan, msg, size) : prepare_v1(d, plan, msg, size);

        if (r < 0)
                lxc_cgroup_remove(d);
        return r;
}

int lxc_cgroup_freeze(Domain *d, bool freeze) {
        _cleanup_free_ char *dir = NULL;
        int r;

        if (lxc_cgroup_is_v2()) {
                if ((r = lxc_cgroup_path(d, NULL, &dir)) < 0)
                        return r;
                return write_text(dir, "cgroup.freeze", freeze ? "1" : "0");
        }
        if ((r = lxc_cgroup_path(d, "freezer", &dir)) < 0)
                return r;
        return write_text(dir, "freezer.state", freeze ? "FROZEN" : "THAWED");
}

/* The last processes of a pid namespace may still be exiting when the
 * supervisor's exit is seen: a short wait, never long. */
static void remove_dir(const char *dir) {
        for (int i = 0; i < 100; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        break;
                usleep(10000);
        }
        log_warning("Cannot remove the cgroup %s: %m", dir);
}

void lxc_cgroup_remove(Domain *d) {
        if (lxc_cgroup_is_v2()) {
                _cleanup_free_ char *dir = NULL;
                if (lxc_cgroup_path(d, NULL, &dir) >= 0)
                        remove_dir(dir);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(v1_controllers); i++) {
                _cleanup_free_ char *dir = NULL;
                if (lxc_cgroup_path(d, v1_controllers[i], &dir) >= 0)
                        remove_dir(dir);
        }
}
