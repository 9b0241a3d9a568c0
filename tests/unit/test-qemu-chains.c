/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files storaged is told a running guest reads (qemu-chains.h): each
 * disk's image (a volume's resolved path too), its layers and a mirror's
 * target, each once. */
#include "qemu-chains.h"
#include "unit.h"
#include "util.h"

static void test_list(void) {
        DomainDiskBacking layers[] = {
                { .type = DOMAIN_DISK_TYPE_FILE, .path = (char *) "/p/mid.qcow2", .index = 1 },
                { .type = DOMAIN_DISK_TYPE_FILE, .path = (char *) "/p/base.raw", .index = 2 },
        };
        DomainDiskMirror mirror = { .type = DOMAIN_DISK_TYPE_FILE, .path = (char *) "/p/copy.raw",
                                    .job = (char *) "copy" };
        DomainDiskMirror onto_base = { .type = DOMAIN_DISK_TYPE_FILE, .path = (char *) "/p/base.raw",
                                       .job = (char *) "active-commit" };
        DomainDiskDef disks[] = {
                { .type = DOMAIN_DISK_TYPE_FILE, .src = (char *) "/p/top.qcow2", .dst = (char *) "vda",
                  .backing = layers, .n_backing = 2, .mirror = &mirror },
                { .type = DOMAIN_DISK_TYPE_VOLUME, .src = (char *) "/pool/vol.raw", .dst = (char *) "vdb" },
                { .type = DOMAIN_DISK_TYPE_FILE, .dst = (char *) "hdc" },    /* an empty cdrom */
                { .type = DOMAIN_DISK_TYPE_FILE, .src = (char *) "/p/top2.qcow2", .dst = (char *) "vdc",
                  .backing = layers + 1, .n_backing = 1, .mirror = &onto_base },
        };
        DomainDef def = { .disks = disks, .n_disks = ELEMENTSOF(disks) };
        char **l = qemu_chains_list(&def);
        char *joined = strv_join(l, " ");

        CHECK_STREQ(joined, "/p/top.qcow2 /p/mid.qcow2 /p/base.raw /p/copy.raw /pool/vol.raw /p/top2.qcow2");
        free(joined);
        strv_free(l);

        def.n_disks = 0;
        l = qemu_chains_list(&def);
        CHECK(l && !l[0]);
        strv_free(l);
}

UNIT_TESTS(test_list)
