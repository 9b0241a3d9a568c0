/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SPICE TLS: tlsPort, defaultMode and <channel mode=''/> parsed and
 * formatted (schema-valid, stable), which autoport displays get a TLS port
 * at start (qemu_spice_wants_tls_port()), the certificate checks at start
 * (qemu_spice_tls_check()) on a made-up directory, qemud.conf's two keys,
 * and what the command line builder refuses. The command line itself is in
 * the golden file graphics-spice-tls; test_qemud_graphics_tls.py starts
 * QEMU with real certificates. */

#include <ftw.h>
#include <sys/stat.h>

#include "domain-test.h"
#include "qemu-command.h"
#include "qemu-spice-tls.h"
#include "util.h"

static const char *const tls_graphics =
        "<graphics type='spice' port='5903' tlsPort='5904' autoport='no' listen='127.0.0.1' defaultMode='secure'>"
        "<listen type='address' address='127.0.0.1'/><channel name='main' mode='secure'/>"
        "<channel name='inputs' mode='insecure'/></graphics>";

static void test_round_trip(void) {
        static const char *const graphics[] = {
                "<graphics type='spice' port='5903' tlsPort='5904' autoport='no' listen='127.0.0.1' defaultMode='secure'>"
                "<listen type='address' address='127.0.0.1'/><channel name='main' mode='secure'/>"
                "<channel name='inputs' mode='insecure'/></graphics>",
                "<graphics type='spice' tlsPort='-1' autoport='yes' defaultMode='insecure'/>",
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(graphics); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, graphics[i]), *a = NULL, *b = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "spice tls"), *again = NULL;

                if (!def)
                        continue;
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                again = a ? parse_ok(a, "formatted spice tls") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                if (i == 0 && a) {
                        CHECK_CONTAINS(a, "port='5903' tlsPort='5904' autoport='no'");
                        CHECK_CONTAINS(a, "defaultMode='secure'");
                        CHECK_CONTAINS(a, "<channel name='main' mode='secure'/>");
                        CHECK_CONTAINS(a, "<channel name='inputs' mode='insecure'/>");
                }
                /* as libvirt's define: autoport's tlsPort='-1' asks for nothing */
                if (i == 1 && a)
                        CHECK_CONTAINS(a, "<graphics type='spice' port='-1' autoport='yes' defaultMode='insecure'/>");
        }
}

static void test_refused(void) {
        REFUSED(NULL, "<graphics type='vnc' tlsPort='5904'/>", VB_ERROR_NOT_SUPPORTED, "tlsPort");
        REFUSED(NULL, "<graphics type='spice' tlsPort='70000'/>", VB_ERROR_INVALID_ARG, "tlsPort");
        REFUSED(NULL, "<graphics type='spice'><channel name='bogus' mode='secure'/></graphics>", VB_ERROR_NOT_SUPPORTED,
                "bogus");
        REFUSED(NULL, "<graphics type='spice'><channel name='main' mode='sometimes'/></graphics>", VB_ERROR_NOT_SUPPORTED,
                "sometimes");
        REFUSED(NULL, "<graphics type='spice'><channel name='main'/></graphics>", VB_ERROR_XML, "mode");
        REFUSED(NULL, "<graphics type='spice' defaultMode='sometimes'/>", VB_ERROR_NOT_SUPPORTED, "sometimes");
}

static DomainGraphicsDef spice(int tls_port, bool autoport, DomainSpiceMode def_mode) {
        return (DomainGraphicsDef) { .type = DOMAIN_GRAPHICS_SPICE, .tls_port = tls_port, .autoport = autoport,
                                     .default_mode = def_mode };
}

static void test_wants_tls_port(void) {
        DomainGraphicsDef g = spice(0, true, DOMAIN_SPICE_MODE_ANY);

        /* as libvirt: 'any' gets a TLS port only when TLS is on */
        CHECK(!qemu_spice_wants_tls_port(&g, false));
        CHECK(qemu_spice_wants_tls_port(&g, true));
        g = spice(0, true, DOMAIN_SPICE_MODE_SECURE);
        CHECK(qemu_spice_wants_tls_port(&g, false));    /* then the check says TLS is off */
        g = spice(0, true, DOMAIN_SPICE_MODE_INSECURE);
        g.channel_modes[DOMAIN_SPICE_CHANNEL_MAIN] = DOMAIN_SPICE_MODE_SECURE;
        CHECK(qemu_spice_wants_tls_port(&g, false));
        g = spice(-1, false, DOMAIN_SPICE_MODE_ANY);
        CHECK(qemu_spice_wants_tls_port(&g, false));
        g = spice(5904, false, DOMAIN_SPICE_MODE_ANY);
        CHECK(!qemu_spice_wants_tls_port(&g, true));    /* its own port */
        g = spice(0, true, DOMAIN_SPICE_MODE_ANY);
        g.type = DOMAIN_GRAPHICS_VNC;
        CHECK(!qemu_spice_wants_tls_port(&g, true));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(p);
}

static void touch(const char *dir, const char *name) {
        _cleanup_free_ char *p = NULL;

        CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
        if (p)
                CHECK(write_file_atomic(p, "x", 1, 0600) == 0);
}

static void test_check(void) {
        _cleanup_free_ char *xml = domain_with(NULL, tls_graphics);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "spice tls");
        char root[] = "/tmp/vbtest-spice-tls-XXXXXX";
        QemuSpiceTls t;
        ConfError err = {};

        if (!def || !mkdtemp(root)) {
                CHECK(!"setup");
                return;
        }
        qemu_spice_tls_init(&t);
        CHECK(streq(t.dir, "/etc/pki/libvirt-spice"));
        CHECK(qemu_spice_tls_check(&t, def, &err) == -EINVAL);
        CHECK_CONTAINS(err.message, "TLS is disabled in qemud.conf (spice_tls = 1)");
        CHECK(qemu_spice_tls_apply(&t, "spice_tls", "1") == 0);
        CHECK(qemu_spice_tls_apply(&t, "spice_tls", "yes") == -EINVAL);
        CHECK_CONTAINS(t.bad, "spice_tls = yes");
        CHECK(qemu_spice_tls_apply(&t, "spice_tls_x509_cert_dir", "relative") == -EINVAL);
        CHECK(qemu_spice_tls_apply(&t, "other_key", "x") == 0);
        snprintf(t.dir, sizeof(t.dir), "%s/missing", root);
        err = (ConfError) {};
        CHECK(qemu_spice_tls_check(&t, def, &err) == -ENOENT);
        CHECK_CONTAINS(err.message, "SPICE TLS certificate directory");
        CHECK_CONTAINS(err.message, "/missing (spice_tls_x509_cert_dir in qemud.conf) is missing");
        CHECK(qemu_spice_tls_apply(&t, "spice_tls_x509_cert_dir", root) == 0);
        touch(root, "ca-cert.pem");
        touch(root, "server-key.pem");
        err = (ConfError) {};
        CHECK(qemu_spice_tls_check(&t, def, &err) == -ENOENT);
        CHECK_CONTAINS(err.message, "/server-cert.pem (spice_tls_x509_cert_dir");
        touch(root, "server-cert.pem");
        CHECK(qemu_spice_tls_check(&t, def, &err) == 0);
        nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

UNIT_TESTS(test_round_trip, test_refused, test_wants_tls_port, test_check)
