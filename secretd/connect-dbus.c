/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secretd's root object: org.libvirt.Connect's secret methods and signal,
 * and org.virtbus.Secret1, the daemons' own way to a secret's value. */
#include "bus-access.h"
#include "bus-util.h"
#include "error.h"
#include "log.h"
#include "manager.h"

static const char *secret_listed(const void *item, uint32_t flags) {
        const Secret *s = item;

        return secret_matches_flags(s, flags) ? s->path : NULL;
}

static int method_list_secrets(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, SECRET_LIST_ALL, &flags, error);

        if (r < 0)
                return r;
        return bus_reply_object_list(msg, (void *const *) m->store.secrets, m->store.n, secret_listed, flags);
}

static int lookup_uuid(Manager *m, sd_bus_message *msg, Secret **ret, sd_bus_error *error) {
        const char *s;
        uint8_t uuid[16];
        int r = bus_read_uuid(msg, &s, uuid, error);

        if (r < 0)
                return r;
        *ret = secret_store_find_uuid(&m->store, uuid);
        if (!*ret)
                return vb_error_setf(error, VB_ERROR_NO_SECRET, "Secret not found: no secret with matching uuid '%s'", s);
        return 0;
}

static int find_usage(Manager *m, int type, const char *id, Secret **ret, sd_bus_error *error) {
        *ret = secret_store_find_usage(&m->store, type, id);
        if (!*ret)
                return vb_error_setf(error, VB_ERROR_NO_SECRET, "Secret not found: no secret with matching usage '%s'",
                                     id);
        return 0;
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Secret *s;
        int r = lookup_uuid(userdata, msg, &s, error);

        return r < 0 ? r : bus_reply_object_path(msg, s->path);
}

static int method_lookup_by_usage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *id;
        int32_t type;
        Secret *s;
        int r = sd_bus_message_read(msg, "is", &type, &id);

        if (r >= 0)
                r = find_usage(userdata, type, id, &s, error);
        return r < 0 ? r : bus_reply_object_path(msg, s->path);
}

/* virSecretDefineFlags: VIR_SECRET_DEFINE_VALIDATE, which our parser's
 * strictness covers. */
#define SECRET_DEFINE_VALIDATE 1u

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(secret_def_freep) SecretDef *def = NULL;
        ConfError err = {};
        const char *xml;
        uint32_t flags;
        Secret *s;
        int r;

        r = sd_bus_message_read(msg, "s", &xml);
        if (r >= 0)
                r = bus_read_flags(msg, SECRET_DEFINE_VALIDATE, &flags, error);
        if (r < 0)
                return r;
        r = secret_def_parse(xml, strlen(xml), &def, &err);
        if (r < 0)
                return vb_error_setf(error, err.name ? err.name : VB_ERROR_XML, "%s", err.message);
        r = secret_store_define(&m->store, &def, &s, error);
        if (r < 0)
                return r;
        log_info("Secret %s defined", s->uuid_str);
        secret_emit_event(m, s->path, SECRET_EVENT_DEFINED);
        return bus_reply_object_path(msg, s->path);
}

/* The value for a daemon that needs it to start a guest (qemud): private
 * secrets included, so root's only, whatever the bus policy says (the
 * caller's uid is the one sd-bus's credentials gave common/bus-access.c).
 * The secret by UUID when uuid is not empty, else by usage. */
static int method_get_value_internal(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const char *uuid_str, *id;
        uint8_t uuid[16];
        int32_t type;
        Secret *s;
        int r;

        if (!bus_access_caller_is_root(msg))
                return vb_error_setf(error, VB_ERROR_ACCESS_DENIED, "only root may read a secret's value this way");
        r = sd_bus_message_read(msg, "sis", &uuid_str, &type, &id);
        if (r < 0)
                return r;
        if (uuid_str[0]) {
                if (uuid_parse(uuid_str, uuid) < 0)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid UUID '%s'", uuid_str);
                s = secret_store_find_uuid(&m->store, uuid);
                if (!s)
                        return vb_error_setf(error, VB_ERROR_NO_SECRET,
                                             "Secret not found: no secret with matching uuid '%s'", uuid_str);
        } else {
                r = find_usage(m, type, id, &s, error);
                if (r < 0)
                        return r;
        }
        r = secret_value_check(s, error);
        if (r >= 0)
                r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", s->uuid_str);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', s->value, s->value_len);
        if (r < 0)
                return r;
        /* The copy in the message is wiped when it is freed. */
        sd_bus_message_sensitive(reply);
        return sd_bus_send(NULL, reply, NULL);
}

void secret_emit_event(Manager *m, const char *path, int event) {
        int r = sd_bus_emit_signal(m->bus, SECRETD_ROOT, "org.libvirt.Connect", "SecretEvent", "oii", path, event, 0);

        if (r < 0)
                log_warning_errno(r, "Cannot emit SecretEvent for %s: %m", path);
}

/* libvirt's VALUE_CHANGED, which libvirt-dbus has no signal for: on our
 * own interface, beside GetValueInternal. */
void secret_emit_value_changed(Manager *m, const char *path) {
        int r = sd_bus_emit_signal(m->bus, SECRETD_ROOT, SECRETD_INTERFACE, "SecretValueChanged", "o", path);

        if (r < 0)
                log_warning_errno(r, "Cannot emit SecretValueChanged for %s: %m", path);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable connect_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("ListSecrets", "u", SD_BUS_PARAM(flags), "ao", SD_BUS_PARAM(secrets),
                                 method_list_secrets, READ),
        SD_BUS_METHOD_WITH_NAMES("SecretDefineXML", "su", SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), "o",
                                 SD_BUS_PARAM(secret), method_define_xml, 0),
        SD_BUS_METHOD_WITH_NAMES("SecretLookupByUUID", "s", SD_BUS_PARAM(uuid), "o", SD_BUS_PARAM(secret),
                                 method_lookup_by_uuid, READ),
        SD_BUS_METHOD_WITH_NAMES("SecretLookupByUsage", "is", SD_BUS_PARAM(usageType) SD_BUS_PARAM(usageID), "o",
                                 SD_BUS_PARAM(secret), method_lookup_by_usage, READ),
        SD_BUS_SIGNAL_WITH_NAMES("SecretEvent", "oii", SD_BUS_PARAM(secret) SD_BUS_PARAM(event) SD_BUS_PARAM(detail),
                                 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable secret1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetValueInternal", "sis",
                                 SD_BUS_PARAM(uuid) SD_BUS_PARAM(usageType) SD_BUS_PARAM(usageID), "say",
                                 SD_BUS_PARAM(uuid) SD_BUS_PARAM(value), method_get_value_internal, 0),
        SD_BUS_SIGNAL_WITH_NAMES("SecretValueChanged", "o", SD_BUS_PARAM(secret), 0),
        SD_BUS_VTABLE_END,
};

int connect_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, SECRETD_ROOT, "org.libvirt.Connect", connect_vtable, m);

        if (r < 0)
                return r;
        return sd_bus_add_object_vtable(m->bus, NULL, SECRETD_ROOT, SECRETD_INTERFACE, secret1_vtable, m);
}
