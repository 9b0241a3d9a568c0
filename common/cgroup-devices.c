/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cgroup-bpf.h"
#include "cgroup-devices.h"
#include "log.h"
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

/* The BPF filter's list as it is being changed. */
typedef struct CgroupDevState {
        CgroupDevList list;
        bool loaded;     /* read from the attached program (or reset) */
        bool unfiltered; /* no program of ours was attached */
        bool dirty;
} CgroupDevState;

struct CgroupDevState *cgroup_devices_state_new(void) {
        return calloc(1, sizeof(CgroupDevState));
}

void cgroup_devices_state_free(struct CgroupDevState *s) {
        if (!s)
                return;
        cgroup_dev_list_clear(&s->list);
        free(s);
}

int cgroup_device_rule(const char *path, char *ret, size_t size) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return -ENODEV;
        snprintf(ret, size, "%c %u:%u", S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

/* Whether this kernel takes our programs, asked once: one that cannot
 * (no CONFIG_CGROUP_BPF, a seccomp'd container) runs guests unfiltered as a
 * host without a device controller does, rather than failing every start. */
static bool bpf_usable(const char *dir) {
        static int usable = -1;
        int r;

        if (usable >= 0)
                return usable;
        r = cgroup_bpf_supported(dir);
        if (r >= 0 || r == -EPERM || r == -EACCES || r == -EINVAL || r == -ENOSYS || r == -EOPNOTSUPP)
                usable = r >= 0; /* the kernel's answer, not this cgroup's */
        if (r < 0)
                log_warning("This kernel loads no cgroup device filter (BPF program) here: %s; guests' devices are "
                            "not filtered.", strerror(-r));
        return r >= 0;
}

static bool use_bpf(const Cgroup *cg) {
        return cg->bpf_dir && cg->devs && bpf_usable(cg->bpf_dir);
}

bool cgroup_devices_enabled(const Cgroup *cg) {
        return use_bpf(cg) || (!cg->v2 && cgroup_has(cg, CGROUP_DEVICES));
}

/* The list of the attached program, read once. */
static int bpf_state(const Cgroup *cg, CgroupDevState **ret) {
        CgroupDevState *s = cg->devs;
        int r;

        if (!s->loaded) {
                r = cgroup_bpf_read(cg->bpf_dir, &s->list);
                if (r < 0 && r != -ENOENT)
                        return r;
                s->unfiltered = r == -ENOENT;
                s->loaded = true;
        }
        *ret = s;
        return 0;
}

/* allow: "devices.allow", else "devices.deny". */
static int apply_rule(const Cgroup *cg, bool allow, const char *text) {
        CgroupDevState *s;
        CgroupDevRule rule;
        int r;

        if (!cgroup_devices_enabled(cg))
                return -ENODEV;
        if (!use_bpf(cg))
                return cgroup_set(cg, CGROUP_DEVICES, allow ? "devices.allow" : "devices.deny", text);
        if ((r = cgroup_dev_rule_parse(text, &rule)) < 0 || (r = bpf_state(cg, &s)) < 0)
                return r;
        if (s->unfiltered)
                return 0;
        if (allow)
                r = cgroup_dev_list_add(&s->list, &rule);
        else
                cgroup_dev_list_remove(&s->list, &rule);
        s->dirty = true;
        return r;
}

int cgroup_devices_restrict(const Cgroup *cg) {
        int r;

        if (!cgroup_devices_enabled(cg))
                return -ENODEV;
        if (use_bpf(cg)) {
                cgroup_dev_list_clear(&cg->devs->list);
                *cg->devs = (CgroupDevState){ .loaded = true, .dirty = true };
        } else if ((r = cgroup_set(cg, CGROUP_DEVICES, "devices.deny", "a")) < 0)
                return r;
        r = 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(standard_rules); i++)
                r = apply_rule(cg, true, standard_rules[i]);
        return r;
}

int cgroup_devices_allow_rule(const Cgroup *cg, const char *rule) {
        return apply_rule(cg, true, rule);
}

int cgroup_devices_allow_loop(const Cgroup *cg) {
        int r = apply_rule(cg, true, "c 10:237 rw"); /* /dev/loop-control */

        return r < 0 ? r : apply_rule(cg, true, "b 7:* rw");
}

/* The node's rule with access, or -ENODEV for a path that is no node. */
static int path_rule(const char *path, const char *access, char *ret, size_t size) {
        char rule[64];
        int r = cgroup_device_rule(path, rule, sizeof(rule));

        if (r >= 0)
                snprintf(ret, size, "%s %s", rule, access);
        return r;
}

int cgroup_devices_allow(const Cgroup *cg, const char *path, bool readonly) {
        char rule[80];
        int r;

        if (!cgroup_devices_enabled(cg))
                return -ENODEV;
        r = path_rule(path, readonly ? "r" : "rw", rule, sizeof(rule));
        if (r == -ENODEV)
                return 0;
        return r < 0 ? r : apply_rule(cg, true, rule);
}

int cgroup_devices_deny(const Cgroup *cg, const char *path) {
        char rule[80];
        int r;

        if (!cgroup_devices_enabled(cg))
                return -ENODEV;
        r = path_rule(path, "rwm", rule, sizeof(rule));
        if (r == -ENODEV)
                return 0;
        return r < 0 ? r : apply_rule(cg, false, rule);
}

int cgroup_devices_commit(const Cgroup *cg) {
        int r;

        if (!use_bpf(cg) || !cg->devs->dirty)
                return 0;
        r = cgroup_bpf_write(cg->bpf_dir, &cg->devs->list);
        if (r >= 0)
                cg->devs->dirty = false;
        return r;
}
