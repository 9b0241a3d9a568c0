/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <lease> in AttachDevice and DetachDevice (qemu-lease.c): the lease taken
 * from lockd for the running guest, or given back; the persistent
 * definition changed with CONFIG. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "domain.h"

/* -ENOTTY when xml is no <lease> (the caller's general path goes on);
 * else 0 done, 1 answered later through d->jobs, or -errno with error set. */
int qemu_lease_device_op(Domain *d, const char *xml, unsigned flags, bool attach, sd_bus_error *error);
