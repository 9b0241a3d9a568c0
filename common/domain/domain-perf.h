/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The driver's hooks for perf events (Get/SetPerfEvents): DomainDriver.perf. */

#include "domain-driver.h"

struct DomainPerfOps {
        int (*unused)(void); /* to be replaced by the group's hooks */
};
