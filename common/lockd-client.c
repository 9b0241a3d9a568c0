/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "lockd-client.h"

static const BusTarget lockd = { LOCKD_SERVICE, LOCKD_PATH, LOCKD_IFACE };

typedef struct Pending {
        lockd_reply_fn cb;
        lockd_count_fn count_cb;
        void *userdata;
} Pending;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        const sd_bus_error *e;
        unsigned count = 0;
        int r = bus_reply_errno(m, &e);

        if (r == 0 && p->count_cb && sd_bus_message_read(m, "u", &count) < 0)
                r = -EBADMSG;
        if (p->count_cb)
                p->count_cb(r, e, count, p->userdata);
        else if (p->cb)
                p->cb(r, e, p->userdata);
        return 1;
}

int lockd_acquire_async(sd_bus *bus, const char *path, const char *owner_uuid, const char *owner_name,
                        pid_t owner_pid, unsigned flags, lockd_reply_fn cb, void *userdata,
                        sd_bus_slot **ret_slot) {
        Pending p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &lockd, "Acquire", on_reply, &p, sizeof(p), ret_slot, "sssuu", path, owner_uuid,
                              owner_name, (uint32_t) owner_pid, (uint32_t) flags);
}

int lockd_release_async(sd_bus *bus, const char *path, const char *owner_uuid, lockd_reply_fn cb,
                        void *userdata, sd_bus_slot **ret_slot) {
        Pending p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &lockd, "Release", on_reply, &p, sizeof(p), ret_slot, "ssu", path, owner_uuid,
                              (uint32_t) 0);
}

int lockd_release_owner_async(sd_bus *bus, const char *owner_uuid, lockd_count_fn cb, void *userdata,
                              sd_bus_slot **ret_slot) {
        Pending p = { .count_cb = cb, .userdata = userdata };

        return bus_call_async(bus, &lockd, "ReleaseOwner", on_reply, &p, sizeof(p), ret_slot, "s", owner_uuid);
}
