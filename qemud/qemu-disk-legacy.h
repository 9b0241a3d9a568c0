/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* vxhs and sheepdog network disks: libvirt 9.0 defines them, builds their
 * blockdev (qemu-command-disknet.c) and refuses the start when QEMU has no
 * block driver for them, which Debian 12's QEMU 7.2 has not (sheepdog left
 * in QEMU 6.0, vxhs before). Here: that start check, on blockdev-add's
 * driver list from the capability probe, and vxhs's TLS settings, libvirt's
 * qemu.conf keys in qemud.conf: vxhs_tls (0 or 1, off by default) and
 * vxhs_tls_x509_cert_dir (default /etc/pki/qemu). Read at each start. */

#include <stdbool.h>

#include "domain-conf.h"
#include "error.h"
#include "qemu-caps.h"
#include "qemu-command.h"

typedef struct QemuVxhsTls {
        bool enabled;
        char dir[4096];
        char bad[256];         /* the bad setting, for the error */
} QemuVxhsTls;

/* conf_apply_fn for conf_load_file(): only the two keys are read. */
int qemu_vxhs_tls_apply(void *userdata, const char *key, const char *value);
/* Reads qemud.conf in confdir into t and the builder's params (which then
 * point into t). 0, or -EINVAL with err naming the bad setting. */
int qemu_vxhs_tls_params(const char *confdir, QemuVxhsTls *t, QemuCommandParams *params, ConfError *err);

/* At start: each network source of the definition (disks, their backing
 * layers, the NVRAM) whose protocol's block driver caps lacks. 0, or
 * -EOPNOTSUPP with err naming the disk, the protocol and the binary. */
int qemu_disk_drivers_check(const DomainDef *def, const QemuCaps *caps, ConfError *err);
