/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's cgroup: <cgroup root>/virtbus/lxc-<uuid> on cgroup v2, the
 * same folder under the freezer, memory and cpuacct hierarchies on v1. lxcd makes
 * it and sets memory.max from <memory> before the supervisor starts; the
 * supervisor moves itself in before it forks the init (the plan's
 * cgroups: each a cgroup.procs file), so nothing of the container runs
 * outside. Suspend and Resume freeze and thaw it. */

#include <stdbool.h>

#include "domain.h"
#include "lxc-plan.h"

/* Makes the folders and limits, and names their cgroup.procs in the plan;
 * msg says what failed. Nothing is left behind on failure. */
int lxc_cgroup_prepare(Domain *d, LxcPlan *plan, char *msg, size_t size);
bool lxc_cgroup_is_v2(void);
int lxc_cgroup_freeze(Domain *d, bool freeze);
/* Removes the folders once the container is gone (retrying while the
 * kernel still tears the last processes down). */
void lxc_cgroup_remove(Domain *d);
/* The folder of one controller ("memory", "freezer"; ignored on v2). */
int lxc_cgroup_path(const Domain *d, const char *controller, char **ret);
