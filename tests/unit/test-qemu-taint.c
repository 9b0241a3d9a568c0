/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's taint rules (qemu_taint_check()): which definitions and hosts
 * taint a guest with which flag, the deprecation notes of a deprecated
 * machine type or CPU model (as QEMU's query-machines and
 * query-cpu-definitions mark them), the messages of GetMessages with their
 * flags, and the live state's <taint>/<deprecation> round trip. */

#include <json-c/json.h>

#include "domain-driver.h"
#include "domain-test.h"
#include "qemu-taint.h"
#include "util.h"

#define NS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

static char *domain_xml(const char *attrs, const char *machine, const char *devices, const char *extra) {
        char *s;

        if (asprintf(&s,
                     "<domain type='qemu' %s><name>t</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
                     "<os><type arch='x86_64' machine='%s'>hvm</type></os>%s"
                     "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices></domain>",
                     attrs, machine, extra, devices) < 0)
                return NULL;
        return s;
}

/* Two machines (one deprecated, with an alias) and two CPU models (one
 * deprecated), as QEMU's replies give them. */
static QemuCaps *small_caps(void) {
        static const char machines[] =
                "[{\"name\": \"pc-i440fx-7.2\", \"alias\": \"pc\", \"is-default\": true, \"cpu-max\": 255,"
                " \"deprecated\": false},"
                " {\"name\": \"pc-i440fx-1.4\", \"alias\": \"old\", \"cpu-max\": 255, \"deprecated\": true}]";
        static const char cpus[] =
                "[{\"name\": \"Haswell\", \"unavailable-features\": [], \"deprecated\": false},"
                " {\"name\": \"Oldwell\", \"unavailable-features\": [], \"deprecated\": true}]";
        QemuCaps *caps = calloc(1, sizeof(QemuCaps));
        json_object *m = json_tokener_parse(machines), *c = json_tokener_parse(cpus);

        if (caps) {
                CHECK_INTEQ(qemu_caps_apply_reply(caps, "query-machines", m), 0);
                CHECK_INTEQ(qemu_caps_apply_reply(caps, "query-cpu-definitions", c), 0);
        }
        json_object_put(m);
        json_object_put(c);
        return caps;
}

static const QemuTaintHost unprivileged = { .privileged = false };

/* The flags and notes of the definition of xml on caps and host. */
static unsigned check(const char *xml, const QemuCaps *caps, const QemuTaintHost *host, char ***notes) {
        _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, "taint input") : NULL;
        unsigned f = 0;

        *notes = NULL;
        CHECK(def != NULL);
        if (def)
                CHECK_INTEQ(qemu_taint_check(def, caps, host, &f, notes), 0);
        return f;
}

#define BIT(t) (1u << (t))

static void test_names(void) {
        CHECK_STREQ(qemu_taint_to_string(QEMU_TAINT_CUSTOM_ARGV), "custom-argv");
        CHECK_STREQ(qemu_taint_to_string(QEMU_TAINT_HOOK), "hook-script");
        CHECK_STREQ(qemu_taint_to_string(QEMU_TAINT_CUSTOM_DEVICE), "custom-device");
        CHECK_INTEQ(qemu_taint_from_string("deprecated-config"), QEMU_TAINT_DEPRECATED_CONFIG);
        CHECK_INTEQ(qemu_taint_from_string("no-such"), -EINVAL);
        CHECK(qemu_taint_to_string(_QEMU_TAINT_MAX) == NULL);
        for (int t = 0; t < _QEMU_TAINT_MAX; t++)
                CHECK(qemu_taint_to_string(t) && qemu_taint_message(t));
        /* libvirt's bit numbers */
        CHECK_INTEQ(QEMU_TAINT_CDROM_PASSTHROUGH, 8);
        CHECK_INTEQ(QEMU_TAINT_DEPRECATED_CONFIG, 12);
}

static void test_namespace(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = small_caps();
        _cleanup_free_ char *plain = domain_xml("", "pc", "", ""), *argv = NULL, *env = NULL, *feat = NULL,
                            *dev = NULL;
        char **notes;

        argv = domain_xml(NS, "pc", "", "<qemu:commandline><qemu:arg value='-S'/></qemu:commandline>");
        env = domain_xml(NS, "pc", "", "<qemu:commandline><qemu:env name='X' value='1'/></qemu:commandline>");
        feat = domain_xml(NS, "pc", "", "<qemu:capabilities><qemu:del capability='e1000'/></qemu:capabilities>");
        dev = domain_xml(NS, "pc", "<interface type='user'><alias name='ua-n'/></interface>",
                         "<qemu:override><qemu:device alias='ua-n'><qemu:frontend>"
                         "<qemu:property name='mq' type='bool' value='true'/></qemu:frontend></qemu:device>"
                         "</qemu:override>");
        CHECK_INTEQ(check(plain, caps, &unprivileged, &notes), 0);
        CHECK(notes == NULL);
        CHECK_INTEQ(check(argv, caps, &unprivileged, &notes), BIT(QEMU_TAINT_CUSTOM_ARGV));
        CHECK_INTEQ(check(env, caps, &unprivileged, &notes), BIT(QEMU_TAINT_CUSTOM_ARGV));
        CHECK_INTEQ(check(feat, caps, &unprivileged, &notes), BIT(QEMU_TAINT_CUSTOM_HYPERVISOR_FEATURE));
        CHECK_INTEQ(check(dev, caps, &unprivileged, &notes), BIT(QEMU_TAINT_CUSTOM_DEVICE));
}

/* libvirt's rule: its privileged driver, QEMU's user or group root. */
static void test_privileges(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = small_caps();
        _cleanup_free_ char *plain = domain_xml("", "pc", "", "");
        QemuTaintHost root = { .privileged = true }, user = { .privileged = true, .user = 64055, .group = 64055 },
                      group = { .privileged = true, .user = 64055 };
        char **notes;

        CHECK_INTEQ(check(plain, caps, &root, &notes), BIT(QEMU_TAINT_HIGH_PRIVILEGES));
        CHECK_INTEQ(check(plain, caps, &group, &notes), BIT(QEMU_TAINT_HIGH_PRIVILEGES));
        CHECK_INTEQ(check(plain, caps, &user, &notes), 0);
}

static bool every_path_is_cdrom(const char *path) {
        return true;
}

static void test_devices(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = small_caps();
        _cleanup_free_ char *script = NULL, *cdrom = NULL, *cdfile = NULL, *hostdev = NULL;
        QemuTaintHost cd = { .is_cdrom = every_path_is_cdrom };
        char **notes;

        script = domain_xml("", "pc", "<interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>", "");
        cdrom = domain_xml("", "pc",
                           "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/></disk>",
                           "");
        cdfile = domain_xml("", "pc",
                            "<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='hdc'/></disk>",
                            "");
        hostdev = domain_xml("", "pc",
                             "<hostdev mode='subsystem' type='scsi' rawio='yes'><source><adapter name='scsi_host0'/>"
                             "<address bus='0' target='0' unit='0'/></source></hostdev>", "");
        CHECK_INTEQ(check(script, caps, &unprivileged, &notes), BIT(QEMU_TAINT_SHELL_SCRIPTS));
        /* a block device that is a host CD-ROM drive; a file never is */
        CHECK_INTEQ(check(cdrom, caps, &cd, &notes), BIT(QEMU_TAINT_CDROM_PASSTHROUGH));
        CHECK_INTEQ(check(cdrom, caps, &unprivileged, &notes), 0);
        CHECK_INTEQ(check(cdfile, caps, &cd, &notes), 0);
        CHECK_INTEQ(check(hostdev, caps, &unprivileged, &notes), BIT(QEMU_TAINT_HIGH_PRIVILEGES));
}

static void test_deprecated_and_host_cpu(void) {
        _cleanup_(qemu_caps_freep) QemuCaps *caps = small_caps();
        _cleanup_free_ char *machine = domain_xml("", "pc-i440fx-1.4", "", ""), *alias = domain_xml("", "old", "", "");
        _cleanup_free_ char *cpu = domain_xml("", "pc", "", "<cpu mode='custom'><model>Oldwell</model></cpu>");
        _cleanup_free_ char *fine = domain_xml("", "pc", "", "<cpu mode='custom'><model>Haswell</model></cpu>");
        _cleanup_free_ char *pass = domain_xml("", "pc", "", "<cpu mode='host-passthrough'/>");
        QemuTaintHost incoming = { .incoming = true };
        _cleanup_strv_free_ char **n1 = NULL, **n2 = NULL, **n3 = NULL;
        char **none;

        CHECK_INTEQ(check(machine, caps, &unprivileged, &n1), BIT(QEMU_TAINT_DEPRECATED_CONFIG));
        CHECK(n1 && strv_length(n1) == 1 && streq(n1[0], "machine type 'pc-i440fx-1.4'"));
        /* the live definition names the machine; an alias is looked up too */
        CHECK_INTEQ(check(alias, caps, &unprivileged, &n2), BIT(QEMU_TAINT_DEPRECATED_CONFIG));
        CHECK_INTEQ(check(cpu, caps, &unprivileged, &n3), BIT(QEMU_TAINT_DEPRECATED_CONFIG));
        CHECK(n3 && strv_length(n3) == 1 && streq(n3[0], "CPU model 'Oldwell'"));
        CHECK_INTEQ(check(fine, caps, &unprivileged, &none), 0);
        /* host-passthrough: only a guest that came from another host */
        CHECK_INTEQ(check(pass, caps, &unprivileged, &none), 0);
        CHECK_INTEQ(check(pass, caps, &incoming, &none), BIT(QEMU_TAINT_HOST_CPU));
}

static void test_messages(void) {
        unsigned taint = BIT(QEMU_TAINT_CUSTOM_ARGV) | BIT(QEMU_TAINT_HIGH_PRIVILEGES) |
                         BIT(QEMU_TAINT_DEPRECATED_CONFIG);
        char *notes[] = { (char *) "machine type 'pc-i440fx-1.4'", NULL };
        _cleanup_strv_free_ char **all = NULL, **t = NULL, **d = NULL, **empty = NULL;

        CHECK_INTEQ(qemu_taint_messages(taint, notes, 0, &all), 0);
        CHECK_INTEQ(strv_length(all), 4);
        if (strv_length(all) == 4) {
                CHECK_STREQ(all[0], "tainted: custom configuration parameters specified");
                CHECK_STREQ(all[1], "tainted: running with undesirable elevated privileges");
                CHECK_STREQ(all[2], "tainted: use of deprecated configuration settings");
                CHECK_STREQ(all[3], "deprecated configuration: machine type 'pc-i440fx-1.4'");
        }
        CHECK_INTEQ(qemu_taint_messages(taint, notes, DOMAIN_MESSAGE_TAINTING, &t), 0);
        CHECK_INTEQ(strv_length(t), 3);
        CHECK_INTEQ(qemu_taint_messages(taint, notes, DOMAIN_MESSAGE_DEPRECATION, &d), 0);
        CHECK(strv_length(d) == 1 && streq(d[0], all[3]));
        CHECK_INTEQ(qemu_taint_messages(0, NULL, 0, &empty), 0);
        CHECK(empty == NULL);
}

static void test_status_round_trip(void) {
        unsigned taint = BIT(QEMU_TAINT_CUSTOM_ARGV) | BIT(QEMU_TAINT_DEPRECATED_CONFIG), back = 0;
        char *notes[] = { (char *) "machine type 'a<b&c'", NULL };
        _cleanup_free_ char *text = NULL, *doc = NULL;
        _cleanup_strv_free_ char **back_notes = NULL;
        xmlDocPtr x;

        CHECK_INTEQ(qemu_taint_status_format(taint, notes, &text), 0);
        CHECK_STREQ(text, "  <taint flag='custom-argv'/>\n  <taint flag='deprecated-config'/>\n"
                          "  <deprecation>machine type &apos;a&lt;b&amp;c&apos;</deprecation>\n");
        /* a flag of a newer qemud's is dropped */
        CHECK(asprintf(&doc, "<domstatus>%s<taint flag='from-the-future'/></domstatus>", text) > 0);
        x = doc ? xmlReadMemory(doc, (int) strlen(doc), NULL, NULL, XML_PARSE_NONET) : NULL;
        CHECK(x != NULL);
        if (!x)
                return;
        qemu_taint_status_parse(xmlDocGetRootElement(x), &back, &back_notes);
        xmlFreeDoc(x);
        CHECK_INTEQ(back, taint);
        CHECK(strv_length(back_notes) == 1 && streq(back_notes[0], notes[0]));
}

UNIT_TESTS(test_names, test_namespace, test_privileges, test_devices, test_deprecated_and_host_cpu, test_messages,
           test_status_round_trip)
