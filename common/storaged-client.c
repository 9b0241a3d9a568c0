/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "storaged-client.h"

typedef struct Pending {
        storaged_reply_fn cb;
        storaged_resolve_fn resolve_cb;
        storaged_count_fn count_cb;
        void *userdata;
} Pending;

static void pending_free(void *p) {
        free(p);
}

static int error_of(sd_bus_message *m, const sd_bus_error **ret) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        *ret = e;
        return e ? -sd_bus_error_get_errno(e) ?: -EIO : 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        int r = error_of(m, &e);

        if (p->cb)
                p->cb(r, e, p->userdata);
        return 1;
}

static int on_resolve(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const char *object = NULL, *path = NULL, *format = NULL, *type = NULL;
        const sd_bus_error *e;
        int r = error_of(m, &e);

        if (r >= 0 && sd_bus_message_read(m, "osss", &object, &path, &format, &type) < 0)
                r = -EBADMSG;
        p->resolve_cb(r, e, r >= 0 ? path : NULL, r >= 0 ? format : NULL, r >= 0 && streq(type, "block"),
                      p->userdata);
        return 1;
}

static int on_count(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        unsigned count = 0;
        int r = error_of(m, &e);

        if (r >= 0 && sd_bus_message_read(m, "u", &count) < 0)
                r = -EBADMSG;
        if (p->count_cb)
                p->count_cb(r, e, count, p->userdata);
        return 1;
}

/* The Pending lives as long as the slot (freed by its destroy callback,
 * also when the call is cancelled or the connection goes away). */
static int finish_call(int r, sd_bus_slot *slot, Pending *p, sd_bus_slot **ret_slot) {
        if (r < 0) {
                free(p);
                return r;
        }
        sd_bus_slot_set_destroy_callback(slot, pending_free);
        if (ret_slot)
                *ret_slot = slot;
        else {
                sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
        return 0;
}

static Pending *pending_new(void *userdata) {
        Pending *p = calloc(1, sizeof(*p));

        if (p)
                p->userdata = userdata;
        return p;
}

int storaged_resolve_volume_async(sd_bus *bus, const char *pool, const char *volume, storaged_resolve_fn cb,
                                  void *userdata, sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->resolve_cb = cb;
        r = sd_bus_call_method_async(bus, &slot, STORAGED_SERVICE, STORAGED_PATH, STORAGED_IFACE, "ResolveVolume",
                                     on_resolve, p, "ss", pool, volume);
        return finish_call(r, slot, p, ret_slot);
}

int storaged_set_in_use_async(sd_bus *bus, const char *pool, const char *volume, const char *owner, bool inuse,
                              storaged_reply_fn cb, void *userdata, sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->cb = cb;
        r = sd_bus_call_method_async(bus, &slot, STORAGED_SERVICE, STORAGED_PATH, STORAGED_IFACE, "SetVolumeInUse",
                                     on_reply, p, "sssb", pool, volume, owner, (int) inuse);
        return finish_call(r, slot, p, ret_slot);
}

int storaged_release_owner_async(sd_bus *bus, const char *owner, storaged_count_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot) {
        Pending *p = pending_new(userdata);
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->count_cb = cb;
        r = sd_bus_call_method_async(bus, &slot, STORAGED_SERVICE, STORAGED_PATH, STORAGED_IFACE, "ReleaseOwner",
                                     on_count, p, "s", owner);
        return finish_call(r, slot, p, ret_slot);
}
