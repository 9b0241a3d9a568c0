/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/storaged-client.c against storaged's real bus objects, served in
 * this process over a socketpair (a peer-to-peer sd-bus connection), with a
 * dir pool in a temporary directory. */
#include <fcntl.h>
#include <sys/socket.h>

#include "error.h"
#include "manager.h"
#include "process.h"
#include "storaged-client.h"
#include "unit.h"
#include "util.h"

static sd_event *event;
static sd_bus *client;
static sd_bus *server;
static Manager *m;
static char tmpdir[] = "/tmp/test-storage-client-XXXXXX";

typedef struct Result {
        bool done;
        int r;
        unsigned count;
        bool block;
        char error[256], message[512], path[512], format[32];
} Result;

static void run_until(bool *done) {
        for (int i = 0; i < 3000 && !*done; i++)
                sd_event_run(event, 10000);
        CHECK(*done);
}

static void setup(void) {
        _cleanup_free_ char *xml = NULL, *dir = NULL, *img = NULL;
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_id128_t id = {};
        ConfError err = {};
        Pool *p = NULL;
        int sv[2], fd;

        CHECK(mkdtemp(tmpdir) != NULL);
        dir = path_join(tmpdir, "pool");
        img = path_join(tmpdir, "pool/disk.img");
        CHECK(mkdir(dir, 0755) == 0);
        fd = open(img, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
        close(fd);

        vb_error_register_map();
        CHECK(sd_event_default(&event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(sd_bus_new(&server) >= 0 && sd_bus_set_fd(server, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(server, 1, id) >= 0 && sd_bus_set_anonymous(server, 1) >= 0);
        CHECK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, sv[1], sv[1]) >= 0);
        CHECK(sd_bus_set_anonymous(client, 1) >= 0);
        CHECK(sd_bus_start(server) >= 0 && sd_bus_start(client) >= 0);
        CHECK(sd_bus_attach_event(server, event, 0) >= 0 && sd_bus_attach_event(client, event, 0) >= 0);

        CHECK(manager_new(event, server, tmpdir, &m) == 0);
        CHECK(connect_dbus_register(m) >= 0 && pool_dbus_register(m) >= 0 && volume_dbus_register(m) >= 0);
        CHECK(asprintf(&xml, "<pool type='dir'><name>p1</name><target><path>%s</path></target></pool>", dir) > 0);
        CHECK(storage_pool_def_parse(xml, 0, &def, &err) == 0);
        CHECK(pool_new(m, TAKE_PTR(def), &p) == 0 && manager_add_pool(m, p) == 0);
        CHECK(pool_start_async(p, 0, false, NULL, &e) == 1);
        run_until(&p->active);
        sd_bus_error_free(&e);
}

static void on_resolve(int r, const sd_bus_error *e, const char *path, const char *format, bool block, void *u) {
        Result *res = u;

        res->done = true;
        res->r = r;
        res->block = block;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
        snprintf(res->path, sizeof(res->path), "%s", path ? path : "");
        snprintf(res->format, sizeof(res->format), "%s", format ? format : "");
}

static void on_reply(int r, const sd_bus_error *e, void *u) {
        Result *res = u;

        res->done = true;
        res->r = r;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
        snprintf(res->message, sizeof(res->message), "%s", e && e->message ? e->message : "");
}

static void on_count(int r, const sd_bus_error *e, unsigned count, void *u) {
        on_reply(r, e, u);
        ((Result *) u)->count = count;
}

static int on_method(sd_bus_message *msg, void *u, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(msg);

        on_reply(e ? -sd_bus_error_get_errno(e) : 0, e, u);
        return 1;
}

static void delete_volume(Result *res) {
        Volume *v = manager_find_volume_by_key(m, m->pools[0]->vols[0]->key);

        CHECK(v != NULL);
        if (!v)
                return;
        CHECK(sd_bus_call_method_async(client, NULL, STORAGED_SERVICE, v->bus_path, "org.libvirt.StorageVol",
                                       "Delete", on_method, res, "u", 0) >= 0);
        run_until(&res->done);
}

static void test_resolve(void) {
        Result a = {}, b = {}, c = {};
        _cleanup_free_ char *img = NULL;

        setup();
        img = path_join(tmpdir, "pool/disk.img");
        CHECK(storaged_resolve_volume_async(client, "p1", "disk.img", on_resolve, &a, NULL) == 0);
        run_until(&a.done);
        CHECK_INTEQ(a.r, 0);
        CHECK_STREQ(a.path, img);
        CHECK_STREQ(a.format, "raw");
        CHECK(!a.block);

        CHECK(storaged_resolve_volume_async(client, "p1", "nope.img", on_resolve, &b, NULL) == 0);
        run_until(&b.done);
        CHECK_INTEQ(b.r, -ENOENT);
        CHECK_STREQ(b.error, VB_ERROR_NO_STORAGE_VOL);

        CHECK(storaged_resolve_volume_async(client, "nopool", "disk.img", on_resolve, &c, NULL) == 0);
        run_until(&c.done);
        CHECK_STREQ(c.error, VB_ERROR_NO_STORAGE_POOL);
}

static void test_in_use(void) {
        Result a = {}, b = {}, c = {}, d = {}, e = {};

        CHECK(storaged_set_in_use_async(client, "p1", "disk.img", "vm1", true, on_reply, &a, NULL) == 0);
        run_until(&a.done);
        CHECK_INTEQ(a.r, 0);
        CHECK_INTEQ(m->inuse.n, 1);

        delete_volume(&b);
        CHECK_INTEQ(b.r, -EBUSY);
        CHECK_STREQ(b.error, VB_ERROR_RESOURCE_BUSY);
        CHECK(strstr(b.message, "'disk.img'") && strstr(b.message, "'vm1'"));

        CHECK(storaged_set_in_use_async(client, "p1", "disk.img", "", true, on_reply, &c, NULL) == 0);
        run_until(&c.done);
        CHECK_STREQ(c.error, VB_ERROR_INVALID_ARG);

        CHECK(storaged_release_owner_async(client, "vm1", on_count, &d, NULL) == 0);
        run_until(&d.done);
        CHECK_INTEQ(d.r, 0);
        CHECK_INTEQ(d.count, 1);

        /* Free now: lockd is asked (here nobody answers for it: no lease). */
        delete_volume(&e);
        CHECK_INTEQ(e.r, 0);
        CHECK_INTEQ(m->pools[0]->n_vols, 0);
}

static void test_cleanup(void) {
        char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };

        manager_free(m);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(server);
        sd_event_unref(event);
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_resolve, test_in_use, test_cleanup)
