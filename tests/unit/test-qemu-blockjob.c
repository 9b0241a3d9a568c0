/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of qemud's block jobs: job ids, the status an event
 * gives a job, and the backing chain read from qcow2 headers. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* cur == end means "ready to pivot" to libvirt's clients (virsh blockjob
 * --wait, the bench): only once QEMU says ready. */
static void test_info_cur(void) {
        CHECK_INTEQ(qemu_blockjob_info_cur(100, 100, true), 100);
        CHECK_INTEQ(qemu_blockjob_info_cur(100, 100, false), 99);
        CHECK_INTEQ(qemu_blockjob_info_cur(50, 100, false), 50);
        CHECK_INTEQ(qemu_blockjob_info_cur(0, 0, false), 0);
        CHECK_INTEQ(qemu_blockjob_info_cur(101, 100, false), 99);
}

static int sh(const char *cmd) {
        return system(cmd);
}

/* top.qcow2 -> mid.qcow2 (both named relative to their directory) ->
 * base.raw; a raw image has an empty chain; a missing one an error. */
static void test_read_chain(void) {
        char dir[] = "/tmp/test-blockjob-XXXXXX", cmd[1024], mid[256], base[256];
        DomainDiskDef disk = { .format = DOMAIN_DISK_FORMAT_QCOW2 };

        if (sh("qemu-img --version >/dev/null 2>&1") != 0)
                UNIT_SKIP("qemu-img is not installed");
        CHECK(mkdtemp(dir) != NULL);
        snprintf(cmd, sizeof(cmd),
                 "cd %s && qemu-img create -q -f raw base.raw 1M && "
                 "qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && "
                 "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2", dir);
        CHECK_INTEQ(sh(cmd), 0);
        snprintf(mid, sizeof(mid), "%s/mid.qcow2", dir);
        snprintf(base, sizeof(base), "%s/base.raw", dir);

        CHECK(asprintf(&disk.src, "%s/top.qcow2", dir) > 0);
        CHECK_INTEQ(qemu_blockjob_read_chain(&disk), 0);
        CHECK(disk.backing_known);
        CHECK_INTEQ(disk.n_backing, 2);
        if (disk.n_backing == 2) {
                CHECK_STREQ(disk.backing[0].path, mid);
                CHECK_INTEQ(disk.backing[0].format, DOMAIN_DISK_FORMAT_QCOW2);
                CHECK_INTEQ(disk.backing[0].index, 1);
                CHECK_STREQ(disk.backing[1].path, base);
                CHECK_INTEQ(disk.backing[1].format, DOMAIN_DISK_FORMAT_RAW);
                CHECK_INTEQ(disk.backing[1].index, 2);
                CHECK_INTEQ(disk.backing[1].type, DOMAIN_DISK_TYPE_FILE);
        }
        /* a raw image: known, nothing under it */
        free(disk.src);
        disk.src = strdup(base);
        disk.format = DOMAIN_DISK_FORMAT_RAW;
        CHECK_INTEQ(qemu_blockjob_read_chain(&disk), 0);
        CHECK(disk.backing_known && disk.n_backing == 0);
        /* a qcow2 image that is not there: not known */
        free(disk.src);
        disk.src = strdup("/nonexistent/x.qcow2");
        disk.format = DOMAIN_DISK_FORMAT_QCOW2;
        CHECK(qemu_blockjob_read_chain(&disk) < 0);
        CHECK(!disk.backing_known);
        domain_disk_clear_backing(&disk);
        free(disk.src);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) sh(cmd);
}

UNIT_TESTS(test_ids, test_foreign_ids, test_event_status, test_info_cur, test_read_chain)
