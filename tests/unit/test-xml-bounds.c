/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What one XML document may hold: each bound refused by name before libxml2
 * spends time on it, and what stays within the bounds still parsed. */
#include <time.h>

#include "domain-conf.h"
#include "error.h"
#include "unit.h"
#include "xml-bounds.h"
#include "xml-util.h"

/* A document under construction: put() appends with printf formatting; the
 * text is in s, len bytes, once finish() has flushed it. */
typedef struct Buf {
        FILE *f;
        char *s;
        size_t len;
} Buf;

#define put(b, ...) fprintf(buf_file(b), __VA_ARGS__)

static FILE *buf_file(Buf *b) {
        if (!b->f && !(b->f = open_memstream(&b->s, &b->len)))
                abort();
        return b->f;
}

static void finish(Buf *b) {
        if (b->f)
                fclose(b->f);
        b->f = NULL;
}

static double seconds_since(const struct timespec *t0) {
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double) (t1.tv_sec - t0->tv_sec) + (double) (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Reads doc as a <domain> document: 0, or -errno with err set. */
static int read_doc(Buf *b, ConfError *err) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;

        *err = (ConfError) {};
        finish(b);
        return xml_read_document(b->s, b->len, "domain", &doc, err);
}

static void check_refused(Buf *b, const char *what) {
        ConfError err;
        struct timespec t0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(read_doc(b, &err) == -EINVAL);
        CHECK_STREQ(err.name, VB_ERROR_INVALID_ARG);
        if (!strstr(err.message, what))
                fprintf(stderr, "  message does not name '%s': %s\n", what, err.message);
        CHECK(strstr(err.message, what) != NULL);
        /* Seconds here would mean the document reached the parser. */
        CHECK(seconds_since(&t0) < 1.0);
        free(b->s);
        *b = (Buf) {};
}

static void test_attributes_per_element(void) {
        Buf b = {};

        /* 2.3 MB, under the size cap: took libxml2 129 s. */
        put(&b, "<domain type='kvm'><name");
        for (int i = 0; i < 200000; i++)
                put(&b, " a%d='1'", i);
        put(&b, ">x</name></domain>");
        check_refused(&b, "attributes at element <name>");

        put(&b, "<domain");
        for (int i = 0; i < XML_MAX_ATTRIBUTES; i++)
                put(&b, " a%d='x=y'", i); /* '=' inside values is not an attribute */
        put(&b, "/>");
        ConfError err;
        CHECK_INTEQ(read_doc(&b, &err), 0);
        free(b.s);
}

static void test_children_and_elements(void) {
        Buf b = {};
        ConfError err;

        put(&b, "<domain><devices>");
        for (int i = 0; i <= XML_MAX_CHILDREN; i++)
                put(&b, "<x/>");
        put(&b, "</devices></domain>");
        check_refused(&b, "children under one element at element <x>");

        /* Many children, each under its own parent: the document's total. */
        put(&b, "<domain>");
        for (int g = 0; g <= XML_MAX_ELEMENTS / XML_MAX_CHILDREN; g++) {
                put(&b, "<g>");
                for (int i = 0; i < XML_MAX_CHILDREN; i++)
                        put(&b, "<x/>");
                put(&b, "</g>");
        }
        put(&b, "</domain>");
        check_refused(&b, "elements in the document");

        /* At the bound, fine; comments, CDATA and PIs hold no elements. */
        put(&b, "<domain><devices><!-- <a><a><a> --><![CDATA[<b><b>]]><?pi <c> ?>");
        for (int i = 0; i < XML_MAX_CHILDREN; i++)
                put(&b, "<x a='>'/>");
        put(&b, "</devices></domain>");
        CHECK_INTEQ(read_doc(&b, &err), 0);
        free(b.s);
}

static void test_attributes_in_document(void) {
        Buf b = {};

        put(&b, "<domain>");
        for (int i = 0; i <= XML_MAX_ATTRIBUTES_TOTAL / 50; i++)
                put(&b, "<x a0='' a1='' a2='' a3='' a4='' a5='' a6='' a7='' a8='' a9='' a10='' a11='' a12='' "
                        "a13='' a14='' a15='' a16='' a17='' a18='' a19='' a20='' a21='' a22='' a23='' a24='' "
                        "a25='' a26='' a27='' a28='' a29='' a30='' a31='' a32='' a33='' a34='' a35='' a36='' "
                        "a37='' a38='' a39='' a40='' a41='' a42='' a43='' a44='' a45='' a46='' a47='' a48='' "
                        "a49=''/>");
        put(&b, "</domain>");
        check_refused(&b, "attributes in the document");
}

static void test_depth(void) {
        Buf b = {};
        ConfError err;

        put(&b, "<domain>");
        for (int i = 0; i < XML_MAX_DEPTH; i++)
                put(&b, "<d>");
        for (int i = 0; i < XML_MAX_DEPTH; i++)
                put(&b, "</d>");
        put(&b, "</domain>");
        check_refused(&b, "deeper nesting");

        put(&b, "<domain>");
        for (int i = 1; i < XML_MAX_DEPTH; i++)
                put(&b, "<d>");
        for (int i = 1; i < XML_MAX_DEPTH; i++)
                put(&b, "</d>");
        put(&b, "</domain>");
        CHECK_INTEQ(read_doc(&b, &err), 0);
        free(b.s);
}

/* The bound reaches the models: a domain definition is refused by name. */
static void test_domain_refused(void) {
        Buf b = {};
        DomainDef *def = NULL;
        ConfError err = {};

        put(&b, "<domain type='kvm'><name>vm</name><memory>1024</memory><devices>");
        for (int i = 0; i <= XML_MAX_CHILDREN; i++)
                put(&b, "<controller type='usb' index='%d'/>", i);
        put(&b, "</devices></domain>");
        finish(&b);
        CHECK(domain_def_parse(b.s, b.len, &def, &err) == -EINVAL);
        CHECK(def == NULL);
        CHECK(strstr(err.message, "at most 10000") != NULL);
        free(b.s);
}

UNIT_TESTS(test_attributes_per_element, test_attributes_in_document, test_children_and_elements, test_depth, test_domain_refused)
