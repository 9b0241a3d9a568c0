/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "storaged-client.h"

static const BusTarget storaged = { STORAGED_SERVICE, STORAGED_PATH, STORAGED_IFACE };

typedef struct Pending {
        storaged_resolve_fn resolve_cb;
        void *userdata;
} Pending;

static int on_resolve(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const char *object = NULL, *path = NULL, *format = NULL, *type = NULL;
        const sd_bus_error *e;
        int r = bus_reply_errno(m, &e);

        if (r == 0 && sd_bus_message_read(m, "osss", &object, &path, &format, &type) < 0)
                r = -EBADMSG;
        p->resolve_cb(r, e, r == 0 ? path : NULL, r == 0 ? format : NULL, r == 0 && streq(type, "block"),
                      p->userdata);
        return 1;
}

int storaged_resolve_volume_async(sd_bus *bus, const char *pool, const char *volume, storaged_resolve_fn cb,
                                  void *userdata, sd_bus_slot **ret_slot) {
        Pending p = { .resolve_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &storaged, "ResolveVolume", on_resolve, &p, sizeof(p), ret_slot, "ss", pool,
                              volume);
}

int storaged_set_in_use_async(sd_bus *bus, const char *pool, const char *volume, const char *owner, bool inuse,
                              storaged_reply_fn cb, void *userdata, sd_bus_slot **ret_slot) {
        BusReply p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &storaged, "SetVolumeInUse", bus_on_reply, &p, sizeof(p), ret_slot, "sssb", pool,
                              volume, owner, (int) inuse);
}

int storaged_release_owner_async(sd_bus *bus, const char *owner, storaged_count_fn cb, void *userdata,
                                 sd_bus_slot **ret_slot) {
        BusReply p = { .count_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &storaged, "ReleaseOwner", bus_on_reply, &p, sizeof(p), ret_slot, "s", owner);
}

int storaged_set_chains_async(sd_bus *bus, const char *owner, const char *name, char *const *paths, bool start,
                              storaged_reply_fn cb, void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        BusReply p = { .cb = cb, .userdata = userdata };
        int r;

        r = sd_bus_message_new_method_call(bus, &call, STORAGED_SERVICE, STORAGED_PATH, STORAGED_IFACE, "SetChains");
        if (r >= 0)
                r = sd_bus_message_append(call, "ss", owner, name);
        if (r >= 0)
                r = sd_bus_message_append_strv(call, (char **) (paths ? paths : (char *const[]) { NULL }));
        if (r >= 0 && !start)
                r = sd_bus_message_set_auto_start(call, false);
        if (r < 0)
                return r;
        return bus_send_call_async(bus, call, bus_on_reply, &p, sizeof(p), ret_slot);
}
