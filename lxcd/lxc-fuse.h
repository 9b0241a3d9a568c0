/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The supervisor's FUSE view of /proc/meminfo, cpuinfo, stat and uptime
 * (lxc-fuse.c). */

#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

typedef struct LxcFuse LxcFuse;

/* Moves the caller into a mount namespace of its own and mounts the views
 * on dir (made if missing, removed by lxc_fuse_free()); cgroup_procs are
 * the container's cgroup.procs files. */
int lxc_fuse_start(const char *dir, char **cgroup_procs, LxcFuse **ret);
LxcFuse *lxc_fuse_free(LxcFuse *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(LxcFuse *, lxc_fuse_free);
/* Serves the views from a thread of their own from now on. -errno. */
int lxc_fuse_serve(LxcFuse *f);
/* Looks the views up from a short-lived thread of their own, beside the
 * container's setup (call after lxc_fuse_serve()). -errno. */
int lxc_fuse_warm(LxcFuse *f);
/* Whose uptime, CPUs and boot time the views show. */
void lxc_fuse_set_init(LxcFuse *f, pid_t pid);
/* Its /dev/fuse fd, which the init closes first: a process blocked on a
 * view must not hold the connection that would abort its request (-1
 * without one). */
int lxc_fuse_fd(const LxcFuse *f);
/* The names of the views, each a file of the mount and of /proc. */
const char *const *lxc_fuse_views(size_t *n);
