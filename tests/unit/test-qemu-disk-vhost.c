/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemud's rules for the disks of helper processes: a vhostuser disk needs
 * the guest's RAM shared (libvirt's
 * qemuValidateDomainDefVhostUserRequireSharedMemory). And bus='sd':
 * libvirt's refusals, its round trip. */

#include "domain-test.h"
#include "qemu-validate.h"

static int qemu_check(const char *top, const char *devices, ConfError *err) {
        _cleanup_free_ char *xml = domain_with(top, devices);
        _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, "QEMU input") : NULL;

        if (!def)
                return -EINVAL;
        return domain_def_validate(def, err) ?: qemu_validate_def(def, err);
}

static void expect_refused(const char *top, const char *devices, const char *needle) {
        ConfError err = {};

        CHECK(qemu_check(top, devices, &err) < 0);
        CHECK_STREQ(err.name, VB_ERROR_NOT_SUPPORTED);
        if (!strstr(err.message, needle)) {
                fprintf(stderr, "  %s: got \"%s\", expected \"%s\"\n", unit_current, err.message, needle);
                unit_failed_checks++;
        }
}

#define VU "<disk type='vhostuser' device='disk'><source type='unix' path='/run/vu.sock'/>" \
           "<target dev='vda' bus='virtio'/></disk>"
#define CELL(access) "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'" access "/></numa></cpu>"

static void test_vhostuser_shared_memory(void) {
        ConfError err = {};

        CHECK(qemu_check("<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>", VU,
                         &err) >= 0);
        CHECK(qemu_check(CELL(" memAccess='shared'"), VU, &err) >= 0);
        CHECK(qemu_check("<memoryBacking><access mode='shared'/></memoryBacking>" CELL(""), VU, &err) >= 0);
        expect_refused(NULL, VU, "disk 'vda': 'vhostuser' requires shared memory");
        expect_refused(CELL(""), VU, "'vhostuser' requires shared memory");
        expect_refused("<memoryBacking><access mode='shared'/></memoryBacking>" CELL(" memAccess='private'"), VU,
                       "'vhostuser' requires shared memory");
}

#define SD(extra, device) "<disk type='file' device='" device "'><source file='/srv/card.img'/>" \
                                "<target dev='sda' bus='sd'/>" extra "</disk>"

static void test_sd(void) {
        _cleanup_free_ char *xml = domain_with(NULL, SD("<readonly/>", "disk"));
        _cleanup_(domain_def_freep) DomainDef *def = xml ? parse_ok(xml, "sd") : NULL;
        _cleanup_free_ char *out = NULL;
        ConfError err = {};

        CHECK(def && domain_def_validate(def, &err) >= 0 && qemu_validate_def(def, &err) >= 0);
        if (def) {
                CHECK(def->disks[0].bus == DOMAIN_DISK_BUS_SD);
                out = format_ok(def, 0);
                CHECK(out && strstr(out, "<target dev='sda' bus='sd'/>"));
        }
        expect_refused(NULL, SD("<serial>S1</serial>", "disk"), "Serial property not supported for drive bus 'sd'");
        expect_refused(NULL, SD("<geometry cyls='1' heads='1' secs='1'/>", "disk"),
                       "CHS geometry can not be set for 'sd' bus");
        expect_refused(NULL, SD("", "cdrom"), "does not support ejectable media");
}

UNIT_TESTS(test_vhostuser_shared_memory, test_sd)
