/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The directories of XML files a daemon loads back at start: its definitions
 * in <confdir>/<driver> (with the autostart links in its autostart/), its
 * live state in <rundir>/<driver>. What a file holds is the caller's. */

#include <stdint.h>

#include "macro.h"

/* Calls load(userdata, file) for every "*.xml" entry of dir that is not a
 * directory. A file that cannot be loaded does not stop the others: load
 * logs its own errors, and only -ENOMEM ends the walk (logged here, and
 * returned). -errno if dir cannot be read. */
typedef int (*def_dir_load_fn)(void *userdata, const char *file);
int def_dir_load(const char *dir, def_dir_load_fn load, void *userdata);
/* The same, with each entry's inode as the directory gives it (no stat).
 * In the same pass, removes the stale temporaries of killed writers in dir
 * and the folders below it, as remove_stale_temporaries(dir,
 * DEF_DIR_TEMPORARIES_DEPTH) would (util.h): a daemon that loads its
 * definitions with it lists that folder once at start, not twice
 * (DaemonOptions.confdir_listed). */
#define DEF_DIR_TEMPORARIES_DEPTH 2
typedef int (*def_dir_load_ino_fn)(void *userdata, const char *file, uint64_t ino);
int def_dir_load_ino(const char *dir, def_dir_load_ino_fn load, void *userdata);

/* Reads <dir>/<file> whole: its path in *ret_path (also on a read error, for
 * the caller's messages), its text in *ret_xml and *ret_len. A read error is
 * logged as a warning: "Cannot read <path>: ...". */
int def_dir_read(const char *dir, const char *file, char **ret_path, char **ret_xml, size_t *ret_len);
/* The same, dir also open as dfd (or -1): many files of one directory are
 * read without walking its path each time. */
int def_dir_read_at(int dfd, const char *dir, const char *file, char **ret_path, char **ret_xml,
                    size_t *ret_len);

/* Whether <dir>/<name>.xml exists (an autostart link): 1 or 0, or -ENOMEM. */
int def_dir_has(const char *dir, const char *name);

/* The names <name> of dir's "<name>.xml" entries, sorted (strcmp), NULL
 * terminated, for def_dir_listed(): a start with many definitions asks once
 * instead of once per definition. -errno if dir cannot be read. */
int def_dir_list_names(const char *dir, char ***ret);
/* Whether name is among the sorted names of def_dir_list_names(). */
bool def_dir_listed(char *const *names, size_t n, const char *name);
