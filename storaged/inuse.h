/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who uses which volume. A running guest's volumes must not be deleted,
 * wiped or shrunk. storaged learns it two ways:
 *  - qemud tells it (SetInUse / SetVolumeInUse, ReleaseOwner): kept in this
 *    table, written to <rundir>/storage/inuse so it survives a restart of
 *    storaged (also SIGKILL);
 *  - qemud tells it the files each running guest reads, its disks' whole
 *    backing chains (SetChains): a second table of the same kind, keyed by
 *    the files' resolved paths, in <rundir>/storage/chains;
 *  - lockd holds a lease on the volume's path (ListLeases), asked before each
 *    such operation, without activating lockd when it is not running. */

#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct InUseEntry {
        char *owner;
        char *key;
        char *label;    /* how errors name the owner (a guest's name), or NULL */
} InUseEntry;

typedef struct InUseTable {
        InUseEntry *entries;
        size_t n;
        char *file;
} InUseTable;

/* Loads file if it exists. */
int inuse_init(InUseTable *t, const char *file);
void inuse_done(InUseTable *t);
/* 1 when it changed (and was saved), 0 when it was so already. A change
 * that cannot be saved is not made: the table stays what its file says. */
int inuse_set(InUseTable *t, const char *owner, const char *key, bool inuse);
/* Makes keys (n of them) the whole of owner's entries, each labelled.
 * 1 when that changed (and was saved), 0 when it was so already; -errno
 * with the table as it was. */
int inuse_replace_owner(InUseTable *t, const char *owner, const char *label, char *const *keys, size_t n);
/* The first owner using key, or NULL. */
const char *inuse_owner_of(const InUseTable *t, const char *key);
bool inuse_owner_uses(const InUseTable *t, const char *owner, const char *key);
/* The first entry of key, or NULL. */
const InUseEntry *inuse_entry_of(const InUseTable *t, const char *key);
/* Drops all of owner's entries; returns how many there were, or -errno
 * (nothing dropped) when the table cannot be saved. */
int inuse_release_owner(InUseTable *t, const char *owner);
/* Drops every entry of a key (the volume is gone). */
void inuse_forget_key(InUseTable *t, const char *key);
bool inuse_owner_is_valid(const char *owner);

/* Asks lockd who holds a lease on path. cb gets a description of the
 * holder ("owner 'vm1' (uuid ..., pid 42)") or NULL. lockd not running
 * (or not answering within 2 s) means no lease. */
typedef void (*lease_holder_fn)(const char *holder, void *userdata);
int lease_holder_async(sd_bus *bus, const char *path, lease_holder_fn cb, void *userdata);
