/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <resource><partition>: libvirt's default "/machine" (what a libvirtd
 * source's live XML carries) is kept and written back; any other partition
 * is refused by name, not ignored. */

#include "domain-test.h"

static void test_default_partition_kept(void) {
        _cleanup_free_ char *xml = domain_with("<resource><partition>/machine</partition></resource>", NULL);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "partition");
        _cleanup_free_ char *out = NULL;

        if (!def)
                return;
        CHECK(def->has_partition);
        out = format_ok(def, 0);
        CHECK_CONTAINS(out, "<resource>\n    <partition>/machine</partition>\n  </resource>");
}

static void test_other_partitions_refused(void) {
        REFUSED("<resource><partition>/other</partition></resource>", NULL, VB_ERROR_NOT_SUPPORTED,
                "resource partition '/other' is not supported");
        REFUSED("<resource><partition>machine</partition></resource>", NULL, VB_ERROR_INVALID_ARG,
                "must start with '/'");
        REFUSED("<resource><fibrechannel appid='x'/></resource>", NULL, VB_ERROR_NOT_SUPPORTED,
                "resource/fibrechannel");
        REFUSED("<resource x='1'/>", NULL, VB_ERROR_NOT_SUPPORTED, "'x'");
        REFUSED("<resource><partition>/machine</partition><partition>/machine</partition></resource>", NULL,
                VB_ERROR_XML, "more than once");
}

UNIT_TESTS(test_default_partition_kept, test_other_partitions_refused)
