/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What storaged reads from disk and from its helpers: image headers and
 * backing chains (a declared raw file is never taken for qcow2), volume key
 * encoding in object paths, lvs/vgs output, mountinfo, qemu-img's JSON and
 * progress lines. */

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "bus-util.h"
#include "lvm.h"
#include "mountinfo.h"
#include "process.h"
#include "unit.h"
#include "util.h"
#include "vol-encrypt.h"
#include "vol-file.h"
#include "vol-probe.h"

static char tmpdir[] = "/tmp/test-storage-probe-XXXXXX";

static char *tmp(const char *name) {
        return path_join(tmpdir, name);
}

static bool have_qemu_img(void) {
        return access("/usr/bin/qemu-img", X_OK) == 0;
}

static int qemu_img_create(const char *path, const char *backing, const char *bfmt, const char *size) {
        char *argv[16] = { "/usr/bin/qemu-img", "create", "-q", "-f", "qcow2" };
        int n = 5, status = -1;

        if (backing) {
                if (size)
                        argv[n++] = "-u"; /* do not open it: it may not exist (yet) */
                argv[n++] = "-b";
                argv[n++] = (char *) backing;
                if (bfmt) {
                        argv[n++] = "-F";
                        argv[n++] = (char *) bfmt;
                }
        }
        argv[n++] = (char *) path;
        if (size)
                argv[n++] = (char *) size;
        argv[n] = NULL;
        if (process_run(argv, NULL, &status) < 0)
                return -1;
        return status;
}

static void write_bytes(const char *path, const void *data, size_t n, off_t size) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        CHECK(fd >= 0);
        CHECK(write(fd, data, n) == (ssize_t) n);
        if (size)
                CHECK(ftruncate(fd, size) == 0);
}

/* A minimal qcow2 v3 header with a backing name and format extension. */
static size_t make_qcow2(uint8_t *buf, size_t size, const char *backing, const char *bfmt) {
        size_t ext = 104, name_off;

        memset(buf, 0, size);
        memcpy(buf, "QFI\xfb", 4);
        buf[7] = 3;                                 /* version */
        buf[23] = 16;                               /* cluster_bits: 64 KiB */
        buf[24 + 4] = 0x40;                         /* size = 0x40 << 24 = 1 GiB */
        buf[80 + 7] = 1;                            /* compatible: lazy refcounts */
        buf[103] = 104;                             /* header_length */
        /* backing format extension */
        buf[ext + 0] = 0xE2, buf[ext + 1] = 0x79, buf[ext + 2] = 0x2A, buf[ext + 3] = 0xCA;
        buf[ext + 7] = (uint8_t) strlen(bfmt);
        memcpy(buf + ext + 8, bfmt, strlen(bfmt));
        name_off = ext + 8 + ((strlen(bfmt) + 7) & ~7U) + 8; /* after the end marker */
        buf[15] = (uint8_t) name_off;               /* backing_file_offset */
        buf[19] = (uint8_t) strlen(backing);        /* backing_file_size */
        memcpy(buf + name_off, backing, strlen(backing));
        return name_off + strlen(backing);
}

static void test_header_parse(void) {
        uint8_t buf[1024];
        ImageHeader h = {};
        size_t n = make_qcow2(buf, sizeof(buf), "base.img", "raw");

        CHECK(image_header_parse(buf, n, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(h.virtual_size, 1ULL << 30);
        CHECK_INTEQ(h.cluster_size, 65536);
        CHECK_STREQ(h.compat, "1.1");
        CHECK(h.lazy_refcounts);
        CHECK_STREQ(h.backing, "base.img");
        CHECK_INTEQ(h.backing_format, STORAGE_FORMAT_RAW);
        image_header_done(&h);

        /* The same bytes declared raw: nothing of qcow2 is read. */
        CHECK(image_header_parse_as(buf, n, STORAGE_FORMAT_RAW, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_RAW);
        CHECK(h.backing == NULL);
        CHECK_INTEQ(h.virtual_size, 0);
        image_header_done(&h);

        memset(buf, 0, sizeof(buf));
        memcpy(buf, "KDMV", 4);
        buf[12 + 1] = 0x10; /* 4096 sectors */
        CHECK(image_header_parse(buf, 512, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_VMDK);
        CHECK_INTEQ(h.virtual_size, 4096 * 512);
        image_header_done(&h);

        memset(buf, 0xab, sizeof(buf));
        CHECK(image_header_parse(buf, 512, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_RAW);
        image_header_done(&h);
        CHECK(image_header_parse(buf, 0, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_RAW);
        image_header_done(&h);
}

/* A LUKS file is a raw volume with LUKS encryption (libvirt says so too),
 * its capacity what follows the payload; qcow2's crypt_method 2 is LUKS. */
static void test_luks_headers(void) {
        uint8_t buf[1024] = "LUKS\xba\xbe";
        ImageHeader h = {};
        size_t n;

        buf[7] = 1;                    /* version 1 */
        buf[104 + 2] = 0x10;           /* payload offset 4096 sectors: 2 MiB */
        CHECK(image_header_parse(buf, sizeof(buf), &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_RAW);
        CHECK_INTEQ(h.encryption, STORAGE_ENC_LUKS);
        CHECK_INTEQ(h.payload_offset, 2 * 1024 * 1024);
        image_header_done(&h);
        CHECK(image_header_parse_as(buf, sizeof(buf), STORAGE_FORMAT_RAW, &h) == 0);
        CHECK_INTEQ(h.encryption, STORAGE_ENC_LUKS);
        image_header_done(&h);

        n = make_qcow2(buf, sizeof(buf), "b", "raw");
        CHECK(image_header_parse(buf, n, &h) == 0);
        CHECK_INTEQ(h.encryption, STORAGE_ENC_NONE);
        image_header_done(&h);
        buf[32 + 3] = 2;               /* crypt_method: LUKS */
        CHECK(image_header_parse(buf, n, &h) == 0);
        CHECK_INTEQ(h.format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(h.encryption, STORAGE_ENC_LUKS);
        image_header_done(&h);
}

/* qemu-img create's command line: the passphrase only as a file. */
static void test_encrypt_argv(void) {
        StorageVolDef def = { .format = STORAGE_FORMAT_QCOW2, .has_capacity = true, .capacity = 1 << 20,
                              .cluster_size = 65536 };
        VolRequest req = { .path = (char *) "/p/v.qcow2", .def = &def };
        _cleanup_free_ char *opts = NULL, *object = NULL, *size = NULL, *qcow2 = NULL, *raw = NULL;
        const char *argv[16];

        CHECK(vol_encrypt_argv(&req, "/run/s/vol-x", argv, ELEMENTSOF(argv), &opts, &object, &size) == 0);
        qcow2 = strv_join((char **) argv, " ");
        CHECK_STREQ(qcow2, "qemu-img create -q --object secret,id=sec0,file=/run/s/vol-x -f qcow2 -o "
                           "compat=1.1,cluster_size=65536,encrypt.format=luks,encrypt.key-secret=sec0 /p/v.qcow2 "
                           "1048576");
        opts = mfree(opts), object = mfree(object), size = mfree(size);
        def = (StorageVolDef) { .format = STORAGE_FORMAT_RAW, .has_capacity = true, .capacity = 4096 };
        req.path = (char *) "/p/v.raw";
        CHECK(vol_encrypt_argv(&req, "/run/s/vol-y", argv, ELEMENTSOF(argv), &opts, &object, &size) == 0);
        raw = strv_join((char **) argv, " ");
        CHECK_STREQ(raw, "qemu-img create -q --object secret,id=sec0,file=/run/s/vol-y -f luks -o key-secret=sec0 "
                         "/p/v.raw 4096");
}

/* qemu-img convert into an encrypted clone: a comma of the path doubled. */
static void test_encrypt_convert_argv(void) {
        StorageVolDef def = { .format = STORAGE_FORMAT_QCOW2 };
        VolRequest req = { .path = (char *) "/p/a,b.qcow2", .def = &def, .src_path = (char *) "/p/src.img",
                           .src_format = STORAGE_FORMAT_NONE };
        _cleanup_free_ char *object = NULL, *target = NULL, *qcow2 = NULL, *raw = NULL;
        const char *argv[16];

        CHECK(vol_encrypt_convert_argv(&req, "/run/s/vol-x", argv, ELEMENTSOF(argv), &object, &target) == 0);
        qcow2 = strv_join((char **) argv, " ");
        CHECK_STREQ(qcow2, "qemu-img convert -n --object secret,id=sec0,file=/run/s/vol-x -f raw /p/src.img "
                           "--target-image-opts driver=qcow2,file.filename=/p/a,,b.qcow2,encrypt.key-secret=sec0");
        object = mfree(object), target = mfree(target);
        def.format = STORAGE_FORMAT_RAW;
        req.path = (char *) "/p/v.raw";
        req.src_format = STORAGE_FORMAT_QCOW2;
        CHECK(vol_encrypt_convert_argv(&req, "/run/s/vol-y", argv, ELEMENTSOF(argv), &object, &target) == 0);
        raw = strv_join((char **) argv, " ");
        CHECK_STREQ(raw, "qemu-img convert -n --object secret,id=sec0,file=/run/s/vol-y -f qcow2 /p/src.img "
                         "--target-image-opts driver=luks,file.filename=/p/v.raw,key-secret=sec0");
}

static void test_resolve_backing(void) {
        _cleanup_free_ char *a = image_resolve_backing("/pool/vm.qcow2", "base.img");
        _cleanup_free_ char *b = image_resolve_backing("/pool/vm.qcow2", "/other/base.img");
        _cleanup_free_ char *c = image_resolve_backing("/pool/vm.qcow2", "../up/base.img");

        CHECK_STREQ(a, "/pool/base.img");
        CHECK_STREQ(b, "/other/base.img");
        CHECK_STREQ(c, "/pool/../up/base.img");
        CHECK(image_resolve_backing("/pool/vm.qcow2", "") == NULL);
}

/* A raw volume (declared) whose guest wrote a qcow2 header pointing at a
 * host file: still raw, and the "backing file" is never opened. */
static void test_declared_raw_wins(void) {
        _cleanup_free_ char *path = tmp("guest-wrote.img");
        _cleanup_close_ int fd = -1;
        uint8_t buf[1024];
        VolInfo info = {};
        size_t n = make_qcow2(buf, sizeof(buf), "/etc/shadow", "raw");

        write_bytes(path, buf, n, 4 << 20);
        fd = open(path, O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0);
        if (vol_format_set_declared(fd, STORAGE_FORMAT_RAW) < 0)
                UNIT_SKIP("no trusted xattrs here");
        CHECK_INTEQ(vol_format_get_declared(fd), STORAGE_FORMAT_RAW);
        CHECK(vol_info_from_fd(fd, path, &info) == 0);
        CHECK_INTEQ(info.format, STORAGE_FORMAT_RAW);
        CHECK(info.format_declared);
        CHECK_INTEQ(info.capacity, 4 << 20);
        CHECK(info.backing_path == NULL);
        vol_info_done(&info);

        /* Without the attribute the header is probed, as libvirt does. */
        CHECK(fremovexattr(fd, VOL_FORMAT_XATTR) == 0);
        CHECK(vol_info_from_fd(fd, path, &info) == 0);
        CHECK_INTEQ(info.format, STORAGE_FORMAT_QCOW2);
        CHECK(!info.format_declared);
        CHECK_STREQ(info.backing_path, "/etc/shadow");
        vol_info_done(&info);
}

static void test_chain(void) {
        _cleanup_free_ char *base = tmp("base.raw"), *mid = tmp("mid.qcow2"), *top = tmp("top.qcow2");
        _cleanup_free_ char *loop_a = tmp("loop-a.qcow2"), *loop_b = tmp("loop-b.qcow2");
        VolInfo info = {};

        if (!have_qemu_img())
                UNIT_SKIP("no qemu-img");
        write_bytes(base, "x", 1, 8 << 20);
        CHECK_INTEQ(qemu_img_create(mid, "base.raw", "raw", NULL), 0);
        CHECK_INTEQ(qemu_img_create(top, mid, "qcow2", "16M"), 0);
        CHECK(vol_info_from_path(top, &info) == 0);
        CHECK_INTEQ(info.format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(info.capacity, 16 << 20);
        CHECK_STREQ(info.backing_path, mid);
        CHECK_INTEQ(info.backing_format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(info.chain_length, 2);
        CHECK(!info.chain_broken);
        vol_info_done(&info);

        /* A loop (b -> a -> b) is found, not followed forever. */
        CHECK_INTEQ(qemu_img_create(loop_a, NULL, NULL, "1M"), 0);
        CHECK_INTEQ(qemu_img_create(loop_b, loop_a, "qcow2", "1M"), 0);
        CHECK(unlink(loop_a) == 0);
        CHECK_INTEQ(qemu_img_create(loop_a, loop_b, "qcow2", "1M"), 0);
        CHECK(vol_info_from_path(loop_b, &info) == 0);
        CHECK(info.chain_broken);
        vol_info_done(&info);
}

/* Past the clock tick in which the files were last changed. */
static void settle(void) {
        usleep(30 * 1000);
}

/* A probe knows when it is out of date: a layer rebased away (its header
 * rewritten), a layer replaced, a missing layer that appeared. */
static void test_stale(void) {
        _cleanup_free_ char *base = tmp("s-base.raw"), *mid = tmp("s-mid.qcow2"), *top = tmp("s-top.qcow2");
        _cleanup_free_ char *gone = tmp("s-gone.qcow2"), *orphan = tmp("s-orphan.qcow2");
        char *argv[] = { "/usr/bin/qemu-img", "rebase", "-q", "-u", "-F", "raw", "-b", base, top, NULL };
        VolInfo info = {};
        int status = -1;

        if (!have_qemu_img())
                UNIT_SKIP("no qemu-img");
        write_bytes(base, "x", 1, 1 << 20);
        CHECK_INTEQ(qemu_img_create(mid, base, "raw", NULL), 0);
        CHECK_INTEQ(qemu_img_create(top, mid, "qcow2", NULL), 0);
        settle();
        CHECK(vol_info_from_path(top, &info) == 0);
        CHECK_INTEQ(info.n_stamps, 3);
        CHECK(!vol_info_is_stale(&info));
        /* a layer below changed: stale, though the top did not */
        write_bytes(base, "y", 1, 1 << 20);
        CHECK(vol_info_is_stale(&info));
        vol_info_done(&info);
        settle();
        CHECK(vol_info_from_path(top, &info) == 0);
        CHECK(!vol_info_is_stale(&info));
        /* mid taken out of the chain, as a commit or pull does */
        CHECK(process_run(argv, NULL, &status) >= 0 && status == 0);
        CHECK(vol_info_is_stale(&info));
        vol_info_done(&info);
        CHECK(vol_info_from_path(top, &info) == 0);
        CHECK_STREQ(info.backing_path, base);
        CHECK_INTEQ(info.chain_length, 1);
        vol_info_done(&info);
        /* a missing layer that appears */
        CHECK_INTEQ(qemu_img_create(orphan, gone, "qcow2", "1M"), 0);
        settle();
        CHECK(vol_info_from_path(orphan, &info) == 0);
        CHECK(info.chain_broken);
        CHECK(!vol_info_is_stale(&info));
        CHECK_INTEQ(qemu_img_create(gone, NULL, NULL, "1M"), 0);
        CHECK(vol_info_is_stale(&info));
        vol_info_done(&info);
}

static void test_key_encoding(void) {
        static const char *const v[][2] = {
                { "foobar", "foobar" },
                { "_", "_5f" },
                { "/path/to/some/file.img", "_2fpath_2fto_2fsome_2ffile_2eimg" },
                { "/default-pool/sparse.img", "_2fdefault_2dpool_2fsparse_2eimg" },
                { "OjMQIc-7u1f-8T1Q", "OjMQIc_2d7u1f_2d8T1Q" },
        };

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *e = bus_label_escape(v[i][0]);
                _cleanup_free_ char *d = bus_label_unescape(v[i][1]);

                CHECK_STREQ(e, v[i][1]);
                CHECK_STREQ(d, v[i][0]);
        }
}

static void test_lvs(void) {
        const char *out =
                "  lv1#OjMQIc-7u1f#/dev/vg/lv1#16777216#-wi-a-----#/dev/loop5(0)#8388608#4194304\n"
                "  lv1#OjMQIc-7u1f#/dev/vg/lv1#16777216#-wi-a-----#/dev/loop6(3)#8388608#4194304\n"
                "  thin#AAAA#/dev/vg/thin#4194304#twi-a-tz--##4194304#4194304\n"
                "  [hidden]#BBBB#/dev/vg/hidden#4194304#-wi-ao----#/dev/loop5(2)#4194304#4194304\n"
                "  lv2#CCCC#/dev/vg/lv2#4194304#-wi-XX----#/dev/loop5(2)#4194304#4194304\n";
        LvmLv *lvs = NULL;
        size_t n = 0;
        uint64_t size = 0, free_bytes = 0;

        CHECK(lvm_parse_lvs(out, &lvs, &n) == 0);
        CHECK_INTEQ(n, 2);
        if (n == 2) {
                CHECK_STREQ(lvs[0].name, "lv1");
                CHECK_STREQ(lvs[0].uuid, "OjMQIc-7u1f");
                CHECK_INTEQ(lvs[0].size, 16777216);
                CHECK_INTEQ(lvs[0].n_devs, 2);
                CHECK_STREQ(lvs[0].devs[1].path, "/dev/loop6");
                CHECK_INTEQ(lvs[0].devs[1].extents[0].start, 3 * 4194304);
                CHECK_INTEQ(lvs[0].devs[1].extents[0].end, 3 * 4194304 + 8388608);
                CHECK_STREQ(lvs[1].path, "/dev/vg/lv2");
        }
        lvm_lvs_free(lvs, n);
        CHECK(lvm_parse_lvs("garbage\n", &lvs, &n) < 0);
        CHECK(lvm_parse_vg_size("  62914560#54525952\n", &size, &free_bytes) == 0);
        CHECK_INTEQ(size, 62914560);
        CHECK_INTEQ(free_bytes, 54525952);
        CHECK(lvm_parse_vg_size("  1#2\n", &size, &free_bytes) < 0);
        CHECK(lvm_lv_name_is_valid("vm1-disk_0.img"));
        CHECK(!lvm_lv_name_is_valid("-x"));
        CHECK(!lvm_lv_name_is_valid("a/b"));
        CHECK(!lvm_lv_name_is_valid("snapshot1"));
        CHECK(!lvm_lv_name_is_valid("x_tmeta"));
        /* LVM's length: 127 characters */
        char lv[130];
        memset(lv, 'l', 127);
        lv[127] = 0;
        CHECK(lvm_lv_name_is_valid(lv));
        lv[127] = 'l';
        lv[128] = 0;
        CHECK(!lvm_lv_name_is_valid(lv));
}

static void test_mountinfo(void) {
        const char *text =
                "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                "80 22 7:3 / /tmp/with\\040space rw,relatime shared:40 - xfs /dev/loop3 rw,attr2\n"
                "81 22 7:4 / /mnt/a rw - ext4 /dev/loop4 rw\n"
                "82 81 7:5 / /mnt/a rw master:3 - btrfs /dev/loop5 rw\n";
        MountEntry e = {};

        CHECK(mountinfo_find(text, "/tmp/with space", &e) == 1);
        CHECK_STREQ(e.source, "/dev/loop3");
        CHECK_STREQ(e.fstype, "xfs");
        CHECK_INTEQ(major(e.devno), 7);
        CHECK_INTEQ(minor(e.devno), 3);
        mount_entry_done(&e);
        CHECK(mountinfo_find(text, "/mnt/a", &e) == 1);
        CHECK_STREQ(e.source, "/dev/loop5"); /* the one on top */
        mount_entry_done(&e);
        CHECK(mountinfo_find(text, "/mnt/b", &e) == 0);
}

static void test_qemu_img_output(void) {
        const char *json = "{\"virtual-size\": 1073741824, \"filename\": \"/p/top.qcow2\", \"cluster-size\": 65536,"
                           " \"format\": \"qcow2\", \"actual-size\": 200704, \"full-backing-filename\": \"/p/b.img\","
                           " \"backing-filename\": \"b.img\", \"backing-filename-format\": \"raw\", \"dirty-flag\": false}";
        QemuImgInfo i = {};
        unsigned bp = 0;

        CHECK(qemu_img_info_parse(json, &i) == 0);
        CHECK_INTEQ(i.format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(i.virtual_size, 1073741824);
        CHECK_INTEQ(i.actual_size, 200704);
        CHECK_STREQ(i.backing, "/p/b.img");
        CHECK_INTEQ(i.backing_format, STORAGE_FORMAT_RAW);
        qemu_img_info_done(&i);
        CHECK(qemu_img_info_parse("not json", &i) < 0);
        CHECK(qemu_img_info_parse("{\"x\": 1}", &i) < 0);
        qemu_img_info_done(&i);

        const char *p = "    (0.00/100%)\r    (12.50/100%)\r    (25.01/100%)\r";
        CHECK(qemu_img_parse_progress(p, strlen(p), &bp) == 1);
        CHECK_INTEQ(bp, 2501);
        CHECK(qemu_img_parse_progress("nothing", 7, &bp) == 0);
}

static void test_setup(void) {
        CHECK(mkdtemp(tmpdir) != NULL);
}

static void test_cleanup(void) {
        char *argv[] = { "/bin/rm", "-rf", tmpdir, NULL };
        CHECK(process_run(argv, NULL, NULL) == 0);
}

UNIT_TESTS(test_setup, test_header_parse, test_luks_headers, test_encrypt_argv, test_encrypt_convert_argv, test_resolve_backing, test_declared_raw_wins, test_chain, test_stale,
           test_key_encoding, test_lvs, test_mountinfo, test_qemu_img_output, test_cleanup)
