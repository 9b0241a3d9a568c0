/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of qemud's block jobs: job ids and the status an event
 * gives a job. */
#include <stdlib.h>

#include "qemu-blockjob.h"
#include "unit.h"
#include "util.h"

static void test_ids(void) {
        static const struct {
                int type;
                const char *dst, *id;
        } cases[] = {
                { DOMAIN_BLOCK_JOB_TYPE_PULL, "vda", "pull-vda" },
                { DOMAIN_BLOCK_JOB_TYPE_COPY, "sdb", "copy-sdb" },
                { DOMAIN_BLOCK_JOB_TYPE_COMMIT, "vdc", "commit-vdc" },
                { DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT, "hda", "activecommit-hda" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *id = qemu_blockjob_id(cases[i].type, cases[i].dst), *dst = NULL;
                int type = -1;

                CHECK_STREQ(id, cases[i].id);
                CHECK_INTEQ(qemu_blockjob_parse_id(id, &type, &dst), 0);
                CHECK_INTEQ(type, cases[i].type);
                CHECK_STREQ(dst, cases[i].dst);
                free(id);
                free(dst);
        }
        CHECK(!qemu_blockjob_id(DOMAIN_BLOCK_JOB_TYPE_UNKNOWN, "vda"));
        CHECK(!qemu_blockjob_id(99, "vda"));
        CHECK(!qemu_blockjob_id(DOMAIN_BLOCK_JOB_TYPE_PULL, NULL));
}

static void test_foreign_ids(void) {
        const char *foreign[] = { NULL, "", "pull", "pull-", "backup-vda", "copyx-vda", "drive-mirror0", "-vda" };
        for (size_t i = 0; i < ELEMENTSOF(foreign); i++) {
                char *dst = NULL;
                int type = -1;

                CHECK_INTEQ(qemu_blockjob_parse_id(foreign[i], &type, &dst), -EINVAL);
                CHECK(!dst);
        }
}

static void test_event_status(void) {
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_READY", false, false), DOMAIN_BLOCK_JOB_READY);
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_COMPLETED", false, false), DOMAIN_BLOCK_JOB_COMPLETED);
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_COMPLETED", true, false), DOMAIN_BLOCK_JOB_FAILED);
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_COMPLETED", true, true), DOMAIN_BLOCK_JOB_FAILED);
        /* a ready mirror cancelled ends as COMPLETED in QEMU: libvirt says CANCELED */
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_COMPLETED", false, true), DOMAIN_BLOCK_JOB_CANCELED);
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_CANCELLED", false, false), DOMAIN_BLOCK_JOB_CANCELED);
        CHECK_INTEQ(qemu_blockjob_event_status("BLOCK_JOB_ERROR", false, false), -1);
        CHECK_INTEQ(qemu_blockjob_event_status("JOB_STATUS_CHANGE", false, false), -1);
        /* libvirt's numbers */
        CHECK_INTEQ(DOMAIN_BLOCK_JOB_COMPLETED, 0);
        CHECK_INTEQ(DOMAIN_BLOCK_JOB_FAILED, 1);
        CHECK_INTEQ(DOMAIN_BLOCK_JOB_CANCELED, 2);
        CHECK_INTEQ(DOMAIN_BLOCK_JOB_READY, 3);
        CHECK_INTEQ(DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT, 4);
}

UNIT_TESTS(test_ids, test_foreign_ids, test_event_status)
