/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><nvram type='network'>: a network disk's <source> (with <auth>)
 * kept and formatted back byte-identical and schema-valid, the rules
 * libvirt applies to it (stateless loader, BIOS firmware, slices), and
 * the protocol checks a disk's source gets. The command lines are the
 * golden files uefi-nvram-network-nbd and -iscsi. */

#include "domain-test.h"
#include "qemu-rules.h"
#include "qemu-validate.h"

#define OS(loader, nvram)                                                                               \
        "<domain type='qemu'><name>n</name><memory unit='MiB'>256</memory><os>"                         \
        "<type arch='x86_64' machine='pc'>hvm</type>" loader nvram "</os><features><acpi/></features>"    \
        "<devices/></domain>"
#define PFLASH "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
#define NBD_SRC "<source protocol='nbd' name='vars' tls='yes' tlsHostname='h.example.org'>" \
                "<host name='example.org' port='6000'/></source>"
#define ISCSI_SRC "<source protocol='iscsi' name='iqn.2013-07.com.example:iscsi-nopool'>"           \
                  "<host name='example.com' port='6000'/><auth username='myname'>"                 \
                  "<secret type='iscsi' usage='mycluster_myname'/></auth></source>"

static int qemu_check(const char *xml, ConfError *err) {
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        int r = domain_def_parse(xml, strlen(xml), &def, err);

        if (r >= 0)
                r = qemu_rules_check(def, err);
        if (r >= 0)
                r = qemu_validate_def(def, err);
        return r;
}

static void test_round_trip(void) {
        static const char *const xmls[] = {
                OS(PFLASH, "<nvram type='network'>" NBD_SRC "</nvram>"),
                OS(PFLASH, "<nvram type='network'>" ISCSI_SRC "</nvram>"),
        };
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(xmls); i++) {
                _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xmls[i], "nvram network"), *copy = NULL;
                _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
                ConfError err = {};

                if (!def)
                        continue;
                a = format_ok(def, DOMAIN_FORMAT_INACTIVE);
                _cleanup_(domain_def_freep) DomainDef *again = a ? parse_ok(a, "formatted nvram") : NULL;
                b = again ? format_ok(again, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(a && b && streq(a, b));
                if (schema && a)
                        CHECK(schema_valid(schema, a));
                CHECK(!def->os.nvram && def->os.nvram_net && def->os.nvram_net->net);
                CHECK_CONTAINS(a, i == 0 ? "<host name='example.org' port='6000'/>" : "<auth username='myname'>");
                CHECK(qemu_check(xmls[i], &err) == 0);
                /* a copy owns its own source */
                CHECK(domain_def_copy(def, &copy) == 0);
                CHECK(copy && copy->os.nvram_net != def->os.nvram_net);
                c = copy ? format_ok(copy, DOMAIN_FORMAT_INACTIVE) : NULL;
                CHECK(c && a && streq(a, c));
        }
}

static void nv_refused(const char *xml, const char *needle, int line) {
        ConfError err = {};

        if (qemu_check(xml, &err) >= 0 || !strstr(err.message, needle)) {
                fprintf(stderr, "  line %d: expected a refusal naming \"%s\", got \"%s\"\n", line, needle,
                        err.message[0] ? err.message : "(accepted)");
                unit_failed_checks++;
        }
}
#define REFUSED_NV(xml, needle) nv_refused(xml, needle, __LINE__)

static void test_refused(void) {
        REFUSED_NV(OS(PFLASH, "<nvram type='network'/>"), "missing element <os/nvram/source>");
        REFUSED_NV(OS(PFLASH, "<nvram type='network'><source file='/x'/></nvram>"), "protocol");
        REFUSED_NV(OS("<loader readonly='yes' type='pflash' stateless='yes'>/usr/share/OVMF/OVMF_CODE.fd</loader>",
                      "<nvram type='network'>" NBD_SRC "</nvram>"), "NVRAM is not permitted when loader is stateless");
        REFUSED_NV(OS(PFLASH, "<nvram type='network'><source protocol='nbd'><host name='a'/><slices>"
                      "<slice type='storage' offset='0' size='512'/></slices></source></nvram>"),
                   "slices are not supported with NVRAM");
        REFUSED_NV(OS(PFLASH, "<nvram type='network'><source protocol='nbd'><host name='a'/><host name='b'/>"
                      "</source></nvram>"), "accepts only one host");
        REFUSED_NV(OS(PFLASH, "<nvram type='network'><source protocol='tftp' name='x'><host name='a'/>"
                      "</source></nvram>"), "no block driver");
}

UNIT_TESTS(test_round_trip, test_refused)
