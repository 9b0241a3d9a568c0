/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's confinement beyond its cgroup (lxc-cgroup.c), as libvirt's
 * LXC driver does it, in three hooks of the start and the stop:
 *
 * - AppArmor: with security_driver = "apparmor" in lxcd.conf (or an
 *   <seclabel model='apparmor'>), the profile libvirt-<uuid> is generated
 *   from the definition (common/security/apparmor-profile.h: the
 *   virtbus-lxc abstraction, its filesystems' sources, its host device
 *   nodes), loaded before the supervisor starts, and the init execs under
 *   it (apparmor_change_onexec in the supervisor); unloaded at the stop.
 *   A host without AppArmor refuses the setting, naming it, unless
 *   lxcd.conf says
 *       apparmor_skip_kernel_load = 1        # check the profile only
 *       apparmor_include_dir = "/some/dir"   # apparmor_parser -I
 *   when the profile is checked by apparmor_parser without being loaded
 *   and the init is not confined (hosts without AppArmor, the tests).
 * - systemd-machined: the running container registered (CreateMachine,
 *   class "container", its supervisor as leader, its veths' host ends),
 *   TerminateMachine at the stop (common/machined.h).
 *
 * Each returns 0 or -errno; a refusal fills err. */

#include "domain.h"
#include "error.h"
#include "lxc-plan.h"

/* The start's prepare step: the profile made (and loaded), its name in plan. */
int lxc_security_prepare(Domain *d, LxcPlan *plan, ConfError *err);
/* The container runs (its supervisor is d->pid). */
void lxc_security_running(Domain *d);
/* It stopped, or its start was undone: before d->id is forgotten. */
void lxc_security_stop(Domain *d);
