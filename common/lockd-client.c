/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "lockd-client.h"

static const BusTarget lockd = { LOCKD_SERVICE, LOCKD_PATH, LOCKD_IFACE };

int lockd_acquire_async(sd_bus *bus, const char *path, const char *owner_uuid, const char *owner_name,
                        pid_t owner_pid, unsigned flags, lockd_reply_fn cb, void *userdata,
                        sd_bus_slot **ret_slot) {
        BusReply p = { .cb = cb, .userdata = userdata };

        return bus_call_async(bus, &lockd, "Acquire", bus_on_reply, &p, sizeof(p), ret_slot, "sssuu", path,
                              owner_uuid, owner_name, (uint32_t) owner_pid, (uint32_t) flags);
}

int lockd_release_async(sd_bus *bus, const char *path, const char *owner_uuid, lockd_reply_fn cb,
                        void *userdata, sd_bus_slot **ret_slot) {
        BusReply p = { .cb = cb, .userdata = userdata };

        if (!cb && !ret_slot)
                return bus_send_noreply(bus, &lockd, "Release", "ssu", path, owner_uuid, (uint32_t) 0);
        return bus_call_async(bus, &lockd, "Release", bus_on_reply, &p, sizeof(p), ret_slot, "ssu", path,
                              owner_uuid, (uint32_t) 0);
}

int lockd_release_owner_async(sd_bus *bus, const char *owner_uuid, lockd_count_fn cb, void *userdata,
                              sd_bus_slot **ret_slot) {
        BusReply p = { .count_cb = cb, .userdata = userdata };

        if (!cb && !ret_slot)
                return bus_send_noreply(bus, &lockd, "ReleaseOwner", "s", owner_uuid);

        return bus_call_async(bus, &lockd, "ReleaseOwner", bus_on_reply, &p, sizeof(p), ret_slot, "s",
                              owner_uuid);
}
