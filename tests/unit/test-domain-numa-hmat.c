/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's HMAT in the domain model (domain-numa-hmat.c): <cell><cache>
 * and <numa><interconnects> read, written back in libvirt's form, and
 * libvirt's checks with its messages. */

#include "domain-test.h"

#define DOC(cells, rest)                                                                        \
        "<domain type='qemu'><name>h</name><memory>3072</memory><vcpu>2</vcpu>"                  \
        "<os><type>hvm</type></os><cpu><numa>"                                                  \
        "<cell id='0' cpus='0' memory='1024'>" cells "</cell>"                                  \
        "<cell id='1' cpus='1' memory='1024'/><cell id='2' memory='1024'/>" rest                \
        "</numa></cpu></domain>"

#define CACHE1 "<cache level='1' associativity='direct' policy='writeback'><size value='10' unit='KiB'/>" \
               "<line value='8' unit='B'/></cache>"

static void test_round_trip(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse_ok(DOC("<cache level='2' associativity='full' policy='writethrough'><size value='1' unit='MiB'/>"
                             "<line value='64'/></cache>",
                             "<interconnects><latency initiator='0' target='2' type='read' value='5'/>"
                             "<bandwidth initiator='1' target='0' cache='2' type='write' value='2' unit='MiB'/>"
                             "</interconnects>"), "hmat");
        _cleanup_free_ char *xml = NULL;

        if (!def)
                return;
        CHECK_INTEQ(def->cpu.cells[0].n_caches, 1);
        CHECK_INTEQ(def->cpu.cells[0].caches[0].size_kib, 1024);
        CHECK_INTEQ(def->cpu.n_interconnects, 2);
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<cache level='2' associativity='full' policy='writethrough'>\n"
                            "          <size value='1024' unit='KiB'/>\n          <line value='64' unit='B'/>\n"
                            "        </cache>");
        CHECK_CONTAINS(xml, "<interconnects>\n        <latency initiator='0' target='2' type='read' value='5'/>\n"
                            "        <bandwidth initiator='1' target='0' cache='2' type='write' value='2048' "
                            "unit='KiB'/>\n      </interconnects>\n    </numa>");
}

static void test_refused(void) {
        const char *x = VB_ERROR_XML;

        check_refused(DOC("<cache level='0' associativity='direct' policy='none'><size value='1'/><line value='8'/>"
                          "</cache>", ""), x, "Invalid 'level' attribute in cache element for NUMA node 0");
        check_refused(DOC("<cache associativity='direct' policy='none'><size value='1'/><line value='8'/></cache>", ""),
                      x, "Missing 'level' attribute in cache element for NUMA node 0");
        check_refused(DOC("<cache level='4' associativity='direct' policy='none'><size value='1'/><line value='8'/>"
                          "</cache>", ""), x, "Ain't nobody heard of that much cache level");
        check_refused(DOC(CACHE1 CACHE1, ""), x, "Cache level '1' already defined");
        check_refused(DOC("<cache level='1' associativity='direct' policy='none'><line value='8'/></cache>", ""), x,
                      "missing element <cpu/numa/cell/cache/size>");
        check_refused(DOC("<cache level='1' policy='none'><size value='1'/><line value='8'/></cache>", ""), x,
                      "missing attribute 'associativity'");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='3' target='0' type='access' value='1'/>"
                          "</interconnects>"), x, "'initiator' refers to a non-existent NUMA node");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='0' target='3' type='access' value='1'/>"
                          "</interconnects>"), x, "'target' refers to a non-existent NUMA node");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='2' target='0' type='access' value='1'/>"
                          "</interconnects>"), x, "NUMA nodes without CPUs can't be initiator");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='0' target='1' cache='1' type='access' "
                          "value='1'/></interconnects>"), x, "'cache' refers to a non-existent NUMA node cache");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='0' target='0' type='access' value='1'/>"
                          "<latency initiator='0' target='0' type='access' value='2'/></interconnects>"), x,
                      "Duplicate info for NUMA latencies");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='0' target='1' type='access' value='1'/>"
                          "<latency initiator='1' target='0' type='read' value='2'/></interconnects>"), x,
                      "Link already defined");
        check_refused(DOC(CACHE1, "<interconnects><latency initiator='0' target='0' type='none' value='1'/>"
                          "</interconnects>"), VB_ERROR_NOT_SUPPORTED,
                      "value 'none' of attribute 'type'");
        check_refused(DOC(CACHE1, "<interconnects><hops initiator='0' target='0'/></interconnects>"),
                      VB_ERROR_NOT_SUPPORTED, "hops");
}

UNIT_TESTS(test_round_trip, test_refused)
