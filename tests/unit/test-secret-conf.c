/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secret XML model: each usage type and the flags parse, format to
 * libvirt's layout and back to a fixed point, valid under libvirt's
 * secret.rng; bad input is refused with libvirt's words. */
#include <libxml/relaxng.h>
#include <unistd.h>

#include "error.h"
#include "secret-conf.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

#define SCHEMA "/usr/share/libvirt/schemas/secret.rng"

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

static const char *const documents[] = {
        "<secret ephemeral='no' private='yes'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>\n"
        "  <description>LUKS passphrase</description>\n"
        "  <usage type='volume'>\n"
        "    <volume>/var/lib/images/a.qcow2</volume>\n"
        "  </usage>\n"
        "</secret>\n",
        "<secret ephemeral='yes' private='no'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d70</uuid>\n"
        "  <usage type='ceph'>\n"
        "    <name>client.admin secret</name>\n"
        "  </usage>\n"
        "</secret>\n",
        "<secret ephemeral='no' private='no'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d71</uuid>\n"
        "  <usage type='iscsi'>\n"
        "    <target>libvirtiscsi</target>\n"
        "  </usage>\n"
        "</secret>\n",
        "<secret ephemeral='no' private='no'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d72</uuid>\n"
        "  <usage type='tls'>\n"
        "    <name>tls_example</name>\n"
        "  </usage>\n"
        "</secret>\n",
        "<secret ephemeral='no' private='yes'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d73</uuid>\n"
        "  <description>vTPM state</description>\n"
        "  <usage type='vtpm'>\n"
        "    <name>VTPM_example</name>\n"
        "  </usage>\n"
        "</secret>\n",
        "<secret ephemeral='no' private='no'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d74</uuid>\n"
        "</secret>\n",
};

static void test_round_trip_and_schema(void) {
        for (size_t i = 0; i < ELEMENTSOF(documents); i++) {
                _cleanup_(secret_def_freep) SecretDef *def = NULL;
                _cleanup_free_ char *out = NULL;
                ConfError err = {};

                CHECK(secret_def_parse(documents[i], strlen(documents[i]), &def, &err) == 0);
                if (!def) {
                        fprintf(stderr, "%s\n", err.message);
                        continue;
                }
                CHECK(secret_def_format(def, &out) == 0);
                CHECK_STREQ(out, documents[i]);
                if (load_schema())
                        CHECK(schema_valid(out));
        }
        if (!load_schema())
                UNIT_SKIP(SCHEMA " is missing: the round trip ran, the schema check did not");
}

static void test_values_and_defaults(void) {
        static const char xml[] = "<secret private='yes'><usage type='vtpm'><name>t</name></usage></secret>";
        _cleanup_(secret_def_freep) SecretDef *def = NULL;
        ConfError err = {};

        CHECK(secret_def_parse(xml, strlen(xml), &def, &err) == 0);
        if (!def)
                return;
        CHECK(!def->ephemeral && def->private_);
        CHECK(def->usage_type == SECRET_USAGE_VTPM);
        CHECK_STREQ(def->usage_id, "t");
        CHECK(!uuid_is_null(def->uuid)); /* generated */
        CHECK_STREQ(secret_usage_type_to_string(SECRET_USAGE_CEPH), "ceph");
        CHECK(secret_usage_type_from_string("iscsi") == SECRET_USAGE_ISCSI);
        CHECK(secret_usage_type_from_string("disk") < 0);
}

static void refused(const char *xml, const char *name, const char *words) {
        _cleanup_(secret_def_freep) SecretDef *def = NULL;
        ConfError err = {};

        CHECK(secret_def_parse(xml, strlen(xml), &def, &err) < 0);
        CHECK(def == NULL);
        CHECK_STREQ(err.name, name);
        if (!strstr(err.message, words)) {
                fprintf(stderr, "%s: '%s' lacks '%s'\n", xml, err.message, words);
                CHECK(false);
        }
}

static void test_bad_input(void) {
        refused("<secret><usage type='volume'/></secret>", VB_ERROR_XML,
                "volume usage specified, but volume path is missing");
        refused("<secret><usage type='iscsi'><target></target></usage></secret>", VB_ERROR_XML,
                "iSCSI usage specified, but target is missing");
        refused("<secret><usage type='x'/></secret>", VB_ERROR_XML, "unknown secret usage type x");
        refused("<secret><uuid>123</uuid></secret>", VB_ERROR_XML, "malformed uuid element");
        refused("<secret private='1'/>", VB_ERROR_INVALID_ARG, "private");
        refused("<secret foo='1'/>", VB_ERROR_NOT_SUPPORTED, "foo");
        refused("<secret><value>x</value></secret>", VB_ERROR_NOT_SUPPORTED, "value");
        refused("<secret><uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>"
                "<uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid></secret>", VB_ERROR_XML, "more than once");
        refused("<secret><usage type='tls'><name>a</name><name>b</name></usage></secret>",
                VB_ERROR_NOT_SUPPORTED, "name");
        refused("<secret>text</secret>", VB_ERROR_XML, "");
        refused("<pool/>", VB_ERROR_XML, "secret");
}

UNIT_TESTS(test_round_trip_and_schema, test_values_and_defaults, test_bad_input)
