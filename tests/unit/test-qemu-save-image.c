/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The save image header (qemud/qemu-save-image.c): round trip, the layout
 * byte for byte, and every way a file can fail to be a save image. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu-save-image.h"
#include "unit.h"

static const char *xml = "<domain type='qemu'><name>g</name></domain>";

static QemuSaveHeader sample(void) {
        QemuSaveHeader h = {
                .complete = true,
                .xml_len = (uint32_t) strlen(xml),
                .xml_space = qemu_save_xml_space(strlen(xml)),
                .format = QEMU_SAVE_FORMAT_ZSTD,
                .flags = QEMU_SAVE_IMAGE_WAS_RUNNING,
                .data_len = 8192,
        };
        return h;
}

static void test_round_trip(void) {
        QemuSaveHeader h = sample(), back;
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];

        qemu_save_header_encode(&h, buf);
        CHECK(memcmp(buf, "VirtbusQemuSave\n", 16) == 0);
        CHECK(buf[16] == 1 && buf[17] == 0);                  /* version, little-endian */
        CHECK(buf[28] == QEMU_SAVE_FORMAT_ZSTD);
        CHECK(buf[40] == 0x00 && buf[41] == 0x20);            /* data_len 8192 */
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), 0);
        CHECK(back.complete);
        CHECK_INTEQ(back.xml_len, h.xml_len);
        CHECK_INTEQ(back.xml_space, h.xml_space);
        CHECK_INTEQ(back.format, QEMU_SAVE_FORMAT_ZSTD);
        CHECK_INTEQ(back.flags, QEMU_SAVE_IMAGE_WAS_RUNNING);
        CHECK(back.data_len == 8192);
        CHECK_INTEQ(qemu_save_data_offset(&back) % QEMU_SAVE_IMAGE_ALIGN, 0);
}

static void test_refused(void) {
        QemuSaveHeader h = sample(), back;
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];

        qemu_save_header_encode(&h, buf);
        CHECK_INTEQ(qemu_save_header_decode(buf, 10, &back), -EBADMSG);
        buf[0] = 'X';
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), -EBADMSG);
        h.complete = false;
        qemu_save_header_encode(&h, buf);
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), -EINPROGRESS);
        h = sample();
        h.version = 7;
        qemu_save_header_encode(&h, buf);
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), -EPROTO);
        h = sample();
        h.xml_len = h.xml_space + 1;
        qemu_save_header_encode(&h, buf);
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), -EINVAL);
        h = sample();
        h.format = 9;
        qemu_save_header_encode(&h, buf);
        CHECK_INTEQ(qemu_save_header_decode(buf, sizeof(buf), &back), -EINVAL);
}

static void test_formats(void) {
        CHECK_INTEQ(qemu_save_format_from_string("raw"), QEMU_SAVE_FORMAT_RAW);
        CHECK_INTEQ(qemu_save_format_from_string("gzip"), QEMU_SAVE_FORMAT_GZIP);
        CHECK_INTEQ(qemu_save_format_from_string("zstd"), QEMU_SAVE_FORMAT_ZSTD);
        CHECK_INTEQ(qemu_save_format_from_string("xz"), QEMU_SAVE_FORMAT_XZ);
        CHECK_INTEQ(qemu_save_format_from_string("lzop"), -EINVAL);
        for (int f = 0; f < _QEMU_SAVE_FORMAT_MAX; f++)
                CHECK_INTEQ(qemu_save_format_from_string(qemu_save_format_to_string(f)), f);
        CHECK(qemu_save_format_argv(QEMU_SAVE_FORMAT_RAW, false) == NULL);
        CHECK_STREQ(qemu_save_format_argv(QEMU_SAVE_FORMAT_XZ, true)[1], "-dc");
}

/* A file: written, read back, then cut short. */
static void test_file(void) {
        char path[] = "/tmp/test-save-image-XXXXXX";
        int fd = mkstemp(path);
        QemuSaveHeader h = sample(), back;
        char *got = NULL;

        CHECK(fd >= 0);
        if (fd < 0)
                return;
        unlink(path);
        CHECK_INTEQ(qemu_save_image_write_head(fd, &h, xml), 0);
        /* The data is missing: truncated. */
        CHECK_INTEQ(qemu_save_image_read(fd, &back, &got), -ENODATA);
        CHECK(ftruncate(fd, (off_t) (qemu_save_data_offset(&h) + h.data_len)) == 0);
        CHECK_INTEQ(qemu_save_image_read(fd, &back, &got), 0);
        CHECK_STREQ(got, xml);
        free(got);
        got = NULL;
        CHECK(ftruncate(fd, (off_t) (qemu_save_data_offset(&h) + h.data_len - 1)) == 0);
        CHECK_INTEQ(qemu_save_image_read(fd, &back, &got), -ENODATA);
        CHECK(ftruncate(fd, 30) == 0);
        CHECK_INTEQ(qemu_save_image_read(fd, &back, &got), -ENODATA);
        CHECK(ftruncate(fd, 0) == 0);
        CHECK(write(fd, "hello, not an image, but long enough to have a header of 64 bytes ......", 70) == 70);
        CHECK_INTEQ(qemu_save_image_read(fd, &back, &got), -EBADMSG);
        /* An XML too big for its space is refused. */
        h.xml_len = h.xml_space + 1;
        CHECK_INTEQ(qemu_save_image_write_head(fd, &h, xml), -E2BIG);
        close(fd);
}

UNIT_TESTS(test_round_trip, test_refused, test_formats, test_file)
