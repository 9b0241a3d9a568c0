/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices of issue 16 in the QEMU driver: virtiofs (libvirt's define-time
 * rules, virtiofsd's command line, finding virtiofsd). */

#include <sys/stat.h>

#include "domain-test.h"
#include "util.h"
#include "qemu-validate.h"
#include "qemu-virtiofs.h"

#define SHARED "<memoryBacking><access mode='shared'/></memoryBacking>"

static void qemu_refused_(const char *top, const char *devices, const char *name, const char *needle, int line) {
        _cleanup_free_ char *xml = domain_with(top, devices);
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "QEMU refusal input");
        ConfError err = {};

        if (!def)
                return;
        if (domain_def_validate(def, &err) >= 0 && qemu_validate_def(def, &err) >= 0) {
                fprintf(stderr, "  line %d: %s: taken, expected %s naming \"%s\"\n", line, unit_current, name,
                        needle);
                unit_failed_checks++;
                return;
        }
        if (!streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: %s: got %s \"%s\", expected %s naming \"%s\"\n", line, unit_current,
                        err.name, err.message, name, needle);
                unit_failed_checks++;
        }
}
#define QEMU_REFUSED(top, devices, name, needle) qemu_refused_(top, devices, name, needle, __LINE__)

static DomainDef *qemu_ok_(const char *top, const char *devices, int line) {
        _cleanup_free_ char *xml = domain_with(top, devices);
        DomainDef *def = parse_ok(xml, "QEMU input");
        ConfError err = {};

        if (def && (domain_def_validate(def, &err) < 0 || qemu_validate_def(def, &err) < 0)) {
                fprintf(stderr, "  line %d: %s: refused: %s\n", line, unit_current, err.message);
                unit_failed_checks++;
                domain_def_free(def);
                return NULL;
        }
        return def;
}
#define QEMU_OK(top, devices) qemu_ok_(top, devices, __LINE__)

#define VFS(inner) "<filesystem type='mount'><driver type='virtiofs'/>" inner "</filesystem>"

static void test_virtiofs_rules(void) {
        DomainDef *def;

        def = QEMU_OK(SHARED, VFS("<source dir='/srv'/><target dir='t'/><boot order='1'/>"));
        domain_def_free(def);
        def = QEMU_OK("<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB' memAccess='shared'/></numa></cpu>",
                      VFS("<source socket='/run/vfs.sock'/><target dir='t'/><readonly/>"));
        domain_def_free(def);
        QEMU_REFUSED(NULL, VFS("<source dir='/srv'/><target dir='t'/>"), VB_ERROR_NOT_SUPPORTED,
                     "'virtiofs' requires shared memory");
        QEMU_REFUSED("<memoryBacking><access mode='shared'/></memoryBacking><cpu><numa><cell id='0' cpus='0' "
                     "memory='256' unit='MiB' memAccess='private'/></numa></cpu>",
                     VFS("<source dir='/srv'/><target dir='t'/>"), VB_ERROR_NOT_SUPPORTED, "requires shared memory");
        QEMU_REFUSED(SHARED, VFS("<source dir='/srv'/><target dir='t'/><readonly/>"), VB_ERROR_NOT_SUPPORTED,
                     "virtiofs does not yet support read-only mode");
        QEMU_REFUSED(SHARED, "<filesystem accessmode='mapped'><driver type='virtiofs'/><source dir='/srv'/>"
                     "<target dir='t'/></filesystem>", VB_ERROR_NOT_SUPPORTED, "only supports passthrough");
        QEMU_REFUSED(SHARED, "<filesystem multidevs='remap'><driver type='virtiofs'/><source socket='/s'/>"
                     "<target dir='t'/></filesystem>", VB_ERROR_NOT_SUPPORTED, "does not support multidevs");
        QEMU_REFUSED(SHARED, "<filesystem><binary><sandbox mode='chroot'/></binary><source dir='/srv'/>"
                     "<target dir='t'/></filesystem>", VB_ERROR_NOT_SUPPORTED, "sandbox can only be used");
        QEMU_REFUSED(NULL, "<filesystem><source dir='/srv'/><target dir='t'/><boot order='1'/></filesystem>",
                     VB_ERROR_NOT_SUPPORTED, "boot order is only supported for virtiofs");
        REFUSED(NULL, "<filesystem><driver type='path' queue='8'/><source dir='/srv'/><target dir='t'/>"
                "</filesystem>", VB_ERROR_NOT_SUPPORTED, "attribute 'queue' of <devices/filesystem/driver>");
        REFUSED(NULL, VFS("<source dir='/srv' socket='/s'/><target dir='t'/>"), VB_ERROR_XML,
                "either attribute 'dir' or 'socket'");
        REFUSED(NULL, VFS("<binary><cache mode='auto'/></binary><source dir='/srv'/><target dir='t'/>"),
                VB_ERROR_NOT_SUPPORTED, "'auto'");
        REFUSED(NULL, VFS("<binary><lock posix='maybe'/></binary><source dir='/srv'/><target dir='t'/>"),
                VB_ERROR_INVALID_ARG, "'maybe'");
        REFUSED(NULL, VFS("<binary path='virtiofsd'/><source dir='/srv'/><target dir='t'/>"), VB_ERROR_INVALID_ARG,
                "must be an absolute path");
}

static void argv_is_(const char *fs_xml, const char *want, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = QEMU_OK(SHARED, fs_xml);
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *got = NULL;

        if (!def)
                return;
        CHECK_INTEQ(qemu_virtiofsd_argv(&def->filesystems[0], "/usr/lib/qemu/virtiofsd", 3, &argv), 0);
        got = argv ? strv_join(argv, " ") : NULL;
        if (!streq_ptr(got, want)) {
                fprintf(stderr, "  line %d: got\n    %s\n  expected\n    %s\n", line, got, want);
                unit_failed_checks++;
        }
}
#define ARGV_IS(fs, want) argv_is_(fs, want, __LINE__)

/* As libvirt's qemu_virtiofs.c runs it, with Debian 12's virtiofsd options. */
static void test_virtiofsd_argv(void) {
        ARGV_IS(VFS("<source dir='/srv'/><target dir='t'/>"), "/usr/lib/qemu/virtiofsd --fd=3 -o source=/srv");
        ARGV_IS(VFS("<binary xattr='on'><cache mode='always'/><sandbox mode='chroot'/><lock posix='off' "
                    "flock='on'/><thread_pool size='16'/></binary><source dir='/srv/a,b'/><target dir='t'/>"),
                "/usr/lib/qemu/virtiofsd --fd=3 -o source=/srv/a,,b,cache=always,sandbox=chroot,xattr,flock,"
                "no_posix_lock --thread-pool-size=16");
        ARGV_IS(VFS("<binary xattr='off'><lock posix='on' flock='off'/><thread_pool size='0'/></binary>"
                    "<source dir='/srv'/><target dir='t'/>"),
                "/usr/lib/qemu/virtiofsd --fd=3 -o source=/srv,no_xattr,no_flock,posix_lock --thread-pool-size=0");
}

static int put(const char *path, const char *text) {
        return write_file_atomic(path, text, strlen(text), 0644);
}

/* virtiofsd as QEMU's vhost-user descriptions name it. */
static void test_find_binary(void) {
        char dir[] = "/tmp/vbtest-vhost-user-XXXXXX";
        _cleanup_free_ char *gpu = NULL, *fs = NULL, *found = NULL;

        CHECK(mkdtemp(dir) != NULL);
        CHECK(asprintf(&gpu, "%s/50-gpu.json", dir) >= 0);
        CHECK(asprintf(&fs, "%s/60-fs.json", dir) >= 0);
        CHECK_INTEQ(put(gpu, "{\"type\": \"gpu\", \"binary\": \"/bin/sh\"}"), 0);
        found = qemu_virtiofs_find_binary(dir);
        CHECK(found == NULL);
        CHECK_INTEQ(put(fs, "{\"type\": \"fs\", \"binary\": \"/bin/true\"}"), 0);
        found = qemu_virtiofs_find_binary(dir);
        CHECK_STREQ(found, "/bin/true");
        unlink(gpu);
        unlink(fs);
        rmdir(dir);
}

/* libvirt's post-parse defaults and its checks of <shmem>. */
static void test_shmem_rules(void) {
        _cleanup_free_ char *doc = domain_with(NULL, "<shmem name='a'/><shmem name='b'><model "
                                               "type='ivshmem-doorbell'/><server/></shmem>");
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(doc, "shmem defaults");
        _cleanup_free_ char *xml = def ? format_ok(def, 0) : NULL;

        /* the model's default is libvirt's, which QEMU no longer has */
        CHECK_CONTAINS(xml, "<shmem name='a'>\n      <model type='ivshmem'/>\n      <size unit='M'>4</size>");
        QEMU_REFUSED(NULL, "<shmem name='a'/>", VB_ERROR_CONFIG_UNSUPPORTED,
                     "ivshmem device is not supported with this QEMU binary (shmem 'a'");
        CHECK_CONTAINS(xml, "<model type='ivshmem-doorbell'/>\n      <server/>\n      <msi ioeventfd='on'/>");
        REFUSED(NULL, "<shmem/>", VB_ERROR_XML, "must contain 'name' attribute");
        REFUSED(NULL, "<shmem name='a'><msi vectors='4'/></shmem>", VB_ERROR_XML, "msi option is only supported "
                "with a server");
        REFUSED(NULL, "<shmem name='a'><model type='ivshmem-doorbell'/></shmem>", VB_ERROR_NOT_SUPPORTED,
                "supported only with server option enabled");
        REFUSED(NULL, "<shmem name='a'><model type='ivshmem-plain'/><server/></shmem>", VB_ERROR_NOT_SUPPORTED,
                "supported only with server option disabled");
        REFUSED(NULL, "<shmem name='a'><model type='ivshmem-doorbell'/><size unit='M'>4</size><server/></shmem>",
                VB_ERROR_NOT_SUPPORTED, "does not support size setting");
        REFUSED(NULL, "<shmem name='a'><model type='ivshmem2'/></shmem>", VB_ERROR_NOT_SUPPORTED, "'ivshmem2'");
        REFUSED(NULL, "<shmem name='a'><address type='isa' iobase='0x505'/></shmem>", VB_ERROR_NOT_SUPPORTED,
                "address type 'isa'");
        INVALID(NULL, "<shmem name='a/b'/>", VB_ERROR_NOT_SUPPORTED, "cannot include '/'");
        INVALID(NULL, "<shmem name='..'/>", VB_ERROR_NOT_SUPPORTED, "cannot be equal to '..'");
        INVALID(NULL, "<shmem name='a'><size unit='K'>512</size></shmem>", VB_ERROR_XML, "at least 1 MiB");
        INVALID(NULL, "<shmem name='a'><size unit='M'>6</size></shmem>", VB_ERROR_XML, "power of two");
}

UNIT_TESTS(test_virtiofs_rules, test_virtiofsd_argv, test_find_binary, test_shmem_rules)
