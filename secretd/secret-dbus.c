/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Secret on <root>/secret/_<uuid>: the bus surface of secret.c. */
#include "bus-util.h"
#include "error.h"
#include "log.h"
#include "manager.h"

static Secret *secret_of(sd_bus_message *msg, Manager *m) {
        uint8_t uuid[16];

        if (bus_path_to_uuid(sd_bus_message_get_path(msg), SECRETD_ROOT "/secret", uuid) < 0)
                return NULL;
        return secret_store_find_uuid(&m->store, uuid);
}

/* The userdata is the manager: a secret undefined while a call on it waited
 * in the queue is looked up again, never used after it was freed. */
static int find_or_fail(sd_bus_message *msg, Manager *m, Secret **ret, sd_bus_error *error) {
        *ret = secret_of(msg, m);
        if (!*ret)
                return vb_error_setf(error, VB_ERROR_NO_SECRET, "Secret not found: no secret at '%s'",
                                     sd_bus_message_get_path(msg));
        return 0;
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *xml = NULL;
        uint32_t flags;
        Secret *s;
        int r;

        r = bus_read_flags(msg, 0, &flags, error);
        if (r >= 0)
                r = find_or_fail(msg, userdata, &s, error);
        if (r >= 0)
                r = secret_def_format(s->def, &xml);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_get_value(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t flags;
        Secret *s;
        int r;

        r = bus_read_flags(msg, 0, &flags, error);
        if (r >= 0)
                r = find_or_fail(msg, userdata, &s, error);
        if (r < 0)
                return r;
        if (s->def->private_)
                return vb_error_setf(error, VB_ERROR_INVALID_SECRET, "Invalid secret: secret is private");
        r = secret_value_check(s, error);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', s->value, s->value_len);
        if (r < 0)
                return r;
        sd_bus_message_sensitive(reply);
        return sd_bus_send(NULL, reply, NULL);
}

static int method_set_value(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const void *value;
        size_t len;
        uint32_t flags;
        Secret *s;
        int r;

        r = sd_bus_message_read_array(msg, 'y', &value, &len);
        if (r >= 0)
                r = bus_read_flags(msg, 0, &flags, error);
        if (r >= 0)
                r = find_or_fail(msg, m, &s, error);
        if (r < 0)
                return r;
        if (len > SECRET_VALUE_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "secret value of %zu bytes is too long: at most %u",
                                     len, SECRET_VALUE_MAX);
        r = secret_store_set_value(&m->store, s, value, len, error);
        if (r < 0)
                return r;
        log_info("Secret %s: value set", s->uuid_str);
        secret_emit_value_changed(m, sd_bus_message_get_path(msg));
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL;
        char uuid[UUID_STRING_MAX];
        Secret *s;
        int r;

        r = find_or_fail(msg, m, &s, error);
        if (r < 0)
                return r;
        /* The event names the object, which the undefine frees. */
        path = strdup(s->path);
        if (!path)
                return -ENOMEM;
        memcpy(uuid, s->uuid_str, sizeof(uuid));
        r = secret_store_undefine(&m->store, s, error);
        if (r < 0)
                return r;
        log_info("Secret %s undefined", uuid);
        secret_emit_event(m, path, SECRET_EVENT_UNDEFINED);
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Secret *s = secret_of(sd_bus_get_current_message(bus), userdata);

        if (!s)
                return vb_error_setf(error, VB_ERROR_NO_SECRET, "Secret not found: no secret at '%s'", path);
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", s->uuid_str);
        if (streq(property, "UsageID"))
                return sd_bus_message_append(reply, "s", s->def->usage_id ?: "");
        if (streq(property, "UsageType"))
                return sd_bus_message_append(reply, "i", (int32_t) s->def->usage_type);
        return -ENOENT;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable secret_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UsageID", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UsageType", "i", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("GetValue", "u", SD_BUS_PARAM(flags), "ay", SD_BUS_PARAM(value), method_get_value,
                                 0),
        SD_BUS_METHOD_WITH_NAMES("GetXMLDesc", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(xml), method_get_xml_desc,
                                 READ),
        SD_BUS_METHOD_WITH_NAMES("SetValue", "ayu", SD_BUS_PARAM(value) SD_BUS_PARAM(flags), NULL, , method_set_value,
                                 0),
        SD_BUS_METHOD("Undefine", NULL, NULL, method_undefine, 0),
        SD_BUS_VTABLE_END,
};

static int secret_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Manager *m = userdata;
        uint8_t uuid[16];

        if (bus_path_to_uuid(path, SECRETD_ROOT "/secret", uuid) < 0 || !secret_store_find_uuid(&m->store, uuid))
                return 0;
        *found = m;
        return 1;
}

static int secret_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = calloc(m->store.n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->store.n; i++) {
                l[i] = strdup(m->store.secrets[i]->path);
                if (!l[i])
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

int secret_dbus_register(Manager *m) {
        return bus_add_object_kind(m->bus, SECRETD_ROOT, "secret", "org.libvirt.Secret", secret_vtable, secret_find,
                                   secret_enumerate, m);
}
