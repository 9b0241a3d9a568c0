/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backend.h"
#include "storage-vol-conf.h"

const PoolBackend *backend_for(StoragePoolType type) {
        switch (type) {
        case STORAGE_POOL_DIR:
                return &backend_dir;
        case STORAGE_POOL_FS:
                return &backend_fs;
        case STORAGE_POOL_LOGICAL:
                return &backend_logical;
        default:
                return NULL;
        }
}

void pool_scan_done(PoolScan *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->entries[i].name);
                free(s->entries[i].path);
                free(s->entries[i].key);
                vol_info_done(&s->entries[i].info);
        }
        free(s->entries);
        *s = (PoolScan) {};
}

int pool_scan_add(PoolScan *s, const char *name, const char *path, const char *key, VolInfo *info) {
        ScanEntry *e;

        if (s->n == s->allocated) {
                size_t n = s->allocated ? s->allocated * 2 : 64;
                ScanEntry *a = realloc(s->entries, n * sizeof(*a));
                if (!a) {
                        vol_info_done(info);
                        return -ENOMEM;
                }
                s->entries = a;
                s->allocated = n;
        }
        e = &s->entries[s->n];
        *e = (ScanEntry) { .name = strdup(name), .path = strdup(path), .key = strdup(key), .info = *info };
        *info = (VolInfo) {};
        s->n++;
        if (!e->name || !e->path || !e->key)
                return -ENOMEM;
        return 0;
}

void vol_request_free(VolRequest *r) {
        if (!r)
                return;
        free(r->name);
        free(r->path);
        storage_vol_def_free(r->def);
        if (r->secret)
                explicit_bzero(r->secret, r->secret_len);
        free(r->secret);
        free(r->secret_dir);
        free(r->src_path);
        vol_info_done(&r->cur);
        vol_info_done(&r->info);
        free(r->key);
        free(r);
}
