/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secrets qemud hands QEMU: the AES-256-CBC encryption QEMU's secret
 * objects (keyid, iv) undo, with PKCS#7 padding; the secret references of
 * a definition and their object ids; qemud's rules for <auth> and
 * <encryption>. (The golden file disk-secrets shows the command line; the
 * booted test in test_qemud_secrets.py, a guest reading a LUKS disk.) */
#include <gnutls/crypto.h>

#include "qemu-command-secret.h"
#include "qemu-refuse-test.h"
#include "qemu-secrets.h"
#include "unit.h"
#include "util.h"

static void test_encrypt_round_trip(void) {
        uint8_t key[32], iv[16], *enc = NULL;
        size_t n = 0;

        for (int i = 0; i < 32; i++)
                key[i] = (uint8_t) i;
        for (int i = 0; i < 16; i++)
                iv[i] = (uint8_t) (0xa0 + i);
        for (size_t len = 0; len <= 33; len += 11) {
                char text[64];
                uint8_t dec[64];
                gnutls_datum_t k = { key, 32 }, v = { iv, 16 };
                gnutls_cipher_hd_t h;

                memset(text, 'x', sizeof(text));
                CHECK(qemu_secret_encrypt(key, iv, text, len, &enc, &n) == 0);
                /* always a whole block of padding more than fits */
                CHECK(n == (len / 16 + 1) * 16);
                CHECK(memcmp(enc, text, MIN(len, n)) != 0 || len == 0);
                CHECK(gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_256_CBC, &k, &v) == 0);
                CHECK(gnutls_cipher_decrypt2(h, enc, n, dec, n) == 0);
                gnutls_cipher_deinit(h);
                CHECK(memcmp(dec, text, len) == 0);
                for (size_t i = len; i < n; i++)
                        CHECK(dec[i] == n - len);
                free(enc);
        }
}

static int count_ref(void *userdata, const DomainDiskDef *disk, const DomainSecretRef *ref, const char *id) {
        char ***ids = userdata;

        return strv_extend(ids, id);
}

static void test_refs(void) {
        static const char xml[] =
                "<domain type='qemu'><name>s</name><memory>65536</memory><os><type>hvm</type></os><devices>"
                "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a.qcow2'/>"
                "<target dev='vda' bus='virtio'/><alias name='virtio-disk0'/>"
                "<encryption format='luks'><secret type='passphrase' usage='/a.qcow2'/></encryption></disk>"
                "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
                "<source protocol='iscsi' name='iqn.2000-01.org.example:t/1'><host name='h'/>"
                "<auth username='u'><secret type='iscsi' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80e80'/></auth>"
                "</source><target dev='vdb' bus='virtio'/><alias name='virtio-disk1'/></disk>"
                "</devices></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        ConfError err = {};

        CHECK(domain_def_parse(xml, strlen(xml), &def, &err) == 0);
        if (!def) {
                fprintf(stderr, "  %s\n", err.message);
                return;
        }
        CHECK(qemu_disk_secret_refs(def, count_ref, &ids) == 0);
        CHECK(strv_length(ids) == 2);
        CHECK_STREQ(ids[0], "virtio-disk0-encryption-secret0");
        CHECK_STREQ(ids[1], "virtio-disk1-auth-secret0");
        CHECK(domain_secret_ref_usage_type(&def->disks[0].encryption->secret) == 1);
        CHECK(domain_secret_ref_usage_type(&def->disks[1].auth->secret) == 3);
        CHECK(qemu_validate_disk_secrets(&def->disks[0], &err) == 0);
        CHECK(qemu_validate_disk_secrets(&def->disks[1], &err) == 0);
}

#define SDISK(type, inner) \
        "<disk type='file' device='disk'><driver name='qemu' type='" type "'/><source file='/a'/>" \
        "<target dev='vda' bus='virtio'/>" inner "</disk>"

static void test_rules(void) {
        QEMU_REFUSED("", SDISK("raw", "<encryption format='qcow'><secret type='passphrase' usage='/a'/></encryption>"),
                     VB_ERROR_NOT_SUPPORTED, "old qcow/qcow2 encryption");
        QEMU_REFUSED("", SDISK("raw", "<encryption format='luks2'/>"), VB_ERROR_NOT_SUPPORTED, "'luks2'");
        QEMU_REFUSED("", SDISK("raw", "<encryption format='luks' engine='librbd'/>"), VB_ERROR_NOT_SUPPORTED, "librbd");
        QEMU_REFUSED("", SDISK("vmdk", "<encryption format='luks'/>"), VB_ERROR_NOT_SUPPORTED, "vmdk");
        QEMU_REFUSED("", SDISK("raw", "<auth username='u'><secret type='iscsi' usage='x'/></auth>"),
                     VB_ERROR_NOT_SUPPORTED, "<auth> is supported only for network disks");
        QEMU_REFUSED("", SDISK("raw", "<encryption format='luks'><secret type='volume' usage='x'/></encryption>"),
                     VB_ERROR_NOT_SUPPORTED, "'volume'");
        QEMU_REFUSED("", SDISK("raw", "<encryption format='luks'><secret type='passphrase'/></encryption>"),
                     VB_ERROR_XML, "either secret uuid or usage");
        QEMU_REFUSED("", SDISK("raw", "<encryption format='luks'><cipher name='aes' size='256'/></encryption>"),
                     VB_ERROR_NOT_SUPPORTED, "cipher");
        QEMU_REFUSED("",
                     "<disk type='network' device='disk'><source protocol='rbd' name='p/i'><host name='h'/>"
                     "<auth username='u'><secret type='iscsi' usage='x'/></auth></source>"
                     "<target dev='vda' bus='virtio'/></disk>",
                     VB_ERROR_INVALID_ARG, "does not fit protocol 'rbd'");
}

UNIT_TESTS(test_encrypt_round_trip, test_refs, test_rules)
