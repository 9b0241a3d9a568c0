/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OpenGraphicsFD (DomainControlOps.open_graphics_fd): a socketpair, one end
 * handed to QEMU's VNC or SPICE server as a new client (getfd with the fd
 * by SCM_RIGHTS, then add_client), the other returned to the caller, who
 * then speaks RFB (or SPICE) on it as if it had connected. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain.h"

int qemu_open_graphics_fd(Domain *d, uint32_t idx, bool skipauth, sd_bus_message *msg, sd_bus_error *error);
