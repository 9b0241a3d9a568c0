/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <devices><tpm> in a QEMU guest (the model: common/conf/domain-tpm.c; the
 * command line: qemu-command-tpm.c).
 *
 * qemu_tpm_validate(): at define, as libvirt refuses them: more than one
 * TPM (x86 has one), the spapr models, TPM 1.2 with tpm-crb or with
 * <active_pcr_banks>; and what qemud cannot do yet: <encryption secret=''/>
 * (virtbus has no secrets).
 *
 * qemu_tpm_prepare(): at start, the host side: the passthrough device and
 * its cancel file, the external swtpm's socket (the emulator's swtpm is
 * started beside QEMU: qemu-swtpm.h). */

#include "domain-conf.h"

int qemu_tpm_validate(const DomainDef *def, ConfError *err);
int qemu_tpm_prepare(const DomainDef *def, const char *sysfs_root, ConfError *err);
