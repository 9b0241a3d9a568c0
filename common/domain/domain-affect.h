/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which definitions a call changes (libvirt's virDomainModificationImpact),
 * and changing the persistent one safely: on a copy, put in place and saved
 * only when everything else succeeded, so that a refused call leaves both
 * definitions as they were. For every group of Domain methods. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain.h"

enum {
        DOMAIN_AFFECT_CURRENT = 0,
        DOMAIN_AFFECT_LIVE = 1 << 0,
        DOMAIN_AFFECT_CONFIG = 1 << 1,
};

/* CURRENT is the live definition of a running domain, else the persistent
 * one. LIVE of a domain that does not run and CONFIG of a transient one
 * are refused, as libvirt refuses them. */
int domain_affect(Domain *d, uint32_t flags, bool *live, bool *config, sd_bus_error *error);
/* For reads of one definition: LIVE with CONFIG is refused; a transient
 * domain that does not run reads its live (only) definition. */
int domain_affect_one(Domain *d, uint32_t flags, bool *live, sd_bus_error *error);

/* The persistent definition: the one waiting for the next start, if any. */
DomainDef **domain_persistent_def(Domain *d);
/* A copy of it to change. */
int domain_config_copy(Domain *d, DomainDef **ret, sd_bus_error *error);
/* Puts copy in place of the persistent definition and saves it; on
 * failure the old one stays and copy is still the caller's. */
int domain_config_commit(Domain *d, DomainDef *copy, sd_bus_error *error);
