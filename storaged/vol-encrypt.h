/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Encrypted file volumes, as libvirt makes them: a raw volume is QEMU's
 * 'luks' format, a qcow2 one has encrypt.format=luks. The passphrase comes
 * from secretd before the job (vol-secret.h); the job gives it to qemu-img
 * in a 0600 file of storaged's run directory, never on its command line,
 * and removes the file at once. */

#include "backend.h"

int vol_encrypt_check(const StorageVolDef *vdef, bool clone, ConfError *err);
/* Makes the volume; for a clone (req->src_path), with the source's data:
 * made empty with the source's size or more, then converted into. */
int vol_encrypt_create(Job *j, VolRequest *req, ConfError *err);
/* At start: removes the passphrase files of jobs that died with storaged. */
void vol_encrypt_cleanup(const char *secret_dir);
/* Pure: qemu-img create's argv for req (the secret in secret_file). */
int vol_encrypt_argv(const VolRequest *req, const char *secret_file, const char *argv[], size_t max, char **ret_opts,
                     char **ret_object, char **ret_size);
/* Pure: qemu-img convert's argv for a clone into the encrypted volume. */
int vol_encrypt_convert_argv(const VolRequest *req, const char *secret_file, const char *argv[], size_t max,
                             char **ret_object, char **ret_target);
