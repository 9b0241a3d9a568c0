/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* External snapshots' files (qemu-snapshot-internal.h): the memory image,
 * the new overlays a revert puts on the snapshot's images, and the merge
 * of a deleted snapshot's overlay into the image below it.
 *
 * An external snapshot made overlay O on the disk's image B: B holds the
 * disk as it was at the snapshot, O what was written after. Revert leaves
 * both alone (O may carry the snapshot's children) and puts a new overlay
 * on B. Delete merges O into B (B no longer needs to keep the moment),
 * the image above O, or the disk when O was its top, then stands on B. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "conf-file.h"
#include "domain-affect.h"
#include "domain-driver.h"
#include "domain-status.h"
#include "domain-manager.h"
#include "error.h"
#include "log.h"
#include "qemu-snapshot-internal.h"
#include "util.h"

/* ---- the memory image ---- */

int snapshot_memory_open(const char *path, const char *xml, bool running, QemuSaveHeader *hdr, int *ret_fd,
                         sd_bus_error *error) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return vb_error_setf(error, errno == EEXIST ? VB_ERROR_CONFIG_UNSUPPORTED : VB_ERROR_SYSTEM,
                                     errno == EEXIST ? "unsupported configuration: the memory file %s exists "
                                                       "already"
                                                     : "cannot create the memory file %s: %s",
                                     path, strerror(errno));
        *hdr = (QemuSaveHeader) {
                .xml_len = (uint32_t) strlen(xml),
                .xml_space = qemu_save_xml_space(strlen(xml)),
                .format = QEMU_SAVE_FORMAT_RAW,
                .flags = running ? QEMU_SAVE_IMAGE_WAS_RUNNING : 0,
        };
        r = qemu_save_image_write_head(fd, hdr, xml);
        if (r >= 0 && lseek(fd, (off_t) qemu_save_data_offset(hdr), SEEK_SET) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(path);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "cannot write the memory file %s: %s", path,
                                     strerror(-r));
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int snapshot_memory_finish(int fd, QemuSaveHeader *hdr) {
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        hdr->complete = true;
        hdr->data_len = (uint64_t) st.st_size - qemu_save_data_offset(hdr);
        /* The data first, the magic that says it is whole last. */
        if (fdatasync(fd) < 0)
                return -errno;
        qemu_save_header_encode(hdr, buf);
        if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t) sizeof(buf))
                return -EIO;
        return fdatasync(fd) < 0 ? -errno : 0;
}

static int bandwidth_apply(void *userdata, const char *key, const char *value) {
        uint64_t *mib = userdata;

        /* Only this key: a bad one is the save's to report. */
        if (streq(key, "save_bandwidth_limit") && safe_atou64(value, mib) < 0)
                *mib = 0;
        return 0;
}

uint64_t snapshot_memory_bandwidth(const Domain *d) {
        uint64_t mib = 0;

        (void) conf_load_file(d->manager->paths.confdir, "qemud.conf", bandwidth_apply, &mib);
        return mib < (1ULL << 20) ? mib : 0;
}

static int memory_check(const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *xml = NULL;
        QemuSaveHeader hdr;
        int r;

        if (def->memory != SNAPSHOT_LOCATION_EXTERNAL)
                return 0;
        if (!def->memory_file)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s' has no memory file",
                                     def->name);
        fd = open(def->memory_file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s': its memory file %s: %s",
                                     def->name, def->memory_file, strerror(errno));
        r = qemu_save_image_read(fd, &hdr, &xml);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s': its memory file %s: %s",
                                     def->name, def->memory_file, qemu_save_image_strerror(r));
        return 0;
}

/* ---- revert ---- */

static int img_chain(const char *file, char ***ret, char ***ret_formats, sd_bus_error *error);

/* A volume's disk in the definition a snapshot holds names no file: the
 * one it stood on is the backing file of the snapshot's overlay, which
 * qemud made with the path storaged resolved. */
static int resolve_volumes(const DomainSnapshotDef *def, DomainDef *dom, sd_bus_error *error) {
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                DomainDiskDef *disk = (DomainDiskDef *) snapshot_find_disk(dom, sd->name);
                _cleanup_strv_free_ char **chain = NULL;
                int r;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL || !disk || disk->type != DOMAIN_DISK_TYPE_VOLUME ||
                    disk->src || !sd->source_file)
                        continue;
                r = img_chain(sd->source_file, &chain, NULL, error);
                if (r < 0)
                        return r;
                if (strv_length(chain) < 2)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the overlay %s of "
                                             "disk '%s' (volume %s/%s) has no backing file", def->name,
                                             sd->source_file, sd->name, disk->src_pool, disk->src_volume);
                disk->src = strdup(chain[1]);
                if (!disk->src)
                        return -ENOMEM;
        }
        return 0;
}

static int snapshot_domain_resolved(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret,
                                    sd_bus_error *error) {
        int r = snapshot_domain(d, def, ret, error);

        if (r >= 0 && *ret)
                r = resolve_volumes(def, *ret, error);
        if (r < 0)
                *ret = domain_def_free(*ret);
        return r;
}

static int revert_dom(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret, sd_bus_error *error) {
        int r = snapshot_domain_resolved(d, def, ret, error);

        if (r < 0)
                return r;
        if (!*ret)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s' holds no definition of "
                                     "the domain to revert to", def->name);
        return 0;
}

int snapshot_external_check(const Domain *d, const DomainSnapshotDef *def, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        int r = revert_dom(d, def, &dom, error);

        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                const DomainDiskDef *disk;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                disk = snapshot_find_disk(dom, sd->name);
                if (!disk || !disk->src ||
                    (disk->type != DOMAIN_DISK_TYPE_FILE && disk->type != DOMAIN_DISK_TYPE_VOLUME))
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': disk '%s' has no "
                                             "file in its definition", def->name, sd->name);
                if (access(disk->src, R_OK) < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: snapshot '%s': the image %s of "
                                             "disk '%s' is gone: %s", def->name, disk->src, sd->name,
                                             strerror(errno));
        }
        return memory_check(def, error);
}

/* "<dir>/<stem>.<snapshot>-<k>", the first that is free. */
static char *revert_overlay_name(const char *base, const char *name) {
        for (unsigned k = 1; k < 10000; k++) {
                _cleanup_free_ char *tag = NULL;
                char *p;

                if (asprintf(&tag, "%s-%u", name, k) < 0)
                        return NULL;
                p = snapshot_default_overlay(base, tag);
                if (!p || access(p, F_OK) < 0)
                        return p;
                free(p);
        }
        return NULL;
}

static void unlink_all(char **files) {
        for (size_t i = 0; files && files[i]; i++)
                (void) unlink(files[i]);
}

int snapshot_external_revert_def(const Domain *d, const DomainSnapshotDef *def, DomainDef **ret,
                                 sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        _cleanup_strv_free_ char **made = NULL;
        int r = snapshot_external_check(d, def, error);

        if (r >= 0)
                r = revert_dom(d, def, &dom, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                DomainDiskDef *disk;
                char *overlay;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                disk = (DomainDiskDef *) snapshot_find_disk(dom, sd->name);
                overlay = revert_overlay_name(disk->src, def->name);
                if (!overlay || strv_consume(&made, overlay) < 0) {
                        unlink_all(made);
                        return -ENOMEM;
                }
                r = snapshot_img_create_overlay(overlay, disk->src, error);
                if (r < 0) {
                        /* the one that failed is no file of ours either */
                        unlink_all(made);
                        return r;
                }
                free(disk->src);
                disk->src = strdup(overlay);
                if (!disk->src) {
                        unlink_all(made);
                        return -ENOMEM;
                }
                disk->format = DOMAIN_DISK_FORMAT_QCOW2;
                /* a volume's disk: a file one on the overlay now, as at the snapshot */
                disk->type = DOMAIN_DISK_TYPE_FILE;
                disk->src_pool = mfree(disk->src_pool);
                disk->src_volume = mfree(disk->src_volume);
                domain_disk_clear_backing(disk);
        }
        *ret = TAKE_PTR(dom);
        return 0;
}

/* ---- delete: the merge ---- */

void snapshot_commit_plan_done(SnapshotCommitPlan *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->items[i].disk);
                free(p->items[i].top);
                free(p->items[i].base);
                free(p->items[i].base_format);
                free(p->items[i].above);
        }
        free(p->items);
        *p = (SnapshotCommitPlan) {};
}

/* The images of file's chain and their formats, top first, from QEMU
 * (query-named-block-nodes: the format node of file, its image's
 * backing-image nest): no qemu-img to run while the guest runs. */
static int nodes_chain(json_object *nodes, const char *file, char ***ret, char ***ret_formats,
                       sd_bus_error *error) {
        size_t n = json_object_array_length(nodes);
        _cleanup_strv_free_ char **l = NULL, **f = NULL;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(nodes, i), *v, *img;
                const char *drv;

                if (!json_object_object_get_ex(e, "file", &v) || !streq_ptr(json_object_get_string(v), file) ||
                    !json_object_object_get_ex(e, "drv", &v) || !(drv = json_object_get_string(v)) ||
                    streq(drv, "file") || streq(drv, "throttle") || !json_object_object_get_ex(e, "image", &img))
                        continue;
                for (; img; img = json_object_object_get_ex(img, "backing-image", &v) ? v : NULL) {
                        json_object *name, *fmt;
                        if (!json_object_object_get_ex(img, "filename", &name) ||
                            !json_object_object_get_ex(img, "format", &fmt) ||
                            strv_extend(&l, json_object_get_string(name)) < 0 ||
                            strv_extend(&f, json_object_get_string(fmt)) < 0)
                                return -ENOMEM;
                }
                *ret = TAKE_PTR(l);
                *ret_formats = TAKE_PTR(f);
                return 0;
        }
        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "QEMU has no image %s open", file);
}

/* The images of file's chain, top first (qemu-img info --backing-chain),
 * and their formats (ret_formats may be NULL). */
static int img_chain(const char *file, char ***ret, char ***ret_formats, sd_bus_error *error) {
        const char *args[] = { "info", "-U", "--backing-chain", "--output=json", file, NULL };
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **l = NULL, **f = NULL;
        json_object *a;
        char msg[512];
        int r = snapshot_qemu_img(args, &out, msg, sizeof(msg));

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img info %s: %s", file, msg);
        a = json_tokener_parse(out);
        if (!a || !json_object_is_type(a, json_type_array)) {
                json_object_put(a);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "qemu-img info %s: no chain", file);
        }
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i), *v, *fmt;
                if (json_object_object_get_ex(e, "filename", &v) &&
                    (strv_extend(&l, json_object_get_string(v)) < 0 ||
                     strv_extend(&f, json_object_object_get_ex(e, "format", &fmt) ? json_object_get_string(fmt)
                                                                                  : "raw") < 0)) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        json_object_put(a);
        *ret = TAKE_PTR(l);
        if (ret_formats)
                *ret_formats = TAKE_PTR(f);
        return 0;
}

static ssize_t strv_index(char **l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return (ssize_t) i;
        return -1;
}

/* The snapshot above which def's disk was last taken, when internal:
 * libvirt 9.0 refuses to merge then. */
static bool parent_is_internal(const SnapshotList *l, const DomainSnapshotDef *def, const char *disk) {
        const DomainSnapshotDef *p = def->parent ? snapshot_list_find(l, def->parent) : NULL;

        for (; p; p = p->parent ? snapshot_list_find(l, p->parent) : NULL)
                for (size_t i = 0; i < p->n_disks; i++)
                        if (streq(p->disks[i].name, disk) && p->disks[i].snapshot != SNAPSHOT_LOCATION_NO)
                                return p->disks[i].snapshot == SNAPSHOT_LOCATION_INTERNAL;
        return false;
}

/* No other snapshot stands on base without the top between: once merged
 * into, base would no longer be what that snapshot holds. */
static int check_base_alone(const Domain *d, const DomainSnapshotDef *def, const SnapshotList *l,
                            const SnapshotCommit *c, sd_bus_error *error) {
        for (size_t i = 0; i < l->n; i++) {
                const DomainSnapshotDef *s = l->items[i];
                _cleanup_(domain_def_freep) DomainDef *dom = NULL;
                _cleanup_strv_free_ char **chain = NULL;
                const DomainDiskDef *disk;

                if (s == def || snapshot_domain_resolved(d, s, &dom, NULL) < 0 || !dom)
                        continue;
                disk = snapshot_find_disk(dom, c->disk);
                if (!disk || !disk->src || streq(disk->src, c->base) || access(disk->src, F_OK) < 0 ||
                    img_chain(disk->src, &chain, NULL, NULL) < 0)
                        continue;
                if (strv_index(chain, c->base) >= 0 && strv_index(chain, c->top) < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "Requested operation is not valid: the overlay %s of snapshot '%s' "
                                             "cannot be merged into %s: snapshot '%s' stands on that image",
                                             c->top, def->name, c->base, s->name);
        }
        return 0;
}

static int plan_disk(const Domain *d, const DomainDef *dom, const DomainDef *snapdom, const DomainSnapshotDef *def,
                     const SnapshotList *l, json_object *nodes, const DomainSnapshotDiskDef *sd, SnapshotCommit *c,
                     sd_bus_error *error) {
        _cleanup_strv_free_ char **chain = NULL, **formats = NULL;
        const DomainDiskDef *now = snapshot_find_disk(dom, sd->name);
        const DomainDiskDef *then = snapshot_find_disk(snapdom, sd->name);
        ssize_t k;
        int r;

        if (!now || !now->src || !then || !then->src || !sd->source_file)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s': disk '%s' is gone from "
                                     "the domain", def->name, sd->name);
        if (parent_is_internal(l, def, sd->name))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "this function is not supported by the connection driver: deleting "
                                     "external snapshot that has internal snapshot as parent not supported");
        r = nodes ? nodes_chain(nodes, now->src, &chain, &formats, error)
                  : img_chain(now->src, &chain, &formats, error);
        if (r < 0)
                return r;
        k = strv_index(chain, sd->source_file);
        if (k < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Requested operation is not valid: snapshot '%s': its overlay %s is not in "
                                     "the current chain of disk '%s' (%s)", def->name, sd->source_file,
                                     sd->name, now->src);
        if (!chain[k + 1] || !streq(chain[k + 1], then->src))
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "snapshot '%s': the overlay %s of disk '%s' does not stand on %s",
                                     def->name, sd->source_file, sd->name, then->src);
        *c = (SnapshotCommit) {
                .disk = strdup(sd->name),
                .top = strdup(sd->source_file),
                .base = strdup(then->src),
                .base_format = strdup(formats && formats[k + 1] ? formats[k + 1] : "qcow2"),
                .above = k > 0 ? strdup(chain[k - 1]) : NULL,
        };
        if (!c->disk || !c->top || !c->base || !c->base_format || (k > 0 && !c->above))
                return -ENOMEM;
        return check_base_alone(d, def, l, c, error);
}

int snapshot_commit_plan(const Domain *d, const DomainDef *dom, const DomainSnapshotDef *def,
                         const SnapshotList *l, json_object *nodes, SnapshotCommitPlan *ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *snapdom = NULL;
        SnapshotCommitPlan p = {};
        int r = revert_dom(d, def, &snapdom, error);

        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_disks; i++) {
                const DomainSnapshotDiskDef *sd = &def->disks[i];
                SnapshotCommit *items;

                if (sd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                items = realloc(p.items, (p.n + 1) * sizeof(*items));
                if (!items) {
                        snapshot_commit_plan_done(&p);
                        return -ENOMEM;
                }
                p.items = items;
                p.items[p.n] = (SnapshotCommit) {};
                r = plan_disk(d, dom, snapdom, def, l, nodes, sd, &p.items[p.n++], error);
                if (r < 0) {
                        snapshot_commit_plan_done(&p);
                        return r;
                }
        }
        *ret = p;
        return 0;
}

int snapshot_commit_offline(const SnapshotCommitPlan *p, sd_bus_error *error) {
        for (size_t i = 0; i < p->n; i++) {
                const SnapshotCommit *c = &p->items[i];
                const char *commit[] = { "commit", "-q", "-d", c->top, NULL };
                char msg[512];
                int r = snapshot_qemu_img(commit, NULL, msg, sizeof(msg));

                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "cannot merge the overlay %s of disk '%s' into %s: %s", c->top,
                                             c->disk, c->base, msg);
                if (!c->above)
                        continue;
                const char *rebase[] = { "rebase", "-q", "-u", "-F", c->base_format, "-b", c->base, c->above, NULL };
                r = snapshot_qemu_img(rebase, NULL, msg, sizeof(msg));
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "cannot put %s of disk '%s' onto %s: %s", c->above, c->disk,
                                             c->base, msg);
        }
        return 0;
}

/* disk of dom names top: it names base now. */
static int renamed(DomainDef *dom, const SnapshotCommit *c) {
        DomainDiskDef *disk = dom ? (DomainDiskDef *) snapshot_find_disk(dom, c->disk) : NULL;
        int fmt;

        if (!disk || !disk->src || !streq(disk->src, c->top))
                return 0;
        free_and_replace_str(&disk->src, strdup(c->base));
        if (!disk->src)
                return -ENOMEM;
        fmt = domain_disk_format_from_string(c->base_format);
        disk->format = fmt >= 0 ? fmt : DOMAIN_DISK_FORMAT_QCOW2;
        domain_disk_clear_backing(disk);
        return 1;
}

static int rewrite_snapshot(const Domain *d, DomainSnapshotDef *s, const SnapshotCommitPlan *p) {
        _cleanup_(domain_def_freep) DomainDef *dom = NULL;
        bool changed = false;
        char *xml = NULL;
        int r;

        if (snapshot_domain(d, s, &dom, NULL) < 0 || !dom)
                return 0;
        for (size_t i = 0; i < p->n; i++) {
                r = renamed(dom, &p->items[i]);
                if (r < 0)
                        return r;
                changed |= r > 0;
        }
        if (!changed)
                return 0;
        r = domain_def_format(dom, DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE, &xml);
        if (r < 0)
                return r;
        free(s->domain_xml);
        s->domain_xml = xml;
        return domain_snapshot_write(d, s);
}

int snapshot_commit_finish(const Domain *d, DomainDef *dom, const DomainSnapshotDef *def, SnapshotList *l,
                           const SnapshotCommitPlan *p) {
        int r = 0;

        for (size_t i = 0; i < p->n; i++) {
                int k = renamed(dom, &p->items[i]);
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; l && i < l->n; i++)
                if (l->items[i] != def && !streq(l->items[i]->name, def->name)) {
                        int k = rewrite_snapshot(d, l->items[i], p);
                        if (k < 0 && r == 0)
                                r = k;
                }
        for (size_t i = 0; i < p->n; i++)
                if (unlink(p->items[i].top) < 0 && errno != ENOENT)
                        log_warning("cannot remove the merged overlay %s: %s", p->items[i].top, strerror(errno));
        return r;
}

int snapshot_commit_apply(Domain *d, const DomainSnapshotDef *def, SnapshotList *l, const SnapshotCommitPlan *p) {
        DomainDef **pdef = domain_persistent_def(d);
        int r;

        if (domain_is_active(d)) {
                r = snapshot_commit_finish(d, d->live, def, l, p);
                (void) domain_status_save(d);
                if (pdef && *pdef && *pdef != d->live)
                        (void) snapshot_commit_finish(d, *pdef, def, NULL, p);
        } else
                r = snapshot_commit_finish(d, d->def, def, l, p);
        if (d->persistent && domain_save_config(d) < 0)
                log_warning("Domain %s: cannot save the definition after the delete of snapshot %s.",
                            d->def->name, def->name);
        if (def->memory == SNAPSHOT_LOCATION_EXTERNAL && def->memory_file && unlink(def->memory_file) < 0 &&
            errno != ENOENT)
                log_warning("Domain %s: cannot remove the memory file %s: %s", d->def->name, def->memory_file,
                            strerror(errno));
        return r;
}
