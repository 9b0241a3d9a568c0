/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The driver's hooks for security labels (GetSecurityLabelList): DomainDriver.security. */

#include "domain-driver.h"

struct DomainSecurityOps {
        int (*unused)(void); /* to be replaced by the group's hooks */
};
