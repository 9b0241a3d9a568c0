/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <encryption engine='librbd'> of an rbd disk: kept and formatted back,
 * taken by the QEMU driver for rbd with LUKS or LUKS2 (Ceph decrypts;
 * QEMU's rbd "encrypt"), refused for other disks and formats with
 * libvirt's words. The command line is the golden file
 * disk-network-rbd-encryption (no Ceph here to start it on). */

#include "domain-test.h"
#include "qemu-validate.h"

#define ENC(format, engine) "<encryption format='" format "' engine='" engine "'>" \
                            "<secret type='passphrase' usage='img'/></encryption>"
#define RBD(driver, enc) "<disk type='network' device='disk'><driver name='qemu' type='" driver "'/>"        \
                         "<source protocol='rbd' name='pool/image'><host name='mon1.example.org'/>" enc   \
                         "</source><target dev='vda' bus='virtio'/></disk>"

static int qemu_check(const char *devices, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(NULL, devices);
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        int r = domain_def_parse(xml, strlen(xml), &def, err);

        return r < 0 ? r : qemu_validate_def(def, err);
}

static void test_taken(void) {
        static const char *const disks[] = {
                RBD("raw", ENC("luks", "librbd")), RBD("vmdk", ENC("luks2", "librbd")),
                RBD("qcow2", ENC("luks2", "librbd")),
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(disks); i++) {
                _cleanup_free_ char *xml = domain_with(NULL, disks[i]), *a = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "librbd");
                ConfError err = {};

                if (!def)
                        continue;
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                CHECK_CONTAINS(a, "engine='librbd'");
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                CHECK(qemu_validate_def(def, &err) == 0);
        }
}

static void refused(const char *devices, const char *needle, int line) {
        ConfError err = {};

        if (qemu_check(devices, &err) >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: expected a refusal naming \"%s\", got \"%s\"\n", line, needle,
                        err.message[0] ? err.message : "(accepted)");
                unit_failed_checks++;
        }
}

static void test_refused(void) {
        refused("<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/x.img'>"
                ENC("luks", "librbd") "</source><target dev='vda' bus='virtio'/></disk>",
                "librbd encryption is supported only with RBD backed disks", __LINE__);
        refused(RBD("raw", ENC("qcow", "librbd")), "only 'luks' or 'luks2'", __LINE__);
        /* QEMU's own LUKS has no LUKS2 */
        refused(RBD("raw", ENC("luks2", "qemu")), "<encryption format='luks2'> is currently not supported by the qemu encryption engine",
                __LINE__);
}

UNIT_TESTS(test_taken, test_refused)
