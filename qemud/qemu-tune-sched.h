/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "domain-conf.h"

/* Sets s's policy (and real-time priority) on the thread tid; s NULL or
 * without a policy: nothing. On failure msg names what (e.g. "vCPU 1") and
 * why; a priority outside the host's range is -EINVAL. */
int qemu_tune_sched_thread(pid_t tid, const DomainThreadSched *s, const char *what, char *msg, size_t size);
