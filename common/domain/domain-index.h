/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The index of a driver's definitions, so that a start with thousands of
 * them does not parse what no one asked for yet: per definition file, the
 * name and uuid it holds and what identifies that version of the file
 * (inode, size, mtime). At start a file the folder lists under the
 * index's inode becomes a domain known by name and uuid alone, its
 * definition parsed on first use (domain-load.h); any other file is parsed
 * at once, as without an index. Size and mtime are asked after the start,
 * in the background (a stat per file costs more than the whole start
 * should): a file changed in place is parsed then. The index is a cache:
 * missing, stale or unreadable, it costs a full parse and is written again.
 *
 * Kept in <statedir>/<driver dir>/definitions.index (not beside the
 * definitions: /etc holds what people edit), as text:
 *
 *   virtbus-definitions 1
 *   <inode> <size> <mtime ns> <uuid> <name>      (in the table's order)
 *   end <number of entries>
 *
 * The table's order is the order the folder listed the files at the last
 * start (and the defines since, after them): the next start finds each
 * file at the index's next line, and looks it up by name only when not.
 *
 * Written (atomically, without fsync: losing it only costs a parse) a
 * second after a define, undefine or rename, so that a burst of defines
 * writes it once, and at exit. */

#include "domain.h"

typedef struct DomainIndexEntry {
        const char *name; /* into DomainIndex.text: name_len bytes, no NUL after them */
        size_t name_len;
        uint8_t uuid[16];
        DefFileStat st;
} DomainIndexEntry;

typedef struct DomainIndex {
        const char *text;
        size_t map_size;           /* text is the file mapped (domain_index_load()), or 0 */
        DomainIndexEntry *entries; /* as written */
        size_t n;
        size_t next;               /* the entry the next file probably is */
        size_t misses;             /* files that were not */
        DomainIndexEntry **sorted; /* by name, made on the first miss */
} DomainIndex;

/* The identity of dir's file (dfd: AT_FDCWD for a path). */
int def_file_stat(int dfd, const char *file, DefFileStat *ret);
bool def_file_stat_eq(const DefFileStat *a, const DefFileStat *b);

/* The index in text (len bytes, only read: x points into it, so it must
 * outlive x). -EBADMSG if it is not a whole index; -ENOMEM. */
int domain_index_parse(const char *text, size_t len, DomainIndex *x);
/* The entry for "<name>.xml", or NULL; the files of a folder are asked in
 * its order. */
const DomainIndexEntry *domain_index_find(DomainIndex *x, const char *file);
void domain_index_done(DomainIndex *x);
/* The index text for entries, in their order (names holding a newline are
 * left out: their files are parsed at each start). */
int domain_index_format(DomainIndexEntry *entries, size_t n, char **ret);

/* m's index from disk: empty when missing, and (logged) when unreadable. */
int domain_index_load(Manager *m, DomainIndex *x);
/* m's persistent domains whose file is known, written now. */
int domain_index_write(Manager *m);
/* A definition file came, went or changed: the index is written soon. */
void domain_index_changed(Manager *m);
/* The write pending, done now (at exit). */
void domain_index_flush(Manager *m);
