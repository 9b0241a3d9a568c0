/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lockd-client.h"

typedef struct Pending {
        lockd_reply_fn cb;
        lockd_count_fn count_cb;
        void *userdata;
} Pending;

static void pending_free(void *p) {
        free(p);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        unsigned count = 0;
        int r = 0;

        if (e)
                r = -sd_bus_error_get_errno(e) ?: -EIO;
        else if (p->count_cb && sd_bus_message_read(m, "u", &count) < 0)
                r = -EBADMSG;
        if (p->count_cb)
                p->count_cb(r, e, count, p->userdata);
        else if (p->cb)
                p->cb(r, e, p->userdata);
        return 1;
}

/* The Pending lives as long as the slot: freed by its destroy callback, also
 * when the call is cancelled or the connection goes away. */
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

int lockd_acquire_async(sd_bus *bus, const char *path, const char *owner_uuid, const char *owner_name,
                        pid_t owner_pid, unsigned flags, lockd_reply_fn cb, void *userdata,
                        sd_bus_slot **ret_slot) {
        Pending *p = calloc(1, sizeof(*p));
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        *p = (Pending) { .cb = cb, .userdata = userdata };
        r = sd_bus_call_method_async(bus, &slot, LOCKD_SERVICE, LOCKD_PATH, LOCKD_IFACE, "Acquire", on_reply, p,
                                     "sssuu", path, owner_uuid, owner_name, (uint32_t) owner_pid,
                                     (uint32_t) flags);
        return finish_call(r, slot, p, ret_slot);
}

int lockd_release_async(sd_bus *bus, const char *path, const char *owner_uuid, lockd_reply_fn cb,
                        void *userdata, sd_bus_slot **ret_slot) {
        Pending *p = calloc(1, sizeof(*p));
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        *p = (Pending) { .cb = cb, .userdata = userdata };
        r = sd_bus_call_method_async(bus, &slot, LOCKD_SERVICE, LOCKD_PATH, LOCKD_IFACE, "Release", on_reply, p,
                                     "ssu", path, owner_uuid, (uint32_t) 0);
        return finish_call(r, slot, p, ret_slot);
}

int lockd_release_owner_async(sd_bus *bus, const char *owner_uuid, lockd_count_fn cb, void *userdata,
                              sd_bus_slot **ret_slot) {
        Pending *p = calloc(1, sizeof(*p));
        sd_bus_slot *slot = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        *p = (Pending) { .count_cb = cb, .userdata = userdata };
        r = sd_bus_call_method_async(bus, &slot, LOCKD_SERVICE, LOCKD_PATH, LOCKD_IFACE, "ReleaseOwner",
                                     on_reply, p, "s", owner_uuid);
        return finish_call(r, slot, p, ret_slot);
}
