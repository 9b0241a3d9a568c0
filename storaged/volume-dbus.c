/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.StorageVol and org.virtbus.StorageVol1 on
 * <root>/storagevol/<escaped key>: the bus surface of volume.c and
 * volume-ops.c. */
#include "bus-util.h"
#include "chains.h"
#include "error.h"
#include "manager.h"

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = sd_bus_message_read(msg, "u", &flags);

        return r < 0 ? r : volume_delete_async(userdata, flags, msg, error);
}

static int method_get_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Volume *v = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, VOL_GET_PHYSICAL, &flags, error);

        if (r < 0)
                return r;
        volume_refresh_if_stale(v);
        return sd_bus_reply_method_return(msg, "(itt)", (int32_t) v->info.type, v->info.capacity,
                                          flags & VOL_GET_PHYSICAL ? v->info.physical : v->info.allocation);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *xml = NULL;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        volume_refresh_if_stale(userdata);
        r = volume_format_xml(userdata, &xml);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_resize(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint64_t capacity;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "tu", &capacity, &flags);

        return r < 0 ? r : volume_resize_async(userdata, capacity, flags, msg, error);
}

static int method_wipe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t alg, flags;
        int r = sd_bus_message_read(msg, "uu", &alg, &flags);

        return r < 0 ? r : volume_wipe_async(userdata, alg, flags, msg, error);
}

static int method_transfer(sd_bus_message *msg, Volume *v, bool upload, sd_bus_error *error) {
        uint64_t offset, length;
        uint32_t flags;
        int fd, r;

        r = sd_bus_message_read(msg, "httu", &fd, &offset, &length, &flags);
        if (r < 0)
                return r;
        /* The message owns fd, and the job holds the message until it
         * answers: no copy, which would take a second fd per transfer. */
        return volume_transfer_async(v, upload, fd, offset, length, flags, msg, error);
}

static int method_upload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_transfer(msg, userdata, true, error);
}

static int method_download(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_transfer(msg, userdata, false, error);
}

static int method_set_in_use(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Volume *v = userdata;
        const char *owner;
        int inuse, r;

        r = sd_bus_message_read(msg, "sb", &owner, &inuse);
        if (r < 0)
                return r;
        if (!inuse_owner_is_valid(owner))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid owner '%s'", owner);
        r = inuse_set(&v->pool->manager->inuse, owner, v->key, inuse);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot record the use of '%s': %s", v->name,
                                     strerror(-r));
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Volume *v = userdata;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", v->name);
        if (streq(property, "Key"))
                return sd_bus_message_append(reply, "s", v->key);
        if (streq(property, "Path"))
                return sd_bus_message_append(reply, "s", v->path);
        return -ENOENT;
}

static int property_get1(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Volume *v = userdata;
        InUseTable *t = &v->pool->manager->inuse;
        int r;

        if (streq(property, "Pool"))
                return sd_bus_message_append(reply, "o", v->pool->path);
        if (streq(property, "Format"))
                return sd_bus_message_append(reply, "s", volume_disk_format(v));
        if (streq(property, "Job"))
                return sd_bus_message_append(reply, "s", v->busy ? v->busy : "");
        if (streq(property, "JobProgress"))
                return sd_bus_message_append(reply, "(tt)", v->job ? atomic_load(&v->job->done) : 0,
                                             v->job ? atomic_load(&v->job->total) : 0);
        if (streq(property, "Users")) {
                const InUseTable *c = &v->pool->manager->chains;
                _cleanup_free_ char *key = chains_key(v->path);

                if (!key)
                        return -ENOMEM;
                r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < t->n; i++)
                        if (streq(t->entries[i].key, v->key))
                                r = sd_bus_message_append_basic(reply, 's', t->entries[i].owner);
                /* and the guests reading it through their chains */
                for (size_t i = 0; r >= 0 && i < c->n; i++)
                        if (streq(c->entries[i].key, key) && !inuse_owner_uses(t, c->entries[i].owner, v->key))
                                r = sd_bus_message_append_basic(reply, 's', c->entries[i].owner);
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

static const sd_bus_vtable vol_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Key", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Path", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("Delete", "u", SD_BUS_PARAM(flags), NULL, , method_delete, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("GetInfo", "u", SD_BUS_PARAM(flags), "(itt)", SD_BUS_PARAM(info), method_get_info,
                                 BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml), method_get_xml_desc,
                                 BUS_READ),
        SD_BUS_METHOD_WITH_NAMES("Resize", "tu", SD_BUS_PARAM(capacity) SD_BUS_PARAM(flags), NULL, , method_resize, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("Wipe", "uu", SD_BUS_PARAM(pattern) SD_BUS_PARAM(flags), NULL, , method_wipe, BUS_ROOT),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable vol1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        /* libvirt-dbus has no way from a volume to its pool; libvirt's
         * virStoragePoolLookupByVolume needs one (the proxy asks this). A
         * volume never changes pools, nor a pool its uuid. */
        SD_BUS_PROPERTY("Pool", "o", property_get1, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Format", "s", property_get1, 0, 0),
        SD_BUS_PROPERTY("Job", "s", property_get1, 0, 0),
        SD_BUS_PROPERTY("JobProgress", "(tt)", property_get1, 0, 0),
        SD_BUS_PROPERTY("Users", "as", property_get1, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("Upload", "httu", SD_BUS_PARAM(fd) SD_BUS_PARAM(offset) SD_BUS_PARAM(length)
                                 SD_BUS_PARAM(flags), "t", SD_BUS_PARAM(bytes), method_upload, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("Download", "httu", SD_BUS_PARAM(fd) SD_BUS_PARAM(offset) SD_BUS_PARAM(length)
                                 SD_BUS_PARAM(flags), "t", SD_BUS_PARAM(bytes), method_download, BUS_ROOT),
        SD_BUS_METHOD_WITH_NAMES("SetInUse", "sb", SD_BUS_PARAM(owner) SD_BUS_PARAM(inuse), NULL, ,
                                 method_set_in_use, BUS_ROOT),
        SD_BUS_VTABLE_END,
};

static int vol_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        Volume *v = manager_find_volume_by_bus_path(userdata, path);

        if (!v || v->building)
                return 0;
        *found = v;
        return 1;
}

static int vol_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, k = 0;

        for (size_t i = 0; i < m->n_pools; i++)
                n += m->pools[i]->n_vols;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pools; i++)
                for (size_t j = 0; j < m->pools[i]->n_vols; j++) {
                        Volume *v = m->pools[i]->vols[j];
                        if (!v->bus_path || v->building)
                                continue;
                        l[k] = strdup(v->bus_path);
                        if (!l[k++])
                                return -ENOMEM;
                }
        *nodes = TAKE_PTR(l);
        return 0;
}

int volume_dbus_register(Manager *m) {
        int r = bus_add_object_kind(m->bus, STORAGED_ROOT, "storagevol", "org.libvirt.StorageVol", vol_vtable, vol_find,
                                    vol_enumerate, m);
        if (r < 0)
                return r;
        /* The second interface on the same objects: one enumerator is enough. */
        return sd_bus_add_fallback_vtable(m->bus, NULL, STORAGED_VOL_PREFIX, "org.virtbus.StorageVol1", vol1_vtable,
                                          vol_find, m);
}
