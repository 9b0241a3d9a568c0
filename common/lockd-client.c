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

static int append_many(sd_bus_message *m, const LockdLease *leases, size_t n, const char *owner_uuid,
                       const char *owner_name, pid_t owner_pid) {
        int r = sd_bus_message_open_container(m, 'a', "(su)");

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(su)", leases[i].path, (uint32_t) leases[i].flags);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssu", owner_uuid, owner_name, (uint32_t) owner_pid);
        return r;
}

int lockd_acquire_many_async(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                             const char *owner_name, pid_t owner_pid, lockd_reply_fn cb, void *userdata,
                             sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BusReply p = { .cb = cb, .userdata = userdata };
        int r;

        r = sd_bus_message_new_method_call(bus, &m, lockd.service, lockd.path, lockd.interface, "AcquireMany");
        if (r >= 0)
                r = append_many(m, leases, n, owner_uuid, owner_name, owner_pid);
        if (r < 0)
                return r;
        return bus_send_call_async(bus, m, bus_on_reply, &p, sizeof(p), ret_slot);
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
