/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU under its own AppArmor profile, when qemud.conf's security_driver is
 * "apparmor" and the host has AppArmor on (never on the hosts these tests
 * run on: there the setting is refused, and only the decisions and the
 * profiles' text are tested). As libvirt's AppArmor driver:
 *
 *   dynamic label (the default): the profile libvirt-<uuid> is generated
 *     from the live definition (common/security/apparmor-profile.h),
 *     loaded before the spawn, replaced whenever QEMU gets another file
 *     (hot-plug, a block job's image), removed once QEMU is gone;
 *   static label: QEMU execs under the profile named by <label>, which
 *     qemud neither writes nor removes;
 *   type='none': QEMU runs unconfined by AppArmor.
 *
 * The child changes profile at its exec (apparmor_change_onexec). */

#include "apparmor-profile.h"
#include "domain.h"
#include "security-manager.h"

typedef struct QemuAppArmorPlan {
        bool confine;                  /* QEMU execs under a profile */
        bool generate;                 /* the profile is qemud's: written, loaded, removed */
        char name[128];                /* the profile */
} QemuAppArmorPlan;

/* Pure: the plan for def with the primary driver; enabled: the host has
 * AppArmor on. -EOPNOTSUPP when AppArmor is asked for and the host has
 * none, -EINVAL for a static label without <label>. */
int qemu_apparmor_plan(SecurityModel primary, bool enabled, const DomainDef *def, QemuAppArmorPlan *ret);

/* The start step's part, after the DAC owners are given: the profile
 * generated and loaded (err set on failure). */
int qemu_apparmor_start(Domain *d, SecurityModel primary, ConfError *err);
/* The profile QEMU execs under, into plan; 0 with plan->confine false
 * when none. */
int qemu_apparmor_exec_plan(Domain *d, SecurityModel primary, QemuAppArmorPlan *plan);
/* A file QEMU gets while it runs (extra: paths with rw), or one it let go
 * (none): the profile made again from the live definition and replaced. */
int qemu_apparmor_reload(Domain *d, SecurityModel primary, char *const *extra, char *msg, size_t size);
/* QEMU is gone: its generated profile unloaded, its file removed. */
void qemu_apparmor_stop(Domain *d);
