/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtbus.Storage1 on the root object: what qemud asks (resolve a
 * <disk type='volume'>, mark the volumes a running guest uses) and the jobs
 * that are running, with their progress. */
#include "chains.h"
#include "error.h"
#include "manager.h"

static int find_volume(Manager *m, const char *pool, const char *name, Volume **ret, sd_bus_error *error) {
        Pool *p = manager_find_pool_by_name(m, pool);
        Volume *v;

        if (!p)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_POOL,
                                     "Storage pool not found: no storage pool with matching name '%s'", pool);
        if (!p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", pool);
        v = pool_find_volume(p, name);
        if (!v || v->building)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_VOL,
                                     "Storage volume not found: no storage vol with matching name '%s' in pool '%s'",
                                     name, pool);
        *ret = v;
        return 0;
}

static int method_resolve(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *pool, *name;
        Volume *v;
        int r = sd_bus_message_read(msg, "ss", &pool, &name);

        if (r < 0 || (r = find_volume(userdata, pool, name, &v, error)) < 0)
                return r;
        return sd_bus_reply_method_return(msg, "osss", v->bus_path, v->path, volume_disk_format(v),
                                          v->info.type == STORAGE_VOL_BLOCK ? "block" : "file");
}

static int method_set_in_use(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *pool, *name, *owner;
        Volume *v;
        int inuse, r;

        r = sd_bus_message_read(msg, "sssb", &pool, &name, &owner, &inuse);
        if (r < 0)
                return r;
        if (!inuse_owner_is_valid(owner))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid owner '%s'", owner);
        r = find_volume(m, pool, name, &v, error);
        if (r < 0)
                return r;
        r = inuse_set(&m->inuse, owner, v->key, inuse);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot record the use of '%s': %s", name,
                                     strerror(-r));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *owner;
        int r = sd_bus_message_read(msg, "s", &owner);

        if (r < 0)
                return r;
        r = inuse_release_owner(&m->inuse, owner);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the in-use table %s: %s",
                                     m->inuse.file, strerror(-r));
        /* and the files of its chains */
        int c = inuse_release_owner(&m->chains, owner);
        if (c < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the in-use table %s: %s",
                                     m->chains.file, strerror(-c));
        return sd_bus_reply_method_return(msg, "u", (uint32_t) r);
}

static int method_set_chains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **paths = NULL;
        const char *owner, *name;
        int r;

        r = sd_bus_message_read(msg, "ss", &owner, &name);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &paths);
        if (r < 0)
                return r;
        r = chains_set(userdata, owner, name, paths, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_list_chains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const InUseTable *t = &((Manager *) userdata)->chains;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < t->n; i++)
                r = sd_bus_message_append(reply, "(sss)", t->entries[i].owner,
                                          t->entries[i].label ? t->entries[i].label : "", t->entries[i].key);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_in_use(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < m->inuse.n; i++)
                r = sd_bus_message_append(reply, "(ss)", m->inuse.entries[i].owner, m->inuse.entries[i].key);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_jobs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ostt)");
        for (Job *j = m->jobs.jobs; r >= 0 && j; j = j->next)
                r = sd_bus_message_append(reply, "(ostt)", j->object ? j->object : STORAGED_ROOT, j->kind,
                                          atomic_load(&j->done), atomic_load(&j->total));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable storage1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ResolveVolume", "ss", SD_BUS_PARAM(pool) SD_BUS_PARAM(volume), "osss",
                                 SD_BUS_PARAM(storageVol) SD_BUS_PARAM(path) SD_BUS_PARAM(format) SD_BUS_PARAM(type),
                                 method_resolve, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("SetVolumeInUse", "sssb", SD_BUS_PARAM(pool) SD_BUS_PARAM(volume)
                                 SD_BUS_PARAM(owner) SD_BUS_PARAM(inuse), NULL, , method_set_in_use, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("ReleaseOwner", "s", SD_BUS_PARAM(owner), "u", SD_BUS_PARAM(released),
                                 method_release_owner, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("SetChains", "ssas", SD_BUS_PARAM(owner) SD_BUS_PARAM(name) SD_BUS_PARAM(paths),
                                 NULL, , method_set_chains, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("ListChainsInUse", NULL, , "a(sss)", SD_BUS_PARAM(files), method_list_chains,
                                 BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("ListVolumesInUse", NULL, , "a(ss)", SD_BUS_PARAM(uses), method_list_in_use, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("ListJobs", NULL, , "a(ostt)", SD_BUS_PARAM(jobs), method_list_jobs, BUS_READ),
        SD_BUS_VTABLE_END,
};

int storage1_dbus_register(Manager *m) {
        return sd_bus_add_object_vtable(m->bus, NULL, STORAGED_ROOT, "org.virtbus.Storage1", storage1_vtable, m);
}
