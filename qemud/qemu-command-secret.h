/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the disks' secrets (<encryption>, <auth>) need, pure: which secrets a
 * definition refers to and the ids of their QEMU objects, qemud's rules for
 * them, and the blockdev properties that use them. */

#include "domain-conf.h"
#include "domain-disk-secret.h"

/* The secret references of def, each with the id of its QEMU object: calls
 * fn for every one, stops at its first error. */
typedef int (*qemu_secret_ref_fn)(void *userdata, const DomainDiskDef *disk, const DomainSecretRef *ref,
                                  const char *object_id);
int qemu_disk_secret_refs(const DomainDef *def, qemu_secret_ref_fn fn, void *userdata);
/* Whether a backing layer of disk has an <encryption> with a secret. */
bool qemu_disk_chain_encrypted(const DomainDiskDef *disk);

/* qemud's rules for a disk's backing layers: a network one's protocol as
 * a disk's (check_net), an encrypted one's as a disk's <encryption>. */
int qemu_validate_backing_layers(const DomainDiskDef *d, int (*check_net)(const DomainDiskDef *, ConfError *),
                                 ConfError *err);

/* qemud's rules (qemu_validate_def): <auth> on iSCSI (secret type iscsi)
 * and RBD (ceph) only; <encryption format='luks'> with QEMU's engine, on a
 * raw or qcow2 image, with a passphrase secret. */
int qemu_validate_disk_secrets(const DomainDiskDef *d, ConfError *err);
