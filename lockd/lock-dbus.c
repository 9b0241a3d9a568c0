/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtbus.Lock1 on /org/virtbus/lockd: the bus surface of lease.c. */
#include "error.h"
#include "lease.h"
#include "log.h"
#include "manager.h"

/* Whatever changes a lease or the daemon is root's, whatever the bus policy
 * says: common/bus-access.c refuses other users before a method runs, with
 * each connection's uid asked of the bus once (lockd serves tens of thousands
 * of calls a second). ListLeases and ListOwners are open to all. */

static int method_acquire(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        LeaseRequest q = {};
        int r;

        r = sd_bus_message_read(msg, "sssuu", &q.path, &q.owner_uuid, &q.owner_name, &q.owner_pid, &q.flags);
        if (r < 0)
                return r;
        r = lease_acquire(m->leases, &q, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

/* More than a guest has disks by far; a bound on what one call may pin. */
#define ACQUIRE_MANY_MAX 4096

/* The (path, flags) entries of AcquireMany, each completed with the owner
 * that follows the array. */
static int read_many(sd_bus_message *msg, LeaseRequest **ret, size_t *ret_n, sd_bus_error *error) {
        _cleanup_free_ LeaseRequest *reqs = NULL;
        LeaseRequest owner = {};
        size_t n = 0, allocated = 0;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "(su)");
        if (r < 0)
                return r;
        while (true) {
                if (n == allocated) {
                        LeaseRequest *p;
                        if (n == ACQUIRE_MANY_MAX)
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                                     "More than %d leases asked in one call.", ACQUIRE_MANY_MAX);
                        allocated = MAX(allocated * 2, (size_t) 8);
                        p = reallocarray(reqs, allocated, sizeof(*p));
                        if (!p)
                                return -ENOMEM;
                        reqs = p;
                }
                r = sd_bus_message_read(msg, "(su)", &reqs[n].path, &reqs[n].flags);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                n++;
        }
        r = sd_bus_message_exit_container(msg);
        if (r >= 0)
                r = sd_bus_message_read(msg, "ssu", &owner.owner_uuid, &owner.owner_name, &owner.owner_pid);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                reqs[i].owner_uuid = owner.owner_uuid;
                reqs[i].owner_name = owner.owner_name;
                reqs[i].owner_pid = owner.owner_pid;
        }
        *ret = TAKE_PTR(reqs);
        *ret_n = n;
        return 0;
}

static int method_acquire_many(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ LeaseRequest *reqs = NULL;
        size_t n = 0;
        int r;

        r = read_many(msg, &reqs, &n, error);
        if (r < 0)
                return r;
        r = lease_acquire_many(m->leases, reqs, n, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *uuid;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssu", &path, &uuid, &flags);
        if (r < 0)
                return r;
        if (flags != 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Unknown flags 0x%x.", flags);
        r = lease_release(m->leases, path, uuid, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *uuid;
        unsigned n;
        int r;

        r = sd_bus_message_read(msg, "s", &uuid);
        if (r < 0)
                return r;
        r = lease_release_owner(m->leases, uuid, &n, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "u", n);
}

typedef struct ListCtx {
        sd_bus_message *reply;
        LeaseTable *table;
        int r;
} ListCtx;

static void append_lease(Lease *l, void *userdata) {
        ListCtx *c = userdata;
        _cleanup_free_ char *file = NULL;
        uint32_t flags = (l->shared ? LEASE_SHARED : 0) | (l->resource->direct ? LEASE_DIRECT : 0);
        int r;

        if (c->r < 0)
                return;
        file = lease_file_path(c->table, l->resource);
        if (!file) {
                c->r = -ENOMEM;
                return;
        }
        r = sd_bus_message_append(c->reply, "(sssuus)", l->resource->path, l->owner->uuid, l->owner->name,
                                  (uint32_t) l->owner->pid, flags, file);
        if (r < 0)
                c->r = r;
}

static void append_owner(Owner *o, void *userdata) {
        ListCtx *c = userdata;
        int r;

        if (c->r < 0)
                return;
        r = sd_bus_message_append(c->reply, "(ssuu)", o->uuid, o->name, (uint32_t) o->pid, o->n_leases);
        if (r < 0)
                c->r = r;
}

static int reply_list(sd_bus_message *msg, Manager *m, const char *contents, bool leases) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        ListCtx c = { .table = m->leases };
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', contents);
        if (r < 0)
                return r;
        c.reply = reply;
        if (leases)
                lease_table_foreach_lease(m->leases, append_lease, &c);
        else
                lease_table_foreach_owner(m->leases, append_owner, &c);
        if (c.r < 0)
                return c.r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_leases(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return reply_list(msg, userdata, "(sssuus)", true);
}

static int method_list_owners(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return reply_list(msg, userdata, "(ssuu)", false);
}

static int method_reexec(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = reexec_schedule(m->reexec);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get_lockspace(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->leases->lockspace_dir);
}

static int property_get_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "u", streq(property, "Leases") ? m->leases->n_leases
                                                                            : m->leases->n_owners);
}

/* Who may call what is common/bus-access.c's business (see the top of this
 * file); these flags only say which methods are open, as a reader's aid. */
#define OPEN SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable lock_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("LockspaceDirectory", "s", property_get_lockspace, 0, 0),
        SD_BUS_PROPERTY("Leases", "u", property_get_count, 0, 0),
        SD_BUS_PROPERTY("Owners", "u", property_get_count, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("Acquire", "sssuu",
                                 SD_BUS_PARAM(path) SD_BUS_PARAM(owner_uuid) SD_BUS_PARAM(owner_name)
                                 SD_BUS_PARAM(owner_pid) SD_BUS_PARAM(flags),
                                 "", , method_acquire, OPEN),
        SD_BUS_METHOD_WITH_NAMES("AcquireMany", "a(su)ssu",
                                 SD_BUS_PARAM(leases) SD_BUS_PARAM(owner_uuid) SD_BUS_PARAM(owner_name)
                                 SD_BUS_PARAM(owner_pid),
                                 "", , method_acquire_many, OPEN),
        SD_BUS_METHOD_WITH_NAMES("Release", "ssu", SD_BUS_PARAM(path) SD_BUS_PARAM(owner_uuid) SD_BUS_PARAM(flags),
                                 "", , method_release, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ReleaseOwner", "s", SD_BUS_PARAM(owner_uuid), "u", SD_BUS_PARAM(released),
                                 method_release_owner, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ListLeases", "", , "a(sssuus)", SD_BUS_PARAM(leases), method_list_leases, OPEN),
        SD_BUS_METHOD_WITH_NAMES("ListOwners", "", , "a(ssuu)", SD_BUS_PARAM(owners), method_list_owners, OPEN),
        SD_BUS_METHOD("ReExec", "", "", method_reexec, OPEN),
        SD_BUS_VTABLE_END,
};

int lock_dbus_register(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, LOCKD_OBJECT_PATH, LOCKD_INTERFACE, lock_vtable, m);

        if (r < 0)
                return log_error_errno(r, "Cannot register %s: %m", LOCKD_OBJECT_PATH);
        return 0;
}
