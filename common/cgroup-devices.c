/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cgroup-devices.h"
#include "util.h"

static const char *const standard_rules[] = {
        "c 1:3 rwm",   /* /dev/null */
        "c 1:5 rwm",   /* /dev/zero */
        "c 1:7 rwm",   /* /dev/full */
        "c 1:8 rwm",   /* /dev/random */
        "c 1:9 rwm",   /* /dev/urandom */
        "c 5:0 rwm",   /* /dev/tty */
        "c 5:1 rwm",   /* /dev/console */
        "c 5:2 rwm",   /* /dev/ptmx */
        "c 136:* rwm", /* the ptys */
        "c 10:232 rwm", /* /dev/kvm */
        "c 10:200 rwm", /* /dev/net/tun */
        "c 10:229 rwm", /* /dev/fuse (lxcd's /proc files) */
};

int cgroup_device_rule(const char *path, char *ret, size_t size) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return -ENODEV;
        snprintf(ret, size, "%c %u:%u", S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

static int usable(const Cgroup *cg) {
        if (cg->v2)
                return -EOPNOTSUPP;
        return cgroup_has(cg, CGROUP_DEVICES) ? 0 : -ENODEV;
}

int cgroup_devices_restrict(const Cgroup *cg) {
        int r = usable(cg);

        if (r < 0)
                return r;
        r = cgroup_set(cg, CGROUP_DEVICES, "devices.deny", "a");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(standard_rules); i++)
                r = cgroup_set(cg, CGROUP_DEVICES, "devices.allow", standard_rules[i]);
        return r;
}

int cgroup_devices_allow_loop(const Cgroup *cg) {
        int r = usable(cg);

        if (r >= 0)
                r = cgroup_set(cg, CGROUP_DEVICES, "devices.allow", "c 10:237 rw"); /* /dev/loop-control */
        if (r >= 0)
                r = cgroup_set(cg, CGROUP_DEVICES, "devices.allow", "b 7:* rw");
        return r;
}

int cgroup_devices_allow(const Cgroup *cg, const char *path, bool readonly) {
        char rule[64];
        int r = usable(cg);

        if (r < 0)
                return r;
        r = cgroup_device_rule(path, rule, sizeof(rule));
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        return cgroup_setf(cg, CGROUP_DEVICES, "devices.allow", "%s %s", rule, readonly ? "r" : "rw");
}

int cgroup_devices_deny(const Cgroup *cg, const char *path) {
        char rule[64];
        int r = usable(cg);

        if (r < 0)
                return r;
        r = cgroup_device_rule(path, rule, sizeof(rule));
        if (r == -ENODEV)
                return 0;
        if (r < 0)
                return r;
        return cgroup_setf(cg, CGROUP_DEVICES, "devices.deny", "%s rwm", rule);
}
