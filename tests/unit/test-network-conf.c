/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network XML model: every XML file in tests/data/network round-trips to a
 * fixed point through parse/format, and what we format validates against
 * libvirt's network.rng; bad input is refused with the right error naming
 * the value; addresses, subnets, MACs; Update's sections. */
#include <dirent.h>
#include <libxml/relaxng.h>

#include "error.h"
#include "network-conf.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

#define SCHEMA "/usr/share/libvirt/schemas/network.rng"

static const char *data_dir(void) {
        return access("tests/data/network", F_OK) == 0 ? "tests/data/network" : "../../tests/data/network";
}

static char *read_data(const char *name) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;

        if (asprintf(&path, "%s/%s", data_dir(), name) < 0 || read_full_file(path, 0, &text, NULL) < 0)
                return NULL;
        return text;
}

static xmlRelaxNGPtr load_schema(void) {
        static xmlRelaxNGPtr schema;
        xmlRelaxNGParserCtxtPtr ctxt;

        if (schema || access(SCHEMA, R_OK) < 0)
                return schema;
        ctxt = xmlRelaxNGNewParserCtxt(SCHEMA);
        schema = ctxt ? xmlRelaxNGParse(ctxt) : NULL;
        xmlRelaxNGFreeParserCtxt(ctxt);
        return schema;
}

static bool schema_valid(const char *xml) {
        xmlRelaxNGPtr schema = load_schema();
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET);
        xmlRelaxNGValidCtxtPtr v = schema ? xmlRelaxNGNewValidCtxt(schema) : NULL;
        int r = doc && v ? xmlRelaxNGValidateDoc(v, doc) : -1;

        xmlRelaxNGFreeValidCtxt(v);
        xmlFreeDoc(doc);
        return r == 0;
}

static int parse(const char *xml, NetworkDef **ret, ConfError *err) {
        return network_def_parse(xml, strlen(xml), ret, err);
}

static void round_trip(const char *name) {
        _cleanup_free_ char *xml = read_data(name), *one = NULL, *two = NULL, *live = NULL;
        _cleanup_(network_def_freep) NetworkDef *a = NULL, *b = NULL;
        ConfError err = {};

        CHECK(xml);
        if (!xml)
                return;
        if (parse(xml, &a, &err) < 0) {
                fprintf(stderr, "  %s: %s: %s\n", name, err.name, err.message);
                CHECK(!"parses");
                return;
        }
        CHECK(network_def_format(a, NETWORK_FORMAT_INACTIVE, &one) == 0);
        CHECK(one && parse(one, &b, &err) == 0);
        CHECK(b && network_def_format(b, NETWORK_FORMAT_INACTIVE, &two) == 0);
        CHECK_STREQ(one, two);
        if (load_schema()) {
                a->connections = 3;
                CHECK(network_def_format(a, 0, &live) == 0);
                CHECK(live && strstr(live, "connections='3'"));
                if (!schema_valid(one) || !schema_valid(live))
                        fprintf(stderr, "  %s does not validate:\n%s\n", name, one);
                CHECK(schema_valid(one) && schema_valid(live));
        }
}

static void test_round_trip_and_schema(void) {
        _cleanup_(closedirp) DIR *d = opendir(data_dir());
        struct dirent *de;
        int n = 0;

        CHECK(d);
        while (d && (de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len > 4 && streq(de->d_name + len - 4, ".xml")) {
                        round_trip(de->d_name);
                        n++;
                }
        }
        CHECK(n >= 6);
        if (!load_schema())
                UNIT_SKIP(SCHEMA " is missing: the round trip ran, the schema check did not");
}

static void test_parsed_values(void) {
        _cleanup_free_ char *xml = read_data("nat-dhcp.xml");
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        ConfError err = {};

        CHECK(xml && parse(xml, &def, &err) == 0);
        if (!def)
                return;
        CHECK_STREQ(def->name, "default");
        CHECK(def->forward == NETWORK_FORWARD_NAT && def->has_forward);
        CHECK_STREQ(def->bridge, "virbr0");
        CHECK(def->n_ips == 1 && def->ips[0].prefix == 24 && def->ips[0].netmask_given);
        CHECK(def->ips[0].n_ranges == 1 && def->ips[0].n_hosts == 3);
        CHECK_INTEQ(network_lease_seconds(&def->ips[0].ranges[0].lease), 7200);
        CHECK_INTEQ(network_lease_seconds(&def->ips[0].hosts[1].lease), 0);
        CHECK_INTEQ(network_lease_seconds(&def->ips[0].hosts[2].lease), -1);
        CHECK(def->dns.n_hosts == 1 && strv_length(def->dns.hosts[0].hostnames) == 2);
        CHECK(!network_def_uses_vlans(def));
}

static void test_defaults(void) {
        _cleanup_(network_def_freep) NetworkDef *a = NULL, *b = NULL;
        ConfError err = {};

        CHECK(parse("<network><name>n</name><ip address='10.1.2.3'/><ip address='192.168.1.1'/></network>", &a,
                    &err) == 0);
        /* classful defaults, and a generated uuid */
        CHECK(a && a->ips[0].prefix == 8 && a->ips[1].prefix == 24);
        CHECK(a && !uuid_is_null(a->uuid));
        CHECK(parse("<network><name>n</name><forward/></network>", &b, &err) == 0);
        CHECK(b && b->forward == NETWORK_FORWARD_NAT);
}

static const struct {
        const char *xml, *error, *needle;
} bad[] = {
        { "<network><name>a</name><forward mode='teleport'/></network>", VB_ERROR_NOT_SUPPORTED, "teleport" },
        { "<network><name>a</name><forward mode='vepa'/></network>", VB_ERROR_NOT_SUPPORTED, "vepa" },
        { "<network><name>a</name><mac address='52:54:00:zz:00:01'/></network>", VB_ERROR_INVALID_MAC, "zz" },
        { "<network><name>a</name><mac address='53:54:00:00:00:01'/></network>", VB_ERROR_INVALID_MAC, "multicast" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<host mac='52:54:00:00:00:1' ip='10.0.0.5'/></dhcp></ip></network>",
          VB_ERROR_INVALID_MAC, "52:54:00:00:00:1" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<range start='10.0.0.10' end='10.0.1.20'/></dhcp></ip></network>",
          VB_ERROR_INVALID_ARG, "10.0.1.20" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<range start='10.0.0.30' end='10.0.0.20'/></dhcp></ip></network>",
          VB_ERROR_INVALID_ARG, "reversed" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<range start='10.0.0.1' end='10.0.0.20'/></dhcp></ip></network>",
          VB_ERROR_INVALID_ARG, "own address" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<range start='10.0.0.10' end='10.0.0.20'/><range start='10.0.0.15' end='10.0.0.30'/></dhcp></ip></network>",
          VB_ERROR_INVALID_ARG, "overlaps" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>"
          "<host mac='52:54:00:00:00:01' ip='10.9.0.5'/></dhcp></ip></network>",
          VB_ERROR_INVALID_ARG, "10.9.0.5" },
        { "<network><name>a</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>", VB_ERROR_INVALID_ARG,
          "255.0.255.0" },
        { "<network><name>a</name><ip address='10.0.0.1' prefix='33'/></network>", VB_ERROR_INVALID_ARG, "33" },
        { "<network><name>a</name><ip address='10.0.0.300'/></network>", VB_ERROR_INVALID_ARG, "10.0.0.300" },
        { "<network><name>a</name><ip address='10.0.0.0' prefix='24'/></network>", VB_ERROR_INVALID_ARG,
          "broadcast" },
        { "<network><name>a</name><bridge name='this-name-is-far-too-long'/></network>", VB_ERROR_INVALID_ARG,
          "too long" },
        { "<network><name>a</name><forward mode='bridge'/></network>", VB_ERROR_XML, "bridge name" },
        { "<network><name>a</name><forward mode='bridge'/><bridge name='br0'/><ip address='10.0.0.1'/></network>",
          VB_ERROR_NOT_SUPPORTED, "br0" },
        { "<network><name>a</name><vlan><tag id='4095'/></vlan></network>", VB_ERROR_INVALID_ARG, "4095" },
        { "<network><name>a</name><portgroup name='p'><vlan><tag id='5' nativeMode='tagged'/></vlan>"
          "</portgroup></network>",
          VB_ERROR_XML, "trunk" },
        { "<network><name>a</name><portgroup name='p'><bandwidth><inbound floor='100'/></bandwidth></portgroup>"
          "</network>",
          VB_ERROR_INVALID_ARG, "floor" },
        { "<network><name>a</name><bandwidth><inbound average='100' peak='50'/></bandwidth></network>",
          VB_ERROR_INVALID_ARG, "peak 50" },
        { "<network><name>a</name><portgroup name='p'/><portgroup name='p'/></network>", VB_ERROR_INVALID_ARG,
          "'p'" },
        { "<network><name>a</name><route address='10.1.0.0' prefix='16' gateway='10.0.0.2'/></network>",
          VB_ERROR_NOT_SUPPORTED, "route" },
        { "<network><name>a</name><bridge name='b' zone='trusted'/></network>", VB_ERROR_NOT_SUPPORTED, "zone" },
        { "<network><name>a</name><dns><srv service='x' protocol='tcp'/></dns></network>", VB_ERROR_NOT_SUPPORTED,
          "dns/srv" },
        { "<network colour='red'><name>a</name></network>", VB_ERROR_NOT_SUPPORTED, "colour" },
        { "<network><name>a/b</name></network>", VB_ERROR_INVALID_ARG, "a/b" },
        { "<network><uuid>00000000-0000-0000-0000-00000000000z</uuid><name>a</name></network>", VB_ERROR_INVALID_ARG,
          "UUID" },
        { "<network/>", VB_ERROR_XML, "name" },
        { "<network><name>a</name>", VB_ERROR_XML, "malformed" },
        { "<domain><name>a</name></domain>", VB_ERROR_XML, "network" },
};

static void test_bad_input(void) {
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(network_def_freep) NetworkDef *def = NULL;
                ConfError err = {};
                int r = parse(bad[i].xml, &def, &err);

                if (r >= 0 || !streq_ptr(err.name, bad[i].error) || !strstr(err.message, bad[i].needle))
                        fprintf(stderr, "  case %zu: r=%d %s: %s\n", i, r, err.name ?: "(none)", err.message);
                CHECK(r < 0 && def == NULL);
                CHECK_STREQ(err.name, bad[i].error);
                CHECK(strstr(err.message, bad[i].needle));
        }
}

static void test_conflicts(void) {
        _cleanup_(network_def_freep) NetworkDef *a = NULL, *b = NULL, *c = NULL;
        ConfError err = {};

        CHECK(parse("<network><name>a</name><bridge name='br1'/><ip address='10.0.0.1' prefix='16'/></network>", &a,
                    &err) == 0);
        CHECK(parse("<network><name>b</name><bridge name='br2'/><ip address='10.0.200.1' prefix='24'/></network>", &b,
                    &err) == 0);
        CHECK(parse("<network><name>c</name><bridge name='br1'/><ip address='10.1.0.1' prefix='24'/></network>", &c,
                    &err) == 0);
        if (!a || !b || !c)
                return;
        CHECK(network_def_check_conflict(b, a, &err) == -EBUSY);
        CHECK_STREQ(err.name, VB_ERROR_RESOURCE_BUSY);
        CHECK(strstr(err.message, "10.0.200.0/24") && strstr(err.message, "10.0.0.0/16"));
        CHECK(network_def_check_conflict(c, a, &err) == -EBUSY);
        CHECK(strstr(err.message, "br1"));
        CHECK(network_def_check_conflict(c, b, &err) == 0);
}

static void test_addresses(void) {
        NetAddr a, b, n;
        char buf[NET_ADDR_STRING_MAX];
        unsigned p;

        CHECK(net_addr_parse("192.168.1.77", &a) == 0 && a.family == AF_INET);
        CHECK(net_addr_parse("2001:db8::1", &b) == 0 && b.family == AF_INET6);
        CHECK(net_addr_parse("192.168.1", &n) < 0 && net_addr_parse("", &n) < 0 && net_addr_parse("::g", &n) < 0);
        net_addr_network(&a, 26, &n);
        CHECK_STREQ(net_addr_format(&n, buf), "192.168.1.64");
        net_addr_last(&a, 26, &n);
        CHECK_STREQ(net_addr_format(&n, buf), "192.168.1.127");
        net_addr_network(&b, 48, &n);
        CHECK_STREQ(net_addr_format(&n, buf), "2001:db8::");
        CHECK(net_addr_in_subnet(&a, &n, 0) == false); /* families differ */
        CHECK(net_addr_parse("255.255.252.0", &n) == 0 && net_netmask_to_prefix(&n, &p) == 0 && p == 22);
        CHECK(net_addr_parse("255.0.255.0", &n) == 0 && net_netmask_to_prefix(&n, &p) < 0);
        net_prefix_to_netmask(20, &n);
        CHECK_STREQ(net_addr_format(&n, buf), "255.255.240.0");
        CHECK(net_addr_parse("10.0.0.1", &a) == 0 && net_addr_parse("10.0.0.254", &b) == 0);
        CHECK_INTEQ(net_range_size(&a, &b), 254);
        CHECK_INTEQ(net_range_size(&b, &a), 0);
        CHECK(net_subnets_overlap(&a, 8, &b, 24));
        CHECK(net_addr_parse("10.1.0.1", &b) == 0 && !net_subnets_overlap(&a, 16, &b, 16));
        net_addr_add(&a, 255, &n);
        CHECK_STREQ(net_addr_format(&n, buf), "10.0.1.0");
}

static void test_mac(void) {
        uint8_t mac[6];
        char buf[MAC_STRING_MAX];

        CHECK(mac_parse("52:54:00:AB:cd:0f", mac) == 0);
        CHECK_STREQ(mac_format(mac, buf), "52:54:00:ab:cd:0f");
        CHECK(mac_is_unicast(mac) && !mac_is_null(mac));
        CHECK(mac_parse("52:54:00:ab:cd", mac) < 0);
        CHECK(mac_parse("52:54:00:ab:cd:0g", mac) < 0);
        CHECK(mac_parse("52-54-00-ab-cd-0f", mac) < 0);
        CHECK(mac_parse("52:54:00:ab:cd:0f:", mac) < 0);
        CHECK(mac_parse(" 52:54:00:ab:cd:0f", mac) < 0);
        CHECK(mac_parse(NULL, mac) < 0);
        CHECK(mac_parse("01:00:5e:00:00:01", mac) == 0 && !mac_is_unicast(mac));
        CHECK(mac_generate(mac) == 0 && mac[0] == 0x52 && mac[1] == 0x54 && mac[2] == 0);
}

#define BASE                                                                                             \
        "<network><name>u</name><ip address='10.0.0.1' prefix='24'><dhcp>"                              \
        "<range start='10.0.0.100' end='10.0.0.199'/><host mac='52:54:00:00:00:01' ip='10.0.0.5'/>"      \
        "</dhcp></ip><ip family='ipv6' address='fd00::1' prefix='64'/></network>"

static int update(NetworkDef *def, unsigned cmd, unsigned section, const char *xml, ConfError *err) {
        return network_def_update(def, cmd, section, -1, xml, err);
}

static void test_update(void) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        _cleanup_free_ char *before = NULL, *after = NULL;
        ConfError err = {};

        CHECK(parse(BASE, &def, &err) == 0);
        if (!def)
                return;
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_FIRST, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:02' name='b' ip='10.0.0.6'/>", &err) == 0);
        CHECK(def->ips[0].n_hosts == 2 && def->ips[0].hosts[0].ip.bytes[3] == 6);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:02' name='b' ip='10.0.0.7'/>", &err) == 0);
        CHECK(def->ips[0].hosts[0].ip.bytes[3] == 7);

        /* refused updates change nothing */
        CHECK(network_def_format(def, 0, &before) == 0);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:02' ip='10.0.0.8'/>", &err) == -EBADFD);
        CHECK_STREQ(err.name, VB_ERROR_OPERATION_INVALID);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:03' ip='10.0.0.5'/>", &err) == -EBADFD);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:09' ip='10.5.0.5'/>", &err) == -EINVAL);
        CHECK(strstr(err.message, "10.5.0.5"));
        CHECK(update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:44' ip='10.0.0.44'/>", &err) == -EBADFD);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE,
                     "<range start='10.0.0.150' end='10.0.0.210'/>", &err) == -EINVAL);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_RANGE,
                     "<range start='10.0.0.100' end='10.0.0.199'/>", &err) == -EOPNOTSUPP);
        CHECK(update(def, 7, NETWORK_SECTION_IP_DHCP_HOST, "<host/>", &err) == -EINVAL);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_FORWARD, "<forward/>", &err) ==
              -EOPNOTSUPP);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, "<host mac='bad'/>", &err) ==
              -EINVAL);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_MAC);
        CHECK(network_def_format(def, 0, &after) == 0);
        CHECK_STREQ(before, after);

        CHECK(update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host mac='52:54:00:00:00:02' ip='10.0.0.7'/>", &err) == 0);
        CHECK(def->ips[0].n_hosts == 1);
        /* an IPv6 host goes to the IPv6 <ip>, with its DHCP section made */
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST,
                     "<host id='0:3:0:1:52:54:0:0:0:9' name='six' ip='fd00::9'/>", &err) == 0);
        CHECK(def->ips[1].n_hosts == 1 && def->ips[1].has_dhcp);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE,
                     "<range start='10.0.0.200' end='10.0.0.210'/>", &err) == 0);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_IP_DHCP_RANGE,
                     "<range start='10.0.0.100' end='10.0.0.199'/>", &err) == 0);
        CHECK(def->ips[0].n_ranges == 1 && def->ips[0].ranges[0].start.bytes[3] == 200);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST,
                     "<host ip='10.0.0.9'><hostname>db</hostname></host>", &err) == 0);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST,
                     "<host ip='10.0.0.9'><hostname>db2</hostname></host>", &err) == -EBADFD);
        CHECK(def->dns.n_hosts == 1 && def->dns.present);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_PORTGROUP,
                     "<portgroup name='pg'><bandwidth><inbound average='100'/></bandwidth></portgroup>", &err) == 0);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_PORTGROUP,
                     "<portgroup name='pg' default='yes'/>", &err) == 0);
        CHECK(def->n_portgroups == 1 && def->portgroups[0].is_default && !def->portgroups[0].bandwidth.present);
        CHECK(update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_PORTGROUP, "<portgroup name='pg'/>",
                     &err) == 0);
        CHECK(def->n_portgroups == 0);
        free(after);
        after = NULL;
        CHECK(network_def_format(def, 0, &after) == 0);
        if (load_schema())
                CHECK(after && schema_valid(after));
}

UNIT_TESTS(test_round_trip_and_schema, test_parsed_values, test_defaults, test_bad_input, test_conflicts,
           test_addresses, test_mac, test_update)
