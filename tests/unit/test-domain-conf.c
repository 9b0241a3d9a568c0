/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain XML model: every fixture of tests/data/domain/ reaches a fixed
 * point through parse/format, formats into XML libvirt's schema accepts, and
 * copies deeply; every refusal names what it refuses. */

#include <dirent.h>
#include <libxml/relaxng.h>
#include <limits.h>

#include "domain-conf.h"
#include "error.h"
#include "unit.h"
#include "xml-util.h"

#define SCHEMA "/usr/share/libvirt/schemas/domain.rng"

static const unsigned all_flags[] = {
        0,
        DOMAIN_FORMAT_INACTIVE,
        DOMAIN_FORMAT_SECURE,
        DOMAIN_FORMAT_INACTIVE | DOMAIN_FORMAT_SECURE,
};

/* ---- helpers ------------------------------------------------------------ */

static const char *data_dir(void) {
        static char buf[4096 + 64];
        char exe[4096];
        ssize_t n;

        if (access("tests/data/domain", F_OK) == 0)
                return "tests/data/domain";
        /* build/tests/test-domain-conf -> ../../tests/data/domain */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return "tests/data/domain";
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                char *s = strrchr(exe, '/');
                if (s)
                        *s = 0;
        }
        snprintf(buf, sizeof(buf), "%s/tests/data/domain", exe);
        return buf;
}

static char *read_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;
        FILE *m;

        if (!f)
                return NULL;
        m = open_memstream(&buf, &size);
        if (!m)
                return NULL;
        for (int c; (c = fgetc(f)) != EOF;)
                fputc(c, m);
        fclose(m);
        return buf;
}

static int compare_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The fixture paths, sorted; NULL-terminated. */
static char **list_fixtures(void) {
        const char *dir = data_dir();
        DIR *d = opendir(dir);
        char **l = NULL;
        size_t n = 0;

        if (!d)
                return NULL;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);
                char *p;

                if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        break;
                l = realloc(l, sizeof(char *) * (n + 2));
                l[n++] = p;
                l[n] = NULL;
        }
        closedir(d);
        if (l)
                qsort(l, n, sizeof(char *), compare_str);
        return l;
}

static bool contains(const char *haystack, const char *needle) {
        return haystack && strstr(haystack, needle);
}

#define CHECK_CONTAINS(haystack, needle)                                                        \
        do {                                                                                    \
                if (!contains(haystack, needle)) {                                              \
                        fprintf(stderr, "  %s:%d: %s: \"%s\" does not contain \"%s\"\n",        \
                                __FILE__, __LINE__, unit_current, (haystack) ?: "(null)", needle); \
                        unit_failed_checks++;                                                   \
                }                                                                               \
        } while (0)

#define CHECK_NOT_CONTAINS(haystack, needle)                                                    \
        do {                                                                                    \
                if (contains(haystack, needle)) {                                               \
                        fprintf(stderr, "  %s:%d: %s: output contains \"%s\"\n",                \
                                __FILE__, __LINE__, unit_current, needle);                      \
                        unit_failed_checks++;                                                   \
                }                                                                               \
        } while (0)

static DomainDef *parse_ok(const char *xml, const char *what) {
        DomainDef *def = NULL;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, strlen(xml), &def, &err);
        if (r < 0) {
                fprintf(stderr, "  %s: %s: parse failed: %s: %s\n", unit_current, what, err.name, err.message);
                unit_failed_checks++;
                return NULL;
        }
        return def;
}

static char *format_ok(const DomainDef *def, unsigned flags) {
        char *s = NULL;
        int r = domain_def_format(def, flags, &s);

        CHECK_INTEQ(r, 0);
        return s;
}

/* A parse that must fail with this error name and a message naming needle. */
static void check_refused_(const char *xml, size_t len, const char *name, const char *needle, int line) {
        DomainDef *def = NULL;
        ConfError err = {};
        int r;

        r = domain_def_parse(xml, len, &def, &err);
        if (r >= 0) {
                fprintf(stderr, "  line %d: %s: accepted, expected %s\n", line, unit_current, name);
                unit_failed_checks++;
                domain_def_free(def);
                return;
        }
        CHECK(!def);
        if (!streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: %s: got %s \"%s\", expected %s naming \"%s\"\n",
                        line, unit_current, err.name, err.message, name, needle);
                unit_failed_checks++;
        }
        /* the errno matches the name, as error.h's table says */
        if (vb_error_lookup(err.name))
                CHECK_INTEQ(r, -vb_error_lookup(err.name)->errnum);
}
#define check_refused(xml, name, needle) check_refused_(xml, strlen(xml), name, needle, __LINE__)

/* A parse that succeeds but domain_def_validate() refuses. */
static void check_invalid_(const char *xml, const char *name, const char *needle, int line) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        ConfError err = {};
        int r;

        def = parse_ok(xml, "validation input");
        if (!def)
                return;
        r = domain_def_validate(def, &err);
        if (r >= 0) {
                fprintf(stderr, "  line %d: %s: validated, expected %s naming \"%s\"\n",
                        line, unit_current, name, needle);
                unit_failed_checks++;
                return;
        }
        if (!streq_ptr(err.name, name) || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: %s: got %s \"%s\", expected %s naming \"%s\"\n",
                        line, unit_current, err.name, err.message, name, needle);
                unit_failed_checks++;
        }
}
#define check_invalid(xml, name, needle) check_invalid_(xml, name, needle, __LINE__)

/* A small valid domain with room for more top-level elements and devices. */
static char *domain_with(const char *top, const char *devices) {
        char *s;

        if (asprintf(&s,
                     "<domain type='kvm'>\n"
                     "  <name>t</name>\n"
                     "  <memory unit='MiB'>256</memory>\n"
                     "  <os><type arch='x86_64'>hvm</type></os>\n"
                     "%s\n"
                     "  <devices>\n%s\n  </devices>\n"
                     "</domain>\n", top ?: "", devices ?: "") < 0)
                return NULL;
        return s;
}

#define REFUSED(top, devices, name, needle)                                     \
        do {                                                                    \
                _cleanup_free_ char *_x = domain_with(top, devices);            \
                check_refused_(_x, strlen(_x), name, needle, __LINE__);         \
        } while (0)

#define INVALID(top, devices, name, needle)                                     \
        do {                                                                    \
                _cleanup_free_ char *_x = domain_with(top, devices);            \
                check_invalid_(_x, name, needle, __LINE__);                     \
        } while (0)

/* ---- round trip ---------------------------------------------------------- */

static void round_trip_one(const char *path) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *xml = read_file(path);
        ConfError err = {};

        CHECK(xml != NULL);
        if (!xml)
                return;
        def = parse_ok(xml, path);
        if (!def)
                return;
        if (domain_def_validate(def, &err) < 0) {
                fprintf(stderr, "  %s: %s does not validate: %s\n", unit_current, path, err.message);
                unit_failed_checks++;
        }

        for (size_t i = 0; i < ELEMENTSOF(all_flags); i++) {
                _cleanup_(domain_def_freep) DomainDef *again = NULL, *copy = NULL;
                _cleanup_free_ char *out1 = NULL, *out2 = NULL, *out_copy = NULL;

                out1 = format_ok(def, all_flags[i]);
                if (!out1)
                        continue;
                again = parse_ok(out1, path);
                if (!again)
                        continue;
                out2 = format_ok(again, all_flags[i]);
                if (!streq_ptr(out1, out2)) {
                        fprintf(stderr, "  %s: %s (flags %u) is not a fixed point:\n--- first\n%s--- second\n%s",
                                unit_current, path, all_flags[i], out1, out2 ?: "(null)");
                        unit_failed_checks++;
                }
                CHECK_INTEQ(domain_def_copy(def, &copy), 0);
                if (copy) {
                        out_copy = format_ok(copy, all_flags[i]);
                        CHECK_STREQ(out_copy, out1);
                }
        }
}

static void test_round_trip_fixtures(void) {
        char **l = list_fixtures();
        size_t n = 0;

        CHECK(l != NULL);
        for (char **p = l; p && *p; p++, n++)
                round_trip_one(*p);
        CHECK(n >= 6);
        strv_free(l);
}

/* Fixtures written in our own canonical form come out byte for byte. */
static void test_canonical_form(void) {
        static const char *const names[] = { "iotune-scsi.xml", "live.xml" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *path = NULL, *xml = NULL, *out = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;

                CHECK(asprintf(&path, "%s/%s", data_dir(), names[i]) > 0);
                xml = read_file(path);
                CHECK(xml != NULL);
                if (!xml || !(def = parse_ok(xml, path)))
                        continue;
                out = format_ok(def, DOMAIN_FORMAT_SECURE);
                CHECK_STREQ(out, xml);
        }
}

/* ---- schema --------------------------------------------------------------- */

static xmlRelaxNGPtr load_schema(void) {
        static xmlRelaxNGPtr schema;
        xmlRelaxNGParserCtxtPtr ctxt;

        if (schema || access(SCHEMA, R_OK) < 0)
                return schema;
        ctxt = xmlRelaxNGNewParserCtxt(SCHEMA);
        if (!ctxt)
                return NULL;
        schema = xmlRelaxNGParse(ctxt);
        xmlRelaxNGFreeParserCtxt(ctxt);
        return schema;
}

static void ignore_error(void *userdata, xmlErrorPtr e) {
}

/* Errors are printed (they explain a failure) unless quiet. */
static bool schema_valid_(xmlRelaxNGPtr schema, const char *xml, bool quiet) {
        xmlRelaxNGValidCtxtPtr v;
        xmlDocPtr doc;
        int r;

        doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET);
        if (!doc)
                return false;
        v = xmlRelaxNGNewValidCtxt(schema);
        if (v && quiet)
                xmlRelaxNGSetValidStructuredErrors(v, ignore_error, NULL);
        r = v ? xmlRelaxNGValidateDoc(v, doc) : -1;
        xmlRelaxNGFreeValidCtxt(v);
        xmlFreeDoc(doc);
        return r == 0;
}
#define schema_valid(schema, xml) schema_valid_(schema, xml, false)

static void test_schema_valid(void) {
        xmlRelaxNGPtr schema = load_schema();
        char **l;

        if (!schema)
                UNIT_SKIP(SCHEMA " is not installed (apt-get install libvirt0)");
        /* the checker itself tells bad from good */
        CHECK(!schema_valid_(schema, "<domain type='kvm'><name>x</name><bogus/></domain>", true));
        CHECK(schema_valid(schema, "<domain type='kvm'><name>x</name><os><type>hvm</type></os></domain>"));
        l = list_fixtures();
        for (char **p = l; p && *p; p++) {
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                _cleanup_free_ char *xml = read_file(*p);

                CHECK(schema_valid(schema, xml)); /* the fixture itself */
                if (!xml || !(def = parse_ok(xml, *p)))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(all_flags); i++) {
                        _cleanup_free_ char *out = format_ok(def, all_flags[i]);

                        if (out && !schema_valid(schema, out)) {
                                fprintf(stderr, "  %s: %s (flags %u) formats invalid XML:\n%s",
                                        unit_current, *p, all_flags[i], out);
                                unit_failed_checks++;
                        }
                }
        }
        strv_free(l);
}

/* ---- units and numbers ---------------------------------------------------- */

static uint64_t memory_of(const char *unit, const char *value) {
        _cleanup_free_ char *top = NULL, *xml = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;

        if (asprintf(&top, "<currentMemory unit='%s'>%s</currentMemory>", unit, value) < 0)
                return 0;
        xml = domain_with(top, NULL);
        def = parse_ok(xml, unit);
        return def ? def->current_memory_kib : 0;
}

static void test_units(void) {
        static const struct {
                const char *unit, *value;
                uint64_t kib;
        } cases[] = {
                { "b", "1024", 1 },
                { "bytes", "1025", 2 }, /* rounded up to whole KiB */
                { "byte", "2048", 2 },
                { "k", "5", 5 },
                { "KiB", "5", 5 },
                { "KB", "1024", 1000 },
                { "kb", "1", 1 }, /* 1000 bytes -> 1 KiB, rounded up */
                { "M", "1", 1024 },
                { "MiB", "3", 3072 },
                { "MB", "1", 977 }, /* 10^6 bytes = 976.5625 KiB */
                { "G", "1", 1048576 },
                { "GiB", "2", 2097152 },
                { "GB", "1", 976563 },
                { "T", "1", UINT64_C(1073741824) },
                { "TiB", "1", UINT64_C(1073741824) },
                { "TB", "1", UINT64_C(976562500) },
                { "P", "1", UINT64_C(1099511627776) },
                { "PB", "1", UINT64_C(976562500000) },
                { "E", "1", UINT64_C(1125899906842624) },
                { "EB", "1", UINT64_C(976562500000000) },
                { "KiB", " 42 ", 42 },
        };
        uint64_t scale;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t kib = memory_of(cases[i].unit, cases[i].value);

                if (kib != cases[i].kib) {
                        fprintf(stderr, "  %s: %s %s = %llu KiB, expected %llu\n", unit_current, cases[i].value,
                                cases[i].unit, (unsigned long long) kib, (unsigned long long) cases[i].kib);
                        unit_failed_checks++;
                }
        }
        /* without a unit: KiB */
        CHECK_INTEQ(unit_scale(NULL, &scale), 0);
        CHECK_INTEQ(scale, 1024);
        CHECK_INTEQ(unit_scale("", &scale), 0);
        CHECK_INTEQ(scale, 1024);
        CHECK_INTEQ(unit_scale("MiB", &scale), 0);
        CHECK_INTEQ(scale, 1024 * 1024);
        CHECK_INTEQ(unit_scale("parsecs", &scale), -EINVAL);
        CHECK_INTEQ(unit_scale("Kib2", &scale), -EINVAL);
        REFUSED("<currentMemory unit='furlong'>1</currentMemory>", NULL, VB_ERROR_INVALID_ARG, "furlong");

        /* hugepage sizes take units too */
        {
                _cleanup_free_ char *xml = domain_with(
                        "<memoryBacking><hugepages><page size='1' unit='GiB'/><page size='2048'/></hugepages></memoryBacking>",
                        NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "hugepages");

                if (def) {
                        CHECK_INTEQ(def->memory_backing.n_pages, 2);
                        CHECK_INTEQ(def->memory_backing.pages[0].size_kib, 1048576);
                        CHECK_INTEQ(def->memory_backing.pages[1].size_kib, 2048);
                }
        }
}

static void test_numbers(void) {
        uint64_t u;
        int64_t s;
        unsigned ui;

        CHECK_INTEQ(parse_ullong("18446744073709551615", &u), 0);
        CHECK(u == UINT64_MAX);
        CHECK_INTEQ(parse_ullong("18446744073709551616", &u), -ERANGE);
        CHECK_INTEQ(parse_ullong("99999999999999999999999999999999999999999999999999999999999999999999", &u), -ERANGE);
        CHECK_INTEQ(parse_ullong("-1", &u), -EINVAL);
        CHECK_INTEQ(parse_ullong("+1", &u), -EINVAL);
        CHECK_INTEQ(parse_ullong("0x10", &u), -EINVAL);
        CHECK_INTEQ(parse_ullong("", &u), -EINVAL);
        CHECK_INTEQ(parse_ullong("1 2", &u), -EINVAL);
        CHECK_INTEQ(parse_llong("-9223372036854775808", &s), 0);
        CHECK(s == INT64_MIN);
        CHECK_INTEQ(parse_llong("9223372036854775808", &s), -ERANGE);
        CHECK_INTEQ(parse_uint("4294967295", &ui), 0);
        CHECK_INTEQ(parse_uint("4294967296", &ui), -ERANGE);

        CHECK_INTEQ(scale_to_kib(UINT64_C(8388608), UINT64_C(1) << 40, &u), -ERANGE); /* 8 EiB */
        CHECK_INTEQ(scale_to_kib(UINT64_C(8388607), UINT64_C(1) << 40, &u), 0);
        CHECK(u == UINT64_C(8388607) << 30);
}

static void test_overflow(void) {
        /* more than 64 bits */
        REFUSED("<currentMemory>18446744073709551616</currentMemory>", NULL,
                VB_ERROR_INVALID_ARG, "'18446744073709551616' of <currentMemory> is out of range");
        /* fits 64 bits, but not once scaled to bytes */
        REFUSED("<currentMemory unit='EiB'>8</currentMemory>", NULL, VB_ERROR_INVALID_ARG, "too large");
        REFUSED("<maxMemory slots='1' unit='KiB'>18014398509481984</maxMemory>", NULL,
                VB_ERROR_INVALID_ARG, "<maxMemory>");
        REFUSED("<vcpu>4294967296</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'4294967296' of <vcpu>");
        REFUSED("<vcpu current='99999999999'>2</vcpu>", NULL, VB_ERROR_INVALID_ARG, "attribute 'current' of <vcpu>");
        REFUSED(NULL, "<graphics type='vnc' port='65536'/>", VB_ERROR_INVALID_ARG, "'65536'");
        REFUSED(NULL, "<graphics type='vnc' port='-2'/>", VB_ERROR_INVALID_ARG, "'-2'");
        REFUSED("<clock offset='variable' adjustment='99999999999999999999'/>", NULL,
                VB_ERROR_INVALID_ARG, "attribute 'adjustment' of <clock>");
        REFUSED("<cputune><period>999</period></cputune>", NULL, VB_ERROR_INVALID_ARG, "<cputune/period>");
        REFUSED("<cputune><quota>-2</quota></cputune>", NULL, VB_ERROR_INVALID_ARG, "'-2' of <cputune/quota>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                "<iotune><total_bytes_sec>18446744073709551616</total_bytes_sec></iotune></disk>",
                VB_ERROR_INVALID_ARG, "<devices/disk/iotune/total_bytes_sec>");
        REFUSED(NULL, "<controller type='scsi' model='virtio-scsi'><driver cmd_per_lun='x'/></controller>",
                VB_ERROR_INVALID_ARG, "'x' of attribute 'cmd_per_lun' of <devices/controller/driver>");
}

/* Lists are capped, so that no check over them can be made slow by a big
 * document; a full document of the largest size still parses fast. */
static void test_big_documents(void) {
        FILE *f;
        char *devices = NULL, *xml = NULL;
        size_t size = 0;

        f = open_memstream(&devices, &size);
        if (!f)
                return;
        for (int i = 0; i < 4096; i++)
                fprintf(f, "<controller type='scsi'/><disk type='file'><source file='/a'/>"
                        "<target dev='sd%x'/><boot order='%d'/></disk>", i, i + 1);
        fclose(f);
        xml = domain_with(NULL, devices);
        {
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "4096 disks");
                ConfError err = {};

                if (def) {
                        CHECK_INTEQ(def->n_disks, 4096);
                        CHECK_INTEQ(def->controllers[4095].index, 4095);
                        CHECK_INTEQ(domain_def_validate(def, &err), 0);
                }
        }
        free(xml);
        free(devices);

        devices = NULL;
        f = open_memstream(&devices, &size);
        if (!f)
                return;
        for (int i = 0; i < 5000; i++)
                fputs("<input type='mouse'/>", f);
        fclose(f);
        xml = domain_with(NULL, devices);
        check_refused(xml, VB_ERROR_INVALID_ARG, "too many <devices/input> elements: at most 4096");
        free(xml);
        free(devices);
}

/* ---- refusals ------------------------------------------------------------- */

/* "devices/disk/driver" for a node; "domain" for the root. */
static void node_path(xmlNodePtr n, char *buf, size_t size) {
        const char *names[32];
        size_t depth = 0, len = 0;

        for (; n->parent && n->parent->type == XML_ELEMENT_NODE && depth < ELEMENTSOF(names); n = n->parent)
                names[depth++] = (const char *) n->name;
        snprintf(buf, size, "%s", depth ? "" : "domain");
        while (depth > 0 && len < size) {
                depth--;
                len += (size_t) snprintf(buf + len, size - len, "%s%s", names[depth], depth ? "/" : "");
        }
}

static xmlNodePtr nth_element(xmlNodePtr n, size_t *i) {
        if (*i == 0)
                return n;
        for (xmlNodePtr c = n->children; c; c = c->next) {
                xmlNodePtr r;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                (*i)--;
                r = nth_element(c, i);
                if (r)
                        return r;
        }
        return NULL;
}

static void inject_one(const char *xml, size_t index, bool attribute) {
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET);
        xmlChar *out = NULL;
        char path[512], needle[600];
        size_t i = index;
        xmlNodePtr n;
        int len = 0;

        n = doc ? nth_element(xmlDocGetRootElement(doc), &i) : NULL;
        if (!n) {
                xmlFreeDoc(doc);
                return;
        }
        node_path(n, path, sizeof(path));
        /* What is inside <metadata> is the application's, kept as it is. */
        if (strncmp(path, "metadata", strlen("metadata")) == 0) {
                xmlFreeDoc(doc);
                return;
        }
        if (attribute) {
                xmlNewProp(n, BAD_CAST "zzz", BAD_CAST "1");
                snprintf(needle, sizeof(needle), "attribute 'zzz' of <%s> is not supported", path);
        } else {
                xmlNewChild(n, NULL, BAD_CAST "zzz", NULL);
                snprintf(needle, sizeof(needle), "element <%s%szzz> is not supported",
                         streq(path, "domain") ? "" : path, streq(path, "domain") ? "" : "/");
        }
        xmlDocDumpMemory(doc, &out, &len);
        check_refused_((const char *) out, (size_t) len, VB_ERROR_NOT_SUPPORTED, needle, __LINE__);
        xmlFree(out);
        xmlFreeDoc(doc);
}

/* Nothing is ever dropped silently: an unknown attribute or child anywhere
 * in any fixture is refused, naming its path. */
static void test_refuse_unknown_everywhere(void) {
        char **l = list_fixtures();

        for (char **p = l; p && *p; p++) {
                _cleanup_free_ char *xml = read_file(*p);
                xmlDocPtr doc = xml ? xmlReadMemory(xml, (int) strlen(xml), NULL, NULL, XML_PARSE_NONET) : NULL;
                size_t count = 0;

                for (size_t i = 0; doc; i++) {
                        size_t j = i;

                        if (!nth_element(xmlDocGetRootElement(doc), &j))
                                break;
                        count++;
                }
                xmlFreeDoc(doc);
                CHECK(count >= 5);
                for (size_t i = 0; i < count; i++) {
                        inject_one(xml, i, true);
                        inject_one(xml, i, false);
                }
        }
        strv_free(l);
}

static void test_refuse_malformed(void) {
        check_refused("<domain type='kvm'><name>x</name>", VB_ERROR_XML, "line 1");
        check_refused("<domain type='kvm'>\n<name>x</nam>\n</domain>", VB_ERROR_XML, "line 2");
        check_refused("", VB_ERROR_XML, "malformed");
        check_refused("<domain type='kvm'>text<name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_XML, "unexpected text in <domain>");
        check_refused("<network><name>x</name></network>", VB_ERROR_XML, "<domain>");
        check_refused("<x:domain xmlns:x='urn:x' type='kvm'/>", VB_ERROR_XML, "namespace ('urn:x')");
        check_refused("<domain xmlns='urn:y' type='kvm'/>", VB_ERROR_XML, "namespace ('urn:y')");
        /* entity tricks never get as far as expansion */
        check_refused("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'aaaa'>]>\n"
                      "<domain type='kvm'><name>&a;</name></domain>",
                      VB_ERROR_NOT_SUPPORTED, "DOCTYPE");
        check_refused("<?xml version='1.0'?>\n<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'>\n"
                      "<domain type='kvm'><name>x</name></domain>",
                      VB_ERROR_NOT_SUPPORTED, "DOCTYPE");
}

static void test_refuse_too_large(void) {
        size_t size = 10 * 1024 * 1024;
        _cleanup_free_ char *xml = malloc(size + 1);
        const char *head = "<domain type='kvm'><name>big</name><description>";

        CHECK(xml != NULL);
        if (!xml)
                return;
        memset(xml, 'x', size);
        memcpy(xml, head, strlen(head));
        xml[size] = 0;
        check_refused_(xml, size, VB_ERROR_INVALID_ARG, "XML document too large: 10485760 bytes, at most 4194304",
                       __LINE__);
        /* NUL-terminated with len 0 too */
        check_refused_(xml, 0, VB_ERROR_INVALID_ARG, "XML document too large", __LINE__);
}

static void test_refuse_unmodelled(void) {
        REFUSED(NULL, "<hostdev mode='subsystem' type='pci'/>", VB_ERROR_NOT_SUPPORTED,
                "unsupported configuration: element <devices/hostdev> is not supported");
        REFUSED(NULL, "<filesystem type='mount'/>", VB_ERROR_NOT_SUPPORTED, "<devices/filesystem>");
        REFUSED(NULL, "<sound model='pcspk'/>", VB_ERROR_NOT_SUPPORTED,
                "value 'pcspk' of attribute 'model' of <devices/sound>");
        REFUSED(NULL, "<sound model='ich7'/>", VB_ERROR_NOT_SUPPORTED, "'ich7'");
        REFUSED(NULL, "<sound model='ich9'><acpi index='1'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "<devices/sound/acpi>");
        REFUSED(NULL, "<sound model='ac97'><codec type='duplex'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "<devices/sound/codec> is only supported for sound models 'ich6' and 'ich9', not 'ac97'");
        REFUSED(NULL, "<sound model='sb16'><address type='isa' iobase='0x220' irq='5'/></sound>",
                VB_ERROR_NOT_SUPPORTED, "address type 'isa' of <devices/sound/address>");
        REFUSED(NULL, "<sound model='usb'><address type='pci' slot='3'/></sound>", VB_ERROR_NOT_SUPPORTED,
                "address type 'pci' of <devices/sound/address>");
        REFUSED(NULL, "<audio id='1' type='pulseaudio'/>", VB_ERROR_NOT_SUPPORTED,
                "'pulseaudio' of attribute 'type' of <devices/audio>");
        REFUSED(NULL, "<audio id='1' type='none'><input mixingEngine='no'/></audio>", VB_ERROR_NOT_SUPPORTED,
                "<devices/audio/input>");
        REFUSED(NULL, "<watchdog model='i6300esb'/>", VB_ERROR_NOT_SUPPORTED, "<devices/watchdog>");
        REFUSED(NULL, "<channel type='spicevmc'><source path='/x'/><target type='virtio'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "<devices/channel/source>");
        REFUSED(NULL, "<channel type='spicevmc'><target type='virtio' name='org.spice-space.webdav.0'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "target name 'org.spice-space.webdav.0' of a spicevmc <devices/channel>");
        REFUSED(NULL, "<serial type='spicevmc'><target port='0'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "'spicevmc' of attribute 'type' of <devices/serial>");
        REFUSED(NULL, "<channel type='spiceport'><source channel='org.qemu.console.serial.0'/>"
                "<target type='virtio' name='org.qemu.console.serial.0'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "'spiceport' of attribute 'type' of <devices/channel>");
        REFUSED(NULL, "<redirdev bus='usb' type='tcp'><source mode='connect' host='localhost' service='4000'/>"
                "</redirdev>", VB_ERROR_NOT_SUPPORTED, "'tcp' of attribute 'type' of <devices/redirdev>");
        REFUSED(NULL, "<redirdev bus='usb' type='spicevmc'><boot order='1'/></redirdev>", VB_ERROR_NOT_SUPPORTED,
                "<devices/redirdev/boot>");
        REFUSED(NULL, "<redirdev bus='usb' type='spicevmc'><address type='pci' slot='3'/></redirdev>",
                VB_ERROR_NOT_SUPPORTED, "address type 'pci' of <devices/redirdev/address>");
        REFUSED(NULL, "<redirfilter><usbdev allow='yes'/></redirfilter>", VB_ERROR_NOT_SUPPORTED,
                "<devices/redirfilter>");
        REFUSED(NULL, "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='4600'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "'guestfwd' of attribute 'type' of <devices/channel/target>");
        REFUSED(NULL, "<tpm model='tpm-crb'/>", VB_ERROR_NOT_SUPPORTED, "<devices/tpm>");
        REFUSED("<seclabel type='dynamic'/>", NULL, VB_ERROR_NOT_SUPPORTED, "element <seclabel>");
        REFUSED("<metadata><y/></metadata>", NULL, VB_ERROR_INVALID_ARG, "<metadata/y> needs a namespace");
        REFUSED("<iothreads>2</iothreads>", NULL, VB_ERROR_NOT_SUPPORTED, "<iothreads>");
        REFUSED("<pm><suspend-to-mem enabled='no'/><suspend-to-ram/></pm>", NULL, VB_ERROR_NOT_SUPPORTED,
                "<pm/suspend-to-ram>");
        REFUSED("<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'/>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<qemu:commandline>");
        REFUSED("<clock offset='utc'><timer name='tsc' frequency='3000000000'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "timer 'tsc' in <clock/timer>");
        REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='catchup'><catchup threshold='123'/></timer></clock>",
                NULL, VB_ERROR_NOT_SUPPORTED, "<clock/timer/catchup>");
        REFUSED("<features><smm state='on'><tseg unit='MiB'>48</tseg></smm></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/smm/tseg>");
        REFUSED("<features><hyperv><relaxed state='on'/><crash state='on'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/crash>");
        REFUSED("<features><kvm><hint-dedicated state='on'/></kvm></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/kvm/hint-dedicated>");
        REFUSED("<cpu mode='host-passthrough'><cache mode='passthrough'/></cpu>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<cpu/cache>");
        REFUSED("<numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<numatune/memnode>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "address type 'ccw' of <devices/disk/address>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
                "<address type='pci' domain='0' bus='0' slot='4' function='0'><zpci uid='1'/></address></disk>",
                VB_ERROR_NOT_SUPPORTED, "<devices/disk/address/zpci>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a'/><target dev='vda'/><backingStore/></disk>",
                VB_ERROR_NOT_SUPPORTED, "<devices/disk/backingStore>");
        REFUSED(NULL, "<interface type='user'><link state='down'/></interface>",
                VB_ERROR_NOT_SUPPORTED, "<devices/interface/link>");
        REFUSED(NULL, "<interface type='user'><source dev='eth0'/></interface>",
                VB_ERROR_NOT_SUPPORTED, "<devices/interface/source>");
        REFUSED(NULL, "<console type='pty'><target type='serial' port='0'><model name='isa-serial'/></target></console>",
                VB_ERROR_NOT_SUPPORTED, "<devices/console/target/model>");
        REFUSED(NULL, "<serial type='pty'><target port='0'/><address type='isa' iobase='0x3f8' irq='4'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "address type 'isa' of <devices/serial/address>");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><target busNr='5'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'busNr' of <devices/controller/target>");
        REFUSED(NULL, "<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/master>");
        REFUSED(NULL, "<graphics type='spice'><channel name='main' mode='secure'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "<devices/graphics/channel>");
        REFUSED(NULL, "<graphics type='spice'><gl enable='yes'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "<devices/graphics/gl enable='yes'/> is not supported");
        REFUSED(NULL, "<graphics type='spice'><gl enable='no' rendernode='/dev/dri/renderD128'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'rendernode' of <devices/graphics/gl>");
        REFUSED(NULL, "<graphics type='vnc'><image compression='off'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "<devices/graphics/image>");
        REFUSED(NULL, "<graphics type='spice' tlsPort='5902'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'tlsPort' of <devices/graphics>");
        REFUSED(NULL, "<video><model type='qxl' vram64='65536'/></video>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'vram64' of <devices/video/model>");
        REFUSED(NULL, "<video><model type='virtio' vgamem='16384'/></video>", VB_ERROR_NOT_SUPPORTED,
                "'vgamem' of <devices/video/model> are only supported for type 'qxl'");
        REFUSED(NULL, "<video><model type='qxl'><acceleration accel3d='yes'/></model></video>",
                VB_ERROR_NOT_SUPPORTED, "<devices/video/model/acceleration>");
}

static void test_refuse_unmodelled_attributes(void) {
        REFUSED(NULL, "<disk type='file' device='disk' snapshot='no'><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'snapshot' of <devices/disk> is not supported");
        REFUSED(NULL,
                "<disk type='file' device='disk'><driver name='qemu' detect_zeroes='unmap'/><source file='/a'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'detect_zeroes' of <devices/disk/driver>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><driver name='qemu' discard='trim'/><source file='/a'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'trim' of attribute 'discard' of <devices/disk/driver>");
        REFUSED(NULL,
                "<disk type='file' device='disk'><source file='/a' startupPolicy='optional'/>"
                "<target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'startupPolicy' of <devices/disk/source>");
        check_refused("<domain type='kvm'><name>x</name><memory dumpCore='off'>1024</memory>"
                      "<os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'dumpCore' of <memory>");
        REFUSED("<cpu mode='host-model' migratable='on'/>", NULL, VB_ERROR_NOT_SUPPORTED,
                "attribute 'migratable' of <cpu> is only supported with mode 'host-passthrough'");
        REFUSED("<cpu mode='host-passthrough' migratable='yes'/>", NULL, VB_ERROR_INVALID_ARG, "'yes'");
        REFUSED(NULL, "<graphics type='vnc' websocket='5700'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'websocket' of <devices/graphics>");
        REFUSED(NULL, "<memballoon model='virtio' autodeflate='on'/>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'autodeflate' of <devices/memballoon>");
        REFUSED(NULL, "<serial type='file'><source path='/tmp/x' append='on'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'append' of <devices/serial/source>");
        REFUSED(NULL, "<serial type='pty'><source mode='bind'/></serial>", VB_ERROR_NOT_SUPPORTED,
                "attribute 'mode' of <devices/serial/source>");
        REFUSED(NULL, "<controller type='sata' model='ahci'/>", VB_ERROR_NOT_SUPPORTED, "'model'");
        REFUSED(NULL, "<controller type='scsi' ports='4'/>", VB_ERROR_NOT_SUPPORTED, "'ports'");
        check_refused("<domain type='kvm'><name>x</name><os><type>hvm</type><loader stateless='yes'/></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'stateless' of <os/loader>");
        REFUSED(NULL, "<rng model='virtio' xmlns:x='urn:x' x:y='1'><backend model='builtin'/></rng>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'x:y' of <devices/rng>");
        check_refused("<domain type='kvm' foo='bar'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'foo' of <domain>");
}

static void test_refuse_values(void) {
        check_refused("<domain type='xen'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'xen'");
        check_refused("<domain><name>x</name><os><type>hvm</type></os></domain>", VB_ERROR_XML, "'type' of <domain>");
        check_refused("<domain type='kvm'><os><type>hvm</type></os></domain>", VB_ERROR_XML, "<name>");
        check_refused("<domain type='kvm'><name>a/b</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'a/b'");
        check_refused("<domain type='kvm'><name></name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "<name>");
        check_refused("<domain type='kvm'><name>x</name><name>y</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_XML, "<name> is given more than once");
        check_refused("<domain type='kvm'><name>x</name></domain>", VB_ERROR_XML, "<os/type>");
        check_refused("<domain type='kvm'><name>x</name><os><type>linux</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'linux'");
        check_refused("<domain type='kvm' id='-3'><name>x</name><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'id'");
        REFUSED("<uuid>not-a-uuid</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid> 'not-a-uuid'");
        REFUSED("<uuid>0f6a3a5e-8d7c-4b1a-a2f4-9d8e7c6b5a4</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid>");
        REFUSED("<uuid>0f6a3a5e8d7c4b1aa2f49d8e7c6b5a4g</uuid>", NULL, VB_ERROR_INVALID_ARG, "<uuid>");
        check_refused("<domain type='kvm'><name>x</name><memory>abc</memory><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'abc' of <memory> is not a valid number");
        check_refused("<domain type='kvm'><name>x</name><memory>-5</memory><os><type>hvm</type></os></domain>",
                      VB_ERROR_INVALID_ARG, "'-5' of <memory>");
        REFUSED(NULL, "<graphics type='sdl' display=':0'/>", VB_ERROR_NOT_SUPPORTED, "'sdl'");
        REFUSED("<vcpu>two</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'two' of <vcpu>");
        REFUSED("<vcpu cpuset='0-a'>2</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'0-a'");
        REFUSED("<title>two\nlines</title>", NULL, VB_ERROR_INVALID_ARG, "<title>");
        REFUSED("<on_poweroff>coredump-destroy</on_poweroff>", NULL, VB_ERROR_INVALID_ARG, "<on_poweroff>");
        REFUSED("<on_reboot>explode</on_reboot>", NULL, VB_ERROR_NOT_SUPPORTED, "'explode' of <on_reboot>");
        {
                _cleanup_free_ char *x = domain_with("<on_reboot>\n    preserve\n  </on_reboot>", NULL);
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "blank token");

                CHECK(d && d->on_reboot == DOMAIN_ACTION_PRESERVE);
        }
        REFUSED("<clock offset='timezone' timezone='Europe/Paris'/>", NULL, VB_ERROR_NOT_SUPPORTED, "'timezone'");
        REFUSED("<clock offset='utc' adjustment='reset'/>", NULL, VB_ERROR_INVALID_ARG, "'reset'");
        REFUSED("<clock offset='utc' adjustment='10'/>", NULL, VB_ERROR_NOT_SUPPORTED, "offset='variable'");
        REFUSED("<cpu mode='host-passthrough'><topology sockets='1' cores='0' threads='1'/></cpu>", NULL,
                VB_ERROR_INVALID_ARG, "'cores' of <cpu/topology>");
        REFUSED("<cpu><topology sockets='1' threads='1'/></cpu>", NULL, VB_ERROR_XML, "'cores' of <cpu/topology>");
        REFUSED("<cpu><model>x</model><feature policy='require' name='a'/><feature policy='disable' name='a'/></cpu>",
                NULL, VB_ERROR_INVALID_ARG, "'a'");
        REFUSED("<cpu><feature name='vmx'/></cpu>", NULL, VB_ERROR_XML, "'policy' of <cpu/feature>");
        REFUSED("<numatune><memory placement='auto' nodeset='0'/></numatune>", NULL, VB_ERROR_INVALID_ARG,
                "<numatune/memory>");
        REFUSED(NULL, "<disk type='file' device='floppy'><target dev='fda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "'floppy'");
        REFUSED(NULL, "<disk type='network' device='disk'><target dev='vda'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "'network'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda' bus='usb'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'usb' of attribute 'bus' of <devices/disk/target>");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='xvda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'xvda'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/></disk>", VB_ERROR_XML, "<devices/disk/target>");
        REFUSED(NULL, "<disk type='file'><source file='relative.img'/><target dev='vda'/></disk>",
                VB_ERROR_INVALID_ARG, "'relative.img'");
        REFUSED(NULL, "<disk type='file'><driver name='tap'/><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'tap'");
        REFUSED(NULL, "<disk type='file'><driver type='vmdk'/><source file='/a'/><target dev='vda'/></disk>",
                VB_ERROR_NOT_SUPPORTED, "'vmdk'");
        REFUSED(NULL, "<disk type='volume'><source pool='p' volume='..'/><target dev='vda'/></disk>",
                VB_ERROR_INVALID_ARG, "'..'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='0'/></disk>",
                VB_ERROR_INVALID_ARG, "'order'");
        REFUSED(NULL, "<interface type='user'><mac address='52:54:00:zz:00:01'/></interface>",
                VB_ERROR_INVALID_MAC, "'52:54:00:zz:00:01'");
        REFUSED(NULL, "<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>",
                VB_ERROR_INVALID_MAC, "multicast");
        REFUSED(NULL, "<interface type='direct'><source dev='eth0'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "'direct'");
        REFUSED(NULL, "<interface type='network'><model type='virtio'/></interface>", VB_ERROR_XML,
                "<devices/interface/source>");
        REFUSED(NULL, "<interface type='network'><source network='default' portgroup='a b'/></interface>",
                VB_ERROR_INVALID_ARG, "'a b'");
        REFUSED(NULL, "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='2445'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "'tcp'");
        REFUSED(NULL, "<serial type='unix'><target port='0'/></serial>", VB_ERROR_XML, "'path'");
        REFUSED(NULL, "<serial type='pty'><target type='virtio'/></serial>", VB_ERROR_NOT_SUPPORTED, "'virtio'");
        REFUSED(NULL, "<graphics type='sdl'/>", VB_ERROR_NOT_SUPPORTED, "'sdl'");
        REFUSED(NULL, "<graphics type='vnc'><listen type='network' network='default'/></graphics>",
                VB_ERROR_NOT_SUPPORTED, "listen type 'network'");
        REFUSED(NULL,
                "<graphics type='vnc' listen='127.0.0.1'><listen type='address' address='0.0.0.0'/></graphics>",
                VB_ERROR_INVALID_ARG, "'0.0.0.0'");
        REFUSED(NULL, "<graphics type='vnc' listen='not an address'/>", VB_ERROR_INVALID_ARG, "'not an address'");
        REFUSED(NULL, "<video><model type='xen'/></video>", VB_ERROR_NOT_SUPPORTED, "'xen'");
        REFUSED(NULL, "<sound/>", VB_ERROR_XML, "'model' of <devices/sound>");
        REFUSED(NULL, "<sound model='ich9'><codec/></sound>", VB_ERROR_XML, "'type' of <devices/sound/codec>");
        REFUSED(NULL, "<sound model='ich9'><codec type='line'/></sound>", VB_ERROR_NOT_SUPPORTED, "'line'");
        REFUSED(NULL, "<sound model='ich9'><audio id='0'/></sound>", VB_ERROR_INVALID_ARG,
                "'id' of <devices/sound/audio> is out of range");
        REFUSED(NULL, "<sound model='ich9'><audio id='1'/><audio id='2'/></sound>", VB_ERROR_XML,
                "<devices/sound/audio>");
        REFUSED(NULL, "<audio id='256' type='none'/>", VB_ERROR_INVALID_ARG, "'256'");
        REFUSED(NULL, "<audio type='none'/>", VB_ERROR_XML, "'id' of <devices/audio>");
        REFUSED(NULL, "<audio id='1' type='none' timerPeriod='0'/>", VB_ERROR_INVALID_ARG, "'timerPeriod'");
        REFUSED(NULL, "<redirdev type='spicevmc'/>", VB_ERROR_XML, "'bus' of <devices/redirdev>");
        REFUSED(NULL, "<graphics type='spice'><image compression='zip'/></graphics>", VB_ERROR_NOT_SUPPORTED,
                "'zip' of attribute 'compression' of <devices/graphics/image>");
        REFUSED(NULL, "<graphics type='spice'><mouse/></graphics>", VB_ERROR_XML,
                "'mode' of <devices/graphics/mouse>");
        REFUSED(NULL, "<graphics type='spice'><clipboard copypaste='on'/></graphics>", VB_ERROR_INVALID_ARG,
                "'on'");
        REFUSED(NULL, "<graphics type='spice'><image compression='off'/><image compression='lz'/></graphics>",
                VB_ERROR_XML, "<devices/graphics/image>");
        REFUSED(NULL, "<input type='passthrough' bus='virtio'/>", VB_ERROR_NOT_SUPPORTED, "'passthrough'");
        REFUSED(NULL, "<memballoon model='virtio'/><memballoon model='virtio'/>", VB_ERROR_XML, "<devices/memballoon>");
        REFUSED(NULL, "<rng model='virtio'><backend model='egd' type='tcp'/></rng>", VB_ERROR_NOT_SUPPORTED, "'egd'");
        REFUSED(NULL, "<rng model='virtio'/>", VB_ERROR_XML, "<devices/rng/backend>");
        REFUSED(NULL, "<rng model='virtio'><backend model='builtin'>/dev/random</backend></rng>",
                VB_ERROR_INVALID_ARG, "builtin");
        REFUSED(NULL, "<controller type='pci' index='0'/>", VB_ERROR_XML, "'model'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/>junk</disk>", VB_ERROR_XML,
                "<devices/disk>");
        REFUSED(NULL, "<emulator>qemu-kvm</emulator>", VB_ERROR_INVALID_ARG, "'qemu-kvm'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/><alias name='a b'/></disk>",
                VB_ERROR_INVALID_ARG, "'a b'");
}

/* ---- validation ------------------------------------------------------------- */

#define DISK(driver, target, extra)                                                           \
        "<disk type='file' device='disk'>" driver "<source file='/x.img'/>" target extra "</disk>"

static void test_validate(void) {
        INVALID(NULL, DISK("<driver name='qemu' io='native'/>", "<target dev='vda'/>", ""),
                VB_ERROR_NOT_SUPPORTED, "disk 'vda': io='native'");
        INVALID(NULL, DISK("<driver name='qemu' cache='writeback' io='native'/>", "<target dev='vdb'/>", ""),
                VB_ERROR_NOT_SUPPORTED, "cache='none'");
        INVALID(NULL, DISK("", "<target dev='hda' bus='ide'/>", "<readonly/>"), VB_ERROR_NOT_SUPPORTED,
                "disk 'hda'");
        INVALID(NULL, DISK("", "<target dev='hdb'/>", "<readonly/>"), VB_ERROR_NOT_SUPPORTED, "IDE");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><write_iops_sec>9223372036854775808</write_iops_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "<devices/disk/iotune/write_iops_sec> value 9223372036854775808");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><total_iops_sec>18446744073709551615</total_iops_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "18446744073709551615");
        INVALID(NULL,
                DISK("", "<target dev='vda'/>",
                     "<iotune><total_bytes_sec>1</total_bytes_sec><read_bytes_sec>1</read_bytes_sec></iotune>"),
                VB_ERROR_INVALID_ARG, "total_bytes_sec");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<iotune><read_iops_sec_max>5</read_iops_sec_max></iotune>"),
                VB_ERROR_INVALID_ARG, "read_iops_sec_max> needs read_iops_sec");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "") DISK("", "<target dev='vda'/>", ""),
                VB_ERROR_INVALID_ARG, "duplicate disk target 'vda'");
        INVALID(NULL, "<disk type='file' device='cdrom'><target dev='vdc'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "'vdc'");
        INVALID(NULL, "<disk type='file' device='disk'><target dev='vdc'/></disk>", VB_ERROR_INVALID_ARG,
                "no <devices/disk/source>");

        {
                static const char xml[] = "<domain type='kvm'><name>m</name><memory>0</memory>"
                                          "<os><type>hvm</type></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "<memory> must be more than 0", __LINE__);
        }
        {
                static const char xml[] = "<domain type='kvm'><name>m</name><memory unit='TiB'>17</memory>"
                                          "<os><type>hvm</type></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "18253611008 KiB is more than the 16 TiB", __LINE__);
        }
        {
                static const char xml[] = "<domain type='kvm'><name>m</name><os><type>hvm</type></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "<memory>", __LINE__);
        }
        INVALID("<currentMemory unit='MiB'>512</currentMemory>", NULL, VB_ERROR_INVALID_ARG,
                "<currentMemory> of 524288 KiB is more than <memory> of 262144 KiB");
        INVALID("<maxMemory slots='4' unit='MiB'>128</maxMemory>", NULL, VB_ERROR_INVALID_ARG, "<maxMemory>");
        INVALID("<vcpu>0</vcpu>", NULL, VB_ERROR_INVALID_ARG, "<vcpu> count 0");
        INVALID("<vcpu>4097</vcpu>", NULL, VB_ERROR_INVALID_ARG, "<vcpu> count 4097");
        INVALID("<vcpu current='3'>2</vcpu>", NULL, VB_ERROR_INVALID_ARG, "'current'");
        INVALID("<vcpu>2</vcpu><cpu><topology sockets='1' cores='4' threads='1'/></cpu>", NULL,
                VB_ERROR_INVALID_ARG, "<cpu/topology>");
        INVALID("<vcpu>2</vcpu><cputune><vcpupin vcpu='2' cpuset='1'/></cputune>", NULL, VB_ERROR_INVALID_ARG,
                "vcpupin");

        INVALID(NULL,
                DISK("", "<target dev='vda'/>", "<boot order='1'/>")
                "<interface type='user'><mac address='52:54:00:00:00:02'/><boot order='1'/></interface>",
                VB_ERROR_INVALID_ARG, "boot order 1 is used twice: by disk 'vda' and interface 52:54:00:00:00:02");
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<boot order='3'/>") DISK("", "<target dev='vdb'/>", "<boot order='3'/>"),
                VB_ERROR_INVALID_ARG, "boot order 3");
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory>"
                        "<os><type>hvm</type><boot dev='hd'/></os><devices>"
                        "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk>"
                        "</devices></domain>";
                check_invalid_(xml, VB_ERROR_NOT_SUPPORTED, "disk 'vda'", __LINE__);
                check_invalid_(xml, VB_ERROR_NOT_SUPPORTED, "<os/boot>", __LINE__);
        }
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory>"
                        "<os><type>hvm</type><boot dev='hd'/><boot dev='hd'/></os></domain>";
                check_invalid_(xml, VB_ERROR_INVALID_ARG, "boot device 'hd' is listed twice", __LINE__);
        }
        {
                static const char xml[] =
                        "<domain type='kvm'><name>b</name><memory>1024</memory><os><type>hvm</type>"
                        "<boot dev='hd'/><boot dev='cdrom'/><boot dev='network'/><boot dev='fd'/><boot dev='hd'/>"
                        "</os></domain>";
                check_refused(xml, VB_ERROR_INVALID_ARG, "<os/boot>");
        }
        INVALID(NULL, "<controller type='scsi' index='0'/><controller type='scsi' index='0'/>",
                VB_ERROR_INVALID_ARG, "index 0");
        INVALID(NULL, "<controller type='scsi' model='lsilogic'><driver cmd_per_lun='4'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "virtio-scsi");
        INVALID(NULL,
                "<video><model type='virtio' primary='yes'/></video><video><model type='vga' primary='yes'/></video>",
                VB_ERROR_INVALID_ARG, "primary");
        INVALID(NULL, "<video><model type='qxl' vgamem='12288'/></video>", VB_ERROR_INVALID_ARG,
                "vgamem '12288' of <devices/video/model> must be a power of two");
        INVALID(NULL, "<video><model type='qxl' ram='512'/></video>", VB_ERROR_INVALID_ARG, "at least 1024 KiB");
        INVALID(NULL, "<sound model='ich9'><audio id='2'/></sound><audio id='1' type='none'/>",
                VB_ERROR_INVALID_ARG, "<devices/sound/audio id='2'/> names no <devices/audio>");
        INVALID(NULL, "<sound model='ac97'><audio id='1'/></sound>", VB_ERROR_INVALID_ARG, "id='1'");
        INVALID(NULL, "<audio id='1' type='none'/><audio id='1' type='spice'/>", VB_ERROR_INVALID_ARG,
                "two <devices/audio> have the id 1");
        INVALID(NULL,
                "<redirdev bus='usb' type='spicevmc'><address type='usb' bus='0' port='2'/></redirdev>"
                "<sound model='usb'><address type='usb' bus='0' port='2'/></sound>",
                VB_ERROR_INVALID_ARG, "used twice, by sound 0 ('usb') and by redirdev 0");
        INVALID(NULL,
                "<sound model='ich9'><address type='pci' slot='0x1b'/></sound>"
                "<rng model='virtio'><backend model='builtin'/><address type='pci' slot='0x1b'/></rng>",
                VB_ERROR_INVALID_ARG, "sound 0 ('ich9')");
}

/* ---- what virt-install and virsh dumpxml write ------------------------------ */

static void test_virt_install(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *live = NULL, *inactive = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainChrDef *serial, *channel;

        CHECK(asprintf(&path, "%s/virt-install.xml", data_dir()) > 0);
        xml = read_file(path);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        CHECK_INTEQ(def->clock.n_timers, 3);
        CHECK_INTEQ(def->clock.timers[0].name, DOMAIN_TIMER_RTC);
        CHECK_INTEQ(def->clock.timers[0].tickpolicy, DOMAIN_TIMER_TICKPOLICY_CATCHUP);
        CHECK_INTEQ(def->clock.timers[1].name, DOMAIN_TIMER_PIT);
        CHECK_INTEQ(def->clock.timers[1].tickpolicy, DOMAIN_TIMER_TICKPOLICY_DELAY);
        CHECK_INTEQ(def->clock.timers[2].name, DOMAIN_TIMER_HPET);
        CHECK_INTEQ(def->clock.timers[2].present, TRISTATE_OFF);
        CHECK_INTEQ(def->pm.suspend_to_mem, TRISTATE_OFF);
        CHECK_INTEQ(def->pm.suspend_to_disk, TRISTATE_OFF);
        CHECK_INTEQ(def->features.vmport, TRISTATE_OFF);
        CHECK_INTEQ(def->features.smm, TRISTATE_ABSENT);
        CHECK_INTEQ(def->cpu.migratable, TRISTATE_ON);
        CHECK_INTEQ(def->disks[0].discard, DOMAIN_DISK_DISCARD_UNMAP);
        CHECK_INTEQ(def->disks[0].addr.type, DOMAIN_ADDRESS_PCI);
        CHECK_INTEQ(def->disks[0].addr.bus, 4);
        CHECK_INTEQ(def->disks[1].addr.type, DOMAIN_ADDRESS_DRIVE);
        CHECK_INTEQ(def->n_controllers, 18);
        if (def->n_controllers == 18) {
                const DomainControllerDef *rp = &def->controllers[2];

                CHECK_STREQ(rp->model_name, "pcie-root-port");
                CHECK(rp->has_target_chassis && rp->target_chassis == 1);
                CHECK(rp->has_target_port && rp->target_port == 0x10);
                CHECK_INTEQ(rp->addr.slot, 2);
                CHECK_INTEQ(rp->addr.multifunction, TRISTATE_ON);
                CHECK_INTEQ(def->controllers[16].addr.slot, 0x1f);
                CHECK_INTEQ(def->controllers[16].addr.function, 2);
        }
        CHECK_INTEQ(def->n_chrs, 3);
        if (def->n_chrs != 3)
                return;
        serial = &def->chrs[0];
        channel = &def->chrs[2];
        CHECK_STREQ(serial->target_model, "isa-serial");
        CHECK_INTEQ(channel->kind, DOMAIN_CHR_CHANNEL);
        CHECK_STREQ(channel->target_name, "org.qemu.guest_agent.0");
        CHECK(channel->listen && !channel->path);
        CHECK_INTEQ(channel->addr.type, DOMAIN_ADDRESS_VIRTIO_SERIAL);
        CHECK(channel->addr.has_port && channel->addr.port == 1);
        CHECK_INTEQ(def->inputs[0].addr.type, DOMAIN_ADDRESS_USB);
        CHECK(def->inputs[0].addr.n_usb_port == 1 && def->inputs[0].addr.usb_port[0] == 1);

        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(inactive, "<timer name='rtc' tickpolicy='catchup'/>");
        CHECK_CONTAINS(inactive, "<timer name='hpet' present='no'/>");
        CHECK_CONTAINS(inactive, "<suspend-to-disk enabled='no'/>");
        CHECK_CONTAINS(inactive, "<vmport state='off'/>");
        CHECK_CONTAINS(inactive, "<address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>");
        CHECK_CONTAINS(inactive, "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' "
                                 "multifunction='on'/>");
        CHECK_CONTAINS(inactive, "<target chassis='14' port='0x1d'/>");
        CHECK_CONTAINS(inactive, "<address type='drive' controller='0' bus='0' target='0' unit='0'/>");
        CHECK_CONTAINS(inactive, "<model name='isa-serial'/>");
        CHECK_CONTAINS(inactive, "<channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>");
        CHECK_CONTAINS(inactive, "<address type='virtio-serial' controller='0' bus='0' port='1'/>");
        CHECK_CONTAINS(inactive, "<address type='usb' bus='0' port='1'/>");

        /* the socket the driver places and the agent's state belong to the running guest */
        def->chrs[2].path = strdup("/run/virtbus/qemu/debian12.channel0.sock");
        def->chrs[2].path_auto = true;
        def->chrs[2].target_state = strdup("connected");
        def->chrs[2].alias = strdup("channel0");
        free(inactive);
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        live = format_ok(def, 0);
        CHECK_NOT_CONTAINS(inactive, "channel0.sock");
        CHECK_NOT_CONTAINS(inactive, "state='connected'");
        CHECK_CONTAINS(live, "<source mode='bind' path='/run/virtbus/qemu/debian12.channel0.sock'/>");
        CHECK_CONTAINS(live, "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>");
        CHECK_CONTAINS(live, "<alias name='channel0'/>");
}

/* What virt-manager writes for a desktop guest with SPICE. */
static void test_virt_manager_desktop(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *inactive = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainGraphicsDef *g;
        const DomainVideoDef *v;

        CHECK(asprintf(&path, "%s/virt-manager-desktop.xml", data_dir()) > 0);
        xml = read_file(path);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        CHECK(def->n_sounds == 1 && def->n_audios == 1 && def->n_redirdevs == 2 && def->n_graphics == 1 &&
              def->n_videos == 1 && def->n_chrs == 4);
        if (unit_failed_checks)
                return;
        CHECK_INTEQ(def->sounds[0].model, DOMAIN_SOUND_ICH9);
        CHECK_INTEQ(def->sounds[0].n_codecs, 0);
        CHECK_INTEQ(def->sounds[0].addr.slot, 0x1b);
        CHECK_INTEQ(def->audios[0].id, 1);
        CHECK_INTEQ(def->audios[0].type, DOMAIN_AUDIO_SPICE);
        CHECK_INTEQ(def->redirdevs[1].type, DOMAIN_CHR_SPICEVMC);
        CHECK_INTEQ(def->redirdevs[1].addr.usb_port[0], 3);
        CHECK_INTEQ(def->chrs[3].type, DOMAIN_CHR_SPICEVMC);
        CHECK_STREQ(def->chrs[3].target_name, "com.redhat.spice.0");
        g = &def->graphics[0];
        CHECK_STREQ(g->image_compression, "off");
        CHECK_INTEQ(g->gl, TRISTATE_OFF);
        v = &def->videos[0];
        CHECK(v->ram == 65536 && v->vram == 65536 && v->vgamem == 16384 && v->heads == 1 && v->primary);
        CHECK_INTEQ(domain_def_validate(def, &(ConfError) {}), 0);

        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(inactive, "<channel type='spicevmc'>\n      <target type='virtio' name='com.redhat.spice.0'/>");
        CHECK_CONTAINS(inactive, "<image compression='off'/>\n      <gl enable='no'/>\n    </graphics>");
        CHECK_CONTAINS(inactive, "<sound model='ich9'>\n      <address type='pci'");
        CHECK_CONTAINS(inactive, "<audio id='1' type='spice'/>");
        CHECK_CONTAINS(inactive, "<model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>");
        CHECK_CONTAINS(inactive, "<redirdev bus='usb' type='spicevmc'>\n      <address type='usb' bus='0' port='3'/>");

        /* a spicevmc channel without a name is the agent's, as in libvirt */
        {
                _cleanup_free_ char *x = domain_with(NULL, "<channel type='spicevmc'><target type='virtio'/></channel>");
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "spicevmc without name");

                CHECK(d && d->n_chrs == 1 && streq_ptr(d->chrs[0].target_name, "com.redhat.spice.0"));
        }
}

static void test_addresses(void) {
        {
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                        "<address type='pci' bus='4' slot='0x1F' function='7' multifunction='off'/></interface>"
                        "<input type='tablet' bus='usb'><address type='usb' bus='1' port='1.2.3'/></input>"
                        "<console type='pty'><target type='virtio'/><address type='virtio-serial' controller='1'/></console>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "addresses");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->nets[0].addr.bus, 4);
                        CHECK_INTEQ(def->nets[0].addr.slot, 31);
                        CHECK_INTEQ(def->nets[0].addr.function, 7);
                        CHECK_INTEQ(def->inputs[0].addr.n_usb_port, 3);
                        CHECK(!def->chrs[0].addr.has_port);
                }
                CHECK_CONTAINS(out, "<address type='pci' domain='0x0000' bus='0x04' slot='0x1f' function='0x7' "
                                    "multifunction='off'/>");
                CHECK_CONTAINS(out, "<address type='usb' bus='1' port='1.2.3'/>");
                CHECK_CONTAINS(out, "<address type='virtio-serial' controller='1' bus='0'/>");
        }
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='32'/></interface>", VB_ERROR_INVALID_ARG,
                "'32' of attribute 'slot' of <devices/interface/address> is out of range");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='5' function='8'/></interface>",
                VB_ERROR_INVALID_ARG, "'function'");
        REFUSED(NULL, "<interface type='user'><address type='pci' bus='0x100' slot='5'/></interface>",
                VB_ERROR_INVALID_ARG, "'bus'");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='08'/></interface>", VB_ERROR_INVALID_ARG,
                "'08' of attribute 'slot'");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='0x'/></interface>", VB_ERROR_INVALID_ARG,
                "'0x'");
        REFUSED(NULL, "<interface type='user'><address type='pci' domain='0x0001' slot='5'/></interface>",
                VB_ERROR_NOT_SUPPORTED, "PCI domain 0x0001");
        REFUSED(NULL, "<interface type='user'><address type='pci' slot='5'/><address type='pci' slot='6'/></interface>",
                VB_ERROR_XML, "<devices/interface/address> is given more than once");
        REFUSED(NULL, "<interface type='user'><address type='drive' unit='1'/></interface>", VB_ERROR_NOT_SUPPORTED,
                "address type 'drive' of <devices/interface/address> is not supported for this device");
        REFUSED(NULL, "<interface type='user'><address slot='1'/></interface>", VB_ERROR_XML, "'type'");
        REFUSED(NULL, "<input type='mouse' bus='ps2'><address type='usb' bus='0' port='1'/></input>",
                VB_ERROR_NOT_SUPPORTED, "address type 'usb' of <devices/input/address>");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' port='1'/></input>", VB_ERROR_XML,
                "'bus' of <devices/input/address>");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1..2'/></input>",
                VB_ERROR_INVALID_ARG, "'1..2'");
        REFUSED(NULL, "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1.2.3.4.5'/></input>",
                VB_ERROR_INVALID_ARG, "'1.2.3.4.5'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='sda' bus='sata'/>"
                      "<address type='drive' controller='100'/></disk>", VB_ERROR_INVALID_ARG, "'controller'");
        REFUSED(NULL, "<disk type='file'><source file='/a'/><target dev='vda'/>"
                      "<address type='virtio-serial' controller='0'/></disk>", VB_ERROR_NOT_SUPPORTED,
                "address type 'virtio-serial'");
        REFUSED(NULL, "<controller type='pci' index='0' model='pcie-root'><address type='pci' slot='1'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/address>");
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'/><address type='pci' slot='5'/></serial>",
                VB_ERROR_NOT_SUPPORTED, "address type 'pci' of <devices/serial/address>");

        /* the address fits the bus */
        INVALID(NULL, DISK("", "<target dev='vda'/>", "<address type='drive' unit='1'/>"), VB_ERROR_INVALID_ARG,
                "disk 'vda': <devices/disk/address> of type 'drive' does not fit bus 'virtio'");
        INVALID(NULL, DISK("", "<target dev='sda' bus='sata'/>", "<address type='pci' slot='5'/>"),
                VB_ERROR_INVALID_ARG, "use type 'drive'");
        INVALID(NULL, DISK("", "<target dev='sda' bus='sata'/>", "<address type='drive' unit='6'/>"),
                VB_ERROR_INVALID_ARG, "SATA");
        INVALID(NULL, DISK("", "<target dev='hda' bus='ide'/>", "<address type='drive' bus='2'/>"),
                VB_ERROR_INVALID_ARG, "IDE");
        /* no two devices in one place, naming both */
        INVALID(NULL,
                DISK("", "<target dev='vda'/>", "<address type='pci' bus='0' slot='5' function='0'/>")
                "<interface type='user'><mac address='52:54:00:00:00:01'/>"
                "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></interface>",
                VB_ERROR_INVALID_ARG, "address 0000:00:05.0 is used twice, by disk 'vda' and by interface "
                                      "52:54:00:00:00:01");
        INVALID(NULL,
                DISK("", "<target dev='sda' bus='sata'/>", "<address type='drive' unit='1'/>")
                DISK("", "<target dev='sdb' bus='sata'/>", "<address type='drive' unit='1'/>"),
                VB_ERROR_INVALID_ARG, "by disk 'sda' and by disk 'sdb'");
        INVALID(NULL,
                "<channel type='pty'><target type='virtio' name='a'/><address type='virtio-serial' controller='0' port='1'/></channel>"
                "<channel type='pty'><target type='virtio' name='b'/><address type='virtio-serial' controller='0' port='1'/></channel>",
                VB_ERROR_INVALID_ARG, "by channel 'a' and by channel 'b'");
        INVALID(NULL,
                "<input type='tablet' bus='usb'><address type='usb' bus='0' port='1'/></input>"
                "<input type='mouse' bus='usb'><address type='usb' bus='0' port='1'/></input>",
                VB_ERROR_INVALID_ARG, "usb 0:1");
        INVALID(NULL,
                "<channel type='pty'><target type='virtio' name='a'/></channel>"
                "<channel type='pty'><target type='virtio' name='a'/></channel>",
                VB_ERROR_INVALID_ARG, "target name 'a'");
        INVALID(NULL,
                "<controller type='pci' index='1' model='pcie-root-port'><address type='pci' slot='2'/></controller>"
                "<controller type='pci' index='2' model='pcie-root-port'><address type='pci' slot='2' function='1'/></controller>",
                VB_ERROR_INVALID_ARG, "function 0 (controller 'pci' index 1) has no multifunction='on'");
        /* <address type='pci'/> means "anywhere on PCI": two of them do not clash */
        {
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<interface type='user'><address type='pci'/></interface>"
                        "<interface type='user'><address type='pci'/></interface>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "empty PCI addresses");
                ConfError err = {};

                CHECK(def && domain_def_validate(def, &err) == 0);
                CHECK(def && domain_address_pci_is_empty(&def->nets[0].addr));
        }

        /* PCI controllers' <model name=''/> and <target/> */
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><model name='pci-bridge'/></controller>",
                VB_ERROR_INVALID_ARG, "'pci-bridge' does not implement");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-switch-upstream-port'><model name='x3130-upstream'/>"
                      "</controller>", VB_ERROR_NOT_SUPPORTED, "'x3130-upstream'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pcie-root-port'><target port='300'/></controller>",
                VB_ERROR_INVALID_ARG, "'300'");
        REFUSED(NULL, "<controller type='pci' index='1' model='pci-bridge'><target chassis='1'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "chassisNr");
        REFUSED(NULL, "<controller type='usb' index='0'><model name='pcie-root-port'/></controller>",
                VB_ERROR_NOT_SUPPORTED, "<devices/controller/model>");
}

static void test_timers_pm_features(void) {
        REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='merge'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "tickpolicy 'merge' of timer 'rtc'");
        REFUSED("<clock offset='utc'><timer name='rtc' track='boot'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "track 'boot'");
        REFUSED("<clock offset='utc'><timer name='rtc' present='no'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "present='no' of timer 'rtc'");
        REFUSED("<clock offset='utc'><timer name='pit' tickpolicy='catchup'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "tickpolicy 'catchup' of timer 'pit'");
        REFUSED("<clock offset='utc'><timer name='pit' track='wall'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "attribute 'track' of <clock/timer> is not supported for timer 'pit'");
        REFUSED("<clock offset='utc'><timer name='pit' tickpolicy='delay' present='no'/></clock>", NULL,
                VB_ERROR_INVALID_ARG, "present='no'");
        REFUSED("<clock offset='utc'><timer name='hpet' tickpolicy='delay'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "attribute 'tickpolicy' of <clock/timer> is not supported for timer 'hpet'");
        REFUSED("<clock offset='utc'><timer name='hpet' present='no'/><timer name='hpet' present='yes'/></clock>",
                NULL, VB_ERROR_INVALID_ARG, "timer 'hpet' is given more than once");
        REFUSED("<clock offset='utc'><timer name='hypervclock' tickpolicy='delay'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "attribute 'tickpolicy' of <clock/timer> is not supported for timer 'hypervclock'");
        REFUSED("<clock offset='utc'><timer name='platform'/></clock>", NULL,
                VB_ERROR_NOT_SUPPORTED, "timer 'platform'");
        REFUSED("<clock offset='utc'><timer name='rtc' tickpolicy='fast'/></clock>", NULL, VB_ERROR_NOT_SUPPORTED,
                "'fast'");
        REFUSED("<clock offset='utc'><timer name='kvmclock' present='maybe'/></clock>", NULL, VB_ERROR_INVALID_ARG,
                "'maybe'");
        REFUSED("<clock offset='utc'><timer present='yes'/></clock>", NULL, VB_ERROR_XML, "'name'");
        REFUSED("<pm><suspend-to-mem enabled='maybe'/></pm>", NULL, VB_ERROR_INVALID_ARG, "'maybe'");
        REFUSED("<pm><suspend-to-mem enabled='no'/><suspend-to-mem enabled='yes'/></pm>", NULL, VB_ERROR_XML,
                "<pm/suspend-to-mem> is given more than once");
        REFUSED("<features><vmport state='auto'/></features>", NULL, VB_ERROR_INVALID_ARG, "'auto'");
        {
                _cleanup_free_ char *xml = domain_with(
                        "<features><vmport/><smm/></features>"
                        "<clock offset='localtime'><timer name='kvmclock' present='no'/>"
                        "<timer name='rtc' track='realtime' tickpolicy='delay' present='yes'/></clock>"
                        "<pm><suspend-to-disk/></pm>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "features");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->features.vmport, TRISTATE_ON);
                        CHECK_INTEQ(def->features.smm, TRISTATE_ON);
                        CHECK_INTEQ(def->clock.timers[1].track, DOMAIN_TIMER_TRACK_REALTIME);
                        CHECK_INTEQ(def->pm.suspend_to_disk, TRISTATE_ABSENT);
                }
                CHECK_CONTAINS(out, "<vmport state='on'/>");
                CHECK_CONTAINS(out, "<smm state='on'/>");
                CHECK_CONTAINS(out, "<clock offset='localtime'>\n    <timer name='kvmclock' present='no'/>\n"
                                    "    <timer name='rtc' track='realtime' tickpolicy='delay' present='yes'/>");
                CHECK_NOT_CONTAINS(out, "<pm>");
        }
}

static void test_hyperv(void) {
        REFUSED("<features><hyperv mode='passthrough'><relaxed state='on'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/relaxed> in <features/hyperv mode='passthrough'>");
        REFUSED("<features><hyperv mode='auto'/></features>", NULL, VB_ERROR_NOT_SUPPORTED, "'auto'");
        REFUSED("<features><hyperv><relaxed/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'state' of <features/hyperv/relaxed>");
        REFUSED("<features><hyperv><relaxed state='yes'/></hyperv></features>", NULL, VB_ERROR_INVALID_ARG, "'yes'");
        REFUSED("<features><hyperv><relaxed state='on'/><relaxed state='off'/></hyperv></features>", NULL,
                VB_ERROR_XML, "<features/hyperv/relaxed> is given more than once");
        REFUSED("<features><hyperv><relaxed state='on'>x</relaxed></hyperv></features>", NULL, VB_ERROR_XML,
                "<features/hyperv/relaxed>");
        REFUSED("<features><hyperv><vapic state='on' retries='9000'/></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "retries");
        REFUSED("<features><hyperv><spinlocks state='on'/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'retries'");
        REFUSED("<features><hyperv><spinlocks state='on' retries='4094'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "at least 4095");
        REFUSED("<features><hyperv><spinlocks state='on' retries='-1'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "retries");
        REFUSED("<features><hyperv><vendor_id state='on'/></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'value'");
        REFUSED("<features><hyperv><vendor_id state='on' value='0123456789abc'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "1 to 12 characters");
        REFUSED("<features><hyperv><vendor_id state='off' value='a,b'/></hyperv></features>", NULL,
                VB_ERROR_INVALID_ARG, "'value'");
        REFUSED("<features><hyperv><stimer/></hyperv></features>", NULL, VB_ERROR_XML, "missing attribute 'state'");
        REFUSED("<features><hyperv><stimer state='on'><direct/></stimer></hyperv></features>", NULL, VB_ERROR_XML,
                "missing attribute 'state' of <features/hyperv/stimer/direct>");
        REFUSED("<features><hyperv><stimer state='on'><indirect state='on'/></stimer></hyperv></features>", NULL,
                VB_ERROR_NOT_SUPPORTED, "<features/hyperv/stimer/indirect>");
        {
                _cleanup_free_ char *path = NULL, *out = NULL;
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                const DomainFeaturesDef *f;

                CHECK(asprintf(&path, "%s/windows.xml", data_dir()) > 0);
                xml = read_file(path);
                def = xml ? parse_ok(xml, "windows.xml") : NULL;
                out = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(def != NULL);
                if (!def)
                        return;
                f = &def->features;
                CHECK_INTEQ(f->hyperv_mode, DOMAIN_HYPERV_MODE_CUSTOM);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_RELAXED], TRISTATE_ON);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_RESET], TRISTATE_OFF);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_EVMCS], TRISTATE_OFF);
                CHECK_INTEQ(f->hyperv[DOMAIN_HYPERV_AVIC], TRISTATE_ON);
                CHECK_INTEQ(f->hyperv_spinlocks, 8191);
                CHECK_INTEQ(f->hyperv_stimer_direct, TRISTATE_ON);
                CHECK_STREQ(f->hyperv_vendor_id, "KVM Hv");
                CHECK_INTEQ(f->kvm_hidden, TRISTATE_ON);
                CHECK_INTEQ(def->clock.timers[3].name, DOMAIN_TIMER_HYPERVCLOCK);
                CHECK_INTEQ(def->clock.timers[3].present, TRISTATE_ON);
                CHECK_CONTAINS(out, "<hyperv mode='custom'>\n      <relaxed state='on'/>");
                CHECK_CONTAINS(out, "<spinlocks state='on' retries='8191'/>");
                CHECK_CONTAINS(out, "<stimer state='on'>\n        <direct state='on'/>\n      </stimer>");
                CHECK_CONTAINS(out, "<vendor_id state='on' value='KVM Hv'/>");
                CHECK_CONTAINS(out, "<avic state='on'/>\n    </hyperv>\n    <kvm>");
                CHECK_CONTAINS(out, "<timer name='hypervclock' present='yes'/>");
        }
        {
                _cleanup_free_ char *xml = domain_with(
                        "<features><hyperv mode='passthrough'/></features>"
                        "<clock offset='utc'><timer name='hypervclock' present='no'/></clock>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "passthrough");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def)
                        CHECK_INTEQ(def->features.hyperv_mode, DOMAIN_HYPERV_MODE_PASSTHROUGH);
                CHECK_CONTAINS(out, "<features>\n    <hyperv mode='passthrough'/>\n  </features>");
                CHECK_CONTAINS(out, "<timer name='hypervclock' present='no'/>");
        }
        {
                /* no mode is custom; <stimer> with only <direct/> is valid */
                _cleanup_free_ char *xml = domain_with(
                        "<features><hyperv><stimer><direct state='off'/></stimer>"
                        "<vendor_id state='off'/><spinlocks state='off'/></hyperv></features>", NULL);
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "custom");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                CHECK_CONTAINS(out, "<hyperv mode='custom'>\n      <spinlocks state='off'/>\n"
                                    "      <stimer>\n        <direct state='off'/>\n      </stimer>\n"
                                    "      <vendor_id state='off'/>\n    </hyperv>");
                if (out && load_schema())
                        CHECK(schema_valid(load_schema(), out));
        }
}

static void test_firmware(void) {
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<firmware><feature enabled='yes' name='secure-boot'/></firmware></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "<os/firmware>");
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'/></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "attribute 'template' of <os/nvram>");
        check_refused("<domain type='kvm'><name>x</name><os firmware='uefi'><type>hvm</type></os></domain>",
                      VB_ERROR_NOT_SUPPORTED, "'uefi'");
        check_refused("<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                      "<loader type='rom'/></os></domain>", VB_ERROR_INVALID_ARG, "not 'rom'");
        check_refused("<domain type='kvm'><name>x</name><os firmware='bios'><type>hvm</type>"
                      "<loader secure='yes'/></os></domain>", VB_ERROR_INVALID_ARG, "needs firmware='efi'");
        {
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(
                        "<domain type='kvm'><name>x</name><os firmware='efi'><type>hvm</type>"
                        "<loader readonly='yes' secure='yes' type='pflash'/></os>"
                        "<features><smm state='on'/></features></domain>", "efi");
                _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

                if (def) {
                        CHECK_INTEQ(def->os.firmware, DOMAIN_FIRMWARE_EFI);
                        CHECK_INTEQ(def->os.loader_secure, TRISTATE_ON);
                        CHECK(def->os.loader == NULL);
                }
                CHECK_CONTAINS(out, "<os firmware='efi'>\n    <type>hvm</type>\n"
                                    "    <loader readonly='yes' secure='yes' type='pflash'/>\n  </os>");
                if (out && load_schema())
                        CHECK(schema_valid(load_schema(), out));
        }
}

static void test_serial_and_channel(void) {
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'><model name='pci-serial'/></target></serial>",
                VB_ERROR_INVALID_ARG, "serial model 'pci-serial'");
        REFUSED(NULL, "<serial type='pty'><target type='isa-serial'><model name='16550a'/></target></serial>",
                VB_ERROR_NOT_SUPPORTED, "'16550a'");
        REFUSED(NULL, "<channel type='unix'/>", VB_ERROR_XML, "<devices/channel/target>");
        REFUSED(NULL, "<channel type='unix'><source mode='connect'/><target type='virtio' name='x'/></channel>",
                VB_ERROR_XML, "'path'");
        REFUSED(NULL, "<channel type='unix'><target type='virtio' name='x' port='1'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "attribute 'port' of <devices/channel/target>");
        REFUSED(NULL, "<channel type='unix'><target type='virtio' state='asleep'/></channel>",
                VB_ERROR_NOT_SUPPORTED, "'asleep'");
        REFUSED(NULL, "<channel><target type='virtio'/></channel>", VB_ERROR_XML, "'type' of <devices/channel>");
        {
                /* a serial model alone says its target type */
                _cleanup_free_ char *xml = domain_with(NULL,
                        "<serial type='pty'><target port='1'><model name='isa-serial'/></target></serial>"
                        "<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
                        "<channel type='unix'><source path='/run/x.sock'/><target type='virtio'/></channel>");
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "serial model");
                _cleanup_free_ char *out = def ? format_ok(def, DOMAIN_FORMAT_INACTIVE) : NULL;

                if (def) {
                        CHECK_STREQ(def->chrs[0].target_type, "isa-serial");
                        CHECK(def->chrs[1].listen && !def->chrs[1].path);
                        CHECK(!def->chrs[2].listen);
                }
                CHECK_CONTAINS(out, "<target type='isa-serial' port='1'>\n        <model name='isa-serial'/>");
                CHECK_CONTAINS(out, "<source mode='connect' path='/run/x.sock'/>\n      <target type='virtio'/>");
        }
}

/* ---- live, secure and defaults ---------------------------------------------- */

static void test_live_fields(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *live = NULL, *inactive = NULL, *secure = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;

        CHECK(asprintf(&path, "%s/live.xml", data_dir()) > 0);
        xml = read_file(path);
        CHECK(xml != NULL);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        CHECK_INTEQ(def->id, 7);
        CHECK_STREQ(def->disks[0].alias, "virtio-disk0");
        CHECK_STREQ(def->nets[0].ifname, "vnet3");
        CHECK_STREQ(def->chrs[0].path, "/dev/pts/4");
        CHECK_INTEQ(def->graphics[0].port, 5900);
        CHECK(def->graphics[0].autoport);

        live = format_ok(def, 0);
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        secure = format_ok(def, DOMAIN_FORMAT_SECURE);

        CHECK_CONTAINS(live, "<domain type='kvm' id='7'>");
        CHECK_CONTAINS(live, "<alias name='virtio-disk0'/>");
        CHECK_CONTAINS(live, "<alias name='usb'/>");
        CHECK_CONTAINS(live, "<alias name='balloon0'/>");
        CHECK_CONTAINS(live, "<target dev='vnet3'/>");
        CHECK_CONTAINS(live, "<serial type='pty' tty='/dev/pts/4'>");
        CHECK_CONTAINS(live, "<source path='/dev/pts/4'/>");
        CHECK_CONTAINS(live, "port='5900' autoport='yes'");
        CHECK_NOT_CONTAINS(live, "hunter2");

        CHECK_CONTAINS(inactive, "<domain type='kvm'>");
        CHECK_NOT_CONTAINS(inactive, "id='7'");
        CHECK_NOT_CONTAINS(inactive, "<alias");
        CHECK_NOT_CONTAINS(inactive, "vnet3");
        CHECK_NOT_CONTAINS(inactive, "/dev/pts/4");
        CHECK_CONTAINS(inactive, "port='-1' autoport='yes'");
        CHECK_NOT_CONTAINS(inactive, "hunter2");

        CHECK_CONTAINS(secure, "passwd='hunter2'");
}

static void test_defaults(void) {
        _cleanup_free_ char *xml = domain_with(NULL,
                                               "<interface type='user'/>"
                                               "<disk type='file'><source file='/a'/><target dev='sdz'/></disk>"
                                               "<controller type='usb'/><controller type='usb'/>"
                                               "<graphics type='vnc'/>");
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL;
        _cleanup_free_ char *out = NULL, *out2 = NULL;
        static const uint8_t zero[16] = {};
        char uuid[40];

        def = parse_ok(xml, "defaults");
        if (!def)
                return;
        CHECK(memcmp(def->uuid, zero, 16) != 0);
        CHECK_INTEQ(def->id, -1);
        CHECK_INTEQ(def->vcpus, 1);
        CHECK_INTEQ(def->memory_kib, 262144);
        CHECK_INTEQ(def->virt_type, DOMAIN_VIRT_KVM);
        CHECK(!def->nets[0].mac_given);
        CHECK(def->nets[0].mac[0] == 0x52 && def->nets[0].mac[1] == 0x54 && def->nets[0].mac[2] == 0x00);
        CHECK_INTEQ(def->disks[0].bus, DOMAIN_DISK_BUS_SCSI);
        CHECK(!def->disks[0].bus_given);
        CHECK_INTEQ(def->controllers[0].index, 0);
        CHECK_INTEQ(def->controllers[1].index, 1);
        CHECK_INTEQ(def->graphics[0].port, -1);
        CHECK(def->graphics[0].autoport);

        out = format_ok(def, 0);
        snprintf(uuid, sizeof(uuid), "<uuid>%02x%02x%02x%02x-", def->uuid[0], def->uuid[1], def->uuid[2], def->uuid[3]);
        CHECK_CONTAINS(out, uuid);
        CHECK_CONTAINS(out, "<mac address='52:54:00:");
        CHECK_CONTAINS(out, "<target dev='sdz' bus='scsi'/>");
        CHECK_CONTAINS(out, "<vcpu>1</vcpu>");
        CHECK_CONTAINS(out, "<memory unit='KiB'>262144</memory>");
        CHECK_CONTAINS(out, "<clock offset='utc'/>");
        /* generated values are kept from then on */
        again = parse_ok(out, "defaults again");
        if (!again)
                return;
        CHECK(memcmp(again->uuid, def->uuid, 16) == 0);
        CHECK(memcmp(again->nets[0].mac, def->nets[0].mac, 6) == 0);
        CHECK(again->nets[0].mac_given);
        out2 = format_ok(again, 0);
        CHECK_STREQ(out, out2);

        /* an uppercase bare uuid is formatted lowercase with dashes */
        {
                _cleanup_free_ char *x = domain_with("<uuid>0F6A3A5E8D7C4B1AA2F49D8E7C6B5A41</uuid>", NULL);
                _cleanup_(domain_def_freep) DomainDef *d = parse_ok(x, "uuid");
                _cleanup_free_ char *o = d ? format_ok(d, 0) : NULL;

                CHECK_CONTAINS(o, "<uuid>0f6a3a5e-8d7c-4b1a-a2f4-9d8e7c6b5a41</uuid>");
        }
}

/* Text and attributes with XML's special characters come back unchanged. */
static void test_escaping(void) {
        _cleanup_free_ char *xml = domain_with(
                "<title>a &lt;b&gt; &amp; 'c' \"d\"</title>"
                "<description>line 1\n  line 2 &amp; &lt;3\n</description>",
                "<graphics type='vnc' passwd='&apos;&quot;&lt;&amp;&#10;x'/>");
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL;
        _cleanup_free_ char *out = NULL;

        def = parse_ok(xml, "escaping");
        if (!def)
                return;
        CHECK_STREQ(def->title, "a <b> & 'c' \"d\"");
        CHECK_STREQ(def->description, "line 1\n  line 2 & <3\n");
        CHECK_STREQ(def->graphics[0].passwd, "'\"<&\nx");
        out = format_ok(def, DOMAIN_FORMAT_SECURE);
        again = out ? parse_ok(out, "escaping again") : NULL;
        if (!again)
                return;
        CHECK_STREQ(again->title, def->title);
        CHECK_STREQ(again->description, def->description);
        CHECK_STREQ(again->graphics[0].passwd, def->graphics[0].passwd);
}

/* ---- copy and tables ---------------------------------------------------------- */

static void test_copy_is_deep(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *before = NULL, *after = NULL;
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        DomainDef *def;

        CHECK(asprintf(&path, "%s/desktop.xml", data_dir()) > 0);
        xml = read_file(path);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        before = format_ok(def, DOMAIN_FORMAT_SECURE);
        CHECK_INTEQ(domain_def_copy(def, &copy), 0);
        /* scribble over the original, then free it: the copy must not care */
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].src)
                        memset(def->disks[i].src, 'X', strlen(def->disks[i].src));
        memset(def->name, 'X', strlen(def->name));
        domain_def_free(def);
        after = copy ? format_ok(copy, DOMAIN_FORMAT_SECURE) : NULL;
        CHECK_STREQ(after, before);
}

#define CHECK_TABLE(prefix, max, first_with_word)                                       \
        do {                                                                            \
                for (int _i = 0; _i < (int) (max); _i++) {                              \
                        const char *_s = prefix##_to_string(_i);                        \
                        if (_i < (first_with_word)) {                                   \
                                CHECK(!_s || prefix##_from_string(_s) == _i);           \
                                continue;                                               \
                        }                                                               \
                        CHECK(_s != NULL);                                              \
                        CHECK_INTEQ(prefix##_from_string(_s), _i);                      \
                }                                                                       \
                CHECK(prefix##_to_string(max) == NULL);                                 \
                CHECK_INTEQ(prefix##_from_string("no-such-word"), -1);                  \
                CHECK_INTEQ(prefix##_from_string(NULL), -1);                            \
        } while (0)

static void test_string_tables(void) {
        CHECK_TABLE(domain_virt_type, _DOMAIN_VIRT_MAX, 0);
        CHECK_TABLE(domain_lifecycle_action, _DOMAIN_ACTION_MAX, 1);
        CHECK_TABLE(domain_boot_dev, _DOMAIN_BOOT_MAX, 0);
        CHECK_TABLE(domain_loader_type, _DOMAIN_LOADER_MAX, 1);
        CHECK_TABLE(domain_cpu_mode, _DOMAIN_CPU_MODE_MAX, 1);
        CHECK_TABLE(domain_cpu_feature_policy, _DOMAIN_CPU_FEATURE_MAX, 0);
        CHECK_TABLE(domain_clock_offset, _DOMAIN_CLOCK_MAX, 0);
        CHECK_TABLE(domain_clock_basis, _DOMAIN_CLOCK_BASIS_MAX, 0);
        CHECK_TABLE(domain_disk_type, _DOMAIN_DISK_TYPE_MAX, 0);
        CHECK_TABLE(domain_disk_device, _DOMAIN_DISK_DEVICE_MAX, 0);
        CHECK_TABLE(domain_disk_bus, _DOMAIN_DISK_BUS_MAX, 0);
        CHECK_TABLE(domain_disk_format, _DOMAIN_DISK_FORMAT_MAX, 1);
        CHECK_TABLE(domain_disk_cache, _DOMAIN_DISK_CACHE_MAX, 0);
        CHECK_TABLE(domain_disk_io, _DOMAIN_DISK_IO_MAX, 1);
        CHECK_TABLE(domain_disk_discard, _DOMAIN_DISK_DISCARD_MAX, 1);
        CHECK_TABLE(domain_controller_type, _DOMAIN_CONTROLLER_MAX, 0);
        CHECK_TABLE(domain_net_type, _DOMAIN_NET_MAX, 0);
        CHECK_TABLE(domain_chr_type, _DOMAIN_CHR_MAX, 0);
        CHECK_TABLE(domain_chr_kind, _DOMAIN_CHR_KIND_MAX, 0);
        CHECK_TABLE(domain_graphics_type, _DOMAIN_GRAPHICS_MAX, 0);
        CHECK_TABLE(domain_timer_name, _DOMAIN_TIMER_MAX, 0);
        CHECK_TABLE(domain_firmware, _DOMAIN_FIRMWARE_MAX, 1);
        CHECK_TABLE(domain_hyperv_mode, _DOMAIN_HYPERV_MODE_MAX, 1);
        CHECK_TABLE(domain_hyperv_feature, _DOMAIN_HYPERV_MAX, 0);
        CHECK_TABLE(domain_timer_tickpolicy, _DOMAIN_TIMER_TICKPOLICY_MAX, 1);
        CHECK_TABLE(domain_timer_track, _DOMAIN_TIMER_TRACK_MAX, 1);
        CHECK_TABLE(domain_address_type, _DOMAIN_ADDRESS_MAX, 1);

        CHECK_STREQ(domain_disk_bus_to_string(DOMAIN_DISK_BUS_VIRTIO), "virtio");
        CHECK_STREQ(domain_disk_io_to_string(DOMAIN_DISK_IO_URING), "io_uring");
        CHECK_STREQ(domain_cpu_mode_to_string(DOMAIN_CPU_MODE_HOST_PASSTHROUGH), "host-passthrough");
        CHECK_STREQ(domain_controller_type_to_string(DOMAIN_CONTROLLER_VIRTIO_SERIAL), "virtio-serial");
        CHECK_STREQ(domain_lifecycle_action_to_string(DOMAIN_ACTION_COREDUMP_RESTART), "coredump-restart");
        CHECK(domain_lifecycle_action_to_string(DOMAIN_ACTION_DEFAULT) == NULL);
}

static void test_conf_error_set(void) {
        ConfError err = {};
        char big[1024];

        conf_error_set(&err, VB_ERROR_INVALID_ARG, "value %d", 42);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        CHECK_STREQ(err.message, "value 42");
        conf_error_set(NULL, VB_ERROR_INVALID_ARG, "nothing to fill");
        /* long messages are cut, never overflow */
        memset(big, 'y', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        conf_error_set(&err, VB_ERROR_XML, "%s", big);
        CHECK_INTEQ(strlen(err.message), sizeof(err.message) - 1);
}

UNIT_TESTS(test_round_trip_fixtures, test_canonical_form, test_schema_valid, test_units, test_numbers,
           test_overflow, test_big_documents, test_refuse_malformed, test_refuse_unknown_everywhere, test_refuse_too_large, test_refuse_unmodelled,
           test_refuse_unmodelled_attributes, test_refuse_values, test_validate, test_virt_install,
           test_virt_manager_desktop,
           test_addresses, test_timers_pm_features, test_hyperv, test_firmware, test_serial_and_channel, test_live_fields,
           test_defaults, test_escaping, test_copy_is_deep, test_string_tables, test_conf_error_set)
