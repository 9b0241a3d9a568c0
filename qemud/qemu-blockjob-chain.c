/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live XML of a disk under block jobs: the copy's <mirror>, and the
 * <backingStore> chain read from the images or from QEMU after a job. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain-manager.h"
#include "domain-status.h"
#include "log.h"
#include "qemu-blockjob-internal.h"
#include "qemu-domain.h"
#include "qemu-monitor.h"
#include "util.h"

void blockjob_save_state(Domain *d) {
        if (domain_is_active(d))
                (void) domain_status_save(d);
}

/* The copy's destination or the active commit's base, as <mirror>. */
void blockjob_set_mirror(Domain *d, const QemuBlockJob *j, const char *job) {
        DomainDiskDef *disk = domain_block_find_disk(d->live, j->dst);
        DomainDiskMirror *m;

        if (!disk || !j->new_path || !(m = calloc(1, sizeof(*m))))
                return;
        m->type = j->new_block ? DOMAIN_DISK_TYPE_BLOCK : DOMAIN_DISK_TYPE_FILE;
        m->format = j->new_format;
        m->path = strdup(j->new_path);
        m->job = strdup(job);
        if (!m->path || !m->job) {
                domain_disk_mirror_free(m);
                return;
        }
        domain_disk_mirror_free(disk->mirror);
        disk->mirror = m;
}

void blockjob_mirror_ready(Domain *d, const char *dst, const char *ready) {
        DomainDiskDef *disk = domain_block_find_disk(d->live, dst);

        if (disk && disk->mirror)
                free_and_replace_str(&disk->mirror->ready, ready ? strdup(ready) : NULL);
}

void blockjob_drop_mirror(Domain *d, const char *dst) {
        DomainDiskDef *disk = domain_block_find_disk(d->live, dst);

        if (disk) {
                domain_disk_mirror_free(disk->mirror);
                disk->mirror = NULL;
        }
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

#define QCOW2_MAGIC 0x514649fbU          /* "QFI\xfb" */
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU

/* A qcow2 image's backing file (made absolute against the image's
 * directory) and its format from the header extension (NONE when the
 * header names none); *ret_backing NULL: none. -EMEDIUMTYPE: no qcow2. */
static int qcow2_backing(const char *path, char **ret_backing, DomainDiskFormat *ret_format) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t h[4096];
        char name[1024];
        uint64_t off;
        uint32_t len, hlen, version;
        ssize_t n;

        *ret_backing = NULL;
        *ret_format = DOMAIN_DISK_FORMAT_NONE;
        if (fd < 0)
                return -errno;
        n = pread(fd, h, sizeof(h), 0);
        if (n < 0)
                return -errno;
        if (n < 72 || be32(h) != QCOW2_MAGIC)
                return -EMEDIUMTYPE;
        version = be32(h + 4);
        off = be64(h + 8);
        len = be32(h + 16);
        if (off == 0 || len == 0)
                return 0;
        if (len >= sizeof(name))
                return -EBADMSG;
        if (pread(fd, name, len, (off_t) off) != (ssize_t) len)
                return -EBADMSG;
        name[len] = 0;
        /* extensions: after the header (v3 says how long it is), each type,
         * length, data padded to 8 bytes, until type 0 */
        hlen = version >= 3 && n >= 104 ? be32(h + 100) : 72;
        for (size_t p = hlen; p + 8 <= (size_t) n;) {
                uint32_t type = be32(h + p), elen = be32(h + p + 4);

                if (type == 0 || p + 8 + elen > (size_t) n)
                        break;
                if (type == QCOW2_EXT_BACKING_FORMAT) {
                        if (elen == 5 && memcmp(h + p + 8, "qcow2", 5) == 0)
                                *ret_format = DOMAIN_DISK_FORMAT_QCOW2;
                        else if (elen == 3 && memcmp(h + p + 8, "raw", 3) == 0)
                                *ret_format = DOMAIN_DISK_FORMAT_RAW;
                }
                p += 8 + ((elen + 7) & ~7U);
        }
        if (name[0] == '/') {
                *ret_backing = strdup(name);
        } else {
                const char *slash = strrchr(path, '/');
                if (asprintf(ret_backing, "%.*s%s", slash ? (int) (slash - path + 1) : 0, path, name) < 0)
                        *ret_backing = NULL;
        }
        return *ret_backing ? 0 : -ENOMEM;
}

/* Raw unless its first bytes say qcow2, as QEMU probes a backing file
 * whose format the overlay does not name. */
static DomainDiskFormat probe_format(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t h[4];

        return fd >= 0 && pread(fd, h, 4, 0) == 4 && be32(h) == QCOW2_MAGIC ? DOMAIN_DISK_FORMAT_QCOW2
                                                                             : DOMAIN_DISK_FORMAT_RAW;
}

static DomainDiskType path_type(const char *path) {
        struct stat st;

        return stat(path, &st) >= 0 && S_ISBLK(st.st_mode) ? DOMAIN_DISK_TYPE_BLOCK : DOMAIN_DISK_TYPE_FILE;
}

static int add_layer(DomainDiskDef *disk, char *path, DomainDiskFormat format) {
        DomainDiskBacking *b = reallocarray(disk->backing, disk->n_backing + 1, sizeof(*b));

        if (!b) {
                free(path);
                return -ENOMEM;
        }
        disk->backing = b;
        b[disk->n_backing] = (DomainDiskBacking) {
                .type = path_type(path), .format = format, .path = path, .index = (unsigned) disk->n_backing + 1,
        };
        disk->n_backing++;
        return 0;
}

int qemu_blockjob_read_chain(DomainDiskDef *disk) {
        DomainDiskFormat fmt = disk->format;
        const char *top = disk->src;
        int r = 0;

        domain_disk_clear_backing(disk);
        if (!top)
                return -EINVAL;
        /* the chain a qcow2 image names, to a depth QEMU would open */
        while (fmt == DOMAIN_DISK_FORMAT_QCOW2 && disk->n_backing < 64) {
                char *backing;
                DomainDiskFormat bfmt;

                r = qcow2_backing(disk->n_backing ? disk->backing[disk->n_backing - 1].path : top, &backing, &bfmt);
                if (r < 0 || !backing)
                        break;
                if (bfmt == DOMAIN_DISK_FORMAT_NONE)
                        bfmt = probe_format(backing);
                r = add_layer(disk, backing, bfmt);
                if (r < 0)
                        break;
                fmt = bfmt;
        }
        if (r < 0 && r != -EMEDIUMTYPE) {
                domain_disk_clear_backing(disk);
                return r;
        }
        disk->backing_known = true;
        return 0;
}

void qemu_blockjob_fill_chains(Domain *d) {
        for (size_t i = 0; d->live && i < d->live->n_disks; i++) {
                DomainDiskDef *disk = &d->live->disks[i];
                int r;

                if (disk->backing_known || !disk->src || disk->device != DOMAIN_DISK_DEVICE_DISK)
                        continue;
                r = qemu_blockjob_read_chain(disk);
                if (r < 0)
                        log_debug_errno(r, "Domain %s: cannot read the backing chain of %s: %m", d->def->name,
                                        disk->dst);
        }
}

/* The chain of a query-block entry's image, into the live disk (below
 * its top image). */
static void chain_from_qemu(DomainDiskDef *disk, json_object *image) {
        domain_disk_clear_backing(disk);
        for (json_object *b = json_child(image, "backing-image"); b && disk->n_backing < 64;
             b = json_child(b, "backing-image")) {
                const char *file = json_str(b, "filename"), *fmt = json_str(b, "format");
                char *copy = file ? strdup(file) : NULL;

                if (!copy || add_layer(disk, copy, streq_ptr(fmt, "qcow2") ? DOMAIN_DISK_FORMAT_QCOW2 :
                                                   streq_ptr(fmt, "raw") ? DOMAIN_DISK_FORMAT_RAW :
                                                                           DOMAIN_DISK_FORMAT_NONE) < 0) {
                        domain_disk_clear_backing(disk);
                        return;
                }
        }
        disk->backing_known = true;
}

void blockjob_refresh_free(DiskRefresh *x) {
        free(x->dst);
        free(x);
}

/* After a job changed a disk: its top node (a pivot renames it) and its
 * chain, as QEMU has them now. */
static void on_block_for_refresh(QemuMonitor *mon, json_object *result, const char *error_class,
                                 const char *error_desc, void *userdata) {
        DiskRefresh *x = userdata;
        DomainDiskDef *disk = error_class ? NULL : domain_block_find_disk(x->d->live, x->dst);
        _cleanup_free_ char *start_node = NULL;
        json_object *e, *inserted;
        const char *node;

        if (!disk || !disk->alias)
                return blockjob_refresh_free(x);
        e = blockjob_find_block_entry(result, disk->alias);
        inserted = json_child(e, "inserted");
        node = json_str(inserted, "node-name");
        if (node && asprintf(&start_node, "%s-fmt", disk->alias) > 0) {
                QemuBlockJob *j = streq(node, start_node) ? blockjob_entry_find(x->d, x->dst) : blockjob_entry_get(x->d, x->dst);
                if (j && !streq(node, start_node))
                        free_and_replace_str(&j->top_node, strdup(node));
                else if (j && j->top_node) {
                        j->top_node = mfree(j->top_node);
                        if (!j->type)
                                blockjob_entry_unlink(x->d, j);
                }
        }
        if (inserted)
                chain_from_qemu(disk, json_child(inserted, "image"));
        blockjob_save_state(x->d);
        blockjob_refresh_free(x);
}

void blockjob_refresh_disk(Domain *d, const char *dst) {
        DiskRefresh *x = calloc(1, sizeof(*x));

        if (!x || !(x->dst = strdup(dst)) || !qemu_domain(d)->mon) {
                if (x)
                        blockjob_refresh_free(x);
                return;
        }
        x->d = d;
        if (qemu_monitor_command(qemu_domain(d)->mon, "query-block", NULL, on_block_for_refresh, x) < 0)
                blockjob_refresh_free(x);
}

const DomainDiskDef *qemu_blockjob_disk_of_node(Domain *d, const char *node) {
        for (QemuBlockJob *j = qemu_domain(d)->block_jobs; node && j; j = j->next)
                if (streq_ptr(j->top_node, node))
                        return domain_block_find_disk(d->live, j->dst);
        return NULL;
}
