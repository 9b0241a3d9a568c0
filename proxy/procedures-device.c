/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device hot-plug: virDomainAttachDevice[Flags], virDomainDetachDevice[Flags],
 * virDomainDetachDeviceAlias, virDomainUpdateDeviceFlags, each org.libvirt.Domain's AttachDevice,
 * DetachDevice or UpdateDevice. */
#include "procedures.h"

/* virDomainAttachDevice and virDomainDetachDevice have no flags: libvirt
 * runs them as VIR_DOMAIN_AFFECT_LIVE. */
static int append_affect_live(Call *c, sd_bus_message *m) {
        return sd_bus_message_append(m, "u", 1);
}

#define DOMAIN "org.libvirt.Domain"

/* Sorted by number (procedure_find() searches it). */
static const ProcDef rows[] = {
        { 8, "virDomainAttachDevice", 0, "Ds", DOMAIN, "AttachDevice", .append = append_affect_live,
          .reply = reply_void },
        { 13, "virDomainDetachDevice", 0, "Ds", DOMAIN, "DetachDevice", .append = append_affect_live,
          .reply = reply_void },
        { 160, "virDomainAttachDeviceFlags", 0, "Dsu", DOMAIN, "AttachDevice", .reply = reply_void },
        { 161, "virDomainDetachDeviceFlags", 0, "Dsu", DOMAIN, "DetachDevice", .reply = reply_void },
        /* 174, not 162 (CONNECT_BASELINE_CPU): what virsh change-media sends */
        { 174, "virDomainUpdateDeviceFlags", 0, "Dsu", DOMAIN, "UpdateDevice", .reply = reply_void },
        { 392, "virDomainDetachDeviceAlias", 0, "Dsu", DOMAIN, "DetachDeviceAlias", .reply = reply_void },
};

const ProcTable proc_table_device = { rows, sizeof(rows) / sizeof(rows[0]) };
