/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the domain XML tests share: fixtures, parse/format that must
 * succeed, refusals that must name what they refuse, and the schema. */

#include <dirent.h>
#include <libxml/relaxng.h>
#include <limits.h>

#include "domain-conf.h"
#include "error.h"
#include "unit.h"
#include "xml-util.h"

/* Each test file uses only some of these. */
#pragma GCC diagnostic ignored "-Wunused-function"

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

/* A file disk with the given <driver>, <target> and more. */
#define DISK(driver, target, extra)                                                           \
        "<disk type='file' device='disk'>" driver "<source file='/x.img'/>" target extra "</disk>"
