/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='direct'> (common/conf/domain-net-direct.c): parsed and
 * formatted back (schema-valid, byte-identical, libvirt's default mode
 * filled in, a generated macvtapN name live only), its refusals, and the
 * pure parts of qemud/qemu-net-direct.c: the kernel's mode numbers, a
 * sysfs dev file's major:minor, a passthrough parent's saved MAC; a
 * multiqueue one's hot-plug getfds. */

#include <linux/if_link.h>
#include <sys/sysmacros.h>

#include "domain-test.h"
#include "qemu-command.h"
#include "qemu-hotplug-internal.h"
#include "qemu-net-direct.h"
#include "qemu-validate.h"
#include "util.h"

#define DIRECT(source, extra)                                                                   \
        "<interface type='direct'><mac address='00:11:22:33:44:55'/>" source extra "</interface>"

static void round_trip_(const char *device, const char *want, int line) {
        _cleanup_free_ char *xml = domain_with(NULL, device), *a = NULL, *b = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "interface direct"), *again = NULL;
        xmlRelaxNGPtr schema = load_schema();
        ConfError err = {};

        if (!def)
                return;
        CHECK(qemu_validate_def(def, &err) == 0);
        CHECK(def->n_nets == 1 && def->nets[0].type == DOMAIN_NET_DIRECT);
        a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        again = a ? parse_ok(a, "formatted interface direct") : NULL;
        b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
        CHECK(a && b && streq(a, b));
        if (a && !strstr(a, want)) {
                fprintf(stderr, "  line %d: no \"%s\" in\n%s\n", line, want, a);
                unit_failed_checks++;
        }
        if (schema && a)
                CHECK(schema_valid(schema, a));
}
#define ROUND_TRIP(device, want) round_trip_(device, want, __LINE__)

static void test_round_trip(void) {
        ROUND_TRIP(DIRECT("<source dev='eth0' mode='bridge'/>", "<model type='virtio'/>"),
                   "<source dev='eth0' mode='bridge'/>");
        /* libvirt's default, written out */
        ROUND_TRIP(DIRECT("<source dev='eth0'/>", ""), "<source dev='eth0' mode='vepa'/>");
        ROUND_TRIP(DIRECT("<source dev='eno1' mode='private'/>", ""), "mode='private'");
        ROUND_TRIP(DIRECT("<source dev='eno1' mode='passthrough'/>", ""), "mode='passthrough'");
        /* the user's name stays in the definition */
        ROUND_TRIP(DIRECT("<source dev='eth0' mode='vepa'/>", "<target dev='guest0tap'/>"),
                   "<target dev='guest0tap'/>");
        ROUND_TRIP(DIRECT("<source dev='eth0' mode='bridge'/>",
                          "<virtualport type='802.1Qbh'><parameters profileid='finance'/></virtualport>"),
                   "<virtualport type='802.1Qbh'>");
}

/* A macvtapN qemud gave is live only, as libvirt's. */
static void test_generated_name(void) {
        _cleanup_free_ char *xml = domain_with(NULL, DIRECT("<source dev='eth0' mode='bridge'/>",
                                                           "<target dev='macvtap3'/>"));
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "direct with macvtap3");
        _cleanup_free_ char *inactive = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;
        _cleanup_free_ char *live = def ? format_ok(def, 0) : NULL;

        CHECK(inactive && !strstr(inactive, "macvtap3"));
        CHECK(live && strstr(live, "<target dev='macvtap3'/>"));
        CHECK(domain_net_ifname_is_generated("macvlan0"));
}

static void refused_(const char *devices, const char *needle, int line) {
        _cleanup_free_ char *xml = domain_with(NULL, devices);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r = domain_def_parse(xml, strlen(xml), &def, &err);

        if (r >= 0)
                r = domain_def_validate(def, &err);
        if (r >= 0)
                r = qemu_validate_def(def, &err);
        if (r >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: got %d \"%s\", expected an error naming \"%s\"\n", line, r, err.message,
                        needle);
                unit_failed_checks++;
        }
}
#define IFACE_REFUSED(devices, needle) refused_(devices, needle, __LINE__)

static void test_refusals(void) {
        IFACE_REFUSED(DIRECT("<source mode='bridge'/>", ""), "missing attribute 'dev'");
        IFACE_REFUSED(DIRECT("<source dev='eth0' mode='bridged'/>", ""), "value 'bridged' of attribute 'mode'");
        IFACE_REFUSED(DIRECT("<source dev='eth0' network='x'/>", ""), "network");
        IFACE_REFUSED(DIRECT("", ""), "missing element <devices/interface/source>");
        IFACE_REFUSED(DIRECT("<source dev='eth0'/>", "<script path='/bin/true'/>"), "scripts are not supported");
}

static void test_pure(void) {
        dev_t dev = 0;

        CHECK(qemu_net_direct_kernel_mode(0) == MACVLAN_MODE_VEPA);
        CHECK(qemu_net_direct_kernel_mode(1) == MACVLAN_MODE_PRIVATE);
        CHECK(qemu_net_direct_kernel_mode(2) == MACVLAN_MODE_BRIDGE);
        CHECK(qemu_net_direct_kernel_mode(3) == MACVLAN_MODE_PASSTHRU);
        CHECK(qemu_net_direct_parse_devnum("241:7\n", &dev) == 0 && major(dev) == 241 && minor(dev) == 7);
        CHECK(qemu_net_direct_parse_devnum("241:7", &dev) == 0);
        CHECK(qemu_net_direct_parse_devnum("241", &dev) == -EINVAL);
        CHECK(qemu_net_direct_parse_devnum("241:7x", &dev) == -EINVAL);
}

static void test_saved_mac(void) {
        uint8_t mac[6] = {};

        CHECK(qemu_net_direct_parse_saved_mac("52:54:00:ab:cd:ef\n", mac) == 0);
        CHECK(mac[0] == 0x52 && mac[3] == 0xab && mac[5] == 0xef);
        CHECK(qemu_net_direct_parse_saved_mac("52:54:00:ab:cd:ee", mac) == 0 && mac[5] == 0xee);
        CHECK(qemu_net_direct_parse_saved_mac("52:54:00:ab:cd\n", mac) == -EINVAL);
        CHECK(qemu_net_direct_parse_saved_mac("52:54:00:ab:cd:ef\nxx", mac) == -EINVAL);
        CHECK(qemu_net_direct_parse_saved_mac("52:54:00:ab:cd:eg\n", mac) == -EINVAL);
        CHECK(qemu_net_direct_parse_saved_mac("", mac) == -EINVAL);
}

static const char *arg_str(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* A multiqueue macvtap: one getfd per queue, netdev_add's "fds" naming
 * them all, and a closefd each for the undo; one queue: "fd". */
static void test_hotplug_fds(void) {
        DomainNetDef net = { .type = DOMAIN_NET_DIRECT, .model = (char *) "virtio", .driver_queues = 3,
                             .alias = (char *) "net1" };
        json_object *cmds = json_object_new_array(), *args = json_object_new_object(), *undo = json_object_new_array();

        CHECK(domain_net_multi_queue(&net) && qemu_net_extra_queues(&net) == 2);
        CHECK(hotplug_net_takes_fds(&net));
        CHECK(hotplug_tap_getfds(&net, cmds, args) == 0);
        CHECK(json_object_array_length(cmds) == 3);
        CHECK(streq_ptr(arg_str(args, "fds"), "fd-net1:fd-net1-q1:fd-net1-q2"));
        CHECK(streq_ptr(arg_str(json_object_array_get_idx(cmds, 0), "execute"), "getfd"));
        CHECK(hotplug_tap_closefds(&net, undo) == 0 && json_object_array_length(undo) == 3);
        json_object_put(cmds);
        json_object_put(args);
        json_object_put(undo);

        net.model = (char *) "e1000"; /* queues on virtio only */
        cmds = json_object_new_array();
        args = json_object_new_object();
        CHECK(!domain_net_multi_queue(&net) && qemu_net_extra_queues(&net) == 0);
        CHECK(hotplug_tap_getfds(&net, cmds, args) == 0 && json_object_array_length(cmds) == 1);
        CHECK(streq_ptr(arg_str(args, "fd"), "fd-net1"));
        json_object_put(cmds);
        json_object_put(args);
}

UNIT_TESTS(test_round_trip, test_generated_name, test_refusals, test_pure, test_saved_mac, test_hotplug_fds)
