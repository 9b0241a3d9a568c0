/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The LXC driver's policy on top of the shared model: what a container
 * cannot have (disks, graphics, memory devices, TPMs, USB hubs, serials,
 * bus hostdevs, ...), refused by name as libvirt's LXC
 * driver does. The checks that need the host (a source that exists, the
 * init in the root filesystem) run at start: lxc_validate_host(). */

#include "domain-conf.h"
#include "lxc-plan.h"

int lxc_validate_def(const DomainDef *def, ConfError *err);
/* At start: every bind source and the root exist and are directories,
 * the init is an executable file in the container's root. */
int lxc_validate_host(const LxcPlan *p, ConfError *err);
