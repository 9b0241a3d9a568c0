/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What each daemon lets users other than root call: the same lists as the
 * default context of its bus policy file (units/org.virtbus.<name>.conf), which
 * a unit test compares with these. Introspectable, Peer and Properties.Get/
 * GetAll are open everywhere (common/bus-access.c) and not listed. */

#include "bus-access.h"

typedef struct BusPolicy {
        const char *daemon;      /* "qemud" */
        const BusMethod *open;
        size_t n_open;
} BusPolicy;

/* NULL for a daemon without a policy. */
const BusPolicy *bus_policy_find(const char *daemon);
