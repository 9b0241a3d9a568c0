/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vxhs and sheepdog disks: defined (test-qemu-validate), built as libvirt
 * builds them (golden files disk-network-vxhs and -sheepdog), and their
 * start refused when QEMU's blockdev-add has no driver for them: here the
 * start check on capabilities such as the probe finds, and vxhs's
 * qemud.conf settings. */

#include "domain-test.h"
#include "qemu-disk-legacy.h"

#define NETDISK(dst, src) "<disk type='network' device='disk'>" src "<target dev='" dst "' bus='virtio'/></disk>"

static char *drivers_72[] = { (char *) "file", (char *) "nbd", (char *) "raw", (char *) "rbd", NULL };
static const QemuCaps caps_72 = { .binary = (char *) "/usr/bin/qemu-system-x86_64",
                                  .blockdev_drivers = drivers_72, .blockdev_drivers_known = true };

static int check(const char *devices, const char *top, const QemuCaps *caps, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(top, devices);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "a network disk");

        return def ? qemu_disk_drivers_check(def, caps, err) : -EINVAL;
}

static void test_start_refused_without_driver(void) {
        ConfError err = {};

        CHECK_INTEQ(check(NETDISK("vda", "<source protocol='nbd' name='e'><host name='h'/></source>") NETDISK(
                                  "vdb", "<source protocol='vxhs' name='v'><host name='h'/></source>"),
                          NULL, &caps_72, &err),
                    -EOPNOTSUPP);
        CHECK_STREQ(err.name, VB_ERROR_NOT_SUPPORTED);
        CHECK_STREQ(err.message, "unsupported configuration: disk 'vdb': network protocol 'vxhs' is not supported "
                                 "with this QEMU binary: /usr/bin/qemu-system-x86_64 has no 'vxhs' block driver");
        err = (ConfError) {};
        CHECK_INTEQ(check(NETDISK("vdc", "<source protocol='sheepdog' name='v'><host name='h'/></source>"), NULL,
                          &caps_72, &err),
                    -EOPNOTSUPP);
        CHECK(strstr(err.message, "disk 'vdc': network protocol 'sheepdog'"));
        err = (ConfError) {};
        /* a backing layer's and the NVRAM's sources too */
        CHECK_INTEQ(check(NETDISK("vdd", "<source protocol='nbd' name='e'><host name='h'/></source>"
                                  "<driver name='qemu' type='qcow2'/><backingStore type='network' index='1'>"
                                  "<format type='raw'/><source protocol='sheepdog' name='base'>"
                                  "<host name='h'/></source></backingStore>"),
                          NULL, &caps_72, &err),
                    -EOPNOTSUPP);
        CHECK(strstr(err.message, "disk 'vdd': network protocol 'sheepdog'"));
        err = (ConfError) {};
        err = (ConfError) {};
}

static void test_start_allowed(void) {
        char *with[] = { (char *) "nbd", (char *) "sheepdog", (char *) "vxhs", NULL };
        QemuCaps old = { .binary = (char *) "/q", .blockdev_drivers = with, .blockdev_drivers_known = true };
        QemuCaps unknown = { .binary = (char *) "/q" };
        const char *disks = NETDISK("vda", "<source protocol='sheepdog' name='v'><host name='h'/></source>")
                NETDISK("vdb", "<source protocol='vxhs' name='v'><host name='h'/></source>");
        ConfError err = {};

        /* a QEMU that has them (libvirt's QEMU 6.0 for sheepdog) */
        CHECK_INTEQ(check(disks, NULL, &old, &err), 0);
        /* a capability cache without the schema: QEMU decides */
        CHECK_INTEQ(check(disks, NULL, &unknown, &err), 0);
        /* other protocols are not this check's */
        CHECK_INTEQ(check(NETDISK("vda", "<source protocol='nbd' name='e'><host name='h'/></source>"), NULL,
                          &caps_72, &err),
                    0);
}

static void test_vxhs_tls_settings(void) {
        QemuVxhsTls t = {};

        CHECK_INTEQ(qemu_vxhs_tls_apply(&t, "vxhs_tls", "1"), 0);
        CHECK(t.enabled);
        CHECK_INTEQ(qemu_vxhs_tls_apply(&t, "vxhs_tls_x509_cert_dir", "/etc/pki/vx"), 0);
        CHECK_STREQ(t.dir, "/etc/pki/vx");
        CHECK_INTEQ(qemu_vxhs_tls_apply(&t, "nbd_tls", "yes"), 0); /* not its key */
        CHECK_INTEQ(qemu_vxhs_tls_apply(&t, "vxhs_tls", "yes"), -EINVAL);
        CHECK_STREQ(t.bad, "vxhs_tls = yes (0 or 1)");
        CHECK_INTEQ(qemu_vxhs_tls_apply(&t, "vxhs_tls_x509_cert_dir", "pki"), -EINVAL);
}

UNIT_TESTS(test_start_refused_without_driver, test_start_allowed, test_vxhs_tls_settings)
