/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The save image: what Save, ManagedSave and Restore read and write.
 *
 *   offset 0   the header, 64 bytes, little-endian:
 *     0  magic       16 bytes: "VirtbusQemuSave\n" once complete,
 *                    "VirtbusQemuPart\n" while QEMU still writes
 *     16 version     u32, 1
 *     20 xml_len     u32, the domain XML's length (no NUL)
 *     24 xml_space   u32, bytes kept for the XML (xml_len <= xml_space), so
 *                    DomainSaveImageDefineXML can change it in place
 *     28 format      u32, the compression of the data (QemuSaveFormat)
 *     32 flags       u32, QEMU_SAVE_IMAGE_WAS_RUNNING
 *     36 reserved    u32, 0
 *     40 data_len    u64, bytes of data after data_offset (0 while partial)
 *     48 reserved    16 bytes, 0
 *   offset 64  the XML, then zeros up to data_offset = 64 + xml_space
 *              (a multiple of 4096)
 *   data_offset: QEMU's migration stream, compressed as format says.
 *
 * A header that is not complete, or a file shorter than data_offset +
 * data_len, is refused naming what is wrong. Pure functions, tested in
 * tests/unit/test-qemu-save-image.c. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_SAVE_IMAGE_HEADER_SIZE 64
#define QEMU_SAVE_IMAGE_VERSION 1
#define QEMU_SAVE_IMAGE_ALIGN 4096
#define QEMU_SAVE_IMAGE_XML_MAX (16u * 1024 * 1024)

typedef enum QemuSaveFormat {
        QEMU_SAVE_FORMAT_RAW,
        QEMU_SAVE_FORMAT_GZIP,
        QEMU_SAVE_FORMAT_ZSTD,
        QEMU_SAVE_FORMAT_XZ,
        _QEMU_SAVE_FORMAT_MAX,
} QemuSaveFormat;

enum {
        QEMU_SAVE_IMAGE_WAS_RUNNING = 1 << 0,
};

typedef struct QemuSaveHeader {
        bool complete;
        uint32_t version;
        uint32_t xml_len;
        uint32_t xml_space;
        uint32_t format;
        uint32_t flags;
        uint64_t data_len;
} QemuSaveHeader;

const char *qemu_save_format_to_string(QemuSaveFormat f);
int qemu_save_format_from_string(const char *s);
/* The program that compresses (decompress false) or expands data of f on
 * stdin to stdout: argv, NULL for raw. */
const char *const *qemu_save_format_argv(QemuSaveFormat f, bool decompress);

/* Where the data starts for an XML of xml_len bytes (room left to grow). */
uint32_t qemu_save_xml_space(size_t xml_len);
static inline uint64_t qemu_save_data_offset(const QemuSaveHeader *h) {
        return QEMU_SAVE_IMAGE_HEADER_SIZE + (uint64_t) h->xml_space;
}

void qemu_save_header_encode(const QemuSaveHeader *h, uint8_t out[QEMU_SAVE_IMAGE_HEADER_SIZE]);
/* 0, or -EBADMSG (not a save image), -EPROTO (a version we do not know),
 * -EINVAL (fields out of range), -EINPROGRESS (a partial image). */
int qemu_save_header_decode(const uint8_t *buf, size_t len, QemuSaveHeader *ret);

/* Reads and checks the header and the XML of the image open as fd;
 * file_size is checked against the data. ret_xml is NUL-terminated.
 * -ENODATA: truncated. Other errors as qemu_save_header_decode, or -errno. */
int qemu_save_image_read(int fd, QemuSaveHeader *ret, char **ret_xml);
/* Writes header and xml at the start of fd (xml_space must hold it). */
int qemu_save_image_write_head(int fd, const QemuSaveHeader *h, const char *xml);
/* A sentence for an error of qemu_save_image_read(). */
const char *qemu_save_image_strerror(int r);
