/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A volume's <target><encryption> (storageencryption.rng):
 *
 *   <encryption format='luks'>
 *     <secret type='passphrase' uuid='...'|usage='...'/>
 *   </encryption>
 *
 * What a volume is made with (luks only) and what a probed volume reports
 * (luks, or the old qcow AES, without a secret unless storaged recorded it).
 * libvirt's <cipher> and <ivgen> are refused: qemu-img's defaults are used. */

#include <stdbool.h>
#include <stdint.h>

#include "xml-util.h"

typedef enum StorageEncFormat {
        STORAGE_ENC_NONE,       /* no <encryption> */
        STORAGE_ENC_DEFAULT,
        STORAGE_ENC_QCOW,
        STORAGE_ENC_LUKS,
        _STORAGE_ENC_MAX,
} StorageEncFormat;

typedef struct StorageVolEncryption {
        StorageEncFormat format;
        bool has_secret, has_uuid;
        uint8_t uuid[16];
        char *usage;            /* when !has_uuid */
} StorageVolEncryption;

const char *storage_enc_format_to_string(StorageEncFormat f);
void storage_vol_encryption_done(StorageVolEncryption *e);
int storage_vol_encryption_copy(const StorageVolEncryption *src, StorageVolEncryption *dst);
int storage_vol_encryption_parse(StorageVolEncryption *e, xmlNodePtr n, const char *path, ConfError *err);
void storage_vol_encryption_format(XmlWriter *w, const StorageVolEncryption *e);
/* "uuid 'U'" or "usage 'V'", for messages; buf holds at least 300 bytes. */
const char *storage_vol_encryption_secret_name(const StorageVolEncryption *e, char *buf, size_t size);
