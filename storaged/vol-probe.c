/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include "util.h"
#include "vol-probe.h"
#include "uuid.h"

#define QCOW2_HDR_V2_LEN 72
#define QCOW2_EXT_BACKING_FORMAT 0xE2792ACAU
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_HEADER_READ (64 * 1024)
#define ISO_MAGIC_OFFSET 32769

static void stamps_free(VolStamp *s, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(s[k].path);
        free(s);
}

void vol_info_done(VolInfo *i) {
        storage_timestamps_done(&i->timestamps);
        stamps_free(i->stamps, i->n_stamps);
        free(i->compat);
        free(i->backing_path);
        free(i->lv_uuid);
        storage_vol_encryption_done(&i->encryption);
        for (size_t k = 0; k < i->n_devs; k++) {
                free(i->devs[k].path);
                free(i->devs[k].extents);
        }
        free(i->devs);
        *i = (VolInfo) {};
}

static int dup_str(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int vol_info_copy(const VolInfo *src, VolInfo *dst) {
        *dst = *src;
        dst->timestamps = (StorageTimestamps) {};
        dst->compat = dst->backing_path = dst->lv_uuid = NULL;
        dst->devs = NULL;
        dst->n_devs = 0;
        dst->stamps = NULL;
        dst->n_stamps = 0;
        dst->encryption.usage = NULL;
        if (src->n_stamps) {
                dst->stamps = calloc(src->n_stamps, sizeof(*dst->stamps));
                if (!dst->stamps)
                        goto oom;
                dst->n_stamps = src->n_stamps;
                for (size_t k = 0; k < src->n_stamps; k++) {
                        dst->stamps[k] = src->stamps[k];
                        dst->stamps[k].path = NULL;
                        if (dup_str(src->stamps[k].path, &dst->stamps[k].path) < 0)
                                goto oom;
                }
        }
        if (storage_timestamps_copy(&src->timestamps, &dst->timestamps) < 0 || dup_str(src->compat, &dst->compat) < 0 ||
            dup_str(src->backing_path, &dst->backing_path) < 0 || dup_str(src->lv_uuid, &dst->lv_uuid) < 0 ||
            storage_vol_encryption_copy(&src->encryption, &dst->encryption) < 0)
                goto oom;
        if (src->n_devs) {
                dst->devs = calloc(src->n_devs, sizeof(*dst->devs));
                if (!dst->devs)
                        goto oom;
                dst->n_devs = src->n_devs;
                for (size_t k = 0; k < src->n_devs; k++) {
                        StorageVolSourceDev *d = &dst->devs[k];
                        const StorageVolSourceDev *s = &src->devs[k];

                        if (dup_str(s->path, &d->path) < 0)
                                goto oom;
                        d->extents = malloc(sizeof(*d->extents) * (s->n_extents ? s->n_extents : 1));
                        if (!d->extents)
                                goto oom;
                        memcpy(d->extents, s->extents, sizeof(*d->extents) * s->n_extents);
                        d->n_extents = s->n_extents;
                }
        }
        return 0;
oom:
        vol_info_done(dst);
        return -ENOMEM;
}

void image_header_done(ImageHeader *h) {
        free(h->backing);
        free(h->compat);
        *h = (ImageHeader) {};
}

/* ---- header parsing (pure) ------------------------------------------------ */

static uint32_t be32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return be32toh(v);
}

static uint64_t be64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return be64toh(v);
}

static uint32_t le32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return le32toh(v);
}

static uint64_t le64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return le64toh(v);
}

static bool has_magic(const uint8_t *buf, size_t len, size_t off, const char *magic, size_t n) {
        return len >= off + n && memcmp(buf + off, magic, n) == 0;
}

/* Walks the qcow2 header extensions for the backing format. */
static void qcow2_parse_extensions(const uint8_t *buf, size_t len, ImageHeader *h) {
        uint64_t end = MIN((uint64_t) len, h->cluster_size ? h->cluster_size : (uint64_t) len);
        uint64_t off = h->ext_offset;

        while (off + 8 <= end) {
                uint32_t type = be32(buf + off), n = be32(buf + off + 4);

                off += 8;
                if (type == 0 || off + n > end)
                        return;
                if (type == QCOW2_EXT_BACKING_FORMAT && n > 0 && n < 32) {
                        char name[32];
                        int f;

                        memcpy(name, buf + off, n);
                        name[n] = 0;
                        f = storage_format_from_string(name);
                        h->backing_format = f >= 0 ? (StorageFormat) f : STORAGE_FORMAT_UNKNOWN;
                }
                off += (n + 7) & ~7ULL;
        }
}

static int parse_qcow2(const uint8_t *buf, size_t len, ImageHeader *h) {
        uint32_t version, cluster_bits;

        if (len < QCOW2_HDR_V2_LEN)
                return 0;
        version = be32(buf + 4);
        cluster_bits = be32(buf + 20);
        h->virtual_size = be64(buf + 24);
        h->backing_offset = be64(buf + 8);
        h->backing_size = be32(buf + 16);
        if (cluster_bits >= 9 && cluster_bits <= 21)
                h->cluster_size = 1ULL << cluster_bits;
        /* crypt_method: 1 the old AES, 2 LUKS */
        h->encryption = be32(buf + 32) == 2 ? STORAGE_ENC_LUKS : be32(buf + 32) == 1 ? STORAGE_ENC_QCOW
                                                                                      : STORAGE_ENC_NONE;
        h->compat = strdup(version >= 3 ? "1.1" : "0.10");
        if (!h->compat)
                return -ENOMEM;
        h->ext_offset = QCOW2_HDR_V2_LEN;
        if (version >= 3 && len >= 104) {
                uint64_t incompat = be64(buf + 72), compat = be64(buf + 80);
                uint32_t hdr_len = be32(buf + 100);

                h->lazy_refcounts = compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
                h->extended_l2 = incompat & QCOW2_INCOMPAT_EXTL2;
                if (hdr_len >= 104)
                        h->ext_offset = hdr_len;
        }
        qcow2_parse_extensions(buf, len, h);
        /* The backing name, when the buffer holds it. */
        if (h->backing_offset && h->backing_size > 0 && h->backing_size < 1024 &&
            h->backing_offset + h->backing_size <= len) {
                h->backing = strndup((const char *) buf + h->backing_offset, h->backing_size);
                if (!h->backing)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_qcow1(const uint8_t *buf, size_t len, ImageHeader *h) {
        if (len >= 32)
                h->virtual_size = be64(buf + 24);
        return 0;
}

int image_header_parse_as(const uint8_t *buf, size_t len, StorageFormat format, ImageHeader *h) {
        *h = (ImageHeader) { .format = format };
        /* libvirt too calls a LUKS file a raw volume with LUKS encryption. */
        if ((format == STORAGE_FORMAT_RAW || format == STORAGE_FORMAT_LUKS) && has_magic(buf, len, 0, "LUKS\xba\xbe", 6)) {
                h->format = STORAGE_FORMAT_RAW;
                h->encryption = STORAGE_ENC_LUKS;
                /* LUKS1's payload offset (in sectors): the capacity is what follows */
                if (len >= 108)
                        h->payload_offset = (uint64_t) be32(buf + 104) * 512;
        }
        switch (format) {
        case STORAGE_FORMAT_QCOW2:
                if (!has_magic(buf, len, 0, "QFI\xfb", 4) || len < 8 || be32(buf + 4) < 2)
                        return 0; /* declared qcow2 but not (yet): no fields */
                return parse_qcow2(buf, len, h);
        case STORAGE_FORMAT_QCOW:
                return has_magic(buf, len, 0, "QFI\xfb", 4) ? parse_qcow1(buf, len, h) : 0;
        case STORAGE_FORMAT_QED:
                if (has_magic(buf, len, 0, "QED\0", 4) && len >= 56)
                        h->virtual_size = le64(buf + 48);
                return 0;
        case STORAGE_FORMAT_VMDK:
                if (has_magic(buf, len, 0, "KDMV", 4) && len >= 20)
                        h->virtual_size = le64(buf + 12) * 512;
                return 0;
        case STORAGE_FORMAT_VDI:
                if (len >= 376 && le32(buf + 64) == 0xbeda107fU)
                        h->virtual_size = le64(buf + 368);
                return 0;
        case STORAGE_FORMAT_VPC:
                if (has_magic(buf, len, 0, "conectix", 8) && len >= 56)
                        h->virtual_size = be64(buf + 48);
                return 0;
        default:
                return 0;
        }
}

int image_header_parse(const uint8_t *buf, size_t len, ImageHeader *h) {
        StorageFormat f = STORAGE_FORMAT_RAW;

        if (has_magic(buf, len, 0, "QFI\xfb", 4) && len >= 8)
                f = be32(buf + 4) >= 2 ? STORAGE_FORMAT_QCOW2 : STORAGE_FORMAT_QCOW;
        else if (has_magic(buf, len, 0, "QED\0", 4))
                f = STORAGE_FORMAT_QED;
        else if (has_magic(buf, len, 0, "KDMV", 4))
                f = STORAGE_FORMAT_VMDK;
        else if (len >= 68 && le32(buf + 64) == 0xbeda107fU)
                f = STORAGE_FORMAT_VDI;
        else if (has_magic(buf, len, 0, "conectix", 8))
                f = STORAGE_FORMAT_VPC;
        else if (has_magic(buf, len, 0, "LUKS\xba\xbe", 6))
                f = STORAGE_FORMAT_LUKS;
        else if (has_magic(buf, len, 0, "Bochs Virtual HD Image", 22))
                f = STORAGE_FORMAT_BOCHS;
        else if (has_magic(buf, len, ISO_MAGIC_OFFSET, "CD001", 5))
                f = STORAGE_FORMAT_ISO;
        return image_header_parse_as(buf, len, f, h);
}

char *image_resolve_backing(const char *image_path, const char *backing) {
        const char *slash;
        char *r;

        if (!backing || !*backing)
                return NULL;
        if (backing[0] == '/')
                return strdup(backing);
        slash = strrchr(image_path, '/');
        if (!slash)
                return strdup(backing);
        if (asprintf(&r, "%.*s/%s", (int) (slash - image_path), image_path, backing) < 0)
                return NULL;
        return r;
}

/* ---- files ------------------------------------------------------------------ */

StorageFormat vol_format_get_declared(int fd) {
        char buf[32];
        ssize_t n = fgetxattr(fd, VOL_FORMAT_XATTR, buf, sizeof(buf) - 1);
        int f;

        if (n <= 0)
                return STORAGE_FORMAT_NONE;
        buf[n] = 0;
        f = storage_format_from_string(buf);
        return f > STORAGE_FORMAT_UNKNOWN ? (StorageFormat) f : STORAGE_FORMAT_NONE;
}

int vol_format_set_declared(int fd, StorageFormat format) {
        const char *s = storage_format_to_string(format);

        if (!s)
                return -EINVAL;
        return fsetxattr(fd, VOL_FORMAT_XATTR, s, strlen(s), 0) < 0 ? -errno : 0;
}

void vol_secret_get_declared(int fd, StorageVolEncryption *e) {
        char buf[300];
        ssize_t n = fgetxattr(fd, VOL_SECRET_XATTR, buf, sizeof(buf) - 1);

        if (n <= 0)
                return;
        buf[n] = 0;
        if (strncmp(buf, "uuid=", 5) == 0 && uuid_parse(buf + 5, e->uuid) >= 0)
                e->has_secret = e->has_uuid = true;
        else if (strncmp(buf, "usage=", 6) == 0 && (e->usage = strdup(buf + 6)))
                e->has_secret = true;
}

int vol_secret_set_declared(int fd, const StorageVolEncryption *e) {
        char buf[300], uuid[UUID_STRING_MAX];

        if (!e->has_secret)
                return 0;
        if (e->has_uuid)
                snprintf(buf, sizeof(buf), "uuid=%s", uuid_format(e->uuid, uuid));
        else
                snprintf(buf, sizeof(buf), "usage=%s", e->usage);
        return fsetxattr(fd, VOL_SECRET_XATTR, buf, strlen(buf), 0) < 0 ? -errno : 0;
}

static int read_at(int fd, uint8_t *buf, size_t size, uint64_t off, size_t *ret) {
        size_t got = 0;

        while (got < size) {
                ssize_t n = pread(fd, buf + got, size - got, (off_t) (off + got));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        *ret = got;
        return 0;
}

/* Reads the header: 512 bytes tell the format; a qcow2 header is read again
 * in full; an iso's magic lies at 32 KiB. */
static int read_header(int fd, StorageFormat declared, uint64_t size, ImageHeader *h) {
        _cleanup_free_ uint8_t *big = NULL;
        uint8_t small[512];
        size_t n;
        int r;

        r = read_at(fd, small, sizeof(small), 0, &n);
        if (r < 0)
                return r;
        if (declared == STORAGE_FORMAT_NONE && n >= 4 && memcmp(small, "QFI\xfb", 4) == 0)
                declared = STORAGE_FORMAT_QCOW2;
        if (declared == STORAGE_FORMAT_QCOW2) {
                big = malloc(QCOW2_HEADER_READ);
                if (!big)
                        return -ENOMEM;
                r = read_at(fd, big, QCOW2_HEADER_READ, 0, &n);
                if (r < 0)
                        return r;
                if (n < 8 || memcmp(big, "QFI\xfb", 4) != 0 || be32(big + 4) < 2)
                        return image_header_parse(big, n, h);
                return image_header_parse_as(big, n, STORAGE_FORMAT_QCOW2, h);
        }
        if (declared != STORAGE_FORMAT_NONE)
                return image_header_parse_as(small, n, declared, h);
        r = image_header_parse(small, n, h);
        if (r < 0 || h->format != STORAGE_FORMAT_RAW || size < ISO_MAGIC_OFFSET + 5)
                return r;
        /* Only the magic is read at the iso offset. */
        uint8_t magic[5];
        size_t m;
        if (read_at(fd, magic, sizeof(magic), ISO_MAGIC_OFFSET, &m) >= 0 && m == 5 && memcmp(magic, "CD001", 5) == 0)
                h->format = STORAGE_FORMAT_ISO;
        return 0;
}

static char *format_ts(struct statx_timestamp t) {
        char *s;

        if (asprintf(&s, "%lld.%09u", (long long) t.tv_sec, t.tv_nsec) < 0)
                return NULL;
        return s;
}

static int fill_stat(int fd, VolInfo *info, struct statx *sx) {
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, sx) < 0)
                return -errno;
        info->perms = (StoragePerms) { .has_mode = true, .has_owner = true, .has_group = true,
                                       .mode = sx->stx_mode & 07777, .owner = sx->stx_uid, .group = sx->stx_gid };
        info->timestamps.atime = format_ts(sx->stx_atime);
        info->timestamps.ctime = format_ts(sx->stx_ctime);
        info->timestamps.mtime = format_ts(sx->stx_mtime);
        if (sx->stx_mask & STATX_BTIME)
                info->timestamps.btime = format_ts(sx->stx_btime);
        if (!info->timestamps.atime || !info->timestamps.ctime || !info->timestamps.mtime)
                return -ENOMEM;
        return 0;
}

#define RACY_NSEC (20 * 1000000LL)

static bool ts_recent(struct statx_timestamp t, struct timespec now) {
        long long age = ((long long) now.tv_sec - t.tv_sec) * 1000000000LL + (now.tv_nsec - (long long) t.tv_nsec);

        return age < RACY_NSEC;
}

/* sx NULL: the file could not be opened. */
static int stamp_add(VolInfo *info, const char *path, const struct statx *sx) {
        VolStamp *a = reallocarray(info->stamps, info->n_stamps + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        info->stamps = a;
        a[info->n_stamps] = (VolStamp) { .path = strdup(path), .missing = !sx };
        if (!a[info->n_stamps].path)
                return -ENOMEM;
        if (sx) {
                VolStamp *s = &a[info->n_stamps];
                struct timespec now;

                /* File times move in the kernel's clock ticks (up to 10 ms):
                 * a change in the same tick as the probe would not show in
                 * them (git's "racy" files). Such a file is probed again
                 * next time. */
                clock_gettime(CLOCK_REALTIME, &now);
                s->racy = ts_recent(sx->stx_ctime, now) || ts_recent(sx->stx_mtime, now);
                s->dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
                s->ino = sx->stx_ino;
                s->size = sx->stx_size;
                s->mtime = sx->stx_mtime;
                s->ctime = sx->stx_ctime;
        }
        info->n_stamps++;
        return 0;
}

static bool ts_equal(struct statx_timestamp a, struct statx_timestamp b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool vol_info_is_stale(const VolInfo *info) {
        for (size_t k = 0; k < info->n_stamps; k++) {
                const VolStamp *s = &info->stamps[k];
                struct statx sx;
                /* the image itself was opened without following a symlink */
                bool ok = statx(AT_FDCWD, s->path, k == 0 ? AT_SYMLINK_NOFOLLOW : 0, STATX_BASIC_STATS, &sx) >= 0;

                if (!ok || s->missing || s->racy)
                        return ok != !s->missing || s->racy;
                if (makedev(sx.stx_dev_major, sx.stx_dev_minor) != s->dev || sx.stx_ino != s->ino ||
                    sx.stx_size != s->size || !ts_equal(sx.stx_mtime, s->mtime) || !ts_equal(sx.stx_ctime, s->ctime))
                        return true;
        }
        return false;
}

typedef struct ChainSeen {
        dev_t dev[VOL_CHAIN_MAX + 1];
        ino_t ino[VOL_CHAIN_MAX + 1];
        size_t n;
} ChainSeen;

static bool chain_seen(ChainSeen *s, const struct statx *sx) {
        dev_t d = makedev(sx->stx_dev_major, sx->stx_dev_minor);

        for (size_t i = 0; i < s->n; i++)
                if (s->dev[i] == d && s->ino[i] == sx->stx_ino)
                        return true;
        if (s->n < ELEMENTSOF(s->dev)) {
                s->dev[s->n] = d;
                s->ino[s->n++] = sx->stx_ino;
        }
        return false;
}

/* Follows the chain below info's image: its length, and whether it ends
 * cleanly. The first backing image's format is probed when the header did
 * not record it (libvirt before 6.0 did the same). */
static int read_chain(const char *path, const ImageHeader *top, ChainSeen *seen, VolInfo *info) {
        _cleanup_free_ char *cur = image_resolve_backing(path, top->backing);
        StorageFormat fmt = top->backing_format;

        info->backing_path = cur ? strdup(cur) : NULL;
        info->backing_format = fmt;
        if (cur && !info->backing_path)
                return -ENOMEM;
        while (cur) {
                _cleanup_close_ int fd = open(cur, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                ImageHeader h = {};
                struct statx sx;
                bool opened = fd >= 0 && statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) >= 0;
                char *next;

                if (info->n_stamps <= VOL_CHAIN_MAX && stamp_add(info, cur, opened ? &sx : NULL) < 0)
                        return -ENOMEM;
                if (!opened || chain_seen(seen, &sx) || info->chain_length >= VOL_CHAIN_MAX) {
                        info->chain_broken = true;
                        return 0;
                }
                info->chain_length++;
                if (read_header(fd, fmt == STORAGE_FORMAT_UNKNOWN ? STORAGE_FORMAT_NONE : fmt, sx.stx_size, &h) < 0) {
                        info->chain_broken = true;
                        return 0;
                }
                if (info->chain_length == 1 && info->backing_format == STORAGE_FORMAT_NONE)
                        info->backing_format = h.format;
                next = h.format == STORAGE_FORMAT_QCOW2 ? image_resolve_backing(cur, h.backing) : NULL;
                fmt = h.backing_format;
                image_header_done(&h);
                free(cur);
                cur = next;
        }
        return 0;
}

static int fill_format(int fd, const char *path, const struct statx *sx, VolInfo *info) {
        StorageFormat declared = vol_format_get_declared(fd);
        ImageHeader h = {};
        ChainSeen seen = {};
        int r;

        r = read_header(fd, declared, sx->stx_size, &h);
        if (r < 0)
                return r;
        info->format = declared != STORAGE_FORMAT_NONE ? declared : h.format;
        info->format_declared = declared != STORAGE_FORMAT_NONE;
        info->capacity = h.virtual_size ? h.virtual_size : info->physical;
        if (h.payload_offset && h.payload_offset <= info->physical)
                info->capacity = info->physical - h.payload_offset;
        info->encryption.format = h.encryption;
        if (h.encryption != STORAGE_ENC_NONE)
                vol_secret_get_declared(fd, &info->encryption);
        if (info->format == STORAGE_FORMAT_QCOW2) {
                info->compat = TAKE_PTR(h.compat);
                info->cluster_size = h.cluster_size;
                info->lazy_refcounts = h.lazy_refcounts;
                info->extended_l2 = h.extended_l2;
                chain_seen(&seen, sx);
                if (h.backing)
                        r = read_chain(path, &h, &seen, info);
        }
        image_header_done(&h);
        return r;
}

int vol_info_from_fd(int fd, const char *path, VolInfo *info) {
        struct statx sx;
        unsigned flags = 0;
        int r;

        *info = (VolInfo) {};
        r = fill_stat(fd, info, &sx);
        if (r < 0)
                goto fail;
        if (S_ISBLK(sx.stx_mode)) {
                uint64_t size = 0;

                if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
                        r = -errno;
                        goto fail;
                }
                info->type = STORAGE_VOL_BLOCK;
                info->capacity = info->allocation = info->physical = size;
                info->format = STORAGE_FORMAT_NONE;
                return 0;
        }
        if (!S_ISREG(sx.stx_mode)) {
                r = -EBADFD;
                goto fail;
        }
        info->type = STORAGE_VOL_FILE;
        r = stamp_add(info, path, &sx);
        if (r < 0)
                goto fail;
        info->physical = sx.stx_size;
        info->allocation = sx.stx_blocks * 512;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
                info->nocow = flags & FS_NOCOW_FL;
        r = fill_format(fd, path, &sx, info);
        if (r < 0)
                goto fail;
        return 0;
fail:
        vol_info_done(info);
        return r;
}

int vol_info_from_path(const char *path, VolInfo *info) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        return vol_info_from_fd(fd, path, info);
}
