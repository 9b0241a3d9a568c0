/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The extras of a chardev's <source> (seclabel, reconnect, tls), the stdio,
 * spiceport and dbus chardevs, a redirdev's dbus type and <boot order=''/>:
 * their round trip, libvirt's define-time rules and messages, and the
 * command line the golden files (chardev-source-extras, chardev-dbus) do
 * not show: TLS objects (QEMU would load certificates there) and the
 * refusals; and a display's passwdValidTo='' and connected=''. */

#include "qemu-command-test.h"
#include "qemu-validate.h"

#define DOM(devices)                                                                                            \
        "<domain type='qemu'><name>c</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"                   \
        "<memory unit='MiB'>256</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" devices \
        "</devices></domain>"

#define CHECK_CONTAINS(haystack, needle)                                                                 \
        do {                                                                                             \
                if (!strstr(haystack, needle)) {                                                         \
                        fprintf(stderr, "  line %d: \"%s\" does not contain \"%s\"\n", __LINE__, haystack, needle); \
                        unit_failed_checks++;                                                            \
                }                                                                                        \
        } while (0)

typedef enum Step { STEP_PARSE, STEP_VALIDATE, STEP_BUILD } Step;

static void check_refused_(const char *xml, Step step, const char *needle, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, &err);
        if (r >= 0 && step > STEP_PARSE)
                r = domain_def_validate(def, &err) ?: qemu_validate_def(def, &err);
        if (r >= 0 && step > STEP_VALIDATE)
                r = build(def, &argv, &err);
        if (r >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: got %d \"%s\", expected a refusal naming \"%s\"\n", line, r,
                        r < 0 ? err.message : "", needle);
                unit_failed_checks++;
        }
}
#define REFUSED_AT(step, xml, needle) check_refused_(xml, step, needle, __LINE__)

/* Parsed, valid, and formatted back to what parses to the same text. */
static char *round_trip(const char *xml) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        ConfError err = {};

        CHECK(domain_def_parse(xml, strlen(xml), &def, &err) == 0);
        if (!def)
                return NULL;
        CHECK(domain_def_validate(def, &err) == 0 && qemu_validate_def(def, &err) == 0);
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &a) == 0);
        CHECK(a && domain_def_parse(a, strlen(a), &again, &err) == 0);
        CHECK(again && domain_def_format(again, DOMAIN_FORMAT_INACTIVE, &b) == 0);
        CHECK(a && b && streq(a, b));
        return TAKE_PTR(a);
}

static void test_round_trip(void) {
        _cleanup_free_ char *a = round_trip(DOM(
                "<serial type='stdio'><target port='0'/></serial>"
                "<serial type='file'><source path='/tmp/s.file'><seclabel model='dac' relabel='no'/></source>"
                "<target port='1'/></serial>"
                "<serial type='unix'><source mode='connect' path='/tmp/s.sock'>"
                "<seclabel model='dac'><label>+107:+107</label></seclabel>"
                "<reconnect enabled='yes' timeout='5'/></source><target port='2'/></serial>"
                "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='5555' tls='no'/>"
                "<protocol type='raw'/><target port='3'/></serial>"
                "<channel type='unix'><source mode='connect' path='/tmp/c.sock'><reconnect enabled='no'/></source>"
                "<target type='virtio' name='c'/></channel>"
                "<channel type='spiceport'><source channel='org.example.port'/><target type='virtio' name='p'/>"
                "</channel>"
                "<graphics type='spice'/>"
                "<redirdev bus='usb' type='tcp'><source mode='connect' host='localhost' service='4000'>"
                "<reconnect enabled='yes' timeout='15'/></source><protocol type='raw'/><boot order='1'/></redirdev>"
                "<redirdev bus='usb' type='spicevmc'><boot order='2'/></redirdev>"));

        if (!a)
                return;
        CHECK_CONTAINS(a, "<serial type='stdio'>\n      <target port='0'/>");
        CHECK_CONTAINS(a, "<source path='/tmp/s.file'>\n        <seclabel model='dac' relabel='no'/>\n"
                          "      </source>");
        /* reconnect before the labels: libvirt's schema has that order */
        CHECK_CONTAINS(a, "<reconnect enabled='yes' timeout='5'/>\n        <seclabel model='dac' relabel='yes'>\n"
                          "          <label>+107:+107</label>\n        </seclabel>\n      </source>");
        CHECK_CONTAINS(a, "<source mode='connect' host='127.0.0.1' service='5555' tls='no'/>");
        CHECK_CONTAINS(a, "<reconnect enabled='no'/>");
        CHECK_CONTAINS(a, "<source channel='org.example.port'/>");
        CHECK_CONTAINS(a, "<protocol type='raw'/>\n      <boot order='1'/>\n    </redirdev>");
        CHECK_CONTAINS(a, "<redirdev bus='usb' type='spicevmc'>\n      <boot order='2'/>");
}

static void test_rules(void) {
        REFUSED_AT(STEP_PARSE, DOM("<serial type='unix'><source mode='bind' path='/tmp/s'>"
                                   "<reconnect enabled='yes' timeout='5'/></source></serial>"),
                   "chardev reconnect is possible only for connect mode");
        REFUSED_AT(STEP_PARSE, DOM("<channel type='unix'><source><reconnect enabled='yes' timeout='5'/></source>"
                                   "<target type='virtio' name='x'/></channel>"),
                   "chardev reconnect is possible only for connect mode");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='tcp'><source mode='connect' host='h' service='1'>"
                                   "<reconnect enabled='yes' timeout='0'/></source></serial>"),
                   "chardev reconnect source timeout cannot be '0'");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='tcp'><source mode='connect' host='h' service='1'>"
                                   "<reconnect enabled='yes'/></source></serial>"), "missing attribute 'timeout'");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='file'><source path='/tmp/f'><reconnect enabled='no'/>"
                                   "</source></serial>"), "<devices/serial/source/reconnect>");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='tcp'><source mode='connect' host='h' service='1' tls='maybe'/>"
                                   "</serial>"), "tls");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='spiceport'><source channel='a b'/></serial>"),
                   "Invalid character in source channel");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='dbus'/>"), "Missing source channel attribute");
        REFUSED_AT(STEP_PARSE, DOM("<serial type='stdio'><source path='/tmp/x'/></serial>"),
                   "<devices/serial/source>");
        REFUSED_AT(STEP_PARSE, DOM("<redirdev bus='usb' type='dbus'><source path='/x'/></redirdev>"),
                   "<devices/redirdev/source>");
        REFUSED_AT(STEP_VALIDATE, DOM("<disk type='file' device='disk'><source file='/x'/><target dev='vda'/>"
                                   "<boot order='1'/></disk>"
                                   "<redirdev bus='usb' type='spicevmc'><boot order='1'/></redirdev>"
                                   "<graphics type='spice'/>"),
                   "boot order 1 is used twice");
        REFUSED_AT(STEP_BUILD, DOM("<serial type='spiceport'><source channel='a'/></serial>"),
                   "chardev 'spiceport' not supported without spice graphics");
        REFUSED_AT(STEP_BUILD, DOM("<serial type='dbus'><source channel='a'/></serial>"),
                   "chardev 'dbus' not supported without a <graphics type='dbus'>");
        REFUSED_AT(STEP_BUILD, DOM("<redirdev bus='usb' type='dbus'/>"), "needs a <graphics type='dbus'>");
}

static int build_with_tls(const char *xml, bool tls, const char *dir, bool verify, char ***argv, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuCommandParams params;
        char pidfile[512];

        if (parse_xml_string(xml, &def) < 0)
                return -EBADMSG;
        fake_params(def, pidfile, sizeof(pidfile), &params);
        params.chardev_tls = tls;
        params.chardev_tls_dir = dir;
        params.chardev_tls_verify = verify;
        return qemu_command_build(def, &fake_caps, &params, argv, NULL, NULL, err);
}

#define TCP_SERIALS                                                                                     \
        "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='5555'/><target port='0'/></serial>" \
        "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='5556' tls='yes'/><target port='1'/>" \
        "</serial>"                                                                                     \
        "<serial type='tcp'><source mode='connect' host='127.0.0.1' service='5557' tls='no'/><target port='2'/>" \
        "</serial>"

static void test_tls(void) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL;
        ConfError err = {};

        /* chardev_tls on: the serial without tls='' gets it, tls='no' does not */
        CHECK(build_with_tls(DOM(TCP_SERIALS), true, "/etc/pki/qemu", true, &a, &err) == 0);
        CHECK(has_json(a, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objcharserial0_tls0\","
                       "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"client\",\"verify-peer\":true}", false));
        CHECK(strv_has(a, "socket,id=charserial0,host=127.0.0.1,port=5555,tls-creds=objcharserial0_tls0"));
        CHECK(has_json(a, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objcharserial1_tls0\","
                       "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"server\",\"verify-peer\":true}", false));
        CHECK(strv_has(a, "socket,id=charserial1,host=127.0.0.1,port=5556,server=on,wait=off,"
                          "tls-creds=objcharserial1_tls0"));
        CHECK(strv_has(a, "socket,id=charserial2,host=127.0.0.1,port=5557"));
        CHECK(!find_opt(a, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objcharserial2"));
        /* chardev_tls off: only tls='yes'; a server does not verify clients unless told */
        CHECK(build_with_tls(DOM(TCP_SERIALS), false, "/etc/pki/qemu", false, &b, &err) == 0);
        CHECK(strv_has(b, "socket,id=charserial0,host=127.0.0.1,port=5555"));
        CHECK(has_json(b, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objcharserial1_tls0\","
                       "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"server\",\"verify-peer\":false}", false));
        /* no directory: refused, naming the setting */
        CHECK(build_with_tls(DOM(TCP_SERIALS), false, NULL, false, &c, &err) < 0);
        CHECK(err.message && strstr(err.message, "chardev_tls_x509_cert_dir"));
}

static void test_reconnect_off(void) {
        _cleanup_strv_free_ char **a = NULL;
        ConfError err = {};
        _cleanup_(domain_def_freep) DomainDef *def = NULL;

        CHECK(parse_xml_string(DOM("<channel type='tcp'><source mode='connect' host='localhost' service='1'>"
                                   "<reconnect enabled='no'/></source><target type='virtio' name='x'/></channel>"),
                               &def) == 0);
        CHECK(def && build(def, &a, &err) == 0);
        CHECK(strv_has(a, "socket,id=charchannel0,host=localhost,port=1,reconnect=0"));
}

/* passwdValidTo='' and connected='' of a display (domain-graphics-auth.c). */
static void test_graphics_auth(void) {
        _cleanup_free_ char *a = round_trip(DOM(
                "<graphics type='spice' port='5900' autoport='no' passwd='sercet' "
                "passwdValidTo='2011-05-31T16:11:22' connected='disconnect'/>"
                "<graphics type='vnc' passwdValidTo='2099-12-31T23:59:59' connected='keep'/>"));

        if (a) {
                CHECK_CONTAINS(a, "passwdValidTo='2011-05-31T16:11:22' connected='disconnect'");
                CHECK_CONTAINS(a, "passwdValidTo='2099-12-31T23:59:59' connected='keep'");
        }
        REFUSED_AT(STEP_PARSE, DOM("<graphics type='vnc' passwd='x' connected='disconnect'/>"),
                   "VNC supports connected='keep' only");
        REFUSED_AT(STEP_PARSE, DOM("<graphics type='vnc' passwd='x' passwdValidTo='2011-13-01T00:00:00'/>"),
                   "cannot parse password validity time '2011-13-01T00:00:00'");
        REFUSED_AT(STEP_PARSE, DOM("<graphics type='vnc' passwd='x' passwdValidTo='2011-05-31 16:11:22'/>"),
                   "expect YYYY-MM-DDTHH:MM:SS");
        REFUSED_AT(STEP_PARSE, DOM("<graphics type='spice' passwd='x' connected='maybe'/>"), "connected");
}

/* Several <listen>s: all kept, the first the display's; a start refused as libvirt's. */
static void test_graphics_listens(void) {
        _cleanup_free_ char *a = round_trip(DOM(
                "<graphics type='vnc' listen='1.2.3.4' autoport='yes'><listen type='address' address='1.2.3.4'/>"
                "<listen type='network' network='Bobsnetwork'/></graphics>"));

        if (a)
                CHECK_CONTAINS(a, "<listen type='address' address='1.2.3.4'/>\n"
                                  "      <listen type='network' network='Bobsnetwork'/>\n    </graphics>");
        REFUSED_AT(STEP_BUILD, DOM("<graphics type='vnc' listen='1.2.3.4'><listen type='address' address='1.2.3.4'/>"
                                   "<listen type='address' address='127.0.0.1'/></graphics>"),
                   "QEMU does not support multiple listens for one graphics device.");
        REFUSED_AT(STEP_PARSE, DOM("<graphics type='vnc'><listen type='address'/><listen type='network'/></graphics>"),
                   "'network' attribute is required for listen type 'network'");
}

UNIT_TESTS(test_round_trip, test_rules, test_tls, test_reconnect_off, test_graphics_auth, test_graphics_listens)
