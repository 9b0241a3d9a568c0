/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A start's secrets (the disks' <encryption> passphrases and <auth>
 * logins): their values asked of secretd (org.virtbus.Secret1's
 * GetValueInternal, root's only), each encrypted at once with a master key
 * of this start (AES-256-CBC, a random IV each, as libvirt does), so that
 * neither the values nor the key are ever in QEMU's argv. The key goes to
 * QEMU in a file of its own directory (0600, QEMU's user's), which goes
 * with that directory when the guest stops. The values are wiped from
 * qemud's memory once the argv is built. */

#include <sys/types.h>

#include "domain-prepare.h"
#include "qemu-command.h"

typedef struct QemuTpmSecret {
        uint8_t *value;        /* for swtpm, which takes it on a pipe (qemu-swtpm.c) */
        size_t len;
} QemuTpmSecret;

typedef struct QemuSecrets {
        uint8_t key[32];
        char *master_key_path;
        QemuSecretObj *objs;
        size_t n_objs;
        QemuTpmSecret *tpms;   /* per d->live->tpms[i]; value NULL: none */
        size_t n_tpms;
} QemuSecrets;

/* Asks secretd for every secret of d->live (its aliases assigned); done
 * runs once all answered, with the first error (naming the disk). Nothing
 * to ask: done runs at once. */
int qemu_secrets_fetch(Domain *d, domain_prepare_fn done);
/* The passphrase of d->live->tpms[i]'s <encryption secret=''/>, fetched by
 * this start; -ENOENT when there is none. */
int qemu_secrets_tpm_value(Domain *d, size_t i, const void **ret, size_t *ret_len);
/* For the builder. */
void qemu_secrets_params(const Domain *d, QemuCommandParams *params);
/* Writes the master key into QEMU's directory (made), for its user. */
int qemu_secrets_write_key(Domain *d, uid_t uid, gid_t gid, ConfError *err);
/* Wipes and frees what the start held (idempotent). */
void qemu_secrets_done(Domain *d);

/* AES-256-CBC with PKCS#7 padding, as QEMU's secret objects with keyid
 * decrypt: out gets len rounded up to the next block (16). Pure. */
int qemu_secret_encrypt(const uint8_t key[32], const uint8_t iv[16], const void *data, size_t len,
                        uint8_t **ret, size_t *ret_len);
