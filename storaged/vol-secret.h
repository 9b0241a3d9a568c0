/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The passphrase of a volume's <encryption><secret>, from secretd: by usage
 * (a volume secret of that usage), or by uuid after checking that the
 * secret is a volume secret, as libvirt does. Every error names the secret. */

#include <systemd/sd-bus.h>

#include "storage-vol-encryption.h"

/* error is NULL on success, and value holds len bytes (only during the call). */
typedef void (*vol_secret_fn)(const sd_bus_error *error, const void *value, size_t len, void *userdata);

int vol_secret_fetch(sd_bus *bus, const StorageVolEncryption *e, vol_secret_fn cb, void *userdata);
