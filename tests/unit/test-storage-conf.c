/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool and volume XML models: every fixture of tests/data/storage/
 * reaches a fixed point through parse/format and formats into XML that
 * libvirt's schemas accept; bad input is refused with an error naming it. */

#include <dirent.h>
#include <libxml/relaxng.h>

#include "error.h"
#include "storage-caps.h"
#include "storage-pool-conf.h"
#include "storage-vol-conf.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

#define SCHEMAS "/usr/share/libvirt/schemas/"

static const char *data_dir(void) {
        static char buf[4200];
        char exe[4096];
        ssize_t n;

        if (access("tests/data/storage", F_OK) == 0)
                return "tests/data/storage";
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return "tests/data/storage";
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                char *s = strrchr(exe, '/');
                if (s)
                        *s = 0;
        }
        snprintf(buf, sizeof(buf), "%s/tests/data/storage", exe);
        return buf;
}

static bool validates(const char *schema, const char *xml) {
        xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewParserCtxt(schema);
        xmlRelaxNGPtr rng = pctxt ? xmlRelaxNGParse(pctxt) : NULL;
        xmlRelaxNGValidCtxtPtr vctxt = rng ? xmlRelaxNGNewValidCtxt(rng) : NULL;
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET);
        bool ok = vctxt && doc && xmlRelaxNGValidateDoc(vctxt, doc) == 0;

        if (!ok)
                fprintf(stderr, "  does not validate under %s:\n%s", schema, xml);
        if (doc)
                xmlFreeDoc(doc);
        if (vctxt)
                xmlRelaxNGFreeValidCtxt(vctxt);
        if (rng)
                xmlRelaxNGFree(rng);
        if (pctxt)
                xmlRelaxNGFreeParserCtxt(pctxt);
        return ok;
}

/* Calls fn for each fixture whose name starts with prefix. */
static void for_fixtures(const char *prefix, void (*fn)(const char *path, const char *text)) {
        const char *dir = data_dir();
        _cleanup_(closedirp) DIR *d = opendir(dir);
        int n = 0;

        CHECK(d != NULL);
        for (struct dirent *de; d && (de = readdir(d));) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || !strstr(de->d_name, ".xml"))
                        continue;
                path = path_join(dir, de->d_name);
                CHECK(read_full_file(path, 0, &text, NULL) == 0);
                if (text)
                        fn(path, text);
                n++;
        }
        CHECK(n > 0);
}

static void pool_fixed_point(const char *path, const char *text) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *a = NULL, *b = NULL;
        _cleanup_free_ char *x1 = NULL, *x2 = NULL, *i1 = NULL;
        ConfError err = {};

        if (storage_pool_def_parse(text, strlen(text), &a, &err) < 0) {
                fprintf(stderr, "  %s: %s\n", path, err.message);
                CHECK(false);
                return;
        }
        CHECK(storage_pool_def_format(a, 0, &x1) == 0);
        CHECK(storage_pool_def_format(a, STORAGE_POOL_FORMAT_INACTIVE, &i1) == 0);
        CHECK(storage_pool_def_parse(x1, strlen(x1), &b, &err) == 0);
        CHECK(storage_pool_def_format(b, 0, &x2) == 0);
        CHECK_STREQ(x1, x2);
        CHECK(validates(SCHEMAS "storagepool.rng", x1));
        CHECK(validates(SCHEMAS "storagepool.rng", i1));
}

static void test_pool_round_trip(void) {
        for_fixtures("pool-", pool_fixed_point);
}

static void vol_fixed_point(const char *path, const char *text) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *a = NULL, *b = NULL;
        _cleanup_free_ char *x1 = NULL, *x2 = NULL;
        ConfError err = {};

        if (storage_vol_def_parse(text, strlen(text), &a, &err) < 0) {
                fprintf(stderr, "  %s: %s\n", path, err.message);
                CHECK(false);
                return;
        }
        CHECK(storage_vol_def_format(a, &x1) == 0);
        CHECK(storage_vol_def_parse(x1, strlen(x1), &b, &err) == 0);
        CHECK(storage_vol_def_format(b, &x2) == 0);
        CHECK_STREQ(x1, x2);
        CHECK(validates(SCHEMAS "storagevol.rng", x1));
}

static void test_vol_round_trip(void) {
        for_fixtures("vol-", vol_fixed_point);
}

static void test_pool_defaults(void) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        const char *xml = "<pool type='logical'><source><name>vg0</name></source><target/></pool>";
        ConfError err = {};

        CHECK(storage_pool_def_parse(xml, 0, &def, &err) == 0);
        CHECK_STREQ(def->name, "vg0");
        CHECK_STREQ(def->target_path, "/dev/vg0");
        CHECK(!uuid_is_null(def->uuid));
        CHECK_INTEQ(def->cow, -1);
}

static void test_vol_values(void) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *def = NULL;
        const char *xml = "<volume><name>x.qcow2</name><capacity unit='G'>2</capacity>"
                          "<allocation unit='KB'>3</allocation>"
                          "<target><format type='qcow2'/><clusterSize unit='KiB'>64</clusterSize><nocow/></target>"
                          "<backingStore><path>/b/base.img</path><format type='raw'/></backingStore></volume>";
        ConfError err = {};

        CHECK(storage_vol_def_parse(xml, 0, &def, &err) == 0);
        CHECK_INTEQ(def->capacity, 2ULL << 30);
        CHECK_INTEQ(def->allocation, 3000);
        CHECK_INTEQ(def->format, STORAGE_FORMAT_QCOW2);
        CHECK_INTEQ(def->cluster_size, 65536);
        CHECK(def->nocow);
        CHECK_STREQ(def->backing_path, "/b/base.img");
        CHECK_INTEQ(def->backing_format, STORAGE_FORMAT_RAW);
}

/* Each refusal: its error name, and a piece of its message. */
static void refused_pool(const char *xml, const char *name, const char *needle) {
        _cleanup_(storage_pool_def_freep) StoragePoolDef *def = NULL;
        ConfError err = {};

        CHECK(storage_pool_def_parse(xml, 0, &def, &err) < 0);
        CHECK_STREQ(err.name, name);
        if (!strstr(err.message, needle)) {
                fprintf(stderr, "  '%s' not in '%s'\n", needle, err.message);
                CHECK(false);
        }
}

static void refused_vol(const char *xml, const char *name, const char *needle) {
        _cleanup_(storage_vol_def_freep) StorageVolDef *def = NULL;
        ConfError err = {};

        CHECK(storage_vol_def_parse(xml, 0, &def, &err) < 0);
        CHECK_STREQ(err.name, name);
        if (!strstr(err.message, needle)) {
                fprintf(stderr, "  '%s' not in '%s'\n", needle, err.message);
                CHECK(false);
        }
}

static void test_pool_refusals(void) {
        refused_pool("<pool type='zzz'><name>a</name><target><path>/a</path></target></pool>", VB_ERROR_NOT_SUPPORTED,
                     "'zzz'");
        refused_pool("<pool type='iscsi'><name>a</name></pool>", VB_ERROR_NOT_SUPPORTED, "'iscsi'");
        refused_pool("<pool type='netfs'><name>a</name></pool>", VB_ERROR_NOT_SUPPORTED, "'netfs'");
        refused_pool("<pool type='dir'><name>a/b</name><target><path>/a</path></target></pool>",
                     VB_ERROR_INVALID_ARG, "'a/b'");
        refused_pool("<pool type='dir'><name>..</name><target><path>/a</path></target></pool>",
                     VB_ERROR_INVALID_ARG, "'..'");
        refused_pool("<pool type='dir'><name>a</name><target><path>rel/dir</path></target></pool>",
                     VB_ERROR_INVALID_ARG, "'rel/dir'");
        refused_pool("<pool type='dir'><name>a</name><target><path>/a/../b</path></target></pool>",
                     VB_ERROR_INVALID_ARG, "'/a/../b'");
        refused_pool("<pool type='dir'><name>a</name></pool>", VB_ERROR_XML, "target/path");
        refused_pool("<pool type='fs'><name>a</name><target><path>/a</path></target></pool>", VB_ERROR_XML,
                     "source/device");
        refused_pool("<pool type='dir'><name>a</name><source><vendor name='x'/></source>"
                     "<target><path>/a</path></target></pool>", VB_ERROR_NOT_SUPPORTED, "source/vendor");
        refused_pool("<pool type='dir'><name>a</name><target><path>/a</path><permissions><label>x</label>"
                     "</permissions></target></pool>", VB_ERROR_NOT_SUPPORTED, "label");
        refused_pool("<pool type='dir'><name>a</name><target><path>/a</path><permissions><mode>0999</mode>"
                     "</permissions></target></pool>", VB_ERROR_INVALID_ARG, "'0999'");
        refused_pool("<pool type='fs'><name>a</name><source><device path='/dev/x'/><format type='ntfs'/></source>"
                     "<target><path>/a</path></target></pool>", VB_ERROR_NOT_SUPPORTED, "'ntfs'");
        refused_pool("<pool type='dir'><name>a</name><capacity unit='EiB'>9</capacity>"
                     "<target><path>/a</path></target></pool>", VB_ERROR_INVALID_ARG, "overflows");
        refused_pool("<pool type='dir'><name>a</name><target><path>/a</path></target>", VB_ERROR_XML, "line");
        refused_pool("<domain/>", VB_ERROR_XML, "<pool>");
        /* a VG name reaches vgs/vgchange/vgremove: never an option, and LVM's rules */
        refused_pool("<pool type='logical'><name>a</name><source><name>-ffoo</name></source>"
                     "<target><path>/dev/x</path></target></pool>", VB_ERROR_INVALID_ARG, "'-ffoo'");
        refused_pool("<pool type='logical'><name>-x</name><source/><target><path>/dev/x</path></target></pool>",
                     VB_ERROR_INVALID_ARG, "'-x'");
        refused_pool("<pool type='logical'><name>a</name><source><name>a:b</name></source>"
                     "<target><path>/dev/x</path></target></pool>", VB_ERROR_INVALID_ARG, "'a:b'");
}

static void test_long_names(void) {
        char name[300], xml[600];
        StorageVolDef *def = NULL;
        ConfError err = {};

        /* a volume is one file name: 255 bytes, not one more */
        memset(name, 'v', 255);
        name[255] = 0;
        snprintf(xml, sizeof(xml), "<volume><name>%s</name></volume>", name);
        CHECK(storage_vol_def_parse(xml, strlen(xml), &def, &err) == 0);
        def = storage_vol_def_free(def);
        memset(name, 'v', 256);
        name[256] = 0;
        CHECK(storage_vol_name_check(name, &err) < 0);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        CHECK(strstr(err.message, "too long: 256 bytes") != NULL);
        CHECK(storage_vol_name_check("a\x01" "b", &err) < 0);
        CHECK(strstr(err.message, "control character") != NULL);
        CHECK(storage_vol_name_check("a\x7f", &err) < 0);
        /* a file name: the path given to a helper is absolute, never an option */
        CHECK(storage_vol_name_check("-starts-with-a-dash", &err) == 0);
}

static void test_vol_refusals(void) {
        refused_vol("<volume><name>a/b</name></volume>", VB_ERROR_INVALID_ARG, "'a/b' cannot contain '/'");
        refused_vol("<volume><name>..</name></volume>", VB_ERROR_INVALID_ARG, "'..'");
        refused_vol("<volume><name>.</name></volume>", VB_ERROR_INVALID_ARG, "'.'");
        refused_vol("<volume><name></name></volume>", VB_ERROR_INVALID_ARG, "empty");
        refused_vol("<volume><name>a</name><capacity unit='EiB'>8</capacity></volume>", VB_ERROR_INVALID_ARG,
                    "overflows");
        refused_vol("<volume><name>a</name><capacity>18446744073709551616</capacity></volume>",
                    VB_ERROR_INVALID_ARG, "'18446744073709551616'");
        refused_vol("<volume><name>a</name><capacity unit='parsec'>1</capacity></volume>", VB_ERROR_INVALID_ARG,
                    "'parsec'");
        refused_vol("<volume><name>a</name><capacity>-5</capacity></volume>", VB_ERROR_INVALID_ARG, "'-5'");
        refused_vol("<volume><name>a</name><target><encryption format='luks'><cipher name='aes' size='256' "
                    "mode='xts'/></encryption></target></volume>", VB_ERROR_NOT_SUPPORTED, "cipher");
        refused_vol("<volume><name>a</name><target><encryption format='luks'><secret type='ceph' usage='x'/>"
                    "</encryption></target></volume>", VB_ERROR_NOT_SUPPORTED, "'ceph'");
        refused_vol("<volume><name>a</name><target><encryption format='luks'><secret type='passphrase' usage='x' "
                    "uuid='5d3c0a4e-8c61-4f0e-9a1e-1f2b3c4d5e01'/></encryption></target></volume>", VB_ERROR_XML,
                    "not both");
        refused_vol("<volume><name>a</name><target><encryption format='luks'><secret type='passphrase' uuid='x'/>"
                    "</encryption></target></volume>", VB_ERROR_XML, "'x'");
        refused_vol("<volume><name>a</name><target><encryption/></target></volume>", VB_ERROR_XML, "'format'");
        refused_vol("<volume><name>a</name><target><encryption format='luks2'/></target></volume>",
                    VB_ERROR_NOT_SUPPORTED, "'luks2'");
        refused_vol("<volume><name>a</name><target><format type='ext4'/></target></volume>", VB_ERROR_NOT_SUPPORTED,
                    "'ext4'");
        refused_vol("<volume><name>a</name><target><format type='qcow9'/></target></volume>",
                    VB_ERROR_NOT_SUPPORTED, "'qcow9'");
        refused_vol("<volume><name>a</name><target><compat>2.0</compat></target></volume>", VB_ERROR_NOT_SUPPORTED,
                    "'2.0'");
        refused_vol("<volume><name>a</name><target><clusterSize>1000</clusterSize></target></volume>",
                    VB_ERROR_INVALID_ARG, "power of two");
        refused_vol("<volume type='network'><name>a</name></volume>", VB_ERROR_NOT_SUPPORTED, "'network'");
        refused_vol("<volume><name>a</name><backingStore><format type='raw'/></backingStore></volume>", VB_ERROR_XML,
                    "backingStore/path");
        refused_vol("<volume><name>a</name><target><path>x</path></target></volume>", VB_ERROR_INVALID_ARG, "'x'");
        refused_vol("<volume><name>a</name><foo/></volume>", VB_ERROR_NOT_SUPPORTED, "<foo>");
        refused_vol("<volume><name>a</name><source><device path='/d'><extent start='9' end='1'/></device></source>"
                    "</volume>", VB_ERROR_INVALID_ARG, "before its start");
}

static void test_scale_bytes(void) {
        uint64_t v = 0;

        CHECK(storage_scale_bytes(5, NULL, &v) == 0 && v == 5);
        CHECK(storage_scale_bytes(5, "KiB", &v) == 0 && v == 5120);
        CHECK(storage_scale_bytes(5, "KB", &v) == 0 && v == 5000);
        CHECK(storage_scale_bytes(1, "T", &v) == 0 && v == 1ULL << 40);
        CHECK(storage_scale_bytes(7, "EiB", &v) == 0 && v == 7ULL << 60);
        CHECK(storage_scale_bytes(8, "EiB", &v) == -ERANGE);
        CHECK(storage_scale_bytes(UINT64_MAX, "k", &v) == -ERANGE);
        CHECK(storage_scale_bytes(1, "xb", &v) == -EINVAL);
}

static void test_pool_caps(void) {
        _cleanup_free_ char *xml = NULL;

        CHECK(storage_pool_caps_format(&xml) == 0);
        CHECK(xml && strstr(xml, "<pool type='dir' supported='yes'>"));
        CHECK(xml && strstr(xml, "<pool type='iscsi' supported='no'/>"));
        CHECK(xml && validates(SCHEMAS "storagepoolcaps.rng", xml));
}

static void test_sources(void) {
        _cleanup_free_ char *xml = NULL, *text = strdup("  /dev/loop1#vgA\n  /dev/loop2#vgB\n  /dev/loop3#vgA\n"
                                                          "  /dev/loop4#\n");
        LvmPv *pvs = NULL;
        size_t n = 0;

        CHECK(lvm_parse_pvs(text, &pvs, &n) == 0);
        CHECK_INTEQ(n, 4);
        CHECK(storage_sources_format(pvs, n, &xml) == 0);
        lvm_pvs_free(pvs, n);
        CHECK_STREQ(xml, "<sources>\n"
                         "  <source>\n"
                         "    <device path='/dev/loop1'/>\n"
                         "    <device path='/dev/loop3'/>\n"
                         "    <name>vgA</name>\n"
                         "    <format type='lvm2'/>\n"
                         "  </source>\n"
                         "  <source>\n"
                         "    <device path='/dev/loop2'/>\n"
                         "    <name>vgB</name>\n"
                         "    <format type='lvm2'/>\n"
                         "  </source>\n"
                         "</sources>\n");
}

UNIT_TESTS(test_pool_round_trip, test_vol_round_trip, test_pool_defaults, test_vol_values, test_pool_refusals,
           test_vol_refusals, test_long_names, test_scale_bytes, test_pool_caps, test_sources)
