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

        CHECK(lockd_acquire_many_async(client, two, 2, U2, "vm2", getpid(), on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK_INTEQ(m.leases->n_leases, before + 2);
        CHECK(lease_table_find_resource(m.leases, "/images/m2.img")->holders->shared);
        /* /images/c.img is U1's (test_invalid_and_cancel) */
        CHECK(lockd_acquire_many_async(client, busy, 2, U2, "vm2", getpid(), on_reply, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, -EBUSY);
        CHECK(!lease_table_find_resource(m.leases, "/images/m3.img"));
        CHECK_INTEQ(m.leases->n_leases, before + 2);
        CHECK(lockd_release_owner_async(client, U2, on_count, &c, NULL) == 0);
        run_until(&c);
        CHECK_INTEQ(c.count, 2);
}

static void test_cleanup(void) {
        _cleanup_free_ char *cmd = NULL;

        lease_table_free(m.leases);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(m.bus);
        sd_event_unref(event);
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_acquire_release, test_invalid_and_cancel, test_acquire_many, test_cleanup)
