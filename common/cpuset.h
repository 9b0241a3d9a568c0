/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's cpuset syntax ("0-3,^2,6") as a CPU affinity mask. */

#include <sched.h>

#include "macro.h"

/* -EINVAL for a malformed set, -ERANGE for a CPU beyond CPU_SETSIZE. */
int cpuset_parse(const char *s, cpu_set_t *ret);
