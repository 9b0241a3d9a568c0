/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An <interface>'s <bandwidth> in the domain model: parsed, formatted back
 * (valid for libvirt's schema), copied with the definition, refused when
 * malformed; and the XML the drivers send networkd for it. */

#include "domain-interface.h"
#include "domain-test.h"
#include "network-conf.h"

#define NIC(extra)                                                                                \
        "<interface type='network'><mac address='52:54:00:11:22:33'/><source network='default'/>" \
        "<model type='virtio'/>" extra "</interface>"

static void test_bandwidth_round_trip(void) {
        _cleanup_free_ char *xml = domain_with(NULL, NIC("<bandwidth><inbound average='1000' peak='2000' burst='256'/>"
                                                         "<outbound average='500'/></bandwidth>"));
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "a NIC with bandwidth"), *copy = NULL;
        _cleanup_free_ char *out = NULL, *bw = NULL;
        xmlRelaxNGPtr schema;

        if (!def)
                return;
        CHECK_INTEQ(def->n_nets, 1);
        CHECK(def->nets[0].bandwidth && def->nets[0].bandwidth->present);
        CHECK_INTEQ(def->nets[0].bandwidth->in.average, 1000);
        CHECK_INTEQ(def->nets[0].bandwidth->in.peak, 2000);
        CHECK_INTEQ(def->nets[0].bandwidth->in.burst, 256);
        CHECK_INTEQ(def->nets[0].bandwidth->out.average, 500);

        out = format_ok(def, 0);
        CHECK(contains(out, "<bandwidth>"));
        CHECK(contains(out, "<inbound average='1000' peak='2000' burst='256'/>"));
        CHECK(contains(out, "<outbound average='500'/>"));
        schema = load_schema();
        if (schema) {
                CHECK(schema_valid(schema, out));
                xmlRelaxNGFree(schema);
        }

        /* the copy has a bandwidth of its own */
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        CHECK(copy->nets[0].bandwidth && copy->nets[0].bandwidth != def->nets[0].bandwidth);
        copy->nets[0].bandwidth->in.average = 7;
        CHECK_INTEQ(def->nets[0].bandwidth->in.average, 1000);

        bw = domain_interface_bandwidth_xml(def->nets[0].bandwidth);
        CHECK_STREQ(bw, "<bandwidth><inbound average='1000' peak='2000' burst='256'/><outbound average='500'/>"
                        "</bandwidth>");
        /* and networkd's parser reads it back the same */
        NetworkBandwidth back = {};
        ConfError err = {};
        CHECK_INTEQ(network_parse_bandwidth_xml(bw, &back, &err), 0);
        CHECK(memcmp(&back, def->nets[0].bandwidth, sizeof(back)) == 0);
}

static void test_no_bandwidth(void) {
        _cleanup_free_ char *xml = domain_with(NULL, NIC(""));
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "a NIC without bandwidth");
        _cleanup_free_ char *out = NULL, *bw = NULL;

        if (!def)
                return;
        CHECK(def->nets[0].bandwidth == NULL);
        out = format_ok(def, 0);
        CHECK(!contains(out, "bandwidth"));
        bw = domain_interface_bandwidth_xml(NULL);
        CHECK_STREQ(bw, "");
}

static void test_bandwidth_refused(void) {
        REFUSED(NULL, NIC("<bandwidth><inbound peak='10'/></bandwidth>"), VB_ERROR_XML, "average");
        REFUSED(NULL, NIC("<bandwidth><sideways average='10'/></bandwidth>"), VB_ERROR_NOT_SUPPORTED,
                "sideways");
        REFUSED(NULL, NIC("<bandwidth/><bandwidth/>"), VB_ERROR_XML, "bandwidth");
}

UNIT_TESTS(test_bandwidth_round_trip, test_no_bandwidth, test_bandwidth_refused)
