/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The root object: the storage part of org.libvirt.Connect, and
 * org.virtbus.Storage1 (what qemud needs, and the running jobs). */
#include <limits.h>

#include "backend.h"
#include "bus-connect.h"
#include "bus-util.h"
#include "error.h"
#include "log.h"
#include "manager.h"
#include "storage-caps.h"

enum {
        LIST_POOLS_INACTIVE = 1 << 0,
        LIST_POOLS_ACTIVE = 1 << 1,
        LIST_POOLS_PERSISTENT = 1 << 2,
        LIST_POOLS_TRANSIENT = 1 << 3,
        LIST_POOLS_AUTOSTART = 1 << 4,
        LIST_POOLS_NO_AUTOSTART = 1 << 5,
        LIST_POOLS_TYPE_SHIFT = 6, /* then one bit per type, in StoragePoolType's order */
};
#define LIST_POOLS_ALL_TYPES (((1U << _STORAGE_POOL_TYPE_MAX) - 1) << LIST_POOLS_TYPE_SHIFT)

static bool pool_matches(const Pool *p, uint32_t flags) {
        uint32_t types = flags & LIST_POOLS_ALL_TYPES;

        return list_flags_match(flags, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, p->active) &&
               list_flags_match(flags, LIST_POOLS_PERSISTENT, LIST_POOLS_TRANSIENT, p->persistent) &&
               list_flags_match(flags, LIST_POOLS_AUTOSTART, LIST_POOLS_NO_AUTOSTART, p->autostart) &&
               (!types || (types & (1U << (LIST_POOLS_TYPE_SHIFT + p->def->type))));
}

static const char *pool_listed(const void *item, uint32_t flags) {
        const Pool *p = item;

        return pool_matches(p, flags) ? p->path : NULL;
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        if (flags & ~(0x3fU | LIST_POOLS_ALL_TYPES))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        return bus_reply_object_list(msg, (void *const *) m->pools, m->n_pools, pool_listed, flags);
}

static int parse_pool(const char *xml, StoragePoolDef **ret, sd_bus_error *error) {
        const PoolBackend *b;
        ConfError err = {};
        int r = storage_pool_def_parse(xml, strlen(xml), ret, &err);

        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s", err.message);
        b = backend_for((*ret)->type);
        if (b->check(*ret, &err) < 0) {
                *ret = storage_pool_def_free(*ret);
                return vb_error_setf(error, err.name, "%s", err.message);
        }
        return 0;
}

/* Two pools must not share a directory, a device or a volume group. */
static const char *conflict(const StoragePoolDef *a, const StoragePoolDef *b, const char **what) {
        if (a->type != STORAGE_POOL_LOGICAL && b->type != STORAGE_POOL_LOGICAL &&
            streq(a->target_path, b->target_path)) {
                *what = "target path";
                return a->target_path;
        }
        if (a->type == STORAGE_POOL_LOGICAL && b->type == STORAGE_POOL_LOGICAL &&
            streq(a->source_name, b->source_name)) {
                *what = "volume group";
                return a->source_name;
        }
        for (char **d = a->source_devices; d && *d; d++)
                for (char **e = b->source_devices; e && *e; e++)
                        if (streq(*d, *e)) {
                                *what = "source device";
                                return *d;
                        }
        return NULL;
}

static int check_conflicts(Manager *m, const StoragePoolDef *def, Pool **ret_same, sd_bus_error *error) {
        Pool *by_name = manager_find_pool_by_name(m, def->name);
        Pool *by_uuid = manager_find_pool_by_uuid(m, def->uuid);

        if (by_uuid && by_uuid != by_name)
                return vb_error_setf(error, VB_ERROR_STORAGE_POOL_EXISTS, "pool '%s' is already defined with uuid %s",
                                     by_uuid->def->name, by_uuid->uuid_str);
        if (by_name && by_name != by_uuid)
                return vb_error_setf(error, VB_ERROR_STORAGE_POOL_EXISTS, "pool '%s' already exists with uuid %s",
                                     def->name, by_name->uuid_str);
        for (size_t i = 0; i < m->n_pools; i++) {
                Pool *q = m->pools[i];
                const char *what = NULL, *value;

                if (q == by_name)
                        continue;
                value = conflict(def, q->def, &what);
                if (!value && q->newdef)
                        value = conflict(def, q->newdef, &what);
                if (value)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "storage source conflict with pool '%s': %s '%s' is used by both",
                                             q->def->name, what, value);
        }
        *ret_same = by_name;
        return 0;
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        Manager *m = userdata;
        const char *xml;
        uint32_t flags;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "su", &xml, &flags);
        if (r < 0)
                return r;
        if (flags & ~1U /* VALIDATE: we always do */)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        if ((r = parse_pool(xml, &def, error)) < 0 || (r = check_conflicts(m, def, &p, error)) < 0)
                return r;
        if (p && p->busy)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "pool '%s' is busy: it is %s", p->def->name,
                                     p->busy);
        if (!p) {
                r = pool_new(m, TAKE_PTR(def), &p);
                if (r < 0)
                        return r;
                p->persistent = true;
                r = pool_save_config(p);
                if (r < 0 || (r = manager_add_pool(m, p)) < 0) {
                        (void) pool_remove_config(p);
                        pool_free(p);
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                             strerror(-r));
                }
        } else {
                StoragePoolDef **slot = p->active ? &p->newdef : &p->def, *old = *slot;
                bool was_persistent = p->persistent;

                *slot = TAKE_PTR(def);
                p->persistent = true;
                r = pool_save_config(p);
                if (r < 0) {
                        def = *slot;
                        *slot = old;
                        p->persistent = was_persistent;
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the definition: %s",
                                             strerror(-r));
                }
                storage_pool_def_free(old);
        }
        pool_emit_event(p, POOL_EVENT_DEFINED);
        return bus_reply_object_path(msg, p->path);
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        Manager *m = userdata;
        const char *xml;
        uint32_t flags;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "su", &xml, &flags);
        if (r < 0)
                return r;
        if (flags & ~7U)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags);
        if ((r = parse_pool(xml, &def, error)) < 0 || (r = check_conflicts(m, def, &p, error)) < 0)
                return r;
        if (p)
                return vb_error_setf(error, p->active ? VB_ERROR_OPERATION_INVALID : VB_ERROR_STORAGE_POOL_EXISTS,
                                     p->active ? "storage pool '%s' is already active"
                                               : "storage pool '%s' is already defined: start it with Create",
                                     def->name);
        r = pool_new(m, TAKE_PTR(def), &p);
        if (r < 0)
                return r;
        r = manager_add_pool(m, p);
        if (r >= 0)
                r = pool_start_async(p, flags, true, msg, error);
        if (r < 0) {
                manager_remove_pool(m, p);
                pool_free(p);
        }
        return r;
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        Pool *p;
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0)
                return r;
        p = manager_find_pool_by_name(userdata, name);
        if (!p)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_POOL,
                                     "Storage pool not found: no storage pool with matching name '%s'", name);
        return bus_reply_object_path(msg, p->path);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        uint8_t uuid[16];
        Pool *p;
        int r = bus_read_uuid(msg, &s, uuid, error);

        if (r < 0)
                return r;
        p = manager_find_pool_by_uuid(userdata, uuid);
        if (!p)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_POOL,
                                     "Storage pool not found: no storage pool with matching uuid '%s'", s);
        return bus_reply_object_path(msg, p->path);
}

static int method_vol_lookup_by_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *key;
        Volume *v;
        int r = sd_bus_message_read(msg, "s", &key);

        if (r < 0)
                return r;
        v = manager_find_volume_by_key(userdata, key);
        if (!v)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_VOL,
                                     "Storage volume not found: no storage vol with matching key '%s'", key);
        return bus_reply_object_path(msg, v->bus_path);
}

static int method_vol_lookup_by_path(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *path;
        char real[PATH_MAX];
        Volume *v;
        int r = sd_bus_message_read(msg, "s", &path);

        if (r < 0)
                return r;
        v = manager_find_volume_by_path(userdata, path);
        /* Another name of the same file (symlinks, "..") finds it too. */
        if (!v && realpath(path, real))
                v = manager_find_volume_by_path(userdata, real);
        if (!v)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_VOL,
                                     "Storage volume not found: no storage vol with matching path '%s'", path);
        return bus_reply_object_path(msg, v->bus_path);
}

static int method_pool_caps(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *xml = NULL;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        r = storage_pool_caps_format(&xml);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_find_sources(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *type, *spec;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "ssu", &type, &spec, &flags);

        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        return storage_find_sources_async(userdata, type, spec, msg, error);
}

static const sd_bus_vtable connect_vtable[] = {
        SD_BUS_VTABLE_START(0),
        BUS_CONNECT_PROPERTIES,
        SD_BUS_METHOD_WITH_NAMES("ListStoragePools", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(storagePools),
                                 method_list_pools, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("StoragePoolCreateXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(storagePool), method_create_xml, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("StoragePoolDefineXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(storagePool), method_define_xml, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("StoragePoolLookupByName", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(storagePool),
                                 method_lookup_by_name, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("StoragePoolLookupByUUID", "s", SD_BUS_PARAM(uuid), "o", SD_BUS_PARAM(storagePool),
                                 method_lookup_by_uuid, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("StorageVolLookupByKey", "s", SD_BUS_PARAM(key), "o", SD_BUS_PARAM(storageVol),
                                 method_vol_lookup_by_key, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("StorageVolLookupByPath", "s", SD_BUS_PARAM(path), "o", SD_BUS_PARAM(storageVol),
                                 method_vol_lookup_by_path, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("FindStoragePoolSources", "ssu", SD_BUS_PARAM(type) SD_BUS_PARAM(srcSpec)
                                 SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(storagePoolSources), method_find_sources,
                                 BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("GetStoragePoolCapabilities", "u", SD_BUS_PARAM(flags), "s",
                                 SD_BUS_PARAM(capabilities), method_pool_caps, BUS_READ),
        SD_BUS_SIGNAL_WITH_NAMES("StoragePoolEvent", "oii",
                                 SD_BUS_PARAM(storagePool) SD_BUS_PARAM(event) SD_BUS_PARAM(detail), 0),
        SD_BUS_VTABLE_END,
};

int connect_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, STORAGED_ROOT, "org.libvirt.Connect", connect_vtable, m);

        if (r < 0)
                return r;
        return storage1_dbus_register(m);
}
