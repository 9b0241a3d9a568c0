/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Definitions parsed on first use. A start makes the domains the index
 * knows (domain-index.h) from their name and uuid alone, when the folder
 * still lists their file under the inode the index has; what reads more
 * than name, uuid and state parses the definition first, through
 * manager_load_def(): the finders by name, uuid and path (every call on a
 * domain object), start and autostart, and the loops over m->domains that
 * read an inactive domain's definition.
 *
 * A file changed in place keeps its inode: after the start, the size and
 * mtime of every such file are asked in the background (a few hundred per
 * turn of the loop, calls served between them), and a file that changed
 * is parsed then, as at a start without the index. */

#include <systemd/sd-bus.h>

#include "domain-conf.h"
#include "domain.h"

/* <confdir>/<file> parsed and validated as the driver wants it; its
 * identity (asked before reading) in *ret_st. dfd: the confdir, or -1.
 * On error err says what was wrong and *ret_path (if set) names the file. */
int manager_read_definition(Manager *m, int dfd, const char *file, char **ret_path, DomainDef **ret,
                            DefFileStat *ret_st, ConfError *err);

/* d's definition, parsed now if it was not yet: 0, or -errno with error set
 * naming the domain, its file and what was wrong. Such a domain stays in
 * m->domains, marked broken: not listed, not found, a call on its object
 * and a lookup of its name or uuid say why, until a define takes its name
 * or uuid. A file that now holds another name or uuid makes that domain
 * instead (as a start would), when both are free. */
int manager_load_def(Manager *m, Domain *d, sd_bus_error *error);

/* After the start: the background check of the domains known by inode. */
int manager_verify_start(Manager *m);
