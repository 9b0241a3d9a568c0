/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "volume.h"

int volume_new(Pool *pool, const char *name, const char *path, Volume **ret) {
        Volume *v = calloc(1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        v->pool = pool;
        v->name = strdup(name);
        v->path = strdup(path);
        if (!v->name || !v->path)
                return volume_free(v), -ENOMEM;
        *ret = v;
        return 0;
}

Volume *volume_free(Volume *v) {
        if (!v)
                return NULL;
        free(v->name);
        free(v->key);
        free(v->path);
        free(v->bus_path);
        vol_info_done(&v->info);
        free(v);
        return NULL;
}

int volume_set_key(Volume *v, const char *key) {
        _cleanup_free_ char *k = strdup(key), *label = bus_label_escape(key), *bus_path = NULL;

        if (!k || !label || asprintf(&bus_path, "%s/%s", STORAGED_VOL_PREFIX, label) < 0)
                return -ENOMEM;
        free_and_replace_str(&v->key, TAKE_PTR(k));
        free_and_replace_str(&v->bus_path, TAKE_PTR(bus_path));
        return 0;
}

/* The definition as the daemon reports it, built from what it measured. */
static int volume_to_def(const Volume *v, StorageVolDef **ret) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *d = calloc(1, sizeof(*d));
        const VolInfo *i = &v->info;

        if (!d)
                return -ENOMEM;
        d->type = i->type;
        d->name = strdup(v->name);
        d->key = strdup(v->key ? v->key : v->path);
        d->path = strdup(v->path);
        if (!d->name || !d->key || !d->path)
                return -ENOMEM;
        d->has_capacity = d->has_allocation = d->has_physical = true;
        d->capacity = i->capacity;
        d->allocation = i->allocation;
        d->physical = i->physical;
        d->format = i->type == STORAGE_VOL_BLOCK ? STORAGE_FORMAT_NONE : i->format;
        d->perms = i->perms;
        if (storage_timestamps_copy(&i->timestamps, &d->timestamps) < 0)
                return -ENOMEM;
        d->nocow = i->nocow;
        if (storage_vol_encryption_copy(&i->encryption, &d->encryption) < 0)
                return -ENOMEM;
        if (i->format == STORAGE_FORMAT_QCOW2) {
                d->compat = i->compat ? strdup(i->compat) : NULL;
                d->cluster_size = i->cluster_size;
                d->lazy_refcounts = i->lazy_refcounts;
                d->extended_l2 = i->extended_l2;
                d->has_features = i->compat && streq(i->compat, "1.1");
                if (i->backing_path) {
                        d->backing_path = strdup(i->backing_path);
                        if (!d->backing_path)
                                return -ENOMEM;
                        d->backing_format = i->backing_format;
                }
        }
        if (i->type == STORAGE_VOL_BLOCK && i->n_devs > 0) {
                d->has_source = true;
                d->source_devs = calloc(i->n_devs, sizeof(*d->source_devs));
                if (!d->source_devs)
                        return -ENOMEM;
                d->n_source_devs = i->n_devs;
                for (size_t k = 0; k < i->n_devs; k++) {
                        StorageVolSourceDev *s = &d->source_devs[k];
                        s->path = strdup(i->devs[k].path);
                        s->extents = malloc(sizeof(*s->extents) * (i->devs[k].n_extents ?: 1));
                        if (!s->path || !s->extents)
                                return -ENOMEM;
                        memcpy(s->extents, i->devs[k].extents, sizeof(*s->extents) * i->devs[k].n_extents);
                        s->n_extents = i->devs[k].n_extents;
                }
        }
        *ret = TAKE_PTR(d);
        return 0;
}

int volume_format_xml(const Volume *v, char **ret) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *d = NULL;
        int r = volume_to_def(v, &d);

        if (r < 0)
                return r;
        return storage_vol_def_format(d, ret);
}

uint64_t volume_transfer_limit(const Volume *v) {
        /* a LUKS file's bytes are its header and the ciphertext: all of them */
        if (v->info.type == STORAGE_VOL_FILE &&
            (v->info.format != STORAGE_FORMAT_RAW || v->info.encryption.format != STORAGE_ENC_NONE))
                return MAX(v->info.capacity, v->info.physical);
        return v->info.capacity;
}

const char *volume_disk_format(const Volume *v) {
        if (v->info.type == STORAGE_VOL_BLOCK || v->info.format == STORAGE_FORMAT_NONE)
                return "raw";
        return storage_format_to_string(v->info.format);
}

/* The pool's figures follow its volumes (as libvirt's do) until the next
 * refresh measures them again. */
void volume_account(Pool *p, uint64_t old_alloc, uint64_t new_alloc) {
        if (new_alloc >= old_alloc) {
                uint64_t d = new_alloc - old_alloc;
                p->allocation += d;
                p->available = p->available > d ? p->available - d : 0;
        } else {
                uint64_t d = old_alloc - new_alloc;
                p->allocation = p->allocation > d ? p->allocation - d : 0;
                p->available = MIN(p->available + d, p->capacity);
        }
}

/* Reprobing reads the image headers on the loop: a few KiB from each
 * layer, only when one of them changed since (a stat each), and never
 * while a job's worker owns the volume. */
void volume_refresh_if_stale(Volume *v) {
        VolInfo info;
        int r;

        if (v->busy || v->building || v->info.type != STORAGE_VOL_FILE || !vol_info_is_stale(&v->info))
                return;
        r = vol_info_from_path(v->path, &info);
        if (r < 0) {
                log_debug_errno(r, "Cannot probe volume %s again, describing it as it was: %m", v->path);
                return;
        }
        volume_account(v->pool, v->info.allocation, info.allocation);
        vol_info_done(&v->info);
        v->info = info;
}

int volume_check_idle(const Volume *v, const char *what, sd_bus_error *error) {
        if (v->building)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "volume '%s' is still being allocated.",
                                     v->name);
        if (v->busy)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot %s volume '%s': a %s job is running on it", what, v->name, v->busy);
        return 0;
}
