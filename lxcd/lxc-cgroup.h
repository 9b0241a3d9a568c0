/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's cgroup: machine.slice/machine-lxc\x2d<id>\x2d<name>.scope
 * (cgroup.h), on v2 or below every v1 hierarchy the host has. lxcd makes it
 * and writes <cputune>, <memtune> (the hard limit <memory> when none is
 * given), <blkiotune> and <numatune> there before the supervisor starts; the
 * supervisor moves itself in before it forks the init (the plan's
 * cgroups: each a cgroup.procs file), so nothing of the container runs
 * outside. Suspend and Resume freeze and thaw it. */

#include <stdbool.h>

#include "cgroup.h"
#include "domain.h"
#include "domain-driver.h"
#include "domain-tune.h"
#include "lxc-plan.h"

/* Makes the folders and limits, and names their cgroup.procs in the plan;
 * msg says what failed. Nothing is left behind on failure. */
int lxc_cgroup_prepare(Domain *d, LxcPlan *plan, char *msg, size_t size);
bool lxc_cgroup_is_v2(void);
int lxc_cgroup_freeze(Domain *d, bool freeze);
/* Removes the folders once the container is gone (retrying while the
 * kernel still tears the last processes down). */
void lxc_cgroup_remove(Domain *d);
/* The parts that take an open Cgroup, whatever folders it names (a test's
 * temporary tree): the definition's limits (<memory> as the hard limit
 * when <memtune> sets none; v2 memory.max, cpu.weight, cpu.max, io.weight,
 * cpuset.cpus/mems; v1 their counterparts), freezing (v2 cgroup.freeze,
 * waiting for cgroup.events to say frozen; v1 freezer.state, waiting
 * for it to say FROZEN rather than FREEZING) and killing
 * every process in it (v2 cgroup.kill, else each of cgroup.procs). */
int lxc_cgroup_apply(const Cgroup *cg, const DomainDef *def, char *msg, size_t size);
int lxc_cgroup_set_frozen(const Cgroup *cg, bool freeze);
int lxc_cgroup_kill_all(const Cgroup *cg);
/* The folder of one controller ("memory", "freezer"; ignored on v2). */
int lxc_cgroup_path(const Domain *d, const char *controller, char **ret);

/* Set{Scheduler,Memory,BlockIO,Numa}Parameters on a running container:
 * written to its cgroup at once. */
extern const DomainTuneOps lxc_tune_ops;
