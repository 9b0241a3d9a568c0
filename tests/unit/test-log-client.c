/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/logd-client.c against logd's real Log1 vtable, served in this
 * process over a socketpair: the pipe fd crosses the connection. */
#include <sys/socket.h>

#include "error.h"
#include "logd-client.h"
#include "manager.h"
#include "unit.h"
#include "util.h"

static sd_event *event;
static sd_bus *client;
static Manager m;
static char tmpdir[] = "/tmp/test-log-client-XXXXXX";

static void setup(void) {
        sd_id128_t id = {};
        int sv[2];

        CHECK(mkdtemp(tmpdir) != NULL);
        vb_error_register_map();
        CHECK(sd_event_default(&event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(sd_bus_new(&m.bus) >= 0 && sd_bus_set_fd(m.bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(m.bus, 1, id) >= 0 && sd_bus_set_anonymous(m.bus, 1) >= 0);
        CHECK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, sv[1], sv[1]) >= 0);
        CHECK(sd_bus_set_anonymous(client, 1) >= 0);
        CHECK(sd_bus_negotiate_fds(client, 1) >= 0 && sd_bus_negotiate_fds(m.bus, 1) >= 0);
        CHECK(sd_bus_start(m.bus) >= 0 && sd_bus_start(client) >= 0);
        CHECK(sd_bus_attach_event(m.bus, event, 0) >= 0 && sd_bus_attach_event(client, event, 0) >= 0);
        m.event = event;
        CHECK(log_table_new(tmpdir, 4096, 3, event, &m.logs) == 0);
        CHECK(log_dbus_register(&m) == 0);
}

typedef struct Result {
        bool done;
        int r, fd;
        char path[4096], error[256], data[256];
        size_t len;
} Result;

static void on_open(int r, const sd_bus_error *e, int fd, const char *path, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->r = r;
        res->fd = fd;
        snprintf(res->path, sizeof(res->path), "%s", path ?: "");
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
}

static void on_reply(int r, const sd_bus_error *e, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->r = r;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
}

static void on_tail(int r, const sd_bus_error *e, const void *data, size_t len, void *userdata) {
        Result *res = userdata;

        on_reply(r, e, userdata);
        res->len = MIN(len, sizeof(res->data) - 1);
        if (data)
                memcpy(res->data, data, res->len);
}

static void run_until(Result *res) {
        for (int i = 0; i < 1000 && !res->done; i++)
                sd_event_run(event, 10000);
        CHECK(res->done);
}

static void test_open_append_tail(void) {
        Result o = {}, a = {}, t = {}, bad = {}, none = {};

        setup();
        CHECK(logd_open_async(client, "qemu", "vm1", on_open, &o, NULL) == 0);
        run_until(&o);
        CHECK_INTEQ(o.r, 0);
        CHECK(o.fd >= 0);
        CHECK(strstr(o.path, "/qemu/vm1.log") != NULL);
        CHECK(write(o.fd, "from qemu\n", 10) == 10);
        CHECK(logd_append_async(client, "qemu", "vm1", "cmdline", on_reply, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK(logd_tail_async(client, "qemu", "vm1", 100, on_tail, &t, NULL) == 0);
        run_until(&t);
        CHECK_INTEQ(t.r, 0);
        CHECK_STREQ(t.data, "from qemu\ncmdline\n");
        close(o.fd);

        CHECK(logd_open_async(client, "qemu", "a/b", on_open, &bad, NULL) == 0);
        run_until(&bad);
        CHECK_INTEQ(bad.r, -EINVAL);
        CHECK_INTEQ(bad.fd, -1);
        CHECK_STREQ(bad.error, VB_ERROR_INVALID_ARG);
        CHECK(logd_tail_async(client, "qemu", "none", 100, on_tail, &none, NULL) == 0);
        run_until(&none);
        CHECK_INTEQ(none.r, -ENOENT);
        CHECK_STREQ(none.error, VB_ERROR_NO_LOG);
        /* The writer closed: the pipe drains and goes. */
        for (int i = 0; i < 100 && m.logs->n_streams > 0; i++)
                sd_event_run(event, 10000);
        CHECK_INTEQ(m.logs->n_streams, 0);
}

static void test_cleanup(void) {
        _cleanup_free_ char *cmd = NULL;

        log_table_free(m.logs);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(m.bus);
        sd_event_unref(event);
        if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0)
                CHECK(system(cmd) == 0);
}

UNIT_TESTS(test_open_append_tail, test_cleanup)
