/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* storaged learns which files each running guest reads: every disk's
 * image, each layer of its backing chain, the target a block copy or
 * active commit writes to (storaged-client.h, SetChains). It then refuses
 * to delete, wipe or shrink any of them (ResourceBusy naming the guest),
 * and frees a layer once a commit or pull took it out of the chain.
 *
 * qemu_chains_changed() is the one call after anything that may change the
 * chains: every save of the live state makes it (qemu-status.c), which
 * covers a start, a block job's end or pivot, an external snapshot, a
 * hotplug; the reconnection after a qemud restart makes it too. Only what
 * changed since the last call is sent. */

#include "domain-manager.h"

void qemu_chains_changed(Domain *d);
/* QEMU is gone: the guest reads nothing any more. */
void qemu_chains_release(Domain *d);
/* Frees what is kept for d. */
void qemu_chains_done(Domain *d);
/* storaged (back) on the bus: it hears the running guests' chains again. */
int qemu_chains_watch_storaged(Manager *m, sd_bus_slot **ret_slot);

/* Pure, for the unit test: the files of def's disks, each once, in disk
 * order (image, layers, mirror), or NULL when out of memory. */
char **qemu_chains_list(const DomainDef *def);
