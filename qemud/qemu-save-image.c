/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The save image's header (the layout is in qemu-save-image.h). */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "qemu-save-image.h"
#include "util.h"

static const char magic_complete[16] = "VirtbusQemuSave\n";
static const char magic_partial[16] = "VirtbusQemuPart\n";

static const char *const format_names[_QEMU_SAVE_FORMAT_MAX] = {
        [QEMU_SAVE_FORMAT_RAW] = "raw",
        [QEMU_SAVE_FORMAT_GZIP] = "gzip",
        [QEMU_SAVE_FORMAT_ZSTD] = "zstd",
        [QEMU_SAVE_FORMAT_XZ] = "xz",
};

const char *qemu_save_format_to_string(QemuSaveFormat f) {
        return f < _QEMU_SAVE_FORMAT_MAX ? format_names[f] : NULL;
}

int qemu_save_format_from_string(const char *s) {
        for (int i = 0; s && i < _QEMU_SAVE_FORMAT_MAX; i++)
                if (streq(s, format_names[i]))
                        return i;
        return -EINVAL;
}

const char *const *qemu_save_format_argv(QemuSaveFormat f, bool decompress) {
        /* Fast levels: a save is about stopping the guest quickly. */
        static const char *const gzip_c[] = { "gzip", "-c", "-1", NULL }, *const gzip_d[] = { "gzip", "-dc", NULL };
        static const char *const zstd_c[] = { "zstd", "-c", "-q", "-1", NULL },
                          *const zstd_d[] = { "zstd", "-dc", "-q", NULL };
        static const char *const xz_c[] = { "xz", "-c", "-1", NULL }, *const xz_d[] = { "xz", "-dc", NULL };

        switch (f) {
        case QEMU_SAVE_FORMAT_GZIP:
                return decompress ? gzip_d : gzip_c;
        case QEMU_SAVE_FORMAT_ZSTD:
                return decompress ? zstd_d : zstd_c;
        case QEMU_SAVE_FORMAT_XZ:
                return decompress ? xz_d : xz_c;
        default:
                return NULL;
        }
}

uint32_t qemu_save_xml_space(size_t xml_len) {
        /* Room for the XML to grow by a page at least (DefineXML). */
        uint64_t end = QEMU_SAVE_IMAGE_HEADER_SIZE + (uint64_t) xml_len + QEMU_SAVE_IMAGE_ALIGN;

        end = (end + QEMU_SAVE_IMAGE_ALIGN - 1) / QEMU_SAVE_IMAGE_ALIGN * QEMU_SAVE_IMAGE_ALIGN;
        return (uint32_t) (end - QEMU_SAVE_IMAGE_HEADER_SIZE);
}

static void put32(uint8_t *p, uint32_t v) {
        v = htole32(v);
        memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v) {
        v = htole64(v);
        memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return le32toh(v);
}

static uint64_t get64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return le64toh(v);
}

void qemu_save_header_encode(const QemuSaveHeader *h, uint8_t out[QEMU_SAVE_IMAGE_HEADER_SIZE]) {
        memset(out, 0, QEMU_SAVE_IMAGE_HEADER_SIZE);
        memcpy(out, h->complete ? magic_complete : magic_partial, 16);
        put32(out + 16, h->version ? h->version : QEMU_SAVE_IMAGE_VERSION);
        put32(out + 20, h->xml_len);
        put32(out + 24, h->xml_space);
        put32(out + 28, h->format);
        put32(out + 32, h->flags);
        put64(out + 40, h->data_len);
}

int qemu_save_header_decode(const uint8_t *buf, size_t len, QemuSaveHeader *ret) {
        QemuSaveHeader h = {};

        if (len < QEMU_SAVE_IMAGE_HEADER_SIZE)
                return -EBADMSG;
        if (memcmp(buf, magic_complete, 16) == 0)
                h.complete = true;
        else if (memcmp(buf, magic_partial, 16) != 0)
                return -EBADMSG;
        h.version = get32(buf + 16);
        h.xml_len = get32(buf + 20);
        h.xml_space = get32(buf + 24);
        h.format = get32(buf + 28);
        h.flags = get32(buf + 32);
        h.data_len = get64(buf + 40);
        if (h.version != QEMU_SAVE_IMAGE_VERSION)
                return -EPROTO;
        if (h.xml_len == 0 || h.xml_len > h.xml_space || h.xml_space > QEMU_SAVE_IMAGE_XML_MAX ||
            h.format >= _QEMU_SAVE_FORMAT_MAX)
                return -EINVAL;
        if (!h.complete)
                return -EINPROGRESS;
        *ret = h;
        return 0;
}

static int pread_full(int fd, void *buf, size_t len, off_t off) {
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, off + (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ENODATA;
                done += (size_t) n;
        }
        return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, off_t off) {
        size_t done = 0;

        while (done < len) {
                ssize_t n = pwrite(fd, (const uint8_t *) buf + done, len - done, off + (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        return 0;
}

int qemu_save_image_read(int fd, QemuSaveHeader *ret, char **ret_xml) {
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];
        QemuSaveHeader h;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = pread_full(fd, buf, sizeof(buf), 0);
        if (r == -ENODATA)
                return (size_t) st.st_size >= 16 && memcmp(buf, magic_complete, 16) == 0 ? -ENODATA : -EBADMSG;
        if (r < 0)
                return r;
        r = qemu_save_header_decode(buf, sizeof(buf), &h);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size < qemu_save_data_offset(&h) + h.data_len)
                return -ENODATA;
        if (ret_xml) {
                _cleanup_free_ char *xml = malloc(h.xml_len + 1);
                if (!xml)
                        return -ENOMEM;
                r = pread_full(fd, xml, h.xml_len, QEMU_SAVE_IMAGE_HEADER_SIZE);
                if (r < 0)
                        return r;
                xml[h.xml_len] = 0;
                if (strlen(xml) != h.xml_len)
                        return -EINVAL;
                *ret_xml = TAKE_PTR(xml);
        }
        if (ret)
                *ret = h;
        return 0;
}

int qemu_save_image_write_head(int fd, const QemuSaveHeader *h, const char *xml) {
        uint8_t buf[QEMU_SAVE_IMAGE_HEADER_SIZE];
        size_t len = strlen(xml);
        _cleanup_free_ char *space = NULL;

        if (len != h->xml_len || len > h->xml_space)
                return -E2BIG;
        space = calloc(1, h->xml_space);
        if (!space)
                return -ENOMEM;
        memcpy(space, xml, len);
        qemu_save_header_encode(h, buf);
        int r = pwrite_full(fd, buf, sizeof(buf), 0);
        if (r >= 0)
                r = pwrite_full(fd, space, h->xml_space, QEMU_SAVE_IMAGE_HEADER_SIZE);
        return r;
}

const char *qemu_save_image_strerror(int r) {
        switch (r) {
        case -EBADMSG:
                return "not a virtbus save image";
        case -EPROTO:
                return "a save image version this qemud does not know";
        case -EINVAL:
                return "the save image's header is damaged";
        case -EINPROGRESS:
                return "the save image is incomplete (its save never finished)";
        case -ENODATA:
                return "the save image is truncated";
        default:
                return strerror(-r);
        }
}
