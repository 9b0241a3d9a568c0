/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files each running guest reads: its disks' images and every layer of
 * their backing chains, the copy a block job writes to. qemud tells them
 * whole, at each change (SetChains), and storaged refuses to delete, wipe
 * or shrink any of them (a layer in the middle of a chain as much as the
 * image on top) until qemud says the guest no longer reads it. Kept by
 * resolved path, so a volume matches whatever name qemud used. */

#include "manager.h"

/* paths: absolute; resolved here (a file that does not exist is kept as
 * given). n == 0 drops owner. */
int chains_set(Manager *m, const char *owner, const char *name, char **paths, sd_bus_error *error);
/* The table's key of path: resolved, or as given when it does not exist. */
char *chains_key(const char *path);
/* The entry of a guest reading path (owner: its uuid, label: its name). */
const InUseEntry *chains_user_of(Manager *m, const char *path);
