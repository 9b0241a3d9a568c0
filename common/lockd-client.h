/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous calls to virtbus-lockd (org.virtbus.Lock1), for qemud/lxcd.
 *
 * Every call returns at once; the callback runs from the bus's event loop
 * with r = 0 on success or a -errno (the error table's errno of the D-Bus
 * error, e.g. -EBUSY for ResourceBusy) and the error itself (name and
 * message, to pass on to the guest's caller). The callback is not called if
 * the returned slot is unreferenced first (cancelling the call); pass
 * ret_slot = NULL for a fire-and-forget call whose callback always runs. A
 * release with neither callback nor slot asks lockd for no answer at all.
 *
 * Take the leases of a guest before it starts (its QEMU, started with -S, is
 * the owner pid; lockd drops the leases when that pid exits). Acquire is
 * idempotent for the same owner and resource: after lockd restarts (watch
 * NameOwnerChanged of org.virtbus.lockd) re-acquire every running guest's
 * leases the same way. */

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "macro.h"

#define LOCKD_SERVICE "org.virtbus.lockd"
#define LOCKD_PATH "/org/virtbus/lockd"
#define LOCKD_IFACE "org.virtbus.Lock1"

enum {
        LOCKD_LEASE_SHARED = 1 << 0, /* <shareable/> disks */
        LOCKD_LEASE_DIRECT = 1 << 1, /* lock the file itself instead of a lockspace lease file */
};

typedef void (*lockd_reply_fn)(int r, const sd_bus_error *error, void *userdata);
typedef void (*lockd_count_fn)(int r, const sd_bus_error *error, unsigned count, void *userdata);

int lockd_acquire_async(sd_bus *bus, const char *path, const char *owner_uuid, const char *owner_name,
                        pid_t owner_pid, unsigned flags, lockd_reply_fn cb, void *userdata,
                        sd_bus_slot **ret_slot);
/* One of a guest's leases asked together. */
typedef struct LockdLease {
        const char *path;
        unsigned flags;
} LockdLease;

/* AcquireMany: all n leases in one call, or none (lockd lets go again those
 * this call took when one is refused; the error names that one).
 *
 * A lockd from before AcquireMany (still running after an upgrade) answers
 * UnknownMethod. With old_lockd set and ret_slot NULL, the client then asks
 * one Acquire per lease, one after the other, and on a refusal releases
 * those it asked before (all leases of the call, even one the owner held
 * already: an old lockd cannot tell them apart). *old_lockd becomes true so
 * that later calls go straight to Acquire; the caller sets it back to false
 * when lockd changes hands. old_lockd must outlive the call. */
int lockd_acquire_many_async(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                             const char *owner_name, pid_t owner_pid, bool *old_lockd, lockd_reply_fn cb,
                             void *userdata, sd_bus_slot **ret_slot);
int lockd_release_async(sd_bus *bus, const char *path, const char *owner_uuid, lockd_reply_fn cb,
                        void *userdata, sd_bus_slot **ret_slot);
/* count: how many leases were released. */
int lockd_release_owner_async(sd_bus *bus, const char *owner_uuid, lockd_count_fn cb, void *userdata,
                              sd_bus_slot **ret_slot);
