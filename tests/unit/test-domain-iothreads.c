/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOThreads in the domain model: <iothreads> counted beyond <iothreadids>,
 * and the helpers AddIOThread, DelIOThread and PinIOThread change a
 * definition with (domain_def_add/del/pin_iothread). */

#include "domain-test.h"

#define DOC(inner)                                                                              \
        "<domain type='kvm'><name>io</name><memory>65536</memory>" inner                        \
        "<os><type>hvm</type></os></domain>"

static void test_autofill(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse_ok(DOC("<iothreads>3</iothreads><iothreadids><iothread id='2'/></iothreadids>"), "autofill");
        _cleanup_free_ char *xml = NULL;

        if (!def)
                return;
        CHECK_INTEQ(def->n_iothreadids, 3);
        CHECK_INTEQ(def->iothreadids[0].id, 2);
        CHECK_INTEQ(def->iothreadids[1].id, 1);
        CHECK_INTEQ(def->iothreadids[2].id, 3);
        CHECK(def->iothreadids[1].autofill && !def->iothreadids[0].autofill);
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<iothreads>3</iothreads>");
        CHECK_CONTAINS(xml, "<iothread id='2'/>\n    <iothread id='1'/>\n    <iothread id='3'/>");
}

static void test_count_only(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(DOC("<iothreads>2</iothreads>"), "count");
        _cleanup_free_ char *xml = NULL;

        if (!def)
                return;
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<iothreads>2</iothreads>");
        CHECK_NOT_CONTAINS(xml, "<iothreadids>");
}

static void test_add_del_pin(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(DOC("<iothreads>1</iothreads>"), "helpers");
        _cleanup_free_ char *xml = NULL, *xml2 = NULL;

        if (!def)
                return;
        CHECK_INTEQ(domain_def_add_iothread(def, 1), -EEXIST);
        CHECK_INTEQ(domain_def_add_iothread(def, 0), -EEXIST);
        CHECK_INTEQ(domain_def_add_iothread(def, 7), 0);
        CHECK_INTEQ(domain_def_pin_iothread(def, 9, "0"), -ENOENT);
        CHECK_INTEQ(domain_def_pin_iothread(def, 7, "0-1"), 0);
        CHECK_INTEQ(domain_def_pin_iothread(def, 7, "1"), 0);
        CHECK_STREQ(domain_def_iothread_pin(def, 7), "1");
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<iothreads>2</iothreads>");
        /* one explicit id: the list is written, all of it */
        CHECK_CONTAINS(xml, "<iothread id='1'/>\n    <iothread id='7'/>");
        CHECK_CONTAINS(xml, "<iothreadpin iothread='7' cpuset='1'/>");
        CHECK_NOT_CONTAINS(xml, "cpuset='0-1'");
        CHECK_INTEQ(domain_def_del_iothread(def, 7), 0);
        CHECK_INTEQ(domain_def_del_iothread(def, 7), -ENOENT);
        CHECK(domain_def_iothread_pin(def, 7) == NULL);
        xml2 = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml2, "<iothreads>1</iothreads>");
        CHECK_NOT_CONTAINS(xml2, "iothreadpin");
}

static void test_disk_iothread(void) {
        ConfError err = {};
        DomainDef *def = NULL;

        /* a disk's IOThread must exist, and be on virtio */
        CHECK(domain_def_parse(DOC("<iothreads>1</iothreads><devices><disk type='file' device='disk'>"
                                   "<driver name='qemu' iothread='2'/><source file='/a'/>"
                                   "<target dev='vda' bus='virtio'/></disk></devices>"),
                               0, &def, &err) < 0);
        CHECK_CONTAINS(err.message, "disk 'vda' uses IOThread 2, which is not in <iothreadids>");
        def = domain_def_free(def);
        CHECK(domain_def_parse(DOC("<iothreads>1</iothreads><devices><disk type='file' device='disk'>"
                                   "<driver name='qemu' iothread='1'/><source file='/a'/>"
                                   "<target dev='sda' bus='sata'/></disk></devices>"),
                               0, &def, &err) < 0);
        CHECK_CONTAINS(err.message, "IOThreads are only available for virtio disks");
        domain_def_free(def);
}

UNIT_TESTS(test_autofill, test_count_only, test_add_del_pin, test_disk_iothread)
