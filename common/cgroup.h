/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A guest's own cgroup, on whatever the host mounts: the unified hierarchy
 * (cgroup v2, /sys/fs/cgroup/cgroup.controllers) or one hierarchy per
 * controller (v1, /sys/fs/cgroup/<controller>/).
 *
 * Guests are placed as libvirt and systemd-machined place them: the machine
 * "qemu-1-web" of the partition machine.slice is the cgroup
 * machine.slice/machine-qemu\x2d1\x2dweb.scope, the same path below every
 * hierarchy, so that a cgroup can be found again from the guest's id and
 * name alone (after a daemon restart). A daemon instance below a private root
 * (--root, the tests) gets a partition of its own inside machine.slice, so
 * that instances side by side never share a guest's cgroup.
 *
 * Every function returns 0 or -errno. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum CgroupController {
        CGROUP_CPU,
        CGROUP_CPUACCT, /* v1 only: on v2 cpu.stat of the cpu controller */
        CGROUP_CPUSET,
        CGROUP_MEMORY,
        CGROUP_IO,      /* "io" on v2, "blkio" on v1 */
        CGROUP_PIDS,
        CGROUP_FREEZER, /* v1 only: v2 has cgroup.freeze in every cgroup */
        CGROUP_DEVICES, /* v1 only: v2 filters with a BPF program (bpf_dir below) */
        _CGROUP_CONTROLLER_MAX,
} CgroupController;

typedef struct Cgroup {
        bool v2;
        char *path;                          /* below the hierarchy's root */
        char *dirs[_CGROUP_CONTROLLER_MAX];  /* NULL: the host lacks that controller */
        /* The cgroup v2 folder whose BPF program filters the devices
         * (cgroup-bpf.h): the cgroup itself on a v2 host, its twin in the
         * cgroup2 hierarchy of a hybrid host (/sys/fs/cgroup/unified) when
         * that is chosen; NULL where the v1 devices controller (or nothing)
         * does it. */
        char *bpf_dir;
        struct CgroupDevState *devs; /* the filter's list being changed (cgroup-devices.c) */
} Cgroup;

/* Which device filter guests get, from what the host has: a v2 host's BPF
 * program; on a hybrid host the v1 devices controller, or without it a BPF
 * program in the cgroup2 hierarchy at /sys/fs/cgroup/unified. The
 * environment variable VIRTBUS_CGROUP_DEVICES chooses instead: "v1" or
 * "bpf" (as the daemon's unit or a test sets it); "auto" is the default. */
typedef enum CgroupDeviceFilter {
        CGROUP_DEVICE_FILTER_NONE,
        CGROUP_DEVICE_FILTER_V1,
        CGROUP_DEVICE_FILTER_BPF,
} CgroupDeviceFilter;
/* The filter, and for BPF the cgroup2 hierarchy's root (*ret_base). */
CgroupDeviceFilter cgroup_device_filter(const char **ret_base);

/* Whether the host's cgroups are the unified hierarchy. */
bool cgroup_host_is_v2(void);

/* The name of a controller on this host's hierarchy ("blkio" or "io"). */
const char *cgroup_controller_name(CgroupController c, bool v2);

/* systemd's escaping of one unit name part: letters, digits, ':', '_' and
 * '.' (not leading) stay; '/' becomes '-'; everything else "\xNN". */
char *cgroup_unit_escape(const char *s);

/* libvirt's machine name of a guest: "<driver>-<id>-<name>", the name's
 * characters kept to letters, digits, '-' and '.', runs of '-' and '.'
 * folded into their first, 64 bytes at most, no trailing '-' or '.'. */
char *cgroup_machine_name(const char *driver, int id, const char *name);

/* The partition of a daemon instance: "machine.slice" for a system
 * install (root NULL), else "machine.slice/machine-virtbus\x2d<hash>.slice",
 * the hash that of root. */
char *cgroup_partition(const char *root);

/* The guest's cgroup path below the hierarchy's root:
 * "<partition>/machine-<escaped machine name>.scope". */
char *cgroup_machine_path(const char *root, const char *driver, int id, const char *name);

/* Opens the cgroup at path (below every hierarchy's root); with create,
 * makes it and its parents, with each controller enabled down the tree
 * (v2: cgroup.subtree_control; v1: cpuset.cpus and .mems copied from the
 * parent, which the kernel leaves empty). Without create, -ENOENT when
 * there is none. VIRTBUS_CGROUPS=0 in the environment makes none
 * (-EOPNOTSUPP, as a host without a hierarchy we can use): qemud then
 * runs guests without a cgroup, as libvirt with cgroup_controllers = [],
 * which confine-bench.py measures against. */
int cgroup_open(const char *path, bool create, Cgroup **ret);
void cgroup_free(Cgroup *cg);
static inline void cgroup_freep(Cgroup **cg) {
        cgroup_free(*cg);
}

bool cgroup_has(const Cgroup *cg, CgroupController c);
/* Whether the controller's folder has that file (a kernel option or I/O
 * scheduler may leave it out: blkio.weight, memory.memsw.*, memory.swap.max). */
bool cgroup_has_file(const Cgroup *cg, CgroupController c, const char *file);

/* Whether bpf_dir is a folder of its own (a hybrid host's cgroup2 twin),
 * one more to move processes into and remove. */
bool cgroup_bpf_dir_extra(const Cgroup *cg);

/* Moves pid (all its threads) into the cgroup, on every hierarchy. */
int cgroup_attach(const Cgroup *cg, pid_t pid);

/* Writes value to the controller's file (-ENODEV without the controller). */
int cgroup_set(const Cgroup *cg, CgroupController c, const char *file, const char *value);
int cgroup_setf(const Cgroup *cg, CgroupController c, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* The file's content without its trailing newline. */
int cgroup_get(const Cgroup *cg, CgroupController c, const char *file, char **ret);
int cgroup_get_u64(const Cgroup *cg, CgroupController c, const char *file, uint64_t *ret);

/* Whether any process is left in it (on any hierarchy). */
bool cgroup_is_populated(const Cgroup *cg);

/* Removes the cgroup on every hierarchy, waiting up to timeout_ms for its
 * last processes to be gone (the kernel still tearing them down), and then
 * the partition of a private root once it is empty. -EBUSY when processes
 * are still there. */
int cgroup_remove(Cgroup *cg, unsigned timeout_ms);
