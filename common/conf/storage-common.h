/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the pool and volume XML models share (storagecommon.rng):
 * <permissions>, sizes in bytes with libvirt's units, <timestamps>, the
 * table of image formats, and a strict child-element walker. */

#include <sys/types.h>

#include "domain-conf.h" /* ConfError */
#include "xml-util.h"

/* Largest size we accept anywhere: what fits in an off_t. */
#define STORAGE_SIZE_MAX ((uint64_t) INT64_MAX)

typedef struct StoragePerms {
        bool has_mode, has_owner, has_group;
        mode_t mode;
        uid_t owner;
        gid_t group;
} StoragePerms;

/* Seconds with up to 9 decimals, kept as text ("1732233000.123456789"). */
typedef struct StorageTimestamps {
        char *atime, *btime, *ctime, *mtime;
} StorageTimestamps;

/* The image formats of storagecommon.rng's storageFormat (plus "unknown").
 * Only raw and qcow2 can be created; the others are what probing finds. */
typedef enum StorageFormat {
        STORAGE_FORMAT_NONE,    /* not given; block volumes have none */
        STORAGE_FORMAT_UNKNOWN,
        STORAGE_FORMAT_RAW,
        STORAGE_FORMAT_DIR,
        STORAGE_FORMAT_BOCHS,
        STORAGE_FORMAT_CLOOP,
        STORAGE_FORMAT_DMG,
        STORAGE_FORMAT_ISO,
        STORAGE_FORMAT_VPC,
        STORAGE_FORMAT_VDI,
        STORAGE_FORMAT_FAT,
        STORAGE_FORMAT_VHD,
        STORAGE_FORMAT_PLOOP,
        STORAGE_FORMAT_LUKS,
        STORAGE_FORMAT_COW,
        STORAGE_FORMAT_QCOW,
        STORAGE_FORMAT_QCOW2,
        STORAGE_FORMAT_QED,
        STORAGE_FORMAT_VMDK,
        _STORAGE_FORMAT_MAX,
} StorageFormat;

const char *storage_format_to_string(StorageFormat f);
/* -EINVAL for a name outside the table. */
int storage_format_from_string(const char *s);

/* value * unit in bytes. unit NULL or "" means bytes (the storage XML's
 * default, unlike the domain XML's KiB). -EINVAL for an unknown unit,
 * -ERANGE above STORAGE_SIZE_MAX. */
int storage_scale_bytes(uint64_t value, const char *unit, uint64_t *ret);

void storage_perms_done(StoragePerms *p);
void storage_timestamps_done(StorageTimestamps *t);
int storage_timestamps_copy(const StorageTimestamps *src, StorageTimestamps *dst);

/* Parsers for one element each; they report errors naming path. */
int storage_parse_perms(StoragePerms *p, xmlNodePtr n, const char *path, ConfError *err);
int storage_parse_timestamps(StorageTimestamps *t, xmlNodePtr n, const char *path, ConfError *err);
/* <capacity unit='G'>10</capacity> */
int storage_parse_bytes(xmlNodePtr n, const char *path, uint64_t *ret, ConfError *err);
/* An element holding an absolute path. */
int storage_parse_abs_path(xmlNodePtr n, const char *path, char **ret, ConfError *err);
/* <format type='...'/> against the table above; formats of other tables of
 * the schema (file systems, partitions) are refused, naming them. */
int storage_parse_format(xmlNodePtr n, const char *path, StorageFormat *ret, ConfError *err);

void storage_format_perms(XmlWriter *w, const StoragePerms *p);
void storage_format_timestamps(XmlWriter *w, const StorageTimestamps *t);
void storage_format_size(XmlWriter *w, const char *name, uint64_t bytes);

/* Calls the parser the table has for each child element; anything else is
 * refused naming it, and so is a second one of a unique element. */
typedef int (*StorageParseFn)(void *obj, xmlNodePtr n, const char *path, ConfError *err);
typedef struct StorageChildParser {
        const char *name;
        StorageParseFn parse;
        bool unique;
} StorageChildParser;
int storage_parse_children(void *obj, xmlNodePtr n, const char *path, const StorageChildParser *table,
                           size_t n_table, ConfError *err);
