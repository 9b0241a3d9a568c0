/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SPICE over TLS, as libvirt's qemu.conf has it: qemud.conf's spice_tls
 * (0 or 1, off by default) and spice_tls_x509_cert_dir (default
 * /etc/pki/libvirt-spice) holding ca-cert.pem, server-cert.pem and
 * server-key.pem, QEMU's x509-dir. Read at each start: a changed setting
 * needs no restart of qemud. */

#include <stdbool.h>

#include "domain-conf.h"
#include "error.h"

#define QEMU_SPICE_TLS_DIR_DEFAULT "/etc/pki/libvirt-spice"

typedef struct QemuSpiceTls {
        bool enabled;
        char dir[4096];
        char bad[256];         /* the bad setting, for the error */
} QemuSpiceTls;

/* conf_apply_fn for conf_load_file(): only these two keys are read. */
void qemu_spice_tls_init(QemuSpiceTls *t);
int qemu_spice_tls_apply(void *userdata, const char *key, const char *value);

/* Reads qemud.conf in confdir. 0, or -EINVAL with err naming the bad setting. */
int qemu_spice_tls_load(const char *confdir, QemuSpiceTls *t, ConfError *err);

/* Pure: whether an autoport SPICE display g gets a TLS port at start, as
 * libvirt decides: a secure default or channel asks for one, and so does
 * 'any' when TLS is on. A display whose tlsPort is fixed keeps it. */
bool qemu_spice_wants_tls_port(const DomainGraphicsDef *g, bool tls_enabled);

/* Whether some SPICE display of def serves TLS (a tlsPort > 0). */
bool qemu_spice_uses_tls(const DomainDef *def);

/* At define, as libvirt: a fixed SPICE tlsPort on an address needs TLS on in
 * qemud.conf. An autoport one is judged at start (qemu_spice_wants_tls_port). */
int qemu_spice_tls_validate(const DomainDef *def, bool tls_enabled, ConfError *err);

/* At start, for a definition that serves TLS: TLS on, and the directory
 * and the three files QEMU loads there. 0, or -EINVAL / -ENOENT with err
 * naming what is missing. */
int qemu_spice_tls_check(const QemuSpiceTls *t, const DomainDef *def, ConfError *err);
