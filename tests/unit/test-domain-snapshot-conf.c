/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The <domainsnapshot> model: parse, format, round trip, refusals. */
#include "domain-snapshot-conf.h"
#include "unit.h"
#include "util.h"

static const char full[] =
        "<domainsnapshot>\n"
        "  <name>before-upgrade</name>\n"
        "  <description>with &lt;care&gt;</description>\n"
        "  <state>running</state>\n"
        "  <parent>\n"
        "    <name>base</name>\n"
        "  </parent>\n"
        "  <creationTime>1700000000</creationTime>\n"
        "  <memory snapshot='internal'/>\n"
        "  <disks>\n"
        "    <disk name='vda' snapshot='internal'/>\n"
        "    <disk name='vdb' snapshot='external' type='file'>\n"
        "      <driver type='qcow2'/>\n"
        "      <source file='/var/lib/x/vdb.snap1'/>\n"
        "    </disk>\n"
        "    <disk name='hdc' snapshot='no'/>\n"
        "  </disks>\n"
        "  <domain type='qemu'>\n"
        "    <name>vm1</name>\n"
        "    <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "    <memory unit='KiB'>131072</memory>\n"
        "    <os>\n"
        "      <type>hvm</type>\n"
        "    </os>\n"
        "  </domain>\n"
        "  <active>1</active>\n"
        "</domainsnapshot>\n";

static void test_parse_full(void) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        ConfError err = {};

        CHECK(domain_snapshot_def_parse(full, 0, &def, &err) == 0);
        if (!def)
                return;
        CHECK_STREQ(def->name, "before-upgrade");
        CHECK_STREQ(def->description, "with <care>");
        CHECK_STREQ(def->state, "running");
        CHECK_STREQ(def->parent, "base");
        CHECK_INTEQ(def->creation_time, 1700000000);
        CHECK_INTEQ(def->memory, SNAPSHOT_LOCATION_INTERNAL);
        CHECK_INTEQ(def->n_disks, 3);
        CHECK_INTEQ(def->disks[1].snapshot, SNAPSHOT_LOCATION_EXTERNAL);
        CHECK_STREQ(def->disks[1].source_file, "/var/lib/x/vdb.snap1");
        CHECK_STREQ(def->disks[1].driver_type, "qcow2");
        CHECK_INTEQ(def->disks[2].snapshot, SNAPSHOT_LOCATION_NO);
        CHECK_INTEQ(def->active, 1);
        CHECK(def->domain_xml && strstr(def->domain_xml, "<name>vm1</name>"));
        CHECK(domain_snapshot_def_find_disk(def, "vdb") == &def->disks[1]);
        CHECK(!domain_snapshot_def_find_disk(def, "vdz"));
}

/* Formatting what was parsed, parsing that again and formatting gives the
 * same text: the file on disk reads back as it was written. */
static void test_round_trip(void) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *a = NULL, *b = NULL;
        _cleanup_free_ char *x1 = NULL, *x2 = NULL, *pub = NULL;
        ConfError err = {};

        CHECK(domain_snapshot_def_parse(full, 0, &a, &err) == 0);
        if (!a)
                return;
        CHECK(domain_snapshot_def_format(a, DOMAIN_SNAPSHOT_FORMAT_INTERNAL, &x1) == 0);
        CHECK(x1 && domain_snapshot_def_parse(x1, 0, &b, &err) == 0);
        if (!b)
                return;
        CHECK(domain_snapshot_def_format(b, DOMAIN_SNAPSHOT_FORMAT_INTERNAL, &x2) == 0);
        CHECK_STREQ(x1, x2);
        CHECK(strstr(x1, "  <active>1</active>\n</domainsnapshot>\n") != NULL);
        CHECK(strstr(x1, "\n  <domain type='qemu'>\n") != NULL);
        CHECK(strstr(x1, "\n    <name>vm1</name>\n") != NULL);
        /* What users see has no <active>. */
        CHECK(domain_snapshot_def_format(b, 0, &pub) == 0);
        CHECK(pub && !strstr(pub, "<active>"));
}

static void test_minimal(void) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        _cleanup_free_ char *xml = NULL;
        ConfError err = {};

        CHECK(domain_snapshot_def_parse("<domainsnapshot/>", 0, &def, &err) == 0);
        if (!def)
                return;
        CHECK(def->name == NULL);
        CHECK_INTEQ(def->creation_time, -1);
        CHECK_INTEQ(def->active, -1);
        CHECK_INTEQ(def->memory, SNAPSHOT_LOCATION_DEFAULT);
        CHECK(domain_snapshot_def_format(def, 0, &xml) == 0);
        CHECK_STREQ(xml, "<domainsnapshot>\n</domainsnapshot>\n");
}

static void refused(const char *xml, const char *name, const char *words) {
        _cleanup_(domain_snapshot_def_freep) DomainSnapshotDef *def = NULL;
        ConfError err = {};

        CHECK(domain_snapshot_def_parse(xml, 0, &def, &err) < 0);
        CHECK(def == NULL);
        CHECK_STREQ(err.name, name);
        if (!strstr(err.message, words)) {
                fprintf(stderr, "  message '%s' lacks '%s'\n", err.message, words);
                CHECK(false);
        }
}

static void test_refusals(void) {
        refused("<domainsnapshot><name>a</name>", "org.virtbus.Error.XMLError", "");
        refused("<domain/>", "org.virtbus.Error.XMLError", "domainsnapshot");
        refused("<domainsnapshot><bogus/></domainsnapshot>", "org.virtbus.Error.NotSupported", "bogus");
        refused("<domainsnapshot><name>../x</name></domainsnapshot>", "org.virtbus.Error.InvalidArg", "../x");
        refused("<domainsnapshot><name>.hidden</name></domainsnapshot>", "org.virtbus.Error.InvalidArg", ".hidden");
        refused("<domainsnapshot><state>flying</state></domainsnapshot>", "org.virtbus.Error.NotSupported",
                "flying");
        refused("<domainsnapshot><memory snapshot='internal' file='/x'/></domainsnapshot>",
                "org.virtbus.Error.NotSupported", "/x");
        refused("<domainsnapshot><disks><disk name='vda'/><disk name='vda'/></disks></domainsnapshot>",
                "org.virtbus.Error.InvalidArg", "vda");
        refused("<domainsnapshot><disks><disk name='vda' snapshot='internal'><source file='/a'/></disk>"
                "</disks></domainsnapshot>",
                "org.virtbus.Error.NotSupported", "vda");
        refused("<domainsnapshot><disks><disk name='vda' snapshot='sideways'/></disks></domainsnapshot>",
                "org.virtbus.Error.NotSupported", "sideways");
        refused("<domainsnapshot><active>2</active></domainsnapshot>", "org.virtbus.Error.InvalidArg", "2");
        refused("<domainsnapshot><domain type='qemu'><name>x</name><nope/></domain></domainsnapshot>",
                "org.virtbus.Error.NotSupported", "nope");
}

UNIT_TESTS(test_parse_full, test_round_trip, test_minimal, test_refusals)
