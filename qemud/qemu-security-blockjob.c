/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a block job's images are given and lose (qemu-security.h): the DAC
 * owner, the device controller's entry and the node in QEMU's /dev, as a
 * hot-plugged disk. Every give is matched by one take, so the owners
 * remembered with a count (security-dac.h) come back right: a shallow
 * copy's backing layers are given once more with the destination and
 * taken once more with the old source after the pivot. */
#include <sys/stat.h>

#include "domain-block.h"
#include "log.h"
#include "qemu-confine.h"
#include "qemu-security.h"
#include "security-dac.h"
#include "util.h"

static DomainDiskDef image_disk(const char *path, DomainDiskFormat fmt, bool block) {
        return (DomainDiskDef) {
                .src = (char *) path,
                .format = fmt,
                .type = block ? DOMAIN_DISK_TYPE_BLOCK : DOMAIN_DISK_TYPE_FILE,
        };
}

int qemu_security_blockjob_give(Domain *d, const char *path, DomainDiskFormat fmt, bool block, char *msg,
                                size_t size) {
        DomainDiskDef disk = image_disk(path, fmt, block);
        ConfError e = {};
        int r = qemu_security_set_disk(d, &disk, &e);

        if (r < 0) {
                snprintf(msg, size, "%s", e.message[0] ? e.message : strerror(-r));
                return r;
        }
        r = qemu_confine_disk(d, &disk, true, msg, size);
        if (r < 0)
                qemu_security_restore_disk(d, &disk);
        return r;
}

void qemu_security_blockjob_take(Domain *d, const char *path, DomainDiskFormat fmt, bool block) {
        DomainDiskDef disk = image_disk(path, fmt, block);
        char msg[256];

        if (!path || access(path, F_OK) < 0)
                return; /* deleted (a commit's DELETE): nothing to give back */
        qemu_security_restore_disk(d, &disk);
        if (qemu_confine_disk(d, &disk, false, msg, sizeof(msg)) < 0)
                log_debug("Domain %s: %s", d->def->name, msg);
}

/* One layer alone: its own chain is not followed. */
static void take_layer(Domain *d, const char *path) {
        struct stat st;

        if (stat(path, &st) >= 0)
                qemu_security_blockjob_take(d, path, DOMAIN_DISK_FORMAT_RAW, S_ISBLK(st.st_mode));
}

/* The disk's image and the layers under it: as the live definition last
 * knew them (cached), or as the headers say now. */
static int disk_files(const DomainDiskDef *disk, bool cached, char ***ret) {
        _cleanup_strv_free_ char **l = NULL, **chain = NULL;
        int r;

        if (!disk || !disk->src)
                return 0;
        r = strv_extend(&l, disk->src);
        if (r >= 0 && cached)
                for (size_t i = 0; r >= 0 && i < disk->n_backing; i++)
                        if (disk->backing[i].path)
                                r = strv_extend(&l, disk->backing[i].path);
        if (r >= 0 && !cached && disk->format == DOMAIN_DISK_FORMAT_QCOW2 &&
            security_image_backing_chain(disk->src, &chain) >= 0)
                for (size_t i = 0; r >= 0 && chain && chain[i]; i++)
                        r = strv_extend(&l, chain[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static bool has(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

/* The cached chain (a commit or pull already rewrote the headers when its
 * end is seen), with what the headers say now (a copy leaves its source's
 * alone; a chain never cached is then still known). */
char **qemu_security_blockjob_before(Domain *d, const char *dst) {
        const DomainDiskDef *disk = d->live ? domain_block_find_disk(d->live, dst) : NULL;
        _cleanup_strv_free_ char **l = NULL, **now = NULL;

        if (disk_files(disk, true, &l) < 0 || disk_files(disk, false, &now) < 0)
                return NULL;
        for (size_t i = 0; now && now[i]; i++)
                if (!has(l, now[i]) && strv_extend(&l, now[i]) < 0)
                        return NULL;
        return TAKE_PTR(l);
}

void qemu_security_blockjob_end(Domain *d, const char *dst, char **before, const QemuSecurityJobEnd *end) {
        _cleanup_strv_free_ char **now = NULL;

        if (!d->live)
                return;
        if (end->copy && !end->pivoted) {
                /* the destination never became the disk */
                qemu_security_blockjob_take(d, end->new_path, end->new_format, end->new_block);
                return;
        }
        if (end->copy) {
                /* the old source and its chain, as given at the start */
                for (size_t i = 0; before && before[i]; i++)
                        take_layer(d, before[i]);
                return;
        }
        /* a commit or pull: the layers merged away left the chain */
        if (disk_files(domain_block_find_disk(d->live, dst), false, &now) < 0)
                return;
        for (size_t i = 0; before && before[i]; i++)
                if (!has(now, before[i]))
                        take_layer(d, before[i]);
}
