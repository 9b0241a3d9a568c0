/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/lockd-client.c against lockd's real Lock1 vtable, served in this
 * process over a socketpair (a peer-to-peer sd-bus connection). */
#include <sys/socket.h>

#include "error.h"
#include "lockd-client.h"
#include "manager.h"
#include "unit.h"
#include "util.h"

#define U1 "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define U2 "1111eb01-f6a4-8304-79aa-97f2502e193f"

static sd_event *event;
static sd_bus *client;
static Manager m;
static char tmpdir[] = "/tmp/test-lock-client-XXXXXX";

static void setup(void) {
        _cleanup_free_ char *ls = NULL;
        sd_id128_t id = {};
        int sv[2];

        CHECK(mkdtemp(tmpdir) != NULL);
        ls = path_join(tmpdir, "lockspace");
        vb_error_register_map();
        CHECK(sd_event_default(&event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(sd_bus_new(&m.bus) >= 0 && sd_bus_set_fd(m.bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(m.bus, 1, id) >= 0 && sd_bus_set_anonymous(m.bus, 1) >= 0);
        CHECK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, sv[1], sv[1]) >= 0);
        CHECK(sd_bus_set_anonymous(client, 1) >= 0);
        CHECK(sd_bus_start(m.bus) >= 0 && sd_bus_start(client) >= 0);
        CHECK(sd_bus_attach_event(m.bus, event, 0) >= 0 && sd_bus_attach_event(client, event, 0) >= 0);
        m.event = event;
        CHECK(lease_table_new(ls, event, &m.leases) == 0);
        CHECK(lock_dbus_register(&m) == 0);
}

typedef struct Result {
        bool done;
        int r;
        unsigned count;
        char error[256];
} Result;

static void on_reply(int r, const sd_bus_error *e, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->r = r;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
}

static void on_count(int r, const sd_bus_error *e, unsigned count, void *userdata) {
        Result *res = userdata;

        on_reply(r, e, userdata);
        res->count = count;
}

static void run_until(Result *res) {
        for (int i = 0; i < 1000 && !res->done; i++)
                sd_event_run(event, 10000);
        CHECK(res->done);
}

static void test_acquire_release(void) {
        Result a = {}, b = {}, c = {}, d = {};

        setup();
        CHECK(lockd_acquire_async(client, "/images/a.img", U1, "vm1", getpid(), 0, on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK(lockd_acquire_async(client, "/images/a.img", U2, "vm2", getpid(), 0, on_reply, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, -EBUSY);
        CHECK_STREQ(b.error, VB_ERROR_RESOURCE_BUSY);
        CHECK(lockd_release_async(client, "/images/a.img", U2, on_reply, &c, NULL) == 0);
        run_until(&c);
        CHECK_INTEQ(c.r, -ENOENT);
        CHECK_STREQ(c.error, VB_ERROR_NO_LEASE);
        CHECK(lockd_release_owner_async(client, U1, on_count, &d, NULL) == 0);
        run_until(&d);
        CHECK_INTEQ(d.r, 0);
        CHECK_INTEQ(d.count, 1);
        CHECK_INTEQ(m.leases->n_leases, 0);
}

static void test_invalid_and_cancel(void) {
        Result a = {}, b = {};
        sd_bus_slot *slot = NULL;

        CHECK(lockd_acquire_async(client, "relative", U1, "vm1", getpid(), 0, on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, -EINVAL);
        CHECK_STREQ(a.error, VB_ERROR_INVALID_ARG);
        /* A cancelled call never calls back; its lease is still taken by lockd. */
        CHECK(lockd_acquire_async(client, "/images/c.img", U1, "vm1", getpid(), 0, on_reply, &b, &slot) == 0);
        sd_bus_slot_unref(slot);
        for (int i = 0; i < 20; i++)
                sd_event_run(event, 5000);
        CHECK(!b.done);
        CHECK_INTEQ(m.leases->n_leases, 1);
}

/* AcquireMany: all or none; a refused one named, those taken let go again. */
static void test_acquire_many(void) {
        const LockdLease two[] = { { "/images/m1.img", 0 }, { "/images/m2.img", LOCKD_LEASE_SHARED } };
        const LockdLease busy[] = { { "/images/m3.img", 0 }, { "/images/c.img", 0 } };
        Result a = {}, b = {}, c = {};
        unsigned before = m.leases->n_leases;

        bool old = false;

        CHECK(lockd_acquire_many_async(client, two, 2, U2, "vm2", getpid(), &old, on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK_INTEQ(m.leases->n_leases, before + 2);
        CHECK(lease_table_find_resource(m.leases, "/images/m2.img")->holders->shared);
        /* /images/c.img is U1's (test_invalid_and_cancel) */
        CHECK(lockd_acquire_many_async(client, busy, 2, U2, "vm2", getpid(), &old, on_reply, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, -EBUSY);
        CHECK(!lease_table_find_resource(m.leases, "/images/m3.img"));
        CHECK_INTEQ(m.leases->n_leases, before + 2);
        CHECK(lockd_release_owner_async(client, U2, on_count, &c, NULL) == 0);
        run_until(&c);
        CHECK_INTEQ(c.count, 2);
        CHECK(!old); /* this lockd knows AcquireMany */
}

/* A lockd from before AcquireMany: Acquire, Release and ReleaseOwner only,
 * on the same lease table, served on a second connection. */
static sd_bus *old_server, *old_client;
static unsigned many_calls; /* AcquireMany calls that reached the old lockd */

static int old_acquire(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        LeaseRequest q = {};
        int r = sd_bus_message_read(msg, "sssuu", &q.path, &q.owner_uuid, &q.owner_name, &q.owner_pid, &q.flags);

        if (r >= 0)
                r = lease_acquire(m.leases, &q, error);
        return r < 0 ? r : sd_bus_reply_method_return(msg, NULL);
}

static int old_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *path, *uuid;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "ssu", &path, &uuid, &flags);

        if (r >= 0)
                r = lease_release(m.leases, path, uuid, error);
        return r < 0 || !sd_bus_message_get_expect_reply(msg) ? r : sd_bus_reply_method_return(msg, NULL);
}

static int old_release_owner(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *uuid;
        unsigned n = 0;
        int r = sd_bus_message_read(msg, "s", &uuid);

        if (r >= 0)
                r = lease_release_owner(m.leases, uuid, &n, error);
        return r < 0 ? r : sd_bus_reply_method_return(msg, "u", (uint32_t) n);
}

static const sd_bus_vtable old_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Acquire", "sssuu", "", old_acquire, 0),
        SD_BUS_METHOD("Release", "ssu", "", old_release, 0),
        SD_BUS_METHOD("ReleaseOwner", "s", "u", old_release_owner, 0),
        SD_BUS_VTABLE_END,
};

static int count_many(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        if (sd_bus_message_is_method_call(msg, LOCKD_IFACE, "AcquireMany"))
                many_calls++;
        return 0;
}

static void setup_old(void) {
        sd_id128_t id = {};
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(sd_bus_new(&old_server) >= 0 && sd_bus_set_fd(old_server, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(old_server, 1, id) >= 0 && sd_bus_set_anonymous(old_server, 1) >= 0);
        CHECK(sd_bus_new(&old_client) >= 0 && sd_bus_set_fd(old_client, sv[1], sv[1]) >= 0);
        CHECK(sd_bus_set_anonymous(old_client, 1) >= 0);
        CHECK(sd_bus_start(old_server) >= 0 && sd_bus_start(old_client) >= 0);
        CHECK(sd_bus_attach_event(old_server, event, 0) >= 0 && sd_bus_attach_event(old_client, event, 0) >= 0);
        CHECK(sd_bus_add_filter(old_server, NULL, count_many, NULL) >= 0);
        CHECK(sd_bus_add_object_vtable(old_server, NULL, LOCKD_PATH, LOCKD_IFACE, old_vtable, NULL) >= 0);
}

/* UnknownMethod to AcquireMany: one Acquire per lease, all or none, and
 * later calls go straight to Acquire until the caller resets the flag. */
static void test_acquire_many_old_lockd(void) {
        const LockdLease two[] = { { "/images/o1.img", 0 }, { "/images/o2.img", LOCKD_LEASE_SHARED } };
        const LockdLease busy[] = { { "/images/o3.img", 0 }, { "/images/o4.img", 0 }, { "/images/c.img", 0 } };
        Result a = {}, b = {}, c = {}, d = {};
        unsigned before = m.leases->n_leases;
        bool old = false;

        setup_old();
        CHECK(lockd_acquire_many_async(old_client, two, 2, U2, "vm2", getpid(), &old, on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK(old);
        CHECK_INTEQ(many_calls, 1);
        CHECK_INTEQ(m.leases->n_leases, before + 2);
        CHECK(lease_table_find_resource(m.leases, "/images/o2.img")->holders->shared);

        /* /images/c.img is U1's: o3 and o4, taken first, are let go again */
        CHECK(lockd_acquire_many_async(old_client, busy, 3, U2, "vm2", getpid(), &old, on_reply, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, -EBUSY);
        CHECK_STREQ(b.error, VB_ERROR_RESOURCE_BUSY);
        CHECK_INTEQ(many_calls, 1); /* remembered: straight to Acquire */
        CHECK(lockd_release_owner_async(old_client, U2, on_count, &c, NULL) == 0);
        run_until(&c); /* after the releases, sent before it on the same connection */
        CHECK_INTEQ(c.count, 2);
        CHECK(!lease_table_find_resource(m.leases, "/images/o3.img"));
        CHECK(!lease_table_find_resource(m.leases, "/images/o4.img"));
        CHECK_INTEQ(m.leases->n_leases, before);

        /* Reset (lockd changed hands): AcquireMany is asked again. */
        old = false;
        CHECK(lockd_acquire_many_async(old_client, two, 1, U2, "vm2", getpid(), &old, on_reply, &d, NULL) == 0);
        run_until(&d);
        CHECK_INTEQ(d.r, 0);
        CHECK(old);
        CHECK_INTEQ(many_calls, 2);
        CHECK_INTEQ(m.leases->n_leases, before + 1);
        CHECK(lease_release(m.leases, "/images/o1.img", U2, NULL) == 0);
}

static void test_cleanup(void) {
        _cleanup_free_ char *cmd = NULL;

        lease_table_free(m.leases);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(old_client);
        sd_bus_flush_close_unref(old_server);
        sd_bus_flush_close_unref(m.bus);
        sd_event_unref(event);
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_acquire_release, test_invalid_and_cancel, test_acquire_many, test_acquire_many_old_lockd,
           test_cleanup)
