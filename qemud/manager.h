/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemud's manager: the shared domain manager (common/domain/) run with the
 * QEMU driver. */

#include "domain-manager.h"
#include "qemu-driver.h"
