/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host capabilities XML (capability.rng) and the domain capabilities XML
 * (domaincaps.rng) of qemud, made from what the QEMU binary supports. */

#include <systemd/sd-bus.h>

#include "qemu-caps.h"

int qemu_capabilities_format(const QemuCaps *caps, char **ret);
/* Empty strings mean the defaults (our emulator, its arch and default
 * machine, kvm when available). A mismatch is refused naming the value. */
int qemu_domain_capabilities_format(const QemuCaps *caps, const char *emulator, const char *arch,
                                    const char *machine, const char *virttype, char **ret, sd_bus_error *error);
