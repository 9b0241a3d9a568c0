/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's SMBIOS, for <os><smbios mode='host'/>: what libvirt takes of
 * it through dmidecode, read here from the raw table the kernel exports
 * (/sys/firmware/dmi/tables/DMI: the structures one after the other, each
 * a formatted area then its strings, as DSP0134 lays them out).
 *
 * dmi_table_parse() is pure: the fields of types 0 (bios: vendor, version,
 * date, release "major.minor"), 1 (system: manufacturer, product, version,
 * serial, uuid, sku, family), 2 (each base board: manufacturer, product,
 * version, serial, asset, location), 3 (chassis: manufacturer, version,
 * serial, asset, sku) and 11 (OEM strings) into a DomainSysinfo of type
 * smbios, fields by their place in domain_smbios_fields. A string a
 * structure does not give (number 0, or the field beyond its length) stays
 * NULL. -EBADMSG for a table cut in the middle of a structure. */

#include <stddef.h>
#include <stdint.h>

#include "domain-conf.h"

#define DMI_TABLE_PATH "/sys/firmware/dmi/tables/DMI"

int dmi_table_parse(const uint8_t *buf, size_t len, DomainSysinfo *ret);
/* Reads path (DMI_TABLE_PATH) and parses it. */
int dmi_table_read(const char *path, DomainSysinfo *ret);
/* Frees what dmi_table_parse() put in si, and zeroes it. */
void dmi_sysinfo_clear(DomainSysinfo *si);
