/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain-conf.h"

/* AMD SEV on this host, for <launchSecurity type='sev'>. */

#define QEMU_SEV_DH_CERT "dh_cert.base64"
#define QEMU_SEV_SESSION "session.base64"

/* DIR/FILE, the file QEMU reads the certificate or session from; NULL out
 * of memory. */
char *qemu_sev_file(const char *dir, const char *file);

/* Before QEMU starts: the host must have SEV (devdir/sev, and KVM's
 * sysdir/module/kvm_amd/parameters/sev on); writes the guest owner's
 * certificate and session into run_dir. 0, or -errno with err naming what
 * is missing. */
int qemu_sev_prepare(const DomainDef *live, const char *devdir, const char *sysdir, const char *run_dir,
                     ConfError *err);
