/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "error.h"
#include "util.h"
#include "uuid.h"
#include "vol-secret.h"

#define SECRETD_NAME "org.virtbus.secretd"
#define SECRETD_ROOT "/org/virtbus/secretd"
#define SECRET_USAGE_VOLUME 1

typedef struct SecretFetch {
        sd_bus *bus;
        char uuid[UUID_STRING_MAX];   /* "" when by usage */
        char *usage;
        char name[300];               /* "uuid '...'" or "usage '...'" */
        vol_secret_fn cb;
        void *userdata;
} SecretFetch;

static void fetch_free(SecretFetch *f) {
        sd_bus_unref(f->bus);
        free(f->usage);
        free(f);
}

static void fail(SecretFetch *f, const char *name, const char *fmt, const char *detail) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) vb_error_setf(&e, name, fmt, f->name, detail);
        f->cb(&e, NULL, 0, f->userdata);
        fetch_free(f);
}

static int on_value(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SecretFetch *f = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        const void *value = NULL;
        const char *uuid;
        size_t len = 0;
        int r;

        if (err) {
                fail(f, err->name, "secret %s of the volume's <encryption>: %s", err->message ?: err->name);
                return 0;
        }
        r = sd_bus_message_read(m, "s", &uuid);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &value, &len);
        if (r < 0) {
                fail(f, VB_ERROR_INTERNAL, "cannot read secret %s from secretd: %s", strerror(-r));
                return 0;
        }
        f->cb(NULL, value, len, f->userdata);
        fetch_free(f);
        return 0;
}

static int ask_value(SecretFetch *f) {
        return sd_bus_call_method_async(f->bus, NULL, SECRETD_NAME, SECRETD_ROOT, "org.virtbus.Secret1",
                                        "GetValueInternal", on_value, f, "sis", f->uuid, (int32_t) SECRET_USAGE_VOLUME,
                                        f->usage ? f->usage : "");
}

static int on_usage_type(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SecretFetch *f = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        char type[16];
        int32_t t = 0;
        int r;

        if (err) {
                if (sd_bus_error_has_name(err, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        fail(f, VB_ERROR_NO_SECRET, "secret %s of the volume's <encryption> does not exist%s", "");
                else
                        fail(f, err->name, "cannot ask secretd about secret %s: %s", err->message ?: err->name);
                return 0;
        }
        r = sd_bus_message_read(m, "v", "i", &t);
        if (r < 0) {
                fail(f, VB_ERROR_INTERNAL, "cannot read the usage of secret %s: %s", strerror(-r));
                return 0;
        }
        if (t != SECRET_USAGE_VOLUME) {
                snprintf(type, sizeof(type), "%d", (int) t);
                fail(f, VB_ERROR_INVALID_SECRET,
                     "secret %s of the volume's <encryption> is not a volume secret (its usage type is %s)", type);
                return 0;
        }
        r = ask_value(f);
        if (r < 0)
                fail(f, VB_ERROR_OPERATION_FAILED, "cannot ask secretd for secret %s: %s", strerror(-r));
        return 0;
}

static int ask_usage_type(SecretFetch *f, const uint8_t uuid[16]) {
        _cleanup_free_ char *path = bus_path_from_uuid(SECRETD_ROOT, "secret", uuid);

        if (!path)
                return -ENOMEM;
        return sd_bus_call_method_async(f->bus, NULL, SECRETD_NAME, path, "org.freedesktop.DBus.Properties", "Get",
                                        on_usage_type, f, "ss", "org.libvirt.Secret", "UsageType");
}

int vol_secret_fetch(sd_bus *bus, const StorageVolEncryption *e, vol_secret_fn cb, void *userdata) {
        SecretFetch *f = calloc(1, sizeof(*f));
        int r;

        if (!f)
                return -ENOMEM;
        f->bus = sd_bus_ref(bus);
        f->cb = cb;
        f->userdata = userdata;
        storage_vol_encryption_secret_name(e, f->name, sizeof(f->name));
        if (e->has_uuid) {
                uuid_format(e->uuid, f->uuid);
                r = ask_usage_type(f, e->uuid);
        } else {
                f->usage = strdup(e->usage);
                r = f->usage ? ask_value(f) : -ENOMEM;
        }
        if (r < 0)
                fetch_free(f);
        return r;
}
