/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* TLS to NBD servers of network disks, as libvirt's qemu.conf has it:
 * qemud.conf's nbd_tls (0 or 1, off by default: an NBD source without
 * tls='' then speaks it or not) and nbd_tls_x509_cert_dir (default
 * /etc/pki/qemu, libvirt's default_tls_x509_cert_dir) holding ca-cert.pem,
 * and client-cert.pem and client-key.pem if the server asks for a client
 * certificate. QEMU is the client and always verifies the server. Read at
 * each start. */

#include <stdbool.h>

#include <libxml/tree.h>

#include "domain-conf.h"
#include "error.h"

typedef struct Domain Domain;

#define QEMU_DISK_TLS_DIR_DEFAULT "/etc/pki/qemu"

typedef struct QemuDiskTls {
        bool enabled;
        char dir[4096];
        char bad[256];         /* the bad setting, for the error */
} QemuDiskTls;

void qemu_disk_tls_init(QemuDiskTls *t);
/* conf_apply_fn for conf_load_file(): only the two keys are read. */
int qemu_disk_tls_apply(void *userdata, const char *key, const char *value);
/* Reads qemud.conf in confdir. 0, or -EINVAL with err naming the bad setting. */
int qemu_disk_tls_load(const char *confdir, QemuDiskTls *t, ConfError *err);

/* Whether a network source speaks TLS: an NBD one's tls='', else nbd_tls. */
bool qemu_disk_tls_wanted(const DomainDiskNetSource *s, bool enabled);

/* At start: for each NBD source with TLS (disks, their backing layers, the
 * NVRAM), the directory and its CA certificate. 0, or -ENOENT with err
 * naming what is missing. */
int qemu_disk_tls_check(const QemuDiskTls *t, const DomainDef *def, ConfError *err);

/* What a disk's TLS objects were made with, as libvirt keeps a source's TLS
 * object alias in its private data: nbd_tls decides the TLS of an NBD
 * source (or backing layer) without tls='', and qemud.conf may change
 * between a disk's start or plug and its unplug, which must delete the
 * tls-creds-x509 objects the plug made, no more, no fewer. What nbd_tls
 * said for each such disk is kept in the live state:
 *
 *   <nbd-tls dst='sda' made='yes'/>
 *
 * qemu_disk_tls_note() at a plug, qemu_disk_tls_note_all() at a start (or
 * an incoming migration), qemu_disk_tls_made() for the unplug: what the
 * disk was made with, or enabled (nbd_tls now) for a disk of a live state
 * written before qemud kept it. */
int qemu_disk_tls_note(Domain *d, const DomainDiskDef *disk, bool enabled);
int qemu_disk_tls_note_all(Domain *d, const DomainDef *live, bool enabled);
bool qemu_disk_tls_made(Domain *d, const DomainDiskDef *disk, bool enabled);
/* The <nbd-tls/> lines of the live disks, "" if none; NULL on ENOMEM. */
char *qemu_disk_tls_status_format(Domain *d);
void qemu_disk_tls_status_parse(Domain *d, xmlNodePtr root);
