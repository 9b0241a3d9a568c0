/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "lockd-client.h"
#include "util.h"

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

/* One AcquireMany followed, for an old lockd, by one Acquire per lease.
 * Each call in flight holds a reference: a connection closed under it frees
 * the chain without calling back, as for any call. */
typedef struct ManyCall {
        unsigned n_ref;
        sd_bus *bus;
        LockdLease *leases; /* paths copied */
        size_t n, next;     /* next: the lease the chain asks for now */
        char *owner_uuid, *owner_name;
        pid_t owner_pid;
        bool *old_lockd;
        lockd_reply_fn cb;
        void *userdata;
} ManyCall;

static void many_unref(void *userdata) {
        ManyCall *c = userdata;

        if (!c || --c->n_ref > 0)
                return;
        for (size_t i = 0; i < c->n; i++)
                free((char *) c->leases[i].path);
        free(c->leases);
        free(c->owner_uuid);
        free(c->owner_name);
        sd_bus_unref(c->bus);
        free(c);
}

static int many_new(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                    const char *owner_name, pid_t owner_pid, ManyCall **ret) {
        ManyCall *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        *c = (ManyCall) { .n_ref = 1, .bus = sd_bus_ref(bus), .owner_pid = owner_pid,
                          .leases = calloc(n ?: 1, sizeof(*leases)), .owner_uuid = strdup(owner_uuid),
                          .owner_name = strdup(owner_name) };
        for (size_t i = 0; c->leases && i < n; i++, c->n++) {
                c->leases[i] = (LockdLease) { strdup(leases[i].path), leases[i].flags };
                if (!c->leases[i].path)
                        break;
        }
        if (c->n < n || !c->owner_uuid || !c->owner_name) {
                many_unref(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

/* A call of the chain whose slot holds a reference to it. */
static int many_send(ManyCall *c, sd_bus_message *call, sd_bus_message_handler_t handler) {
        sd_bus_slot *slot = NULL;
        int r = sd_bus_call_async(c->bus, &slot, call, handler, c, 0);

        if (r < 0)
                return r;
        c->n_ref++;
        (void) sd_bus_slot_set_destroy_callback(slot, many_unref);
        (void) sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}

static int on_each_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* All or none, as AcquireMany: those asked before the refused one go again.
 * Nobody waits for these releases. */
static void each_fail(ManyCall *c, int r, const sd_bus_error *error) {
        for (size_t i = 0; i < c->next; i++)
                (void) lockd_release_async(c->bus, c->leases[i].path, c->owner_uuid, NULL, NULL, NULL);
        c->cb(r, error, c->userdata);
}

/* The Acquire of the lease at c->next. */
static int each_send(ManyCall *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const LockdLease *l = &c->leases[c->next];
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, lockd.service, lockd.path, lockd.interface, "Acquire");
        if (r >= 0)
                r = sd_bus_message_append(m, "sssuu", l->path, c->owner_uuid, c->owner_name, (uint32_t) c->owner_pid,
                                          (uint32_t) l->flags);
        return r < 0 ? r : many_send(c, m, on_each_reply);
}

static void each_next(ManyCall *c) {
        int r;

        if (c->next == c->n) {
                c->cb(0, NULL, c->userdata);
                return;
        }
        r = each_send(c);
        if (r < 0)
                each_fail(c, r, NULL);
}

static int on_each_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ManyCall *c = userdata;
        const sd_bus_error *e;
        int r = bus_reply_errno(reply, &e);

        if (r < 0)
                each_fail(c, r, e);
        else {
                c->next++;
                each_next(c);
        }
        return 1;
}

static int on_many_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ManyCall *c = userdata;
        const sd_bus_error *e;
        int r = bus_reply_errno(reply, &e);

        if (r < 0 && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                *c->old_lockd = true;
                each_next(c);
        } else
                c->cb(r, e, c->userdata);
        return 1;
}

static int new_many_call(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                         const char *owner_name, pid_t owner_pid, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, lockd.service, lockd.path, lockd.interface, "AcquireMany");
        if (r >= 0)
                r = append_many(m, leases, n, owner_uuid, owner_name, owner_pid);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* With a fallback: AcquireMany (or straight the Acquire chain) owned by a ManyCall. */
static int acquire_many_or_each(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                                const char *owner_name, pid_t owner_pid, bool *old_lockd, lockd_reply_fn cb,
                                void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        ManyCall *c = NULL;
        int r;

        r = many_new(bus, leases, n, owner_uuid, owner_name, owner_pid, &c);
        if (r < 0)
                return r;
        c->old_lockd = old_lockd;
        c->cb = cb;
        c->userdata = userdata;
        if (*old_lockd && n > 0)
                r = each_send(c);
        else {
                r = new_many_call(bus, leases, n, owner_uuid, owner_name, owner_pid, &m);
                if (r >= 0)
                        r = many_send(c, m, on_many_reply);
        }
        many_unref(c);
        return r;
}

int lockd_acquire_many_async(sd_bus *bus, const LockdLease *leases, size_t n, const char *owner_uuid,
                             const char *owner_name, pid_t owner_pid, bool *old_lockd, lockd_reply_fn cb,
                             void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BusReply p = { .cb = cb, .userdata = userdata };
        int r;

        if (old_lockd && !ret_slot && cb)
                return acquire_many_or_each(bus, leases, n, owner_uuid, owner_name, owner_pid, old_lockd, cb,
                                            userdata);
        r = new_many_call(bus, leases, n, owner_uuid, owner_name, owner_pid, &m);
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
