/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "backend.h"
#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "ptr-array.h"
#include "util.h"

int pool_new(Manager *m, StoragePoolDef *def, Pool **ret) {
        Pool *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->vols_by_name = hashmap_new();
        p->path = bus_path_from_uuid(STORAGED_ROOT, "storagepool", def->uuid);
        if (!p->vols_by_name || !p->path) {
                hashmap_free(p->vols_by_name);
                free(p->path);
                free(p);
                return -ENOMEM;
        }
        p->def = def;
        uuid_format(def->uuid, p->uuid_str);
        *ret = p;
        return 0;
}

Pool *pool_free(Pool *p) {
        if (!p)
                return NULL;
        pool_clear_volumes(p);
        hashmap_free(p->vols_by_name);
        free(p->vols);
        storage_pool_def_free(p->def);
        storage_pool_def_free(p->newdef);
        free(p->path);
        free(p);
        return NULL;
}

const StoragePoolDef *pool_current_def(const Pool *p, bool inactive) {
        return inactive && p->newdef ? p->newdef : p->def;
}

static char *file_in(const char *dir, const char *name) {
        char *f;

        if (asprintf(&f, "%s/%s.xml", dir, name) < 0)
                return NULL;
        return f;
}

int pool_save_config(Pool *p) {
        const StoragePoolDef *def = p->newdef ? p->newdef : p->def;
        _cleanup_free_ char *xml = NULL, *file = file_in(p->manager->confdir, def->name);
        int r;

        if (!file)
                return -ENOMEM;
        r = storage_pool_def_format(def, STORAGE_POOL_FORMAT_INACTIVE, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(file, xml, strlen(xml), 0600);
}

int pool_remove_config(Pool *p) {
        _cleanup_free_ char *file = file_in(p->manager->confdir, p->def->name);
        _cleanup_free_ char *link = file_in(p->manager->autostartdir, p->def->name);
        int r;

        if (!file || !link)
                return -ENOMEM;
        /* The link first: a definition left behind is still whole. */
        r = unlink_if_exists(link);
        return r < 0 ? r : unlink_if_exists(file);
}

int pool_set_autostart(Pool *p, bool autostart) {
        _cleanup_free_ char *link = file_in(p->manager->autostartdir, p->def->name), *target = NULL;

        if (!link)
                return -ENOMEM;
        if (!autostart) {
                int r = unlink_if_exists(link);
                if (r < 0)
                        return r;
        } else {
                if (asprintf(&target, "../%s.xml", p->def->name) < 0)
                        return -ENOMEM;
                (void) unlink_if_exists(link);
                if (symlink(target, link) < 0)
                        return -errno;
        }
        p->autostart = autostart;
        return 0;
}

char *pool_state_file(Pool *p) {
        return file_in(p->manager->rundir, p->def->name);
}

int pool_write_state(const char *file, StoragePoolDef *def, uint64_t capacity, uint64_t allocation,
                     uint64_t available) {
        _cleanup_free_ char *xml = NULL;
        int r;

        def->has_sizes = true;
        def->capacity = capacity;
        def->allocation = allocation;
        def->available = available;
        r = storage_pool_def_format(def, 0, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(file, xml, strlen(xml), 0600);
}

int pool_save_state(Pool *p) {
        _cleanup_free_ char *file = pool_state_file(p);

        if (!file)
                return -ENOMEM;
        return pool_write_state(file, p->def, p->capacity, p->allocation, p->available);
}

int pool_remove_state(Pool *p) {
        _cleanup_free_ char *file = file_in(p->manager->rundir, p->def->name);

        if (!file)
                return -ENOMEM;
        return unlink_if_exists(file);
}

void pool_emit_event(Pool *p, int event) {
        int r = sd_bus_emit_signal(p->manager->bus, STORAGED_ROOT, "org.libvirt.Connect", "StoragePoolEvent", "oii",
                                   p->path, event, 0);
        if (r < 0)
                log_warning_errno(r, "Cannot emit StoragePoolEvent for %s: %m", p->def->name);
}

void pool_emit_refresh(Pool *p) {
        int r = sd_bus_emit_signal(p->manager->bus, p->path, "org.libvirt.StoragePool", "Refresh", NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit Refresh for %s: %m", p->def->name);
}

Volume *pool_find_volume(Pool *p, const char *name) {
        return hashmap_get(p->vols_by_name, name);
}

/* The manager's indexes hold volumes that have a key. */
static void index_volume(Pool *p, Volume *v) {
        Manager *m = p->manager;

        if (!v->key)
                return;
        if (hashmap_put(m->vols_by_key, v->key, v) == -EEXIST)
                log_warning("Volume key %s appears twice; the second is reachable by its pool only.", v->key);
        (void) hashmap_put(m->vols_by_path, v->path, v);
}

static void unindex_volume(Pool *p, Volume *v) {
        if (!v->key)
                return;
        (void) hashmap_remove(p->manager->vols_by_key, v->key, v);
        (void) hashmap_remove(p->manager->vols_by_path, v->path, v);
}

int pool_add_volume(Pool *p, Volume *v) {
        int r;

        r = ptr_array_grow((void ***) &p->vols, p->n_vols, &p->n_allocated);
        if (r < 0)
                return r;
        r = hashmap_put(p->vols_by_name, v->name, v);
        if (r < 0)
                return r;
        p->vols[p->n_vols++] = v;
        index_volume(p, v);
        return 0;
}

void pool_remove_volume(Pool *p, Volume *v) {
        for (size_t i = 0; i < p->n_vols; i++)
                if (p->vols[i] == v) {
                        p->vols[i] = p->vols[--p->n_vols];
                        break;
                }
        (void) hashmap_remove(p->vols_by_name, v->name, v);
        unindex_volume(p, v);
}

void pool_clear_volumes(Pool *p) {
        while (p->n_vols > 0) {
                Volume *v = p->vols[p->n_vols - 1];

                pool_remove_volume(p, v);
                /* A pool stops only when no job works on its volumes; at
                 * exit, a job still running keeps its volume (it is left). */
                if (!v->busy)
                        volume_free(v);
        }
}

unsigned pool_count_volume_jobs(const Pool *p) {
        unsigned n = 0;

        for (size_t i = 0; i < p->n_vols; i++)
                n += p->vols[i]->busy != NULL;
        return n;
}

static int apply_entry(Pool *p, ScanEntry *e) {
        Volume *v = pool_find_volume(p, e->name);
        int r;

        if (v && (v->busy || v->building))
                return 0; /* its job knows better */
        if (v && v->key && !streq(v->key, e->key)) {
                /* Same name, another file or LV: a new volume. */
                pool_remove_volume(p, v);
                volume_free(v);
                v = NULL;
        }
        if (!v) {
                r = volume_new(p, e->name, e->path, &v);
                if (r >= 0)
                        r = volume_set_key(v, e->key);
                if (r >= 0)
                        r = pool_add_volume(p, v);
                if (r < 0) {
                        volume_free(v);
                        return r;
                }
        }
        vol_info_done(&v->info);
        v->info = e->info;
        e->info = (VolInfo) {};
        return 0;
}

int pool_apply_scan(Pool *p, PoolScan *scan) {
        _cleanup_(hashmap_freep) Hashmap *seen = hashmap_new();
        int r;

        if (!seen)
                return -ENOMEM;
        p->capacity = scan->capacity;
        p->allocation = scan->allocation;
        p->available = scan->available;
        for (size_t i = 0; i < scan->n; i++) {
                r = apply_entry(p, &scan->entries[i]);
                if (r < 0)
                        return r;
                (void) hashmap_put(seen, scan->entries[i].name, p);
        }
        /* What the scan did not find is gone, unless a job works on it. */
        for (size_t i = p->n_vols; i-- > 0;) {
                Volume *v = p->vols[i];

                if (v->busy || v->building || hashmap_get(seen, v->name))
                        continue;
                pool_remove_volume(p, v);
                volume_free(v);
        }
        return 0;
}

bool pool_finish_stop(Pool *p) {
        Manager *m = p->manager;

        p->active = false;
        pool_clear_volumes(p);
        p->capacity = p->allocation = p->available = 0;
        if (p->newdef) {
                storage_pool_def_free(p->def);
                p->def = TAKE_PTR(p->newdef);
        }
        if (p->persistent)
                return false;
        manager_remove_pool(m, p);
        pool_free(p);
        return true;
}
