/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Metadata of a definition (common/domain/domain-control.c): title,
 * description and application elements set, read back as libvirt gives
 * them, and refused for bad input without changing the definition. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain-control.h"
#include "util.h"
#include "unit.h"

static const char xml[] =
        "<domain type='qemu'><name>m</name><uuid>4f1c8a52-3d7e-4b0f-9a61-2c5e8d7b9f03</uuid>"
        "<memory unit='MiB'>64</memory><os><type>hvm</type></os>"
        "<metadata><app1:foo xmlns:app1='http://app1.example/'><bar>x</bar></app1:foo></metadata>"
        "</domain>";

static DomainDef *parse(void) {
        DomainDef *def = NULL;
        ConfError err = {};

        CHECK(domain_def_parse(xml, 0, &def, &err) >= 0);
        return def;
}

static void test_title_description(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse();
        ConfError err = {};
        char *s = NULL;

        CHECK(domain_metadata_get(def, DOMAIN_METADATA_TITLE, "", &s) == -ENOENT);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_TITLE, "A title", "", "", &err) == 0);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_TITLE, "", &s) == 0);
        CHECK_STREQ(s, "A title");
        free(s);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_DESCRIPTION, "two\nlines", NULL, NULL, &err) == 0);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_DESCRIPTION, NULL, &s) == 0);
        CHECK_STREQ(s, "two\nlines");
        free(s);
        /* refused, and nothing changed */
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_TITLE, "two\nlines", "", "", &err) == -EINVAL);
        CHECK(strstr(err.message, "newlines"));
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_TITLE, "t", "key", "", &err) == -EINVAL);
        CHECK(domain_metadata_set(def, 7, "t", "", "", &err) == -EINVAL);
        CHECK_STREQ(def->title, "A title");
        /* empty removes */
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_TITLE, "", "", "", &err) == 0);
        CHECK(!def->title);
}

static void test_elements(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse();
        ConfError err = {};
        char *s = NULL;

        /* as defined, without its prefix */
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_ELEMENT, "http://app1.example/", &s) == 0);
        CHECK_STREQ(s, "<foo><bar>x</bar></foo>");
        free(s);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_ELEMENT, "http://other.example/", &s) == -ENOENT);

        /* a second namespace, then a replacement of the first */
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<info size='3'>hello</info>", "app2",
                                  "http://app2.example/", &err) == 0);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<foo>new</foo>", "app1", "http://app1.example/",
                                  &err) == 0);
        CHECK(strv_length(def->metadata) == 2);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_ELEMENT, "http://app2.example/", &s) == 0);
        CHECK_STREQ(s, "<info size=\"3\">hello</info>");
        free(s);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_ELEMENT, "http://app1.example/", &s) == 0);
        CHECK_STREQ(s, "<foo>new</foo>");
        free(s);
        /* kept with its prefix in the definition */
        CHECK(strstr(def->metadata[1], "app1:foo") && strstr(def->metadata[1], "xmlns:app1=\"http://app1.example/\""));

        /* refused: no uri, no key, not XML; the elements stay */
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<a/>", "k", "", &err) == -EINVAL);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<a/>", "", "http://x/", &err) == -EINVAL);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<a/>", "a:b", "http://x/", &err) == -EINVAL);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "<a>", "k", "http://x/", &err) == -EBADMSG);
        CHECK(strv_length(def->metadata) == 2);

        /* removed by an empty value */
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, "", "", "http://app2.example/", &err) == 0);
        CHECK(domain_metadata_set(def, DOMAIN_METADATA_ELEMENT, NULL, NULL, "http://app1.example/", &err) == 0);
        CHECK(!def->metadata);
}

/* oVirt declares its namespaces on <domain>: each element keeps its
 * declaration, and the definition formats, parses and reads back the same. */
static void test_namespace_on_domain(void) {
        static const char doc[] =
                "<domain type='kvm' xmlns:ovirt-vm='http://ovirt.org/vm/1.0'><name>m</name>"
                "<memory unit='MiB'>64</memory><os><type>hvm</type></os>"
                "<metadata><ovirt-vm:vm><ovirt-vm:custom/></ovirt-vm:vm></metadata></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *again = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        ConfError err = {};
        char *s = NULL;

        CHECK(domain_def_parse(doc, 0, &def, &err) >= 0);
        if (!def)
                return;
        CHECK(domain_def_format(def, DOMAIN_FORMAT_INACTIVE, &a) == 0);
        CHECK(a && strstr(a, "<ovirt-vm:vm xmlns:ovirt-vm=\"http://ovirt.org/vm/1.0\">"));
        CHECK(a && domain_def_parse(a, 0, &again, &err) >= 0);
        CHECK(again && domain_def_format(again, DOMAIN_FORMAT_INACTIVE, &b) == 0);
        CHECK_STREQ(a, b);
        CHECK(domain_metadata_get(def, DOMAIN_METADATA_ELEMENT, "http://ovirt.org/vm/1.0", &s) == 0);
        CHECK_STREQ(s, "<vm><custom/></vm>");
        free(s);
}

UNIT_TESTS(test_title_description, test_elements, test_namespace_on_domain)
