/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The driver's hooks for security labels: DomainDriver.security.
 * Domain.GetSecurityLabelList (domain-security-dbus.c) and Connect's
 * NodeGetSecurityModel (connect-security-dbus.c). */

#include <stdbool.h>
#include <stddef.h>

#include "domain-driver.h"

typedef struct DomainSecurityLabel {
        char *label;           /* "" for a model with no label (none) */
        bool enforcing;
} DomainSecurityLabel;

void domain_security_labels_free(DomainSecurityLabel *l, size_t n);

struct DomainSecurityOps {
        /* The labels of d's process, one per model of the host, the primary
         * first (libvirt's order); the caller checked d is active. */
        int (*get_labels)(Domain *d, DomainSecurityLabel **ret, size_t *ret_n, sd_bus_error *error);
        /* The host's primary model and its DOI ("none", "0"). */
        int (*node_model)(Manager *m, char **ret_model, char **ret_doi, sd_bus_error *error);
};
