/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TLS of NBD disks: qemud.conf's nbd_tls and nbd_tls_x509_cert_dir, the
 * start-time check of the directory on a made-up one, and the command line
 * the golden file (disk-network-tls, tls='yes' and 'no' with nbd_tls off)
 * does not show: nbd_tls = 1 for a source without tls='', and the refusal
 * without a directory. test_qemud_disk_tls.py starts QEMU on a TLS qemu-nbd. */

#include <ftw.h>
#include <sys/stat.h>

#include "qemu-command-test.h"
#include "qemu-disk-tls.h"
#include "qemu-domain.h"
#include "qemu-validate.h"

#define DOM(devices)                                                                                            \
        "<domain type='qemu'><name>c</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"                   \
        "<memory unit='MiB'>256</memory><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" devices \
        "</devices></domain>"

#define NBD(dev, tls)                                                                                   \
        "<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='nbd' " tls \
        "><host name='192.0.2.1' port='10809'/></source><target dev='" dev "' bus='virtio'/></disk>"

#define DISKS NBD("vda", "") NBD("vdb", "tls='no'") NBD("vdc", "tls='yes' tlsHostname='srv.example.org'")

#define CHECK_CONTAINS(haystack, needle)                                                                 \
        do {                                                                                             \
                if (!(haystack) || !strstr(haystack, needle)) {                                          \
                        fprintf(stderr, "  line %d: \"%s\" does not contain \"%s\"\n", __LINE__,          \
                                (haystack) ?: "(null)", needle);                                         \
                        unit_failed_checks++;                                                            \
                }                                                                                        \
        } while (0)

static int build_with_tls(const char *xml, bool tls, const char *dir, char ***argv, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        QemuCommandParams params;
        char pidfile[512];

        if (parse_xml_string(xml, &def) < 0)
                return -EBADMSG;
        fake_params(def, pidfile, sizeof(pidfile), &params);
        params.nbd_tls = tls;
        params.nbd_tls_dir = dir;
        return qemu_command_build(def, &fake_caps, &params, argv, NULL, NULL, err);
}

static void test_validate(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};

        /* accepted at define now, as libvirt does */
        CHECK(parse_xml_string(DOM(DISKS), &def) == 0);
        CHECK(def && qemu_validate_def(def, &err) == 0);
}

static void test_command(void) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL;
        ConfError err = {};

        /* nbd_tls = 1: vda without tls='' gets it, vdb with tls='no' not */
        CHECK(build_with_tls(DOM(DISKS), true, "/etc/pki/qemu", &a, &err) == 0);
        CHECK(has_json(a, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objvirtio-disk0-file_tls0\","
                       "\"dir\":\"/etc/pki/qemu\",\"endpoint\":\"client\",\"verify-peer\":true}", false));
        CHECK(find_opt(a, "-blockdev", "{\"driver\":\"nbd\",\"server\":{\"type\":\"inet\",\"host\":\"192.0.2.1\","
                       "\"port\":\"10809\"},\"tls-creds\":\"objvirtio-disk0-file_tls0\",\"node-name\":"));
        CHECK(!find_opt(a, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objvirtio-disk1"));
        CHECK(find_opt(a, "-blockdev", "{\"driver\":\"nbd\",\"server\":{\"type\":\"inet\",\"host\":\"192.0.2.1\","
                       "\"port\":\"10809\"},\"node-name\":\"virtio-disk1-file\""));
        CHECK(find_opt(a, "-blockdev", "{\"driver\":\"nbd\",\"server\":{\"type\":\"inet\",\"host\":\"192.0.2.1\","
                       "\"port\":\"10809\"},\"tls-creds\":\"objvirtio-disk2-file_tls0\",\"tls-hostname\":"
                       "\"srv.example.org\""));
        /* nbd_tls = 0: only tls='yes' */
        CHECK(build_with_tls(DOM(DISKS), false, "/etc/pki/qemu", &b, &err) == 0);
        CHECK(!find_opt(b, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objvirtio-disk0"));
        CHECK(find_opt(b, "-object", "{\"qom-type\":\"tls-creds-x509\",\"id\":\"objvirtio-disk2-file_tls0\""));
        /* no directory: refused, naming the setting */
        CHECK(build_with_tls(DOM(DISKS), false, NULL, &c, &err) < 0);
        CHECK_CONTAINS(err.message, "nbd_tls_x509_cert_dir");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(p);
}

static void test_conf_and_check(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        char root[] = "/tmp/vbtest-disk-tls-XXXXXX", ca[64];
        QemuDiskTls t;
        ConfError err = {};

        if (parse_xml_string(DOM(DISKS), &def) < 0 || !mkdtemp(root)) {
                CHECK(!"setup");
                return;
        }
        qemu_disk_tls_init(&t);
        CHECK(streq(t.dir, "/etc/pki/qemu") && !t.enabled);
        CHECK(qemu_disk_tls_apply(&t, "nbd_tls", "yes") == -EINVAL);
        CHECK_CONTAINS(t.bad, "nbd_tls = yes");
        CHECK(qemu_disk_tls_apply(&t, "nbd_tls_x509_cert_dir", "relative") == -EINVAL);
        CHECK_CONTAINS(t.bad, "nbd_tls_x509_cert_dir = relative");
        CHECK(qemu_disk_tls_apply(&t, "chardev_tls", "1") == 0 && !t.enabled);
        snprintf(t.dir, sizeof(t.dir), "%s/missing", root);
        CHECK(qemu_disk_tls_check(&t, def, &err) == -ENOENT);  /* vdc has tls='yes' */
        CHECK_CONTAINS(err.message, "/missing (nbd_tls_x509_cert_dir in qemud.conf) is missing");
        CHECK(qemu_disk_tls_apply(&t, "nbd_tls_x509_cert_dir", root) == 0);
        err = (ConfError) {};
        CHECK(qemu_disk_tls_check(&t, def, &err) == -ENOENT);
        CHECK_CONTAINS(err.message, "/ca-cert.pem (nbd_tls_x509_cert_dir");
        snprintf(ca, sizeof(ca), "%s/ca-cert.pem", root);
        CHECK(write_file_atomic(ca, "x", 1, 0600) == 0);
        CHECK(qemu_disk_tls_check(&t, def, &err) == 0);
        /* nothing asks for TLS: no check at all */
        def->disks[2].net->tls = TRISTATE_OFF;
        snprintf(t.dir, sizeof(t.dir), "%s/missing", root);
        CHECK(qemu_disk_tls_check(&t, def, &err) == 0);
        CHECK(qemu_disk_tls_apply(&t, "nbd_tls", "1") == 0 && t.enabled);
        CHECK(qemu_disk_tls_check(&t, def, &err) == -ENOENT);   /* vda takes nbd_tls now */
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* What each disk's TLS objects were made with: what nbd_tls said for the
 * disks it decides (vda; not vdb's tls='no' nor vdc's tls='yes'), as the
 * live state keeps it and reads it back; nbd_tls now for a disk the live
 * state says nothing of (written before it was kept). */
static void test_made_with(void) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *status = NULL, *doc = NULL;
        QemuDomain q = {}, q2 = {};
        Domain d = { .priv = &q }, d2 = { .priv = &q2 };
        xmlDocPtr x;

        if (parse_xml_string(DOM(DISKS), &def) < 0) {
                CHECK(!"setup");
                return;
        }
        d.live = d2.live = def;
        CHECK(!qemu_disk_tls_made(&d, &def->disks[0], false) && qemu_disk_tls_made(&d, &def->disks[0], true));
        CHECK(qemu_disk_tls_note_all(&d, def, true) == 0);
        CHECK(qemu_disk_tls_made(&d, &def->disks[0], false));
        status = qemu_disk_tls_status_format(&d);
        CHECK_STREQ(status, "  <nbd-tls dst='vda' made='yes'/>\n");
        CHECK(asprintf(&doc, "<domstatus>\n%s</domstatus>", status ?: "") > 0);
        x = doc ? xmlReadMemory(doc, (int) strlen(doc), NULL, NULL, XML_PARSE_NONET) : NULL;
        CHECK(x != NULL);
        if (x) {
                qemu_disk_tls_status_parse(&d2, xmlDocGetRootElement(x));
                xmlFreeDoc(x);
        }
        CHECK(qemu_disk_tls_made(&d2, &def->disks[0], false));
        /* a plug with nbd_tls = 0 made none, whatever it says later */
        CHECK(qemu_disk_tls_note(&d, &def->disks[0], false) == 0);
        CHECK(!qemu_disk_tls_made(&d, &def->disks[0], true));
        free(status);
        status = qemu_disk_tls_status_format(&d);
        CHECK_STREQ(status, "  <nbd-tls dst='vda' made='no'/>\n");
        /* vdb and vdc say themselves: never noted */
        CHECK(qemu_disk_tls_note_all(&d, def, true) == 0);
        CHECK(!strv_contains(q.nbd_tls_on, "vdb") && !strv_contains(q.nbd_tls_off, "vdb"));
        CHECK(!strv_contains(q.nbd_tls_on, "vdc") && !strv_contains(q.nbd_tls_off, "vdc"));
        strv_free(q.nbd_tls_on);
        strv_free(q.nbd_tls_off);
        strv_free(q2.nbd_tls_on);
        strv_free(q2.nbd_tls_off);
}

UNIT_TESTS(test_validate, test_command, test_conf_and_check, test_made_with)
