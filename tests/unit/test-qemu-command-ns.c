/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's QEMU namespace: <qemu:commandline> in the domain model (any
 * prefix in, "qemu" out, schema-valid, round trip), what is refused, and
 * QEMU's environment from its <qemu:env>s (qemu_command_env()). */

#include "domain-test.h"
#include "qemu-caps.h"
#include "qemu-command.h"
#include "qemu-command-internal.h"
#include "util.h"

#define NS "http://libvirt.org/schemas/domain/qemu/1.0"

static void test_round_trip(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL, *copy = NULL;
        _cleanup_free_ char *xml = NULL, *xml2 = NULL, *xml3 = NULL;
        xmlRelaxNGPtr schema = load_schema();

        def = parse_ok("<domain type='qemu' xmlns:qemu='urn:dummy'><name>t</name><memory>65536</memory>"
                       "<os><type>hvm</type></os><ns0:commandline xmlns:ns0='" NS "'>"
                       "<ns0:arg value='-unknown'/><ns0:arg value='a b,c'/><ns0:env name='NS' value='ns'/>"
                       "<ns0:env name='BAR'/><ns0:env name='EMPTY' value=''/></ns0:commandline></domain>", "ns0");
        if (!def)
                return;
        CHECK_INTEQ(strv_length(def->qemu_args), 2);
        CHECK_STREQ(def->qemu_args[1], "a b,c");
        CHECK_STREQ(def->qemu_env[0], "NS=ns");
        CHECK_STREQ(def->qemu_env[1], "BAR");
        CHECK_STREQ(def->qemu_env[2], "EMPTY=");
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "<domain type='qemu' xmlns:qemu='" NS "'>");
        CHECK_CONTAINS(xml, "  <qemu:commandline>\n    <qemu:arg value='-unknown'/>\n"
                            "    <qemu:arg value='a b,c'/>\n    <qemu:env name='NS' value='ns'/>\n"
                            "    <qemu:env name='BAR'/>\n    <qemu:env name='EMPTY' value=''/>\n"
                            "  </qemu:commandline>\n</domain>");
        if (schema)
                CHECK(schema_valid(schema, xml));
        again = parse_ok(xml, "formatted");
        if (again) {
                xml2 = format_ok(again, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml2);
        }
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        if (copy) {
                xml3 = format_ok(copy, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml3);
        }
}

static void test_refused(void) {
        REFUSED("<qemu:commandline xmlns:qemu='" NS "'><qemu:env name='1X' value='v'/></qemu:commandline>", NULL,
                VB_ERROR_XML, "Invalid environment name '1X' of <qemu:commandline/qemu:env>, it must begin with");
        REFUSED("<qemu:commandline xmlns:qemu='" NS "'><qemu:env name='A-B'/></qemu:commandline>", NULL,
                VB_ERROR_XML, "it must contain only alphanumerics and underscore");
        REFUSED("<qemu:commandline xmlns:qemu='" NS "'><qemu:arg/></qemu:commandline>", NULL,
                VB_ERROR_XML, "No qemu command-line argument specified");
        REFUSED("<qemu:commandline xmlns:qemu='" NS "'><arg value='x'/></qemu:commandline>", NULL,
                VB_ERROR_NOT_SUPPORTED, "element <qemu:commandline/arg> is not supported");
        REFUSED("<qemu:deprecation xmlns:qemu='" NS "'/>", NULL, VB_ERROR_XML,
                "missing attribute 'behavior' of <qemu:deprecation>");
        REFUSED("<qemu:capabilities xmlns:qemu='" NS "'><qemu:add/></qemu:capabilities>", NULL,
                VB_ERROR_XML, "missing capability name (<qemu:capabilities/qemu:add> needs a capability)");
        REFUSED("<qemu:capabilities xmlns:qemu='" NS "'><qemu:set capability='x'/></qemu:capabilities>", NULL,
                VB_ERROR_NOT_SUPPORTED, "element <qemu:capabilities/qemu:set> is not supported");
        /* the same name in another namespace is not libvirt's */
        REFUSED("<x:commandline xmlns:x='urn:other'><x:arg value='x'/></x:commandline>", NULL,
                VB_ERROR_NOT_SUPPORTED, "element <x:commandline> is not supported");
}

static void test_env(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **env = NULL, **plain = NULL;
        char *base[] = { (char *) "PATH=/usr/bin", (char *) "NS=old", (char *) "LANG=C", NULL };

        def = parse_ok("<domain type='qemu'><name>t</name><memory>65536</memory><os><type>hvm</type></os>"
                       "<qemu:commandline xmlns:qemu='" NS "'><qemu:env name='NS' value='ns'/><qemu:env name='BAR'/>"
                       "</qemu:commandline></domain>", "env");
        if (!def)
                return;
        CHECK_INTEQ(qemu_command_env(def, base, &env), 0);
        CHECK_INTEQ(strv_length(env), 4);
        if (strv_length(env) == 4) {
                CHECK_STREQ(env[0], "PATH=/usr/bin");
                CHECK_STREQ(env[1], "LANG=C");
                CHECK_STREQ(env[2], "NS=ns");
                CHECK_STREQ(env[3], "BAR=");
        }
        /* none given: the base as it is */
        def = domain_def_free(def);
        def = parse_ok("<domain type='qemu'><name>t</name><memory>65536</memory><os><type>hvm</type></os></domain>",
                       "plain");
        if (!def)
                return;
        CHECK_INTEQ(qemu_command_env(def, base, &plain), 0);
        CHECK_INTEQ(strv_length(plain), 3);
        CHECK(!qemu_command_env_changed(def));
}

/* <clock offset='timezone'>: QEMU runs with TZ set to the zone, in place of
 * qemud's own; a <qemu:env> TZ wins over it. */
static void test_env_clock_timezone(void) {
        char *const base[] = { "PATH=/usr/bin", "TZ=UTC", NULL };
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *both = NULL;
        _cleanup_strv_free_ char **env = NULL, **env2 = NULL;

        def = parse_ok("<domain type='qemu'><name>t</name><memory>65536</memory><os><type>hvm</type></os>"
                       "<clock offset='timezone' timezone='Europe/Paris'/></domain>", "tz");
        if (!def)
                return;
        CHECK(qemu_command_env_changed(def));
        CHECK_INTEQ(qemu_command_env(def, base, &env), 0);
        CHECK_INTEQ(strv_length(env), 2);
        if (strv_length(env) == 2) {
                CHECK_STREQ(env[0], "PATH=/usr/bin");
                CHECK_STREQ(env[1], "TZ=Europe/Paris");
        }
        both = parse_ok("<domain type='qemu'><name>t</name><memory>65536</memory><os><type>hvm</type></os>"
                        "<clock offset='timezone' timezone='Europe/Paris'/><qemu:commandline xmlns:qemu='" NS "'>"
                        "<qemu:env name='TZ' value='Asia/Tokyo'/></qemu:commandline></domain>", "tz env");
        if (!both)
                return;
        CHECK_INTEQ(qemu_command_env(both, base, &env2), 0);
        CHECK_INTEQ(strv_length(env2), 2);
        if (strv_length(env2) == 2)
                CHECK_STREQ(env2[1], "TZ=Asia/Tokyo");
}

/* <qemu:capabilities>: kept in order (after <qemu:commandline>, as
 * libvirt), and a name that is a QEMU device type changes what the
 * builder takes as probed. */
static void test_capabilities(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *copy = NULL;
        _cleanup_(qemu_caps_freep) QemuCaps *caps = NULL, *ns = NULL;
        _cleanup_free_ char *xml = NULL, *xml2 = NULL;
        xmlRelaxNGPtr schema = load_schema();

        def = parse_ok("<domain type='qemu' xmlns:qemu='" NS "'><name>t</name><memory>65536</memory>"
                       "<os><type>hvm</type></os><qemu:capabilities><qemu:add capability='vnc-colon'/>"
                       "<qemu:del capability='vmgenid'/><qemu:add capability='pvpanic-pci'/></qemu:capabilities>"
                       "<qemu:deprecation behavior='reject'/>"
                       "<qemu:commandline><qemu:arg value='-S'/></qemu:commandline></domain>", "caps");
        if (!def)
                return;
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "  </qemu:commandline>\n  <qemu:capabilities>\n"
                            "    <qemu:add capability='vnc-colon'/>\n    <qemu:add capability='pvpanic-pci'/>\n"
                            "    <qemu:del capability='vmgenid'/>\n  </qemu:capabilities>\n"
                            "  <qemu:deprecation behavior='reject'/>\n</domain>");
        if (schema)
                CHECK(schema_valid(schema, xml));
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        if (copy) {
                xml2 = format_ok(copy, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml2);
        }
        caps = calloc(1, sizeof(*caps));
        if (!caps)
                return;
        caps->binary = strdup("/usr/bin/qemu-system-x86_64");
        caps->arch = strdup("x86_64");
        CHECK(strv_extend(&caps->device_types, "vmgenid") >= 0 &&
              strv_extend(&caps->device_types, "virtio-blk-pci") >= 0);
        if (!caps)
                return;
        CHECK_INTEQ(qemu_caps_apply_ns(caps, def, &ns), 0);
        CHECK(ns != NULL);
        if (!ns)
                return;
        CHECK(!qemu_caps_has_device(ns, "vmgenid") && qemu_caps_has_device(caps, "vmgenid"));
        CHECK(qemu_caps_has_device(ns, "pvpanic-pci") && qemu_caps_has_device(ns, "virtio-blk-pci"));
        CHECK(qemu_caps_has_device(ns, "vnc-colon"));
}

#define OVR(props) "<qemu:override xmlns:qemu='" NS "'><qemu:device alias='a'><qemu:frontend>" props \
                   "</qemu:frontend></qemu:device></qemu:override>"

/* <qemu:override>: libvirt's define-time messages. */
static void test_override_refused(void) {
        REFUSED("<qemu:override xmlns:qemu='" NS "'><qemu:device/></qemu:override>", NULL, VB_ERROR_XML,
                "missing 'alias' attribute for qemu:device");
        REFUSED(OVR("<qemu:property type='bool' value='true'/>"), NULL, VB_ERROR_XML,
                "missing 'name' attribute for qemu:property");
        REFUSED(OVR("<qemu:property name='id' type='string' value='x'/>"), NULL, VB_ERROR_XML,
                "property with name 'id' can't be overridden");
        REFUSED(OVR("<qemu:property name='p' value='x'/>"), NULL, VB_ERROR_XML,
                "Missing required attribute 'type' in element 'property'");
        REFUSED(OVR("<qemu:property name='p' type='int' value='1'/>"), NULL, VB_ERROR_XML,
                "Invalid value for attribute 'type' in element 'property': 'int'.");
        REFUSED(OVR("<qemu:property name='p' type='string'/>"), NULL, VB_ERROR_XML,
                "missing 'value' attribute for 'qemu:property'");
        REFUSED(OVR("<qemu:property name='p' type='remove' value='1'/>"), NULL, VB_ERROR_XML,
                "setting 'value' attribute of 'qemu:property' doesn't make sense with 'remove' type");
        REFUSED(OVR("<qemu:property name='p' type='signed' value='1x'/>"), NULL, VB_ERROR_XML,
                "invalid value '1x' of 'value' attribute of 'qemu:property'");
        REFUSED(OVR("<qemu:property name='p' type='signed' value='9223372036854775808'/>"), NULL, VB_ERROR_XML,
                "invalid value '9223372036854775808' of 'value'");
        REFUSED(OVR("<qemu:property name='p' type='unsigned' value='-1'/>"), NULL, VB_ERROR_XML,
                "invalid value '-1' of 'value' attribute of 'qemu:property'");
        REFUSED(OVR("<qemu:property name='p' type='bool' value='yes'/>"), NULL, VB_ERROR_XML,
                "invalid value 'yes' of 'value' attribute of 'qemu:property'");
        REFUSED(OVR("<qemu:prop name='p' type='bool' value='true'/>"), NULL, VB_ERROR_NOT_SUPPORTED,
                "element <qemu:override/qemu:device/qemu:frontend/qemu:prop> is not supported");
}

/* Kept as given, formatted in libvirt's form (an empty <qemu:frontend> is
 * not), and applied to the JSON of the device with the alias: each
 * property taken off and added again at the end, removed ones not. */
static void test_override(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *copy = NULL, *again = NULL;
        _cleanup_free_ char *xml = NULL, *xml2 = NULL, *xml3 = NULL;
        xmlRelaxNGPtr schema = load_schema();
        json_object *dev, *other;

        def = parse_ok("<domain type='qemu' xmlns:qemu='" NS "'><name>t</name><memory>65536</memory>"
                       "<os><type>hvm</type></os><qemu:override><qemu:device alias='ua-disk'><qemu:frontend>"
                       "<qemu:property name='bootindex' type='unsigned' value='18446744073709551615'/>"
                       "<qemu:property name='p2' type='signed' value='-321'/>"
                       "<qemu:property name='p3' type='string' value='a&amp;b'/>"
                       "<qemu:property name='drive' type='remove'/>"
                       "<qemu:property name='p4' type='bool' value='false'/></qemu:frontend></qemu:device>"
                       "<qemu:device alias='x'><qemu:frontend/></qemu:device></qemu:override></domain>", "override");
        if (!def)
                return;
        xml = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(xml, "  <qemu:override>\n    <qemu:device alias='ua-disk'>\n      <qemu:frontend>\n"
                            "        <qemu:property name='bootindex' type='unsigned' value='18446744073709551615'/>\n"
                            "        <qemu:property name='p2' type='signed' value='-321'/>\n"
                            "        <qemu:property name='p3' type='string' value='a&amp;b'/>\n"
                            "        <qemu:property name='drive' type='remove'/>\n"
                            "        <qemu:property name='p4' type='bool' value='false'/>\n"
                            "      </qemu:frontend>\n    </qemu:device>\n    <qemu:device alias='x'/>\n"
                            "  </qemu:override>\n</domain>");
        if (schema)
                CHECK(schema_valid(schema, xml));
        again = parse_ok(xml, "formatted");
        if (again) {
                xml2 = format_ok(again, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml2);
        }
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        if (copy) {
                xml3 = format_ok(copy, DOMAIN_FORMAT_INACTIVE);
                CHECK_STREQ(xml, xml3);
        }
        dev = json_tokener_parse("{\"driver\":\"ide-hd\",\"drive\":\"d\",\"id\":\"ua-disk\",\"bootindex\":1}");
        other = json_tokener_parse("{\"driver\":\"ide-hd\",\"id\":\"ua-other\",\"bootindex\":1}");
        CHECK_INTEQ(qemu_override_device(def, dev), 0);
        CHECK_INTEQ(qemu_override_device(def, other), 0);
        CHECK_STREQ(json_object_to_json_string_ext(dev, JSON_C_TO_STRING_PLAIN),
                    "{\"driver\":\"ide-hd\",\"id\":\"ua-disk\",\"bootindex\":18446744073709551615,"
                    "\"p2\":-321,\"p3\":\"a&b\",\"p4\":false}");
        CHECK_STREQ(json_object_to_json_string_ext(other, JSON_C_TO_STRING_PLAIN),
                    "{\"driver\":\"ide-hd\",\"id\":\"ua-other\",\"bootindex\":1}");
        json_object_put(dev);
        json_object_put(other);
}

UNIT_TESTS(test_round_trip, test_refused, test_env, test_env_clock_timezone, test_capabilities,
           test_override_refused, test_override)
