/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Device hot-plug: org.libvirt.Domain's AttachDevice, DetachDevice and
 * UpdateDevice (domain-device-dbus.c) and the driver's hooks for them.
 *
 * flags are libvirt's VIR_DEVICE_AFFECT_*: LIVE changes the running guest
 * and its live definition, CONFIG the persistent definition, both may be
 * given; CURRENT (0) means LIVE while the domain runs, else CONFIG. The
 * core resolves CURRENT and refuses what cannot be (LIVE on a domain that
 * does not run, CONFIG on a transient one) before calling the driver. */

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "domain-affect.h"
#include "domain.h"
#include "domain-driver.h"


/* libvirt's reasons of the TrayChange and DiskChange signals. */
enum {
        DOMAIN_TRAY_CHANGE_OPEN  = 0,
        DOMAIN_TRAY_CHANGE_CLOSE = 1,
};
enum {
        DOMAIN_DISK_CHANGE_MISSING_ON_START = 0,
        DOMAIN_DISK_DROP_MISSING_ON_START   = 1,
};

/* Each hook runs under d's modify job with flags resolved (LIVE and/or
 * CONFIG, never 0): 0 when done (the core answers and ends the job), 1 when
 * the driver ends the job and answers the call later (a detach waiting for
 * the guest), or -errno with error set. A failure leaves the guest and
 * both definitions as they were. */
struct DomainDeviceOps {
        int (*attach)(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);
        int (*detach)(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);
        int (*update)(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);
};

/* The element of def's <devices> whose <alias name=''/> is alias, formatted
 * with format_flags (DOMAIN_FORMAT_*) as DetachDevice takes it
 * (domain-device-alias.c). 0, -ENOENT (no such device), -ENOMEM. */
int domain_device_xml_by_alias(const DomainDef *def, const char *alias, unsigned format_flags, char **ret);

/* The signals (org.libvirt.Domain on d's path). device is the alias
 * ("virtio-disk1") as libvirt gives it. */
void domain_emit_device_added(Domain *d, const char *device);
void domain_emit_device_removed(Domain *d, const char *device);
void domain_emit_device_removal_failed(Domain *d, const char *device);
void domain_emit_tray_change(Domain *d, const char *device, int reason);
void domain_emit_disk_change(Domain *d, const char *old_src, const char *new_src, const char *device, int reason);
