/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The secret XML model (secret.rng): parse and format.
 *
 *   <secret ephemeral='no' private='yes'>
 *     <uuid>...</uuid>
 *     <description>...</description>
 *     <usage type='volume'><volume>/path</volume></usage>
 *   </secret>
 *
 * As libvirt: a missing <uuid> is generated, the usage's one child is
 * required (its text is the usage ID), and the output always carries both
 * ephemeral and private. */

#include "domain-conf.h" /* ConfError */

/* libvirt's virSecretUsageType numbers (the D-Bus UsageType property and
 * SecretLookupByUsage's argument). */
typedef enum SecretUsageType {
        SECRET_USAGE_NONE = 0,
        SECRET_USAGE_VOLUME = 1,
        SECRET_USAGE_CEPH = 2,
        SECRET_USAGE_ISCSI = 3,
        SECRET_USAGE_TLS = 4,
        SECRET_USAGE_VTPM = 5,
        _SECRET_USAGE_MAX,
} SecretUsageType;

typedef struct SecretDef {
        bool ephemeral;
        bool private_;
        uint8_t uuid[16];
        char *description;
        SecretUsageType usage_type;
        char *usage_id;        /* NULL for SECRET_USAGE_NONE */
} SecretDef;

SecretDef *secret_def_free(SecretDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(SecretDef *, secret_def_free);

const char *secret_usage_type_to_string(SecretUsageType t); /* "volume"; "none" for 0 */
int secret_usage_type_from_string(const char *s);

int secret_def_parse(const char *xml, size_t len, SecretDef **ret, ConfError *err);
int secret_def_format(const SecretDef *def, char **ret);
