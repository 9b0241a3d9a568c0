/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemud's console hook (domain-console.h): a <serial>/<console> of type
 * pty (its slave, in raw mode) or unix with mode='bind' (a connection to
 * QEMU's socket). */

#include "domain-console.h"

extern const DomainConsoleOps qemu_console_ops;
