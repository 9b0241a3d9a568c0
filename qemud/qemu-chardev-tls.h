/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* TLS on TCP chardevs, as libvirt's qemu.conf has it: qemud.conf's
 * chardev_tls (0 or 1, off by default: a chardev without tls='' then speaks
 * it or not), chardev_tls_x509_cert_dir (default /etc/pki/qemu, holding
 * ca-cert.pem, and server-cert.pem and server-key.pem for a listening
 * chardev, client-cert.pem and client-key.pem if the server asks for them)
 * and chardev_tls_x509_verify (1 by default: a listening chardev asks its
 * clients for a certificate). Read at each start. */

#include <stdbool.h>

#include "domain-conf.h"
#include "error.h"

#define QEMU_CHARDEV_TLS_DIR_DEFAULT "/etc/pki/qemu"

typedef struct QemuChardevTls {
        bool enabled;
        bool verify;
        char dir[4096];
        char bad[256];         /* the bad setting, for the error */
} QemuChardevTls;

void qemu_chardev_tls_init(QemuChardevTls *t);
/* conf_apply_fn for conf_load_file(): only the three keys are read. */
int qemu_chardev_tls_apply(void *userdata, const char *key, const char *value);
/* Reads qemud.conf in confdir. 0, or -EINVAL with err naming the bad setting. */
int qemu_chardev_tls_load(const char *confdir, QemuChardevTls *t, ConfError *err);

/* Whether chr (a tcp chardev) speaks TLS: its tls='', else chardev_tls. */
bool qemu_chardev_tls_wanted(const DomainChrDef *chr, bool enabled);

/* At start: for each chardev that speaks TLS, the directory and the files
 * QEMU loads there. 0, or -ENOENT with err naming what is missing. */
int qemu_chardev_tls_check(const QemuChardevTls *t, const DomainDef *def, ConfError *err);
