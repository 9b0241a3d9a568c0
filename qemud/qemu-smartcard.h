/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <smartcard>s and the ccid controllers (usb-ccid readers) they sit in. */

#include "domain-conf.h"
#include "error.h"

/* Gives each smartcard without an <address> one in ccid controller 0, in
 * the slot after the highest one taken there, as libvirt does. */
void qemu_smartcard_assign_addresses(DomainDef *def);

/* At start: an emulated card (mode host or host-certificates) needs the
 * NSS database QEMU opens, <database> or NSS_DEFAULT_DB ("/etc/pki/nssdb"
 * under root). 0, or -ENOENT with err naming the directory. */
#define QEMU_SMARTCARD_DEFAULT_DB "/etc/pki/nssdb"
int qemu_smartcard_prepare(const DomainDef *live, const char *default_db, ConfError *err);
