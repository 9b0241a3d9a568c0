/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <os><smbios mode='host'/> at start: the host's SMBIOS tables
 * (DMI_TABLE_PATH, or the file VIRTBUS_DMI_TABLE names: a captured table,
 * for a host without one), parsed for the command line. A host without a
 * table fails the start naming the file, as libvirt's "Host SMBIOS
 * information is not available". 0 and nothing in *ret for another mode. */

#include "domain-conf.h"

int qemu_smbios_host_prepare(const DomainDef *def, DomainSysinfo *ret, ConfError *err);
