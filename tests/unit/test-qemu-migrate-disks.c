/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copied storage's pure parts (qemud/qemu-migrate-disks.c): which disks a
 * NON_SHARED migration copies, and the size an image shows its guest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manager.h"
#include "qemu-migrate-internal.h"
#include "unit.h"
#include "util.h"

static const char *xml =
        "<domain type='qemu'><name>g</name><memory>65536</memory><os><type>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/a.raw'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><source file='/b.raw'/><target dev='vdb' bus='virtio'/><readonly/></disk>"
        "<disk type='file' device='cdrom'><source file='/c.iso'/><target dev='sda' bus='sata'/></disk>"
        "<disk type='file' device='disk'><source file='/d.raw'/><target dev='vdc' bus='virtio'/></disk>"
        "</devices></domain>";

static DomainDef *def_of(void) {
        DomainDef *def = NULL;
        ConfError err = {};

        CHECK_INTEQ(domain_def_parse(xml, strlen(xml), &def, &err), 0);
        return def;
}

static void test_select(void) {
        _cleanup_(domain_def_freep) DomainDef *def = def_of();
        char **sel = NULL, msg[256] = "";
        char *one[] = { (char *) "vdc", NULL }, *unknown[] = { (char *) "vdz", NULL };
        char *ro[] = { (char *) "vdb", NULL };

        /* by default each writable disk, no cdrom */
        CHECK_INTEQ(migration_disks_select(def, NULL, &sel, msg, sizeof(msg)), 0);
        CHECK(sel && strv_length(sel) == 2);
        CHECK_STREQ(sel[0], "vda");
        CHECK_STREQ(sel[1], "vdc");
        sel = strv_free_null(sel);
        /* migrate_disks: only those */
        CHECK_INTEQ(migration_disks_select(def, one, &sel, msg, sizeof(msg)), 0);
        CHECK(sel && strv_length(sel) == 1);
        CHECK_STREQ(sel[0], "vdc");
        sel = strv_free_null(sel);
        CHECK_INTEQ(migration_disks_select(def, unknown, &sel, msg, sizeof(msg)), -ENOENT);
        CHECK(strstr(msg, "'vdz'") != NULL);
        CHECK_INTEQ(migration_disks_select(def, ro, &sel, msg, sizeof(msg)), -EINVAL);
        CHECK(strstr(msg, "'vdb'") != NULL);
}

static void test_capacity(void) {
        char path[] = "/tmp/vb-unit-capXXXXXX";
        unsigned char qcow[104] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
        uint64_t cap = 0;
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        CHECK(ftruncate(fd, 12345) == 0);
        CHECK_INTEQ(migration_image_capacity(path, &cap), 0);
        CHECK(cap == 12345);
        /* a qcow2 header: its virtual size (1 GiB), not the file's */
        qcow[24 + 4] = 0x40;
        CHECK(pwrite(fd, qcow, sizeof(qcow), 0) == (ssize_t) sizeof(qcow));
        CHECK_INTEQ(migration_image_capacity(path, &cap), 0);
        CHECK(cap == (1ULL << 30));
        close(fd);
        unlink(path);
        CHECK_INTEQ(migration_image_capacity(path, &cap), -ENOENT);
}

UNIT_TESTS(test_select, test_capacity)
