/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous calls to virtbus-storaged (org.virtbus.Storage1 on
 * /org/virtbus/storaged), for qemud and lxcd.
 *
 * Every call returns at once; the callback runs from the bus's event loop
 * with r = 0 on success or a -errno (the error table's errno of the D-Bus
 * error: -ENOENT for NoStoragePool/NoStorageVol, -EBADFD for
 * OperationInvalid (pool not active), -EINVAL for InvalidArg) and the error
 * itself, to pass on. The callback is not called if the returned slot is
 * unreferenced first (cancelling the call); pass ret_slot = NULL for a
 * fire-and-forget call whose callback always runs. The error map must be
 * registered (daemon_open() does it).
 *
 * The intended sequence in qemud, for each <disk type='volume'>:
 *   1. storaged_resolve_volume_async(pool, volume) -> path, format, block:
 *      the disk's source for the command line (a 'block' volume is a
 *      device, e.g. an LV);
 *   2. once QEMU runs, storaged_set_in_use_async(pool, volume, owner, true)
 *      with the domain's uuid as owner: from then on storaged refuses to
 *      delete, wipe or shrink the volume (ResourceBusy naming the owner);
 *   3. when the guest stops, storaged_release_owner_async(owner).
 * storaged keeps the table across its own restarts. After a restart of
 * qemud, calling step 2 again for the running guests is harmless. */

#include <systemd/sd-bus.h>

#include "macro.h"

#define STORAGED_SERVICE "org.virtbus.storaged"
#define STORAGED_PATH "/org/virtbus/storaged"
#define STORAGED_IFACE "org.virtbus.Storage1"

typedef void (*storaged_reply_fn)(int r, const sd_bus_error *error, void *userdata);
/* path and format ("raw", "qcow2"...) are valid during the callback only. */
typedef void (*storaged_resolve_fn)(int r, const sd_bus_error *error, const char *path, const char *format,
                                    bool block, void *userdata);
typedef void (*storaged_count_fn)(int r, const sd_bus_error *error, unsigned count, void *userdata);

int storaged_resolve_volume_async(sd_bus *bus, const char *pool, const char *volume, storaged_resolve_fn cb,
                                  void *userdata, sd_bus_slot **ret_slot);
int storaged_set_in_use_async(sd_bus *bus, const char *pool, const char *volume, const char *owner, bool inuse,
                              storaged_reply_fn cb, void *userdata, sd_bus_slot **ret_slot);
/* The files a running guest reads (its disks and their backing chains),
 * all of them: storaged refuses to delete, wipe or shrink any volume among
 * them. paths NULL or empty: none any more. start: activate storaged if it
 * is not running (else a storaged that is not running hears nothing, and
 * the call fails with ServiceUnknown/NameHasNoOwner). */
int storaged_set_chains_async(sd_bus *bus, const char *owner, const char *name, char *const *paths, bool start,
                              storaged_reply_fn cb, void *userdata, sd_bus_slot **ret_slot);
/* count: how many volumes the owner was using. */
int storaged_release_owner_async(sd_bus *bus, const char *owner, storaged_count_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot);
