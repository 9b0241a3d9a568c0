/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The driver's hooks for perf events (Get/SetPerfEvents): DomainDriver.perf.
 *
 * Which events a domain counts is its definitions' <perf> (domain-conf.h):
 * the persistent one for the next start, the live one for the guest that
 * runs, which the driver keeps counting. GetPerfEvents reads the
 * definitions; SetPerfEvents changes them (AFFECT_LIVE, AFFECT_CONFIG) and,
 * live, asks the driver to start or stop the counters first. libvirt emits
 * no Tunable signal for perf events, nor do we. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "domain-driver.h"

struct DomainPerfOps {
        /* Starts (on) or stops counting event on d's running guest: -errno
         * with error set when the host cannot count it (no such hardware
         * counter, no perf at all). Stopping always works. */
        int (*set)(Domain *d, DomainPerfEvent event, bool on, sd_bus_error *error);
};
