/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/networkd-client.c against networkd's real NetworkPort1 vtable,
 * served in this process over a socketpair, in a network namespace of this
 * test's own (unshare: needs root, else the tests are skipped). The network
 * is a host bridge made here, so that no dnsmasq or firewall is involved. */
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#include "error.h"
#include "manager.h"
#include "netlink.h"
#include "networkd-client.h"
#include "process.h"
#include "unit.h"
#include "util.h"

#define OWNER "6695eb01-f6a4-8304-79aa-97f2502e193f"

static sd_event *event;
static sd_bus *client;
static Manager m;
static char tmpdir[] = "/tmp/test-network-client-XXXXXX";
static bool ready;

static bool setup(void) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        static const char xml[] = "<network><name>lan</name><forward mode='bridge'/><bridge name='vbtbr0'/></network>";
        BridgeSettings bs = {};
        ConfError err = {};
        sd_id128_t id = {};
        Network *n;
        int sv[2];

        if (ready)
                return true;
        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
                return false;
        CHECK(mkdtemp(tmpdir) != NULL);
        vb_error_register_map();
        CHECK(sd_event_default(&event) >= 0);
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(sd_bus_new(&m.bus) >= 0 && sd_bus_set_fd(m.bus, sv[0], sv[0]) >= 0);
        CHECK(sd_bus_set_server(m.bus, 1, id) >= 0 && sd_bus_set_anonymous(m.bus, 1) >= 0);
        CHECK(sd_bus_negotiate_fds(m.bus, 1) >= 0);
        CHECK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, sv[1], sv[1]) >= 0);
        CHECK(sd_bus_set_anonymous(client, 1) >= 0 && sd_bus_negotiate_fds(client, 1) >= 0);
        CHECK(sd_bus_start(m.bus) >= 0 && sd_bus_start(client) >= 0);
        CHECK(sd_bus_attach_event(m.bus, event, 0) >= 0 && sd_bus_attach_event(client, event, 0) >= 0);
        m.event = event;
        m.rundir = m.portdir = m.statedir = m.confdir = tmpdir;
        m.nft_errfd = -1;
        CHECK(nl_route_open(&m.nl) == 0);
        CHECK(bridge_create(m.nl, "vbtbr0", &bs) == 0);
        CHECK(network_def_parse(xml, strlen(xml), &def, &err) == 0);
        CHECK(def && network_new(&m, TAKE_PTR(def), &n) == 0);
        CHECK(network_def_copy(n->def, &n->live) == 0);
        n->state = NETWORK_ACTIVE;
        CHECK(manager_add_network(&m, n) == 0);
        CHECK(port_dbus_register(&m) == 0);
        ready = !unit_failed_checks;
        return ready;
}

typedef struct Result {
        bool done;
        int r, fd;
        unsigned count;
        char error[256], ifname[64], uuid[64];
} Result;

static void on_port(int r, const sd_bus_error *e, int fd, const char *ifname, const char *uuid, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->r = r;
        res->fd = fd;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
        snprintf(res->ifname, sizeof(res->ifname), "%s", ifname ? ifname : "");
        snprintf(res->uuid, sizeof(res->uuid), "%s", uuid ? uuid : "");
}

static void on_reply(int r, const sd_bus_error *e, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->r = r;
        snprintf(res->error, sizeof(res->error), "%s", e && e->name ? e->name : "");
}

static void on_count(int r, const sd_bus_error *e, unsigned count, void *userdata) {
        on_reply(r, e, userdata);
        ((Result *) userdata)->count = count;
}

static void run_until(Result *res) {
        for (int i = 0; i < 1000 && !res->done; i++)
                sd_event_run(event, 10000);
        CHECK(res->done);
}

/* Links are deleted by networkd's reaper thread, a little after the reply. */
static bool link_gone(const char *name) {
        for (int i = 0; i < 200; i++) {
                if (link_ifindex(m.nl, name) == -ENODEV)
                        return true;
                usleep(5000);
        }
        return false;
}

static NetworkdPortRequest request(uint8_t last) {
        return (NetworkdPortRequest) {
                .network = "lan", .owner_uuid = OWNER, .owner_name = "vm1",
                .mac = { 0x52, 0x54, 0x00, 0x00, 0x00, last }, .vnet_hdr = true,
        };
}

static void test_allocate_release(void) {
        NetworkdPortRequest req = request(1);
        Result a = { .fd = -1 }, b = {};
        int br;

        if (!setup())
                UNIT_SKIP("needs root and a network namespace of its own");
        CHECK(networkd_allocate_port_async(client, &req, on_port, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, 0);
        CHECK(a.fd >= 0 && strncmp(a.ifname, "vnet", 4) == 0 && strlen(a.uuid) == 36);
        br = link_ifindex(m.nl, "vbtbr0");
        CHECK(br > 0 && link_master(m.nl, link_ifindex(m.nl, a.ifname)) == br);
        CHECK(m.n_ports == 1 && streq(m.ports[0]->owner_name, "vm1"));
        CHECK(networkd_release_port_async(client, a.uuid, on_reply, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, 0);
        CHECK(m.n_ports == 0 && link_gone(a.ifname));
        if (a.fd >= 0)
                close(a.fd);
}

static void test_errors(void) {
        NetworkdPortRequest req = request(2);
        Result a = { .fd = -1 }, b = { .fd = -1 }, c = {};

        if (!setup())
                UNIT_SKIP("needs root and a network namespace of its own");
        req.network = "nosuch";
        CHECK(networkd_allocate_port_async(client, &req, on_port, &a, NULL) == 0);
        run_until(&a);
        CHECK_INTEQ(a.r, -ENOENT);
        CHECK_STREQ(a.error, VB_ERROR_NO_NETWORK);
        CHECK(a.fd == -1);
        req = request(3);
        req.mac[0] = 0x53; /* multicast */
        CHECK(networkd_allocate_port_async(client, &req, on_port, &b, NULL) == 0);
        run_until(&b);
        CHECK_INTEQ(b.r, -EINVAL);
        CHECK_STREQ(b.error, VB_ERROR_INVALID_MAC);
        CHECK(networkd_release_port_async(client, "00000000-0000-0000-0000-000000000000", on_reply, &c, NULL) == 0);
        run_until(&c);
        CHECK_INTEQ(c.r, -EINVAL);
}

static void test_release_owner_and_bridge(void) {
        NetworkdPortRequest req = request(4);
        Result a = { .fd = -1 }, b = { .fd = -1 }, c = {};

        if (!setup())
                UNIT_SKIP("needs root and a network namespace of its own");
        CHECK(networkd_allocate_port_async(client, &req, on_port, &a, NULL) == 0);
        /* an <interface type='bridge'>: straight onto the host bridge */
        req = request(5);
        req.network = NULL;
        req.bridge = "vbtbr0";
        req.ifname = "vbtap%d";
        CHECK(networkd_allocate_port_async(client, &req, on_port, &b, NULL) == 0);
        run_until(&a);
        run_until(&b);
        CHECK(a.r == 0 && b.r == 0 && strncmp(b.ifname, "vbtap", 5) == 0);
        CHECK(networkd_release_owner_async(client, OWNER, on_count, &c, NULL) == 0);
        run_until(&c);
        CHECK(c.r == 0 && c.count == 2 && m.n_ports == 0);
        CHECK(link_gone(a.ifname) && link_gone(b.ifname));
        if (a.fd >= 0)
                close(a.fd);
        if (b.fd >= 0)
                close(b.fd);
}

static void test_cleanup(void) {
        char *argv[] = { (char *) "/bin/rm", (char *) "-rf", tmpdir, NULL };

        if (!ready)
                UNIT_SKIP("nothing was set up");
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_allocate_release, test_errors, test_release_owner_and_bridge, test_cleanup)
