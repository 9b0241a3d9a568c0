/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A disk's <encryption> and <auth> (storagecommon.rng, domaincommon.rng's
 * diskAuth), each given either in <disk> (the older place) or in its
 * <source>, and formatted back where it was given, as libvirt does:
 *
 *   <encryption format='luks' [engine='qemu']>
 *     <secret type='passphrase' uuid='...'|usage='...'/>
 *   </encryption>
 *   <auth username='name'>
 *     <secret type='iscsi'|'ceph' uuid='...'|usage='...'/>
 *   </auth>
 *
 * The secrets themselves are secretd's; qemud fetches the values at start. */

#include <stdbool.h>
#include <stdint.h>

typedef struct DomainDiskDef DomainDiskDef;
typedef struct ConfError ConfError;
typedef struct XmlWriter XmlWriter;
struct _xmlNode;

/* <secret type='' uuid=''|usage=''/> */
typedef struct DomainSecretRef {
        char *type;            /* "passphrase", "iscsi", "ceph" */
        bool has_uuid;
        uint8_t uuid[16];
        char *usage;           /* when !has_uuid */
} DomainSecretRef;

typedef enum DomainDiskEncFormat {
        DOMAIN_DISK_ENC_DEFAULT,
        DOMAIN_DISK_ENC_QCOW,
        DOMAIN_DISK_ENC_LUKS,
        DOMAIN_DISK_ENC_LUKS2,
        _DOMAIN_DISK_ENC_MAX,
} DomainDiskEncFormat;

typedef struct DomainDiskEncryption {
        DomainDiskEncFormat format;
        char *engine;          /* "qemu", "librbd", or NULL */
        bool has_secret;
        DomainSecretRef secret;
        bool in_source;
} DomainDiskEncryption;

typedef struct DomainDiskAuth {
        char *username;
        DomainSecretRef secret;
        bool in_source;
} DomainDiskAuth;

const char *domain_disk_enc_format_to_string(DomainDiskEncFormat f);
/* The secretd usage type a reference's type names: 1 volume (passphrase:
 * libvirt looks a disk passphrase up as a volume secret), 2 ceph, 3 iscsi. */
int domain_secret_ref_usage_type(const DomainSecretRef *s);

int domain_parse_disk_encryption(DomainDiskDef *d, struct _xmlNode *n, const char *path, bool in_source,
                                 ConfError *err);
int domain_parse_disk_auth(DomainDiskDef *d, struct _xmlNode *n, const char *path, bool in_source,
                           ConfError *err);
/* Each formats its element when it was given at that place. */
void domain_format_disk_auth(XmlWriter *w, const DomainDiskDef *d, bool in_source);
void domain_format_disk_encryption(XmlWriter *w, const DomainDiskDef *d, bool in_source);
void domain_disk_secrets_clear(DomainDiskDef *d);
bool domain_disk_secrets_own(DomainDiskDef *d);
