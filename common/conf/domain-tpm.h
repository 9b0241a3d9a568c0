/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Included by domain-conf.h; include that one. */

/* <devices><tpm model=''>: a TPM given to the guest (part of domain-conf.h;
 * parse and format in domain-tpm.c): its backend is the host's TPM
 * (passthrough, <device path=''/>), an swtpm the driver runs (emulator:
 * version, persistent_state, <encryption secret=''/>, <active_pcr_banks>)
 * or an swtpm someone else runs (external, <source type='unix'
 * mode='connect' path=''/>). */

#include <stdbool.h>

typedef enum DomainTpmBackend {
        DOMAIN_TPM_PASSTHROUGH,
        DOMAIN_TPM_EMULATOR,
        DOMAIN_TPM_EXTERNAL,
        _DOMAIN_TPM_BACKEND_MAX,
} DomainTpmBackend;

/* <active_pcr_banks> children, as bits */
#define DOMAIN_TPM_PCR_SHA1   (1u << 0)
#define DOMAIN_TPM_PCR_SHA256 (1u << 1)
#define DOMAIN_TPM_PCR_SHA384 (1u << 2)
#define DOMAIN_TPM_PCR_SHA512 (1u << 3)

typedef struct DomainTpmDef {
        char *model;                    /* tpm-tis, tpm-crb, tpm-spapr, spapr-tpm-proxy; NULL: not given */
        DomainTpmBackend backend;
        char *version;                  /* 1.2, 2.0; NULL: not given */
        Tristate persistent_state;      /* emulator */
        char *secret;                   /* emulator: <encryption secret=''/> */
        unsigned pcr_banks;             /* emulator: DOMAIN_TPM_PCR_* */
        bool has_pcr_banks;
        char *path;                     /* passthrough: <device path=''/>; external: <source path=''/> */
        char *alias;                    /* live */
} DomainTpmDef;

const char *domain_tpm_backend_to_string(DomainTpmBackend b);
