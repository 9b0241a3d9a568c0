/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.StoragePool on <root>/storagepool/_<uuid>: the bus surface of
 * pool.c and pool-ops.c. */
#include "bus-util.h"
#include "error.h"
#include "manager.h"

#define POOL_XML_INACTIVE 1

static int method_build(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0xf, &flags, error);

        return r < 0 ? r : pool_build_async(userdata, flags, msg, error);
}

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0x7, &flags, error);

        return r < 0 ? r : pool_start_async(userdata, flags, false, msg, error);
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0x1, &flags, error);

        return r < 0 ? r : pool_delete_async(userdata, flags, msg, error);
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return pool_stop_async(userdata, msg, error);
}

static int method_refresh(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        return r < 0 ? r : pool_refresh_async(userdata, msg, error);
}

static int method_get_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int32_t state = p->active ? POOL_STATE_RUNNING
                        : p->busy && streq(p->busy, "building") ? POOL_STATE_BUILDING
                                                                : POOL_STATE_INACTIVE;

        return sd_bus_reply_method_return(msg, "(ittt)", state, p->capacity, p->allocation, p->available);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        _cleanup_free_ char *xml = NULL;
        StoragePoolDef *def;
        uint32_t flags;
        int r = bus_read_flags(msg, POOL_XML_INACTIVE, &flags, error);

        if (r < 0)
                return r;
        /* The sizes shown are the ones measured (0 when inactive). */
        def = (StoragePoolDef *) pool_current_def(p, flags & POOL_XML_INACTIVE);
        def->has_sizes = true;
        def->capacity = p->active ? p->capacity : 0;
        def->allocation = p->active ? p->allocation : 0;
        def->available = p->active ? p->available : 0;
        r = storage_pool_def_format(def, flags & POOL_XML_INACTIVE ? STORAGE_POOL_FORMAT_INACTIVE : 0, &xml);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int check_active(Pool *p, sd_bus_error *error) {
        if (!p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", p->def->name);
        return 0;
}

/* A volume being built is not there yet. */
static const char *volume_listed(const void *item, uint32_t flags) {
        const Volume *v = item;

        return v->building ? NULL : v->bus_path;
}

static int method_list_volumes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0 || (r = check_active(p, error)) < 0)
                return r;
        return bus_reply_object_list(msg, (void *const *) p->vols, p->n_vols, volume_listed, flags);
}

static int method_vol_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *xml;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &xml, &flags);

        return r < 0 ? r : volume_create_async(userdata, xml, flags, NULL, msg, error);
}

static int method_vol_create_xml_from(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        const char *xml, *key;
        uint32_t flags;
        Volume *src;
        int r = sd_bus_message_read(msg, "ssu", &xml, &key, &flags);

        if (r < 0)
                return r;
        src = manager_find_volume_by_key(p->manager, key);
        if (!src)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_VOL,
                                     "Storage volume not found: no storage vol with matching key '%s'", key);
        return volume_create_async(p, xml, flags, src, msg, error);
}

static int method_vol_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        const char *name;
        Volume *v;
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0 || (r = check_active(p, error)) < 0)
                return r;
        v = pool_find_volume(p, name);
        if (!v || v->building)
                return vb_error_setf(error, VB_ERROR_NO_STORAGE_VOL,
                                     "Storage volume not found: no storage vol with matching name '%s'", name);
        return bus_reply_object_path(msg, v->bus_path);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        Manager *m = p->manager;
        int r;

        if (!p->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot undefine transient storage pool '%s'",
                                     p->def->name);
        if (p->active)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "storage pool '%s' is still active",
                                     p->def->name);
        if (p->busy)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "pool '%s' is busy: it is %s", p->def->name,
                                     p->busy);
        r = pool_remove_config(p);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot remove the definition of '%s': %s",
                                     p->def->name, strerror(-r));
        pool_emit_event(p, POOL_EVENT_UNDEFINED);
        r = sd_bus_reply_method_return(msg, NULL);
        manager_remove_pool(m, p);
        pool_free(p);
        return r;
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", p->def->name);
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", p->uuid_str);
        if (streq(property, "Active"))
                return sd_bus_message_append(reply, "b", p->active);
        if (streq(property, "Persistent"))
                return sd_bus_message_append(reply, "b", p->persistent);
        if (streq(property, "Autostart"))
                return sd_bus_message_append(reply, "b", p->autostart);
        return -ENOENT;
}

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        Pool *p = userdata;
        int b, r;

        r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        if (!p->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient pool '%s'",
                                     p->def->name);
        r = pool_set_autostart(p, b);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot change autostart of '%s': %s",
                                     p->def->name, strerror(-r));
        return 0;
}

static const sd_bus_vtable pool_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Active", "b", property_get, 0, 0),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_get, property_set_autostart, 0, BUS_ROOT),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Persistent", "b", property_get, 0, 0),
        SD_BUS_PROPERTY("UUID", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("Build", "u", SD_BUS_PARAM(flags), NULL, , method_build, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("Create", "u", SD_BUS_PARAM(flags), NULL, , method_create, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("Delete", "u", SD_BUS_PARAM(flags), NULL, , method_delete, BUS_ROOT),
        SD_BUS_METHOD("Destroy", NULL, NULL, method_destroy, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("GetInfo", NULL, , "(ittt)", SD_BUS_PARAM(info), method_get_info, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml), method_get_xml_desc,
                                 BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("ListStorageVolumes", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(storageVols),
                                 method_list_volumes, BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("Refresh", "u", SD_BUS_PARAM(flags), NULL, , method_refresh, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("StorageVolCreateXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(storageVol), method_vol_create_xml, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("StorageVolCreateXMLFrom", "ssu", SD_BUS_PARAM(xml) SD_BUS_PARAM(key)
                                 SD_BUS_PARAM(flags), "o", SD_BUS_PARAM(storageVol), method_vol_create_xml_from,
                                 BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("StorageVolLookupByName", "s", SD_BUS_PARAM(name), "o", SD_BUS_PARAM(storageVol),
                                 method_vol_lookup_by_name, BUS_READ),
        SD_BUS_METHOD("Undefine", NULL, NULL, method_undefine, BUS_ROOT),
        SD_BUS_SIGNAL("Refresh", NULL, 0),
        SD_BUS_VTABLE_END,
};

static int pool_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        Pool *p = manager_find_pool_by_path(userdata, path);

        if (!p)
                return 0;
        *found = p;
        return 1;
}

static int pool_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = calloc(m->n_pools + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pools; i++) {
                l[i] = strdup(m->pools[i]->path);
                if (!l[i])
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

int pool_dbus_register(Manager *m) {
        return bus_add_object_kind(m->bus, STORAGED_ROOT, "storagepool", "org.libvirt.StoragePool", pool_vtable,
                                   pool_find, pool_enumerate, m);
}
