/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* GetStoragePoolCapabilities (storagepoolcaps.rng) and
 * FindStoragePoolSources (volume groups from pvs, for logical pools). */

#include <systemd/sd-bus.h>

#include "lvm.h"

typedef struct Manager Manager;

int storage_pool_caps_format(char **ret);
/* Pure: <sources> with one <source> per volume group of pvs. */
int storage_sources_format(const LvmPv *pvs, size_t n, char **ret);
/* Answers msg when pvs has run; 1, or -errno with error set. */
int storage_find_sources_async(Manager *m, const char *type, const char *spec, sd_bus_message *msg,
                               sd_bus_error *error);
