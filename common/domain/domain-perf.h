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

/* What libvirt-dbus lacks (org.virtbus.Domain1, beside org.libvirt.Domain
 * on each domain's object; domain_perf_dbus_register()): the vCPUs' host
 * side for virDomainGetVcpus, and virDomainStartDirtyRateCalc. */
#define DOMAIN_VIRTBUS_INTERFACE "org.virtbus.Domain1"

/* virDomainDirtyRateCalcFlags */
enum {
        DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING = 0,
        DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP = 1 << 0,
        DOMAIN_DIRTYRATE_MODE_DIRTY_RING = 1 << 1,
};

/* Registers org.virtbus.Domain1 on the domains' objects of m (for the
 * drivers that have its hooks: qemud's driver_init). */
int domain_perf_dbus_register(Manager *m);

struct DomainPerfOps {
        /* Starts (on) or stops counting event on d's running guest: -errno
         * with error set when the host cannot count it (no such hardware
         * counter, no perf at all). Stopping always works. */
        int (*set)(Domain *d, DomainPerfEvent event, bool on, sd_bus_error *error);

        /* Appends "a(uitiab)" to reply: per online vCPU of the running d,
         * its number, libvirt's virVcpuState, CPU time (ns), the host CPU
         * it last ran on and its affinity (one entry per host CPU), as
         * virDomainGetVcpus gives them. -errno with error set. */
        int (*vcpu_info)(Domain *d, sd_bus_message *reply, sd_bus_error *error);
        /* Under d's modify job: starts measuring the guest's dirty page
         * rate for seconds (checked: 1 to 60) in the mode of flags (one of
         * DOMAIN_DIRTYRATE_MODE_*, checked); the statistics' dirtyrate group
         * shows it. 1: the driver ends the job when QEMU answered, or
         * -errno with error set. */
        int (*start_dirty_rate)(Domain *d, int32_t seconds, uint32_t flags, sd_bus_error *error);
};
