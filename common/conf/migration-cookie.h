/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cookie migration's phases pass each other: libvirt's <qemu-migration>
 * document, so that a libvirtd peer reads ours and we read its.
 *
 *   <qemu-migration>
 *     <name>, <uuid>, <hostname>, <hostuuid>
 *     <feature name='lockstate'/>...      what the reader must understand
 *     <graphics type= port= tlsPort= listen=/>   where a client reconnects
 *     <lockstate driver=><leases>...</leases></lockstate>
 *     <domain>...</domain>                the persistent definition
 *     <nbd port=><disk target= capacity=/>...</nbd>
 *     <statistics><name>value</name>...</statistics>
 *     <allowReboot value='yes|no'/>
 *   </qemu-migration>
 *
 * A feature named that we do not know is refused (the peer needs it); other
 * elements we do not use are skipped, as libvirt skips ours. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain-conf.h"

typedef enum MigrationFeature {
        MIGRATION_FEATURE_GRAPHICS = 1 << 0,
        MIGRATION_FEATURE_LOCKSTATE = 1 << 1,
        MIGRATION_FEATURE_PERSISTENT = 1 << 2,
        MIGRATION_FEATURE_NETWORK = 1 << 3,
        MIGRATION_FEATURE_NBD = 1 << 4,
        MIGRATION_FEATURE_STATS = 1 << 5,
        MIGRATION_FEATURE_MEMORY_HOTPLUG = 1 << 6,
        MIGRATION_FEATURE_CPU_HOTPLUG = 1 << 7,
        MIGRATION_FEATURE_CPU = 1 << 8,
        MIGRATION_FEATURE_ALLOW_REBOOT = 1 << 9,
        MIGRATION_FEATURE_CAPS = 1 << 10,
        MIGRATION_FEATURE_BLOCK_DIRTY_BITMAPS = 1 << 11,
} MigrationFeature;

typedef struct MigrationCookieDisk {
        char *target;      /* "vda" */
        uint64_t capacity; /* bytes; 0 when not told */
        /* copy-storage-inc of an overlay: its backing file and format, which
         * the destination must have (virtbus's: backing='' backingFormat='',
         * attributes libvirt does not read) */
        char *backing, *backing_format;
} MigrationCookieDisk;

typedef struct MigrationCookieStat {
        char *name;        /* libvirt's job stats names: "downtime", "time_elapsed"... */
        uint64_t value;
} MigrationCookieStat;

typedef struct MigrationCookie {
        char *name;
        uint8_t uuid[16];
        char *hostname;
        uint8_t hostuuid[16];
        unsigned features;  /* MigrationFeature: the <feature> elements (mandatory ones) */
        unsigned present;   /* MigrationFeature: the parts this cookie holds */

        char *graphics_type;  /* "spice", "vnc" */
        int graphics_port, graphics_tls_port;
        char *graphics_listen;

        char *lock_driver;    /* <lockstate driver=> */
        char *lock_leases;    /* the text of <leases> */

        char *persistent_xml; /* the <domain> element, as text */

        int nbd_port;
        MigrationCookieDisk *nbd_disks;
        size_t n_nbd_disks;

        MigrationCookieStat *stats;
        size_t n_stats;

        int allow_reboot;     /* -1 not told, 0, 1 */
} MigrationCookie;

MigrationCookie *migration_cookie_new(void);
MigrationCookie *migration_cookie_free(MigrationCookie *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(MigrationCookie *, migration_cookie_free);

/* The document, as text. */
int migration_cookie_format(const MigrationCookie *c, char **ret);
/* Parses len bytes (a trailing NUL allowed, as libvirt sends it). An empty
 * cookie gives one with nothing in it. err names what was wrong. */
int migration_cookie_parse(const char *data, size_t len, MigrationCookie **ret, ConfError *err);

int migration_cookie_add_stat(MigrationCookie *c, const char *name, uint64_t value);
/* The value of stat name, or false. */
bool migration_cookie_get_stat(const MigrationCookie *c, const char *name, uint64_t *ret);
int migration_cookie_add_nbd_disk(MigrationCookie *c, const char *target, uint64_t capacity);
/* The backing file of the last disk added. */
int migration_cookie_set_nbd_backing(MigrationCookie *c, const char *path, const char *format);

const char *migration_feature_to_string(MigrationFeature f);
/* 0 for a name not known. */
MigrationFeature migration_feature_from_string(const char *s);
