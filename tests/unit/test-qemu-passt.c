/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='user'><backend type='passt'/> and <interface
 * type='ethernet'><source><ip/><route/></source>: parsed and formatted
 * (schema-valid, the same after a second parse), libvirt's define-time
 * rules, passt's command line (qemu_passt_argv()) and the netdev_add of a
 * plugged one (qemu_passt_netdev_props()). */

#include <json-c/json.h>

#include "domain-test.h"
#include "qemu-passt.h"
#include "qemu-validate.h"
#include "util.h"
#include "qemu-refuse-test.h"

#define PASST(inner) "<interface type='user'>" inner "<backend type='passt'/></interface>"

static void test_rules(void) {
        QEMU_REFUSED(NULL, "<interface type='network'><source network='default'/><backend type='passt'/></interface>",
                     VB_ERROR_INTERNAL, "The 'passt' backend can only be used with interface type='user'");
        QEMU_REFUSED(NULL, "<interface type='user'><portForward proto='tcp'><range start='80'/></portForward>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "only supported with <backend type='passt'>");
        QEMU_REFUSED(NULL, "<interface type='user'><source dev='eth0'/></interface>", VB_ERROR_NOT_SUPPORTED,
                     "only supported with <backend type='passt'>");
        QEMU_REFUSED(NULL, PASST("<portForward proto='tcp'><range end='80'/></portForward>"), VB_ERROR_NOT_SUPPORTED,
                     "requires 'start' attribute");
        QEMU_REFUSED(NULL, PASST("<portForward proto='sctp'/>"), VB_ERROR_NOT_SUPPORTED, "proto");
        QEMU_REFUSED(NULL, PASST("<portForward proto='tcp' address='1.2.3'/>"), VB_ERROR_XML,
                     "Invalid address '1.2.3' in <portForward>");
        QEMU_REFUSED(NULL, PASST("<portForward proto='tcp'><range start='70000'/></portForward>"),
                     VB_ERROR_INVALID_ARG, "invalid port '70000'");
        QEMU_REFUSED(NULL, PASST("<ip address='10.0.0.2' prefix='28'/>"), VB_ERROR_XML, "must be in range of 4-27");
        QEMU_REFUSED(NULL, PASST("<ip address='10.0.0.2'/><ip address='10.0.0.3'/>"), VB_ERROR_NOT_SUPPORTED,
                     "Only one IPv4 address per interface is allowed");
        QEMU_REFUSED(NULL, PASST("<ip address='fd00::2' prefix='80'/>"), VB_ERROR_NOT_SUPPORTED,
                     "unsupported IPv6 address prefix='80' - must be 64");
        QEMU_REFUSED(NULL, PASST("<ip address='10.0.0.2' peer='10.0.0.1'/>"), VB_ERROR_NOT_SUPPORTED,
                     "Invalid attempt to set peer IP for guest");
        QEMU_REFUSED(NULL, PASST("<route address='10.1.0.0' prefix='16' gateway='10.0.0.1'/>"),
                     VB_ERROR_NOT_SUPPORTED, "guest-side IP route");
        /* slirp takes the same, any other type none (QEMU hands it no address) */
        QEMU_REFUSED(NULL, "<interface type='user'><ip address='10.0.0.2'/><ip address='10.0.0.3'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "Only one IPv4 address per interface is allowed");
        QEMU_REFUSED(NULL, "<interface type='user'><route address='10.1.0.0' prefix='16' gateway='10.0.0.1'/>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "guest-side IP route");
        QEMU_REFUSED(NULL, "<interface type='network'><source network='default'/><ip address='10.0.0.2'/>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "guest-side IP route and/or address info");
        QEMU_REFUSED(NULL, "<interface type='ethernet'><route address='10.1.0.0' prefix='16' gateway='10.0.0.1'/>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "guest-side IP route and/or address info");
        QEMU_REFUSED(NULL, "<interface type='user'><backend logFile='/var/log/x'/></interface>",
                     VB_ERROR_NOT_SUPPORTED, "logFile");
        QEMU_REFUSED(NULL, "<interface type='user'><backend type='passt' logFile='x'/></interface>",
                     VB_ERROR_INVALID_ARG, "logFile");
        QEMU_REFUSED(NULL, "<interface type='ethernet'><source><ip address='10.0.0.1' family='ipv6'/></source>"
                     "</interface>", VB_ERROR_INVALID_ARG, "invalid ipv6 address '10.0.0.1'");
        QEMU_REFUSED(NULL, "<interface type='ethernet'><source><ip address='10.0.0.1' peer='fd00::1'/></source>"
                     "</interface>", VB_ERROR_INVALID_ARG, "invalid peer 'fd00::1'");
        QEMU_REFUSED(NULL, "<interface type='ethernet'><source dev='x'/></interface>", VB_ERROR_NOT_SUPPORTED,
                     "attribute 'dev'");
        QEMU_REFUSED(NULL, "<interface type='ethernet'><source><mac address='52:54:00:00:00:01'/></source>"
                     "</interface>", VB_ERROR_NOT_SUPPORTED, "mac");
}

static void test_round_trip(void) {
        static const char *const nets[] = {
                "<interface type='user'><mac address='00:11:22:33:44:55'/><source dev='eth42'/>"
                "<ip address='172.17.2.0' family='ipv4' prefix='24'/><ip address='2001:db8::feed' family='ipv6'/>"
                "<portForward proto='tcp' address='2001:db8::1:10'><range start='22' to='2022'/>"
                "<range start='1020' exclude='yes'/></portForward>"
                "<portForward proto='udp' address='1.2.3.4' dev='eth0'><range start='5000' end='5020' to='6000'/>"
                "</portForward><portForward proto='tcp'/>"
                "<model type='virtio'/><backend type='passt' logFile='/var/log/passt.log'/></interface>",
                "<interface type='ethernet'><source><ip address='192.168.125.1' family='ipv4' prefix='24' "
                "peer='192.168.125.2'/><ip address='fd00::1' prefix='64'/>"
                "<route family='ipv4' address='10.20.0.0' prefix='16' gateway='192.168.125.2'/></source>"
                "<model type='virtio'/></interface>",
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(nets); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, nets[i]), *a = NULL, *b = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "interface"), *again = NULL;
                ConfError err = {};

                if (!def)
                        continue;
                CHECK(qemu_validate_def(def, &err) == 0);
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                again = a ? parse_ok(a, "formatted interface") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                CHECK(a && strstr(a, i == 0 ? "logFile='/var/log/passt.log'" : "peer='192.168.125.2'"));
                CHECK(a && strstr(a, i == 0 ? "<portForward proto='udp' address='1.2.3.4' dev='eth0'>"
                                            : "<route family='ipv4' address='10.20.0.0'"));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
        }
}

/* libvirt 9.0's fixture net-user-passt: what its qemuPasstStart() runs,
 * without --mac-addr (qemu-passt.c says why). */
static void test_argv(void) {
        _cleanup_free_ char *xml = NULL, *got = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        const char *want =
                "/usr/bin/passt --one-off --socket /run/x/net0-passt.sock --mtu 1400 "
                "--interface eth42 --log-file /var/log/loglaw.blog --address 172.17.2.0 --netmask 24 "
                "--address 2001:db8:ac10:fd01::feed "
                "--tcp-ports 2001:db8:ac10:fd01::1:10/22:2022,1000-1050,~1020,~1030-1040 "
                "--udp-ports 1.2.3.4%eth0/5000-5020:6000-6020,~5010-5015 --tcp-ports 80 --tcp-ports 443:344 "
                "--udp-ports all --runas 107:108 --pid /run/x/net0-passt.pid";

        xml = domain_with(NULL,
                          "<interface type='user'><mac address='00:11:22:33:44:55'/><source dev='eth42'/>"
                          "<ip address='172.17.2.0' family='ipv4' prefix='24'/>"
                          "<ip address='2001:db8:ac10:fd01::feed' family='ipv6'/>"
                          "<portForward proto='tcp' address='2001:db8:ac10:fd01::1:10'>"
                          "<range start='22' to='2022'/><range start='1000' end='1050'/>"
                          "<range start='1020' exclude='yes'/><range start='1030' end='1040' exclude='yes'/>"
                          "</portForward>"
                          "<portForward proto='udp' address='1.2.3.4' dev='eth0'>"
                          "<range start='5000' end='5020' to='6000'/><range start='5010' end='5015' exclude='yes'/>"
                          "</portForward>"
                          "<portForward proto='tcp'><range start='80'/></portForward>"
                          "<portForward proto='tcp'><range start='443' to='344'/></portForward>"
                          "<portForward proto='udp'/>"
                          "<model type='virtio'/><backend type='passt' logFile='/var/log/loglaw.blog'/>"
                          "<mtu size='1400'/></interface>");
        def = parse_ok(xml, "passt");
        if (!def)
                return;
        CHECK(qemu_passt_argv(&def->nets[0], QEMU_PASST_BINARY, "/run/x/net0-passt.sock", "/run/x/net0-passt.pid",
                              107, 108, &argv) == 0);
        got = argv ? strv_join(argv, " ") : NULL;
        if (got && !streq(got, want))
                fprintf(stderr, "  got:  %s\n  want: %s\n", got, want);
        CHECK(got && streq(got, want));
}

/* A plugged interface's netdev_add: the start's "-netdev stream,server=off,
 * addr.type=unix,addr.path=RUN/ALIAS-passt.sock,id=hostALIAS" as QMP, against
 * golden JSON written from QEMU 7.2's QMP schema (NetdevStreamOptions). */
static void test_netdev_props(void) {
        const char *want = "{\"id\":\"hostnet1\",\"type\":\"stream\",\"server\":false,\"addr\":{\"type\":"
                           "\"unix\",\"path\":\"/run/x/net1-passt.sock\"}}";
        json_object *args = json_object_new_object();
        const char *got;

        json_object_object_add(args, "id", json_object_new_string("hostnet1"));
        CHECK(qemu_passt_netdev_props("/run/x", "net1", args) == 0);
        got = json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!streq(got, want))
                fprintf(stderr, "  got:  %s\n  want: %s\n", got, want);
        CHECK(streq(got, want));
        json_object_put(args);
}

UNIT_TESTS(test_rules, test_round_trip, test_argv, test_netdev_props)
