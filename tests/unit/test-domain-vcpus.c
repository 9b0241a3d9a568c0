/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vcpus> in the domain model (domain-vcpus.c): libvirt's defaults (every
 * vCPU listed, hotpluggable 'no' when enabled and 'yes' when not, the
 * enabled ones are the current count), its parse errors, and the changes
 * SetVcpus and SetVcpu make to a definition. */

#include "domain-test.h"

#define DOC(inner)                                                                              \
        "<domain type='qemu'><name>v</name><memory>65536</memory>" inner                        \
        "<os><type>hvm</type></os></domain>"

static void test_defaults(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse_ok(DOC("<vcpu current='4'>4</vcpu><vcpus><vcpu id='0' enabled='yes'/>"
                             "<vcpu id='2' enabled='yes' hotpluggable='yes' order='2'/></vcpus>"), "defaults");
        _cleanup_free_ char *xml = NULL;

        if (!def)
                return;
        CHECK_INTEQ(def->n_vcpu_states, 4);
        /* the states win over current='' */
        CHECK_INTEQ(def->vcpus_current, 2);
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<vcpu current='2'>4</vcpu>\n  <vcpus>\n"
                            "    <vcpu id='0' enabled='yes' hotpluggable='no'/>\n"
                            "    <vcpu id='1' enabled='no' hotpluggable='yes'/>\n"
                            "    <vcpu id='2' enabled='yes' hotpluggable='yes' order='2'/>\n"
                            "    <vcpu id='3' enabled='no' hotpluggable='yes'/>\n  </vcpus>");
}

static void test_refused(void) {
        check_refused(DOC("<vcpu>2</vcpu><vcpus><vcpu id='2' enabled='yes'/></vcpus>"), VB_ERROR_XML,
                      "vcpu id '2' is out of range of maximum vcpu count");
        check_refused(DOC("<vcpu>2</vcpu><vcpus><vcpu enabled='yes'/></vcpus>"), VB_ERROR_XML,
                      "missing attribute 'id' of <vcpus/vcpu>");
        check_refused(DOC("<vcpu>2</vcpu><vcpus><vcpu id='1'/></vcpus>"), VB_ERROR_XML,
                      "missing attribute 'enabled' of <vcpus/vcpu>");
        check_refused(DOC("<vcpu>2</vcpu><vcpus><vcpu id='1' enabled='no' hotpluggable='no'/></vcpus>"),
                      VB_ERROR_NOT_SUPPORTED, "vcpu '1' is both offline and not hotpluggable");
        check_refused(DOC("<vcpu>2</vcpu><vcpus><vcpu id='1' enabled='maybe'/></vcpus>"), VB_ERROR_INVALID_ARG,
                      "attribute 'enabled' of <vcpus/vcpu> must be 'yes' or 'no'");
        check_refused(DOC("<vcpu>2</vcpu><vcpus><cpu id='1' enabled='yes'/></vcpus>"), VB_ERROR_NOT_SUPPORTED,
                      "element <vcpus/cpu> is not supported");
}

static char *vcpus_of(const DomainDef *def) {
        _cleanup_free_ char *xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        const char *a = xml ? strstr(xml, "<vcpu") : NULL, *b = xml ? strstr(xml, "</vcpus>") : NULL;

        return a && b ? strndup(a, (size_t) (b - a)) : strdup(xml ? xml : "");
}

static void test_set_count(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse_ok(DOC("<vcpu>4</vcpu><vcpus><vcpu id='0' enabled='yes' order='1'/><vcpu id='1' enabled='no'/>"
                             "<vcpu id='2' enabled='yes' hotpluggable='yes' order='2'/></vcpus>"), "count");
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        if (!def)
                return;
        /* one more: the first disabled, fixed as no hot-pluggable one runs before it; orders go */
        CHECK_INTEQ(domain_vcpus_set_count(def, 3, false), 0);
        a = vcpus_of(def);
        CHECK_CONTAINS(a, "<vcpu current='3'>4</vcpu>");
        CHECK_CONTAINS(a, "<vcpu id='1' enabled='yes' hotpluggable='no'/>");
        CHECK_NOT_CONTAINS(a, "order=");
        /* down to one: the last enabled go */
        CHECK_INTEQ(domain_vcpus_set_count(def, 1, false), 0);
        b = vcpus_of(def);
        CHECK_CONTAINS(b, "<vcpu current='1'>4</vcpu>");
        CHECK_CONTAINS(b, "<vcpu id='0' enabled='yes' hotpluggable='no'/>\n"
                          "    <vcpu id='1' enabled='no' hotpluggable='yes'/>");
        /* asked hot-pluggable */
        CHECK_INTEQ(domain_vcpus_set_count(def, 2, true), 0);
        CHECK_INTEQ(def->vcpu_states[1].hotpluggable, TRISTATE_ON);
        /* a new maximum: the vCPUs added are disabled */
        CHECK_INTEQ(domain_vcpus_set_max(def, 6), 0);
        c = vcpus_of(def);
        CHECK_CONTAINS(c, "<vcpu current='2'>6</vcpu>");
        CHECK_CONTAINS(c, "<vcpu id='5' enabled='no' hotpluggable='yes'/>");
        CHECK_INTEQ(domain_vcpus_set_max(def, 2), 0);
        CHECK_INTEQ(def->n_vcpu_states, 2);
}

static void test_set_without_vcpus(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(DOC("<vcpu current='1'>3</vcpu>"), "plain");
        _cleanup_free_ char *a = NULL, *b = NULL;
        bool map[3] = { false, false, true };

        if (!def)
                return;
        /* a count alone stays a count */
        CHECK_INTEQ(domain_vcpus_set_count(def, 2, false), 0);
        CHECK_INTEQ(def->n_vcpu_states, 0);
        CHECK_INTEQ(def->vcpus_current, 2);
        /* one vCPU by its number makes the list */
        CHECK_INTEQ(domain_vcpus_set_enabled(def, map, 3, true), 0);
        a = vcpus_of(def);
        CHECK_CONTAINS(a, "<vcpu>3</vcpu>\n  <vcpus>\n    <vcpu id='0' enabled='yes' hotpluggable='no'/>\n"
                          "    <vcpu id='1' enabled='yes' hotpluggable='no'/>\n"
                          "    <vcpu id='2' enabled='yes' hotpluggable='yes'/>");
        CHECK_INTEQ(domain_vcpus_set_enabled(def, map, 3, false), 0);
        b = vcpus_of(def);
        CHECK_CONTAINS(b, "<vcpu current='2'>3</vcpu>");
        CHECK_CONTAINS(b, "<vcpu id='2' enabled='no' hotpluggable='yes'/>");
}

static void test_copy(void) {
        _cleanup_(domain_def_freep) DomainDef *def =
                parse_ok(DOC("<vcpu>2</vcpu><vcpus><vcpu id='1' enabled='no'/></vcpus>"), "copy");
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (!def)
                return;
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        b = format_ok(copy, DOMAIN_FORMAT_INACTIVE);
        CHECK_STREQ(a, b);
        CHECK(copy->vcpu_states != def->vcpu_states);
}

UNIT_TESTS(test_defaults, test_refused, test_set_count, test_set_without_vcpus, test_copy)
