/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container's own view of /proc/meminfo, /proc/cpuinfo, /proc/stat and
 * /proc/uptime, as libvirt's lxc-fuse gives it: the host's file with the
 * figures of the container's cgroup put in. Pure (the caller reads the
 * files): tests/unit/test-lxc-plan.c. The FUSE filesystem serving them is
 * lxc-fuse.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct LxcMemory {
        uint64_t limit;        /* bytes; UINT64_MAX: none */
        uint64_t usage;        /* bytes */
        uint64_t anon_active, anon_inactive, file_active, file_inactive, unevictable, shmem; /* bytes */
        uint64_t file;         /* page cache, bytes */
} LxcMemory;

typedef struct LxcCpu {
        double uptime;         /* seconds since the container's init started */
        double boot_time;      /* the init's start, seconds since the epoch */
        uint64_t user_usec, system_usec; /* the cgroup's CPU time */
        const bool *cpus;      /* the CPUs the container may use, by host number */
        size_t n_cpus;         /* entries in cpus */
        long hz;               /* USER_HZ */
} LxcCpu;

/* Reads v1's or v2's memory.stat (either names) into m. */
void lxc_memory_parse_stat(const char *stat, bool v2, LxcMemory *m);
/* Each returns a malloc'd text, NULL on ENOMEM. */
char *lxc_render_meminfo(const char *host, const LxcMemory *m);
char *lxc_render_cpuinfo(const char *host, const LxcCpu *c);
char *lxc_render_stat(const char *host, const LxcCpu *c);
char *lxc_render_uptime(const LxcCpu *c);
