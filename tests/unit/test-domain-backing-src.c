/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A backing layer's network source and <encryption>: parsed, kept in the
 * inactive definition (what the image's header cannot say), formatted back
 * byte-identical and schema-valid, copied; plain file chains stay live
 * only. The command line is the golden file disk-backing-network. */

#include "domain-test.h"

#define NET_LAYER "<backingStore type='network' index='1'><format type='qcow2'/>"                          \
                  "<source protocol='nfs' name='/backing/store/nfs'><host name='example.org'/>"          \
                  "<identity user='+1234' group='+5678'/></source><backingStore/></backingStore>"
#define ENC_LAYER "<backingStore type='file'><format type='qcow2'/><source file='/var/lib/base.qcow2'>"     \
                  "<encryption format='luks'><secret type='passphrase' usage='/var/lib/base.qcow2'/>"      \
                  "</encryption></source><backingStore/></backingStore>"
#define LAYERED_DISK(src, layer) "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>" src layer  \
                         "<target dev='vda' bus='virtio'/></disk>"

static void test_round_trip(void) {
        static const char *const disks[] = {
                LAYERED_DISK("<source file='/var/lib/top.qcow2'/>", NET_LAYER),
                LAYERED_DISK("<source file='/var/lib/top.qcow2'/>", ENC_LAYER),
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(disks); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, disks[i]), *a = NULL, *b = NULL, *c = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "backing layer"), *again = NULL,
                                                      *copy = NULL;

                if (!def)
                        continue;
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                CHECK_CONTAINS(a, i == 0 ? "<backingStore type='network'" : "<encryption format='luks'>");
                again = a ? parse_ok(a, "formatted layer") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                CHECK(domain_def_copy(def, &copy) == 0);
                c = copy ? format_ok(copy, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && c && streq(a, c));
        }
}

static void test_plain_chain_live_only(void) {
        _cleanup_free_ char *xml = domain_with(NULL, LAYERED_DISK("<source file='/var/lib/top.qcow2'/>",
                "<backingStore type='file'><format type='raw'/><source file='/var/lib/base.raw'/>"
                "<backingStore/></backingStore>")), *a = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "plain chain");

        a = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;
        CHECK(a && !strstr(a, "backingStore"));
}

UNIT_TESTS(test_round_trip, test_plain_chain_live_only)
