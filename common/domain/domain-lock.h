/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Leases on a domain's disks, held by lockd for the driver's process (d->pid):
 * exclusive for writable disks, shared for <shareable/> ones, none for
 * read-only ones. lockd drops them by itself when that process exits. */

#include <systemd/sd-bus.h>

#include "domain.h"

/* Where lease calls go: lockd's private socket (<rundir>/private/lockd)
 * when it listens, else the bus. */
sd_bus *domain_lock_bus(Manager *m);

/* Calls done() once: 0 when every lease is held (or no lock manager runs
 * here), else -errno with the error lockd gave (ResourceBusy names the disk
 * and its holder). Not once the domain cancelled its handle (it stopped:
 * domain-handle.h). */
typedef void (*domain_lock_fn)(Domain *d, int r, const sd_bus_error *error);
int domain_lock_acquire(Domain *d, domain_lock_fn done);

/* Asks lockd to drop every lease of the domain (when it has disks with
 * leases): for a start rolled back after a restart. */
void domain_lock_release(Domain *d);

/* lockd came back after a restart: take the leases of every running guest again. */
void domain_lock_reacquire_all(Manager *m);
int domain_lock_watch_lockd(Manager *m);
