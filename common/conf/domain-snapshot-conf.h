/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The XML of a domain snapshot (libvirt's <domainsnapshot>, schema
 * domainsnapshot.rng): what the user gives SnapshotCreateXML and what is
 * kept on disk for each snapshot (with <active> and the definition of the
 * domain at that moment, as libvirt keeps it). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain-conf.h"

typedef enum SnapshotLocation {
        SNAPSHOT_LOCATION_DEFAULT = 0, /* not given */
        SNAPSHOT_LOCATION_NO,
        SNAPSHOT_LOCATION_INTERNAL,
        SNAPSHOT_LOCATION_EXTERNAL,
        SNAPSHOT_LOCATION_MANUAL,
} SnapshotLocation;

typedef struct DomainSnapshotDiskDef {
        char *name;              /* the disk's target ("vda") or source path */
        SnapshotLocation snapshot;
        char *driver_type;       /* external: the overlay's format (qcow2) */
        char *source_file;       /* external: the overlay */
} DomainSnapshotDiskDef;

typedef struct DomainSnapshotDef {
        char *name;
        char *description;
        char *state;             /* running, paused, shutoff, disk-snapshot... */
        int64_t creation_time;   /* seconds since the epoch; -1 when not given */
        SnapshotLocation memory;
        char *memory_file;       /* memory='external' */
        DomainSnapshotDiskDef *disks;
        size_t n_disks;
        char *parent;            /* the parent's name, or NULL for a root */
        int active;              /* <active>: 1 current, 0 not, -1 not given */
        char *domain_xml;        /* <domain>...</domain> as it was, or NULL */
} DomainSnapshotDef;

DomainSnapshotDef *domain_snapshot_def_free(DomainSnapshotDef *def);
DEFINE_TRIVIAL_CLEANUP_FUNC(DomainSnapshotDef *, domain_snapshot_def_free);

/* Parses a <domainsnapshot> document; len 0: NUL-terminated. Elements and
 * attributes we do not model are refused naming them (NotSupported),
 * malformed XML with XMLError. A name with '/' or one starting with '.'
 * is refused (it names a file). */
int domain_snapshot_def_parse(const char *xml, size_t len, DomainSnapshotDef **ret, ConfError *err);

enum {
        /* Write <active>, as the file kept on disk holds it. */
        DOMAIN_SNAPSHOT_FORMAT_INTERNAL = 1 << 0,
};
int domain_snapshot_def_format(const DomainSnapshotDef *def, unsigned flags, char **ret);

const char *snapshot_location_to_string(SnapshotLocation l);
/* The disk of a snapshot named target, or NULL. */
DomainSnapshotDiskDef *domain_snapshot_def_find_disk(const DomainSnapshotDef *def, const char *target);
/* Adds a disk; returns it or NULL on OOM. */
DomainSnapshotDiskDef *domain_snapshot_def_add_disk(DomainSnapshotDef *def, const char *name);
