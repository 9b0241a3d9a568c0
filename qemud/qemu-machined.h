/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest registered with systemd-machined once QEMU runs (its taps as
 * the machine's interfaces), and terminated there once QEMU is gone
 * (machined.h: nothing without machined on the bus). */

#include "domain.h"

void qemu_machined_register(Domain *d);
void qemu_machined_unregister(Domain *d);
