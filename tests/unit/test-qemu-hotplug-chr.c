/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* chardev-add's arguments (qemu-hotplug-chr.h) for each chardev type a
 * serial, console or channel can be plugged with, against golden JSON
 * written from QEMU 7.2's QMP schema (ChardevBackend); the tls-creds-x509
 * object of a tcp chardev speaking TLS; the refusals. */

#include <json-c/json.h>

#include "domain-conf.h"
#include "qemu-hotplug-chr.h"
#include "unit.h"
#include "util.h"

static const char base_xml[] =
        "<domain type='qemu'><name>hp</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>%s</devices></domain>";

static DomainDef *def_of(const char *devices) {
        _cleanup_free_ char *xml = NULL;
        DomainDef *def = NULL;
        ConfError e = {};

        CHECK(asprintf(&xml, base_xml, devices) > 0);
        CHECK_INTEQ(domain_def_parse(xml, 0, &def, &e), 0);
        if (!def)
                fprintf(stderr, "  %s\n", e.message);
        return def;
}

#define JSON_PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define SPICE "<graphics type='spice' autoport='yes'/>"
#define CHAN(type, source) "<channel type='" type "'>" source "<target type='virtio' name='t.0'/></channel>"
#define VDAGENT(type) "<channel type='" type "'><target type='virtio' name='com.redhat.spice.0'/></channel>"
#define SERIAL(type, source) "<serial type='" type "'>" source "<target port='1'/></serial>"

static const struct {
        const char *xml, *json;
} golden[] = {
        { SERIAL("pty", ""), "{\"id\":\"charserial1\",\"backend\":{\"type\":\"pty\",\"data\":{}}}" },
        { SERIAL("file", "<source path='/var/log/s.log' append='on'/><log file='/var/log/l.log' append='off'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"file\",\"data\":{\"append\":true,"
          "\"out\":\"/var/log/s.log\",\"logfile\":\"/var/log/l.log\",\"logappend\":false}}}" },
        { SERIAL("tcp", "<source mode='connect' host='127.0.0.1' service='4555'/><protocol type='telnet'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"inet\","
          "\"data\":{\"host\":\"127.0.0.1\",\"port\":\"4555\"}},\"server\":false,\"telnet\":true}}}" },
        { SERIAL("tcp", "<source mode='bind' host='127.0.0.1' service='4556'/><protocol type='raw'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"inet\","
          "\"data\":{\"host\":\"127.0.0.1\",\"port\":\"4556\"}},\"server\":true,\"wait\":false}}}" },
        { SERIAL("tcp", "<source mode='connect' host='::1' service='4557'><reconnect enabled='yes' "
                 "timeout='5'/></source>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"inet\","
          "\"data\":{\"host\":\"::1\",\"port\":\"4557\"}},\"server\":false,\"reconnect\":5}}}" },
        { SERIAL("udp", "<source mode='bind' host='127.0.0.1' service='4600'/>"
                 "<source mode='connect' host='127.0.0.1' service='4601'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"udp\",\"data\":{\"remote\":{\"type\":\"inet\","
          "\"data\":{\"host\":\"127.0.0.1\",\"port\":\"4601\"}},\"local\":{\"type\":\"inet\",\"data\":"
          "{\"host\":\"127.0.0.1\",\"port\":\"4600\"}}}}}" },
        { SERIAL("udp", "<source mode='connect' host='127.0.0.1' service='4602'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"udp\",\"data\":{\"remote\":{\"type\":\"inet\","
          "\"data\":{\"host\":\"127.0.0.1\",\"port\":\"4602\"}}}}}" },
        { SERIAL("unix", "<source mode='connect' path='/run/s.sock'><reconnect enabled='no'/></source>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\","
          "\"data\":{\"path\":\"/run/s.sock\"}},\"server\":false,\"reconnect\":0}}}" },
        { SERIAL("null", ""), "{\"id\":\"charserial1\",\"backend\":{\"type\":\"null\",\"data\":{}}}" },
        { SERIAL("vc", ""), "{\"id\":\"charserial1\",\"backend\":{\"type\":\"vc\",\"data\":{}}}" },
        { SERIAL("pipe", "<source path='/run/p'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"pipe\",\"data\":{\"device\":\"/run/p\"}}}" },
        { SERIAL("dev", "<source path='/dev/ttyS9'/>"),
          "{\"id\":\"charserial1\",\"backend\":{\"type\":\"serial\",\"data\":{\"device\":\"/dev/ttyS9\"}}}" },
        { SPICE VDAGENT("spicevmc"),
          "{\"id\":\"charchannel0\",\"backend\":{\"type\":\"spicevmc\",\"data\":{\"type\":\"vdagent\"}}}" },
        { SPICE CHAN("spiceport", "<source channel='org.qemu.console.serial.0'/>"),
          "{\"id\":\"charchannel0\",\"backend\":{\"type\":\"spiceport\",\"data\":"
          "{\"fqdn\":\"org.qemu.console.serial.0\"}}}" },
        { "<graphics type='dbus'/>" CHAN("dbus", "<source channel='org.qemu.x'/>"),
          "{\"id\":\"charchannel0\",\"backend\":{\"type\":\"dbus\",\"data\":{\"name\":\"org.qemu.x\"}}}" },
        { "<channel type='qemu-vdagent'><source><clipboard copypaste='yes'/><mouse mode='client'/></source>"
          "<target type='virtio' name='com.redhat.spice.0'/></channel>",
          "{\"id\":\"charchannel0\",\"backend\":{\"type\":\"qemu-vdagent\",\"data\":"
          "{\"clipboard\":true,\"mouse\":true}}}" },
};

/* the last chardev of the definition: the one plugged */
static const DomainChrDef *last_chr(const DomainDef *def) {
        return def && def->n_chrs ? &def->chrs[def->n_chrs - 1] : NULL;
}

static const char *alias_of(const DomainChrDef *chr) {
        return chr->kind == DOMAIN_CHR_SERIAL ? "serial1" : "channel0";
}

static void test_golden(void) {
        for (size_t i = 0; i < ELEMENTS_OF_(golden); i++) {
                _cleanup_(domain_def_freep) DomainDef *def = def_of(golden[i].xml);
                const DomainChrDef *chr = last_chr(def);
                json_object *args = NULL;
                ConfError e = {};

                CHECK(chr);
                if (!chr)
                        continue;
                CHECK_INTEQ(qemu_hotplug_chr_args(def, chr, alias_of(chr), false, &args, &e), 0);
                CHECK_STREQ(args ? json_object_to_json_string_ext(args, JSON_PLAIN) : e.message,
                            golden[i].json);
                json_object_put(args);
        }
}

static void test_tls(void) {
        _cleanup_(domain_def_freep) DomainDef *def = def_of(
                SERIAL("tcp", "<source mode='bind' host='127.0.0.1' service='4558' tls='yes'/>"));
        const DomainChrDef *chr = last_chr(def);
        QemuChardevTls t;
        json_object *args = NULL, *obj = NULL;
        ConfError e = {};

        if (!chr)
                return;
        qemu_chardev_tls_init(&t);
        t.verify = false;
        CHECK_INTEQ(qemu_hotplug_chr_args(def, chr, "serial1", true, &args, &e), 0);
        CHECK_STREQ(json_object_to_json_string_ext(args, JSON_PLAIN),
                    "{\"id\":\"charserial1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"inet\","
                    "\"data\":{\"host\":\"127.0.0.1\",\"port\":\"4558\"}},\"server\":true,\"wait\":false,"
                    "\"tls-creds\":\"objcharserial1_tls0\"}}}");
        CHECK_INTEQ(qemu_hotplug_chr_tls_args(chr, "serial1", &t, &obj), 0);
        CHECK_STREQ(json_object_to_json_string_ext(obj, JSON_PLAIN),
                    "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objcharserial1_tls0\",\"dir\":\"/etc/pki/qemu\","
                    "\"endpoint\":\"server\",\"verify-peer\":false}");
        json_object_put(args);
        json_object_put(obj);
}

static void test_refused(void) {
        static const struct {
                const char *xml, *error, *words;
        } bad[] = {
                { VDAGENT("spicevmc"), "org.virtbus.Error.ConfigUnsupported", "without spice graphics" },
                { CHAN("spiceport", "<source channel='a.b'/>"), "org.virtbus.Error.ConfigUnsupported",
                  "chardev 'spiceport' not supported without spice graphics (charchannel0)" },
                { CHAN("dbus", "<source channel='a.b'/>"), "org.virtbus.Error.ConfigUnsupported",
                  "without dbus graphics" },
                { SERIAL("stdio", ""), "org.virtbus.Error.ConfigUnsupported",
                  "a chardev of type 'stdio' cannot be hot-plugged" },
        };
        for (size_t i = 0; i < ELEMENTS_OF_(bad); i++) {
                _cleanup_(domain_def_freep) DomainDef *def = def_of(bad[i].xml);
                const DomainChrDef *chr = last_chr(def);
                json_object *args = NULL;
                ConfError e = {};

                if (!chr)
                        continue;
                CHECK(qemu_hotplug_chr_args(def, chr, alias_of(chr), false, &args, &e) < 0);
                CHECK(!args);
                CHECK_STREQ(e.name, bad[i].error);
                if (!strstr(e.message, bad[i].words))
                        fprintf(stderr, "  %zu: %s\n", i, e.message);
                CHECK(strstr(e.message, bad[i].words));
        }
}

/* as libvirt's qemuBuildChannelGuestfwdNetdevProps: the rule is an array
 * of objects with one member "str" */
static void test_guestfwd(void) {
        _cleanup_(domain_def_freep) DomainDef *def = def_of(
                "<channel type='unix'><source mode='connect' path='/run/fwd.sock'/>"
                "<target type='guestfwd' address='10.0.2.1' port='4600'/></channel>");
        DomainChrDef *chr = (DomainChrDef *) last_chr(def);
        json_object *args = NULL;

        if (!chr)
                return;
        chr->alias = strdup("channel0");
        CHECK_INTEQ(qemu_hotplug_guestfwd_args(chr, &args), 0);
        CHECK_STREQ(json_object_to_json_string_ext(args, JSON_PLAIN),
                    "{\"type\":\"user\",\"guestfwd\":[{\"str\":\"tcp:10.0.2.1:4600-chardev:charchannel0\"}],"
                    "\"id\":\"channel0\"}");
        json_object_put(args);
}

UNIT_TESTS(test_golden, test_tls, test_refused, test_guestfwd)
