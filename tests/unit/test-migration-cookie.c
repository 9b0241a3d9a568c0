/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The migration cookie (<qemu-migration>): format, parse, round trip to a
 * fixed point, a libvirt-shaped cookie, refusals. */
#include "migration-cookie.h"
#include "unit.h"
#include "util.h"
#include "uuid.h"

static const char libvirt_cookie[] =
        "<qemu-migration>\n"
        "  <name>vm1</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "  <hostname>hostA</hostname>\n"
        "  <hostuuid>11111111-2222-3333-4444-555555555555</hostuuid>\n"
        "  <feature name='lockstate'/>\n"
        "  <feature name='nbd'/>\n"
        "  <graphics type='spice' port='5901' listen='192.0.2.1' tlsPort='5902'/>\n"
        "  <lockstate driver='sanlock'>\n"
        "    <leases>lease-text</leases>\n"
        "  </lockstate>\n"
        "  <nbd port='49153'>\n"
        "    <disk target='vda' capacity='1073741824'/>\n"
        "  </nbd>\n"
        "  <statistics>\n"
        "    <downtime>42</downtime>\n"
        "    <time_elapsed>1234</time_elapsed>\n"
        "  </statistics>\n"
        "  <network><interface index='0' vporttype='none'/></network>\n"
        "  <allowReboot value='yes'/>\n"
        "  <domain type='qemu'>\n"
        "    <name>vm1</name>\n"
        "  </domain>\n"
        "</qemu-migration>\n";

static MigrationCookie *parse_ok(const char *text, size_t len) {
        MigrationCookie *c = NULL;
        ConfError err = {};
        int r = migration_cookie_parse(text, len, &c, &err);

        if (r < 0)
                printf("  parse: %s\n", err.message);
        CHECK(r >= 0);
        return c;
}

static void test_parse_libvirt(void) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = parse_ok(libvirt_cookie, sizeof(libvirt_cookie));
        char uuid[UUID_STRING_MAX];
        uint64_t v = 0;

        if (!c)
                return;
        CHECK_STREQ(c->name, "vm1");
        CHECK_STREQ(uuid_format(c->uuid, uuid), "6695eb01-f6a4-8304-79aa-97f2502e193f");
        CHECK_STREQ(c->hostname, "hostA");
        CHECK_STREQ(uuid_format(c->hostuuid, uuid), "11111111-2222-3333-4444-555555555555");
        CHECK_INTEQ(c->features, MIGRATION_FEATURE_LOCKSTATE | MIGRATION_FEATURE_NBD);
        CHECK_STREQ(c->graphics_type, "spice");
        CHECK_INTEQ(c->graphics_port, 5901);
        CHECK_INTEQ(c->graphics_tls_port, 5902);
        CHECK_STREQ(c->lock_driver, "sanlock");
        CHECK_STREQ(c->lock_leases, "lease-text");
        CHECK_INTEQ(c->nbd_port, 49153);
        CHECK_INTEQ(c->n_nbd_disks, 1);
        CHECK_STREQ(c->nbd_disks[0].target, "vda");
        CHECK(c->nbd_disks[0].capacity == 1073741824ULL);
        CHECK(migration_cookie_get_stat(c, "downtime", &v) && v == 42);
        CHECK(!migration_cookie_get_stat(c, "setup_time", &v));
        CHECK_INTEQ(c->allow_reboot, 1);
        CHECK(c->persistent_xml && strstr(c->persistent_xml, "<name>vm1</name>"));
}

/* format(parse(format(c))) == format(c) */
static void test_round_trip(void) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = parse_ok(libvirt_cookie, strlen(libvirt_cookie));
        _cleanup_(migration_cookie_freep) MigrationCookie *c2 = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (!c)
                return;
        CHECK(migration_cookie_format(c, &a) >= 0);
        c2 = parse_ok(a, strlen(a) + 1);
        if (!c2)
                return;
        CHECK(migration_cookie_format(c2, &b) >= 0);
        CHECK_STREQ(a, b);
        CHECK(strstr(a, "<feature name=\"lockstate\"/>") || strstr(a, "<feature name='lockstate'/>"));
        CHECK(strstr(a, "<domain type=\"qemu\">") || strstr(a, "<domain type='qemu'>"));
}

static void test_format_minimal(void) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = migration_cookie_new();
        _cleanup_free_ char *text = NULL;

        c->name = strdup("vm2");
        c->hostname = strdup("b");
        CHECK(migration_cookie_format(c, &text) >= 0);
        CHECK(strstr(text, "<name>vm2</name>") != NULL);
        CHECK(strstr(text, "<hostuuid>00000000-0000-0000-0000-000000000000</hostuuid>") != NULL);
        CHECK(strstr(text, "statistics") == NULL);
}

static void test_empty(void) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = parse_ok("", 0);

        CHECK(c && !c->name && c->features == 0);
}

static void test_refusals(void) {
        static const char *const bad[] = {
                "<qemu-migration><feature name='teleport'/></qemu-migration>",
                "<qemu-migration><uuid>not-a-uuid</uuid></qemu-migration>",
                "<qemu-migration><nbd port='x'/></qemu-migration>",
                "<qemu-migration><allowReboot value='maybe'/></qemu-migration>",
                "<qemu-migration><statistics><downtime>-1</downtime></statistics></qemu-migration>",
                "<domain/>",
                "<qemu-migration>",
        };
        static const char *const named[] = { "teleport", "not-a-uuid", "port", "maybe", "downtime", NULL, NULL };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                MigrationCookie *c = NULL;
                ConfError err = {};
                CHECK(migration_cookie_parse(bad[i], strlen(bad[i]), &c, &err) < 0);
                CHECK(c == NULL);
                if (named[i] && !strstr(err.message, named[i]))
                        printf("  '%s' -> '%s'\n", bad[i], err.message);
                CHECK(!named[i] || strstr(err.message, named[i]));
        }
}

/* copy-storage-inc of an overlay: its backing file rides along (virtbus's
 * attributes; a libvirt cookie has none and parses as before) */
static void test_nbd_backing(void) {
        _cleanup_(migration_cookie_freep) MigrationCookie *c = migration_cookie_new(), *c2 = NULL;
        _cleanup_free_ char *a = NULL;

        CHECK(c && migration_cookie_add_nbd_disk(c, "vda", 65536) >= 0);
        CHECK(migration_cookie_set_nbd_backing(c, "/var/lib/images/base & 'x'.raw", "raw") >= 0);
        CHECK(migration_cookie_add_nbd_disk(c, "vdb", 4096) >= 0);
        CHECK(migration_cookie_format(c, &a) >= 0);
        CHECK(a && strstr(a, "backingFormat="));
        c2 = parse_ok(a, strlen(a) + 1);
        if (!c2)
                return;
        CHECK_INTEQ(c2->n_nbd_disks, 2);
        CHECK_STREQ(c2->nbd_disks[0].backing, "/var/lib/images/base & 'x'.raw");
        CHECK_STREQ(c2->nbd_disks[0].backing_format, "raw");
        CHECK(c2->nbd_disks[1].backing == NULL && c2->nbd_disks[1].backing_format == NULL);
}

static void test_feature_names(void) {
        for (unsigned f = 1; f <= MIGRATION_FEATURE_BLOCK_DIRTY_BITMAPS; f <<= 1) {
                const char *s = migration_feature_to_string((MigrationFeature) f);
                CHECK(s != NULL);
                CHECK_INTEQ(migration_feature_from_string(s), f);
        }
        CHECK_INTEQ(migration_feature_from_string("bogus"), 0);
}

UNIT_TESTS(test_parse_libvirt, test_round_trip, test_format_minimal, test_empty, test_refusals, test_nbd_backing,
           test_feature_names)
