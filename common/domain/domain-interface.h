/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The driver's hooks for interface bandwidth (Get/SetInterfaceParameters): DomainDriver.interface. */

#include "domain-driver.h"

struct DomainInterfaceOps {
        int (*unused)(void); /* to be replaced by the group's hooks */
};
