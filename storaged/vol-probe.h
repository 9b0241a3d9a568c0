/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What storaged knows of one volume on disk (VolInfo), and how it learns it
 * for files: stat, the image header, the backing chain.
 *
 * Formats: a file storaged created (or cloned, or was told the format of)
 * carries it in the trusted.virtbus.format extended attribute, which only
 * root can set. That declared format wins over the header: a raw volume
 * whose guest wrote a qcow2 header into it stays raw, and its "backing file"
 * is never opened. Files without the attribute (copied into the pool by
 * hand) are probed from their header, as libvirt does. */

#include <sys/stat.h>

#include "storage-vol-conf.h"

#define VOL_FORMAT_XATTR "trusted.virtbus.format"
/* The secret an encrypted volume was made with: "uuid=U" or "usage=V". */
#define VOL_SECRET_XATTR "trusted.virtbus.secret"
/* A backing chain longer than this is reported as broken. */
#define VOL_CHAIN_MAX 16

/* What a file of the probed chain looked like: a volume whose files
 * changed since (a guest wrote, a block job rewrote a header, a layer was
 * replaced) is probed again rather than described from memory. */
typedef struct VolStamp {
        char *path;
        bool missing;                  /* could not be opened then */
        bool racy;                     /* changed within the clock's step of the probe */
        uint64_t dev, ino, size;
        struct statx_timestamp mtime, ctime;
} VolStamp;

typedef struct VolInfo {
        StorageVolType type;
        StorageFormat format;
        bool format_declared;          /* from the xattr, not probed */
        uint64_t capacity, allocation, physical;
        StoragePerms perms;
        StorageTimestamps timestamps;
        bool nocow;
        /* a LUKS raw file or an encrypted qcow2 image, and the secret we
         * made it with (VOL_SECRET_XATTR) */
        StorageVolEncryption encryption;

        /* qcow2 */
        char *compat;
        uint64_t cluster_size;
        bool lazy_refcounts, extended_l2;
        char *backing_path;            /* absolute, as resolved */
        StorageFormat backing_format;
        unsigned chain_length;         /* images below this one */
        bool chain_broken;             /* missing, looping or too deep */
        VolStamp *stamps;              /* the file, then each image below it */
        size_t n_stamps;

        /* logical volumes */
        char *lv_uuid;
        StorageVolSourceDev *devs;
        size_t n_devs;
} VolInfo;

void vol_info_done(VolInfo *i);
int vol_info_copy(const VolInfo *src, VolInfo *dst);

/* What an image header says. Pure: tests feed it buffers. */
typedef struct ImageHeader {
        StorageFormat format;
        uint64_t virtual_size;         /* 0: the format has none, use the file size */
        char *backing;                 /* as written in the header */
        StorageFormat backing_format;  /* NONE when the header does not record it */
        char *compat;
        uint64_t cluster_size;
        bool lazy_refcounts, extended_l2;
        StorageEncFormat encryption;   /* LUKS magic, or qcow2's crypt_method */
        uint64_t payload_offset;       /* LUKS: where the data starts */
        /* qcow2: where the backing name and the extensions are, to read them */
        uint64_t backing_offset;
        uint32_t backing_size;
        uint64_t ext_offset;           /* 0: no extensions */
} ImageHeader;

void image_header_done(ImageHeader *h);
/* Probes buf (the first len bytes of a file; 512 are enough for the magic
 * numbers, 64 KiB covers a qcow2 header with its backing name and
 * extensions; iso needs 32 KiB) and fills h. Unknown data is raw. */
int image_header_parse(const uint8_t *buf, size_t len, ImageHeader *h);
/* With the format already known (declared), only that format's fields. */
int image_header_parse_as(const uint8_t *buf, size_t len, StorageFormat format, ImageHeader *h);

/* "backing.qcow2" relative to "/pool/vm.qcow2" -> "/pool/backing.qcow2". */
char *image_resolve_backing(const char *image_path, const char *backing);

/* Fills info from an open regular file or block device: sizes, perms,
 * timestamps, format (declared or probed), nocow, and for qcow2 the
 * backing chain. path is the file's name, for the backing chain. */
int vol_info_from_fd(int fd, const char *path, VolInfo *info);
int vol_info_from_path(const char *path, VolInfo *info);
/* True when a file the probe read (the image or a layer below) is not as
 * it was: changed, replaced, gone, or there now when it was missing. */
bool vol_info_is_stale(const VolInfo *info);

/* The declared format, or NONE when the file has no attribute. */
StorageFormat vol_format_get_declared(int fd);
int vol_format_set_declared(int fd, StorageFormat format);
/* The secret recorded with an encrypted volume (kept across restarts). */
void vol_secret_get_declared(int fd, StorageVolEncryption *e);
int vol_secret_set_declared(int fd, const StorageVolEncryption *e);
