/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain XML model: every fixture of tests/data/domain/ reaches a fixed
 * point through parse/format, formats into XML libvirt's schema accepts, and
 * copies deeply. */

#include "domain-test.h"


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
/* libvirt always writes <currentMemory>: the whole of <memory> unless given
 * (cockpit-machines reads it and stops loading without it). */
static void test_current_memory_written(void) {
        static const char *const xml = "<domain type='qemu'><name>m</name><memory unit='MiB'>128</memory>"
                                       "<os><type>hvm</type></os></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(xml, "no currentMemory");
        _cleanup_free_ char *out = def ? format_ok(def, 0) : NULL;

        CHECK(out && strstr(out, "<currentMemory unit='KiB'>131072</currentMemory>"));
}

static void test_canonical_form(void) {
        static const char *const names[] = { "iotune-scsi.xml", "live.xml", "live-blockjob.xml", "tuning.xml" };

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

/* ---- containers ----------------------------------------------------------- */

/* What lxcd will run: type lxc, an init instead of a machine, filesystems
 * and an idmap. Kept apart from the machine fixtures, which qemud defines. */
static const char *const container_fixtures[] = { "lxc/container.xml", "lxc/virt-install.xml", "lxc/hostdev.xml",
                                                  "hostdev/subsystem.xml" };

static char *container_xml(const char *name, char **ret_path) {
        char *path = NULL, *xml;

        if (asprintf(&path, "%s/%s", data_dir(), name) < 0)
                return NULL;
        xml = read_file(path);
        CHECK(xml != NULL);
        if (ret_path)
                *ret_path = path;
        else
                free(path);
        return xml;
}

static void test_containers_round_trip(void) {
        xmlRelaxNGPtr schema = load_schema();

        for (size_t i = 0; i < ELEMENTSOF(container_fixtures); i++) {
                _cleanup_free_ char *path = NULL, *xml = container_xml(container_fixtures[i], &path);
                _cleanup_(domain_def_freep) DomainDef *def = NULL;

                if (!xml)
                        continue;
                /* parse, validate, format, parse again to a fixed point, copy */
                round_trip_one(path);
                if (!schema)
                        continue;
                CHECK(schema_valid(schema, xml));
                def = parse_ok(xml, path);
                for (size_t f = 0; def && f < ELEMENTSOF(all_flags); f++) {
                        _cleanup_free_ char *out = format_ok(def, all_flags[f]);

                        if (out && !schema_valid(schema, out)) {
                                fprintf(stderr, "  %s: %s (flags %u) formats invalid XML:\n%s",
                                        unit_current, path, all_flags[f], out);
                                unit_failed_checks++;
                        }
                }
        }
        if (!schema)
                UNIT_SKIP(SCHEMA " is not installed (apt-get install libvirt0): the round trip ran, "
                          "the schema check did not");
}

/* Every <hostdev> form reads back as written (and is no other form). */
static void test_hostdev_fields(void) {
        _cleanup_free_ char *caps = container_xml("lxc/hostdev.xml", NULL), *subsys = container_xml("hostdev/subsystem.xml", NULL);
        _cleanup_(domain_def_freep) DomainDef *c = caps ? parse_ok(caps, "caps") : NULL;
        _cleanup_(domain_def_freep) DomainDef *s = subsys ? parse_ok(subsys, "subsystem") : NULL;
        char what[128];

        if (!c || !s)
                return;
        CHECK_INTEQ(c->n_hostdevs, 3);
        if (c->n_hostdevs == 3) {
                CHECK_INTEQ(c->hostdevs[0].mode, DOMAIN_HOSTDEV_MODE_CAPABILITIES);
                CHECK_INTEQ(c->hostdevs[0].type, DOMAIN_HOSTDEV_NET);
                CHECK_STREQ(c->hostdevs[0].caps_ifname, "dummy0");
                CHECK_INTEQ(c->hostdevs[0].n_ips, 1);
                CHECK_INTEQ(c->hostdevs[0].n_routes, 1);
                CHECK_INTEQ(c->hostdevs[1].type, DOMAIN_HOSTDEV_STORAGE);
                CHECK_STREQ(c->hostdevs[1].caps_path, "/dev/loop7");
                CHECK_INTEQ(c->hostdevs[2].type, DOMAIN_HOSTDEV_MISC);
                CHECK_STREQ(c->hostdevs[2].caps_path, "/dev/net/tun");
        }
        CHECK_INTEQ(s->n_hostdevs, 5);
        if (s->n_hostdevs == 5) {
                domain_hostdev_describe(&s->hostdevs[0], what, sizeof(what));
                CHECK_STREQ(what, "pci 0000:06:12.5");
                CHECK_STREQ(s->hostdevs[0].driver_name, "vfio");
                CHECK_INTEQ(s->hostdevs[0].boot_order, 1);
                domain_hostdev_describe(&s->hostdevs[1], what, sizeof(what));
                CHECK_STREQ(what, "usb 0781:5567");
                CHECK(s->hostdevs[1].has_usb_address);
                domain_hostdev_describe(&s->hostdevs[2], what, sizeof(what));
                CHECK_STREQ(what, "scsi scsi_host0:0:0:3");
                CHECK(s->hostdevs[2].readonly && s->hostdevs[2].shareable);
                CHECK_STREQ(s->hostdevs[3].wwpn, "naa.5123456789abcde0");
                CHECK_STREQ(s->hostdevs[4].mdev_uuid, "c2177883-f1bb-47f0-914d-32a22e3a8804");
        }
}

/* An iSCSI LUN: held as a network disk's source, "IQN" taken as "IQN/0"
 * (libvirt's post-parse), formatted back in libvirt's order, deep-copied. */
static void test_hostdev_iscsi(void) {
        static const char xml[] =
                "<domain type='kvm'><name>i</name><memory>65536</memory><os><type>hvm</type></os><devices>"
                "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='iqn.2004-01.org.x:t'>"
                "<initiator><iqn name='iqn.2020-07.com.example:i'/></initiator><host name='192.0.2.1'/>"
                "<auth username='u'><secret type='iscsi' usage='c'/></auth></source></hostdev></devices></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = NULL, *copy = NULL;
        _cleanup_free_ char *out = NULL;
        ConfError err = {};
        char what[160];

        CHECK(domain_def_parse(xml, 0, &def, &err) == 0);
        if (!def)
                return;
        CHECK(def->hostdevs[0].iscsi != NULL);
        domain_hostdev_describe(&def->hostdevs[0], what, sizeof(what));
        CHECK_STREQ(what, "iscsi 192.0.2.1:3260 iqn.2004-01.org.x:t/0");
        CHECK(domain_def_format(def, 0, &out) == 0);
        CHECK(out && strstr(out, "<source protocol='iscsi' name='iqn.2004-01.org.x:t/0'>\n"
                            "        <host name='192.0.2.1'/>\n"
                            "        <auth username='u'>\n"
                            "          <secret type='iscsi' usage='c'/>\n"
                            "        </auth>\n"
                            "        <initiator>\n"
                            "          <iqn name='iqn.2020-07.com.example:i'/>\n"));
        CHECK(domain_def_copy(def, &copy) == 0);
        CHECK(copy && copy->hostdevs[0].iscsi && copy->hostdevs[0].iscsi != def->hostdevs[0].iscsi);
        if (copy && copy->hostdevs[0].iscsi)
                CHECK(copy->hostdevs[0].iscsi->net->name != def->hostdevs[0].iscsi->net->name);
}

/* <lease>: libvirt's order, the offset only when given, the resource lockd
 * holds ("<target>/<lockspace>/<key>") or none for a relative target. */
static void test_lease(void) {
        static const char xml[] =
                "<domain type='kvm'><name>l</name><memory>65536</memory><os><type>hvm</type></os><devices>"
                "<lease><target path='/var/lib/l'/><key>k1</key><lockspace>s</lockspace></lease>"
                "<lease><lockspace>s</lockspace><key>k2</key><target path='rel' offset='512'/></lease>"
                "</devices></domain>";
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        _cleanup_free_ char *out = NULL, *res = NULL;
        ConfError err = {};

        CHECK(domain_def_parse(xml, 0, &def, &err) == 0);
        if (!def || def->n_leases != 2)
                return;
        CHECK(domain_def_format(def, 0, &out) == 0);
        CHECK(out && strstr(out, "<lease>\n      <lockspace>s</lockspace>\n      <key>k1</key>\n"
                            "      <target path='/var/lib/l'/>\n    </lease>\n"));
        CHECK(out && strstr(out, "<target path='rel' offset='512'/>"));
        res = domain_lease_resource(&def->leases[0]);
        CHECK_STREQ(res, "/var/lib/l/s/k1");
        CHECK(domain_lease_resource(&def->leases[1]) == NULL);
}

/* What the schema refuses, or the model does not hold, is refused by name. */
static void test_hostdev_refused(void) {
        static const struct {
                const char *xml, *error, *needle;
        } cases[] = {
                { "<hostdev mode='capabilities' type='pci'><source><address bus='1'/></source></hostdev>",
                  VB_ERROR_XML, "cannot have mode" },
                { "<hostdev mode='subsystem' type='net'><source><interface>x</interface></source></hostdev>",
                  VB_ERROR_XML, "cannot have mode" },
                { "<hostdev mode='capabilities' type='net'><source/></hostdev>", VB_ERROR_XML, "interface" },
                { "<hostdev mode='capabilities' type='net'><source><interface>a/b</interface></source></hostdev>",
                  VB_ERROR_INVALID_ARG, "a/b" },
                { "<hostdev mode='capabilities' type='storage'><source><block>dev/sda</block></source></hostdev>",
                  VB_ERROR_INVALID_ARG, "dev/sda" },
                { "<hostdev mode='capabilities' type='misc' managed='yes'><source><char>/dev/tty</char></source>"
                  "</hostdev>", VB_ERROR_NOT_SUPPORTED, "managed" },
                { "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source>"
                  "<rom bar='on'/></hostdev>", VB_ERROR_NOT_SUPPORTED, "rom" },
                /* iSCSI: libvirt's rules (one host, an iscsi secret, a name) */
                { "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='x'/></hostdev>",
                  VB_ERROR_XML, "missing the host address" },
                { "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='x'><host name='a'/>"
                  "<host name='b'/></source></hostdev>", VB_ERROR_XML, "only one source host" },
                { "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi'><host name='a'/></source></hostdev>",
                  VB_ERROR_XML, "source path name" },
                { "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='x'><host name='a'/>"
                  "<auth username='u'><secret type='ceph' usage='c'/></auth></source></hostdev>",
                  VB_ERROR_INVALID_ARG, "secret type 'ceph'" },
                { "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='x'><host name='a'/>"
                  "<snapshot name='s'/></source></hostdev>", VB_ERROR_NOT_SUPPORTED, "snapshot" },
                { "<hostdev mode='subsystem' type='scsi'><source protocol='nbd' name='x'/></hostdev>",
                  VB_ERROR_NOT_SUPPORTED, "nbd" },
                { "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/></source></hostdev>",
                  VB_ERROR_XML, "product" },
                { "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' wwpn='naa.12'/></hostdev>",
                  VB_ERROR_INVALID_ARG, "naa.12" },
                { "<hostdev mode='capabilities' type='net'><source><interface>d0</interface></source></hostdev>"
                  "<hostdev mode='capabilities' type='net'><source><interface>d0</interface></source></hostdev>",
                  VB_ERROR_INVALID_ARG, "net d0" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(domain_def_freep) DomainDef *def = NULL;
                ConfError err = {};
                int r;

                CHECK(asprintf(&xml, "<domain type='lxc'><name>h</name><memory>65536</memory><os><type>exe</type>"
                               "</os><devices>%s</devices></domain>", cases[i].xml) > 0);
                r = domain_def_parse(xml, 0, &def, &err);
                if (r >= 0)
                        r = domain_def_validate(def, &err);
                CHECK(r < 0);
                CHECK_STREQ(err.name, cases[i].error);
                if (!strstr(err.message, cases[i].needle)) {
                        fprintf(stderr, "  %s: case %zu: '%s' does not name '%s'\n", unit_current, i, err.message,
                                cases[i].needle);
                        unit_failed_checks++;
                }
        }
}

static void test_container_fields(void) {
        _cleanup_free_ char *xml = container_xml("lxc/container.xml", NULL), *out = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainOsDef *os;

        if (!xml || !(def = parse_ok(xml, "container")))
                return;
        os = &def->os;
        CHECK_INTEQ(def->virt_type, DOMAIN_VIRT_LXC);
        CHECK_STREQ(os->type, "exe");
        CHECK_STREQ(os->init, "/sbin/init");
        CHECK_INTEQ(os->n_initargs, 2);
        if (os->n_initargs == 2) {
                CHECK_STREQ(os->initargs[0], "--log-level=info");
                CHECK_STREQ(os->initargs[1], "--unit=multi-user.target");
        }
        CHECK_INTEQ(os->n_initenv, 3);
        if (os->n_initenv == 3) {
                CHECK_STREQ(os->initenv[0].name, "container");
                CHECK_STREQ(os->initenv[0].value, "virtbus");
                CHECK_STREQ(os->initenv[2].name, "EMPTY");
                CHECK_STREQ(os->initenv[2].value, "");
        }
        CHECK_STREQ(os->initdir, "/root");
        CHECK_STREQ(os->inituser, "root");
        CHECK_STREQ(os->initgroup, "root");

        CHECK_INTEQ(def->idmap.n_uids, 1);
        CHECK_INTEQ(def->idmap.n_gids, 1);
        if (def->idmap.n_uids == 1)
                CHECK(def->idmap.uids[0].start == 0 && def->idmap.uids[0].target == 100000 &&
                      def->idmap.uids[0].count == 65536);

        CHECK_INTEQ(def->n_filesystems, 6);
        if (def->n_filesystems == 6) {
                const DomainFsDef *fs = def->filesystems;

                CHECK_INTEQ(fs[0].type, DOMAIN_FS_MOUNT);
                CHECK_INTEQ(fs[0].accessmode, DOMAIN_FS_ACCESS_PASSTHROUGH);
                CHECK_STREQ(fs[0].dst, "/");
                CHECK(!fs[0].readonly);
                CHECK_INTEQ(fs[1].accessmode, DOMAIN_FS_ACCESS_DEFAULT);
                CHECK(fs[1].readonly);
                CHECK_INTEQ(fs[2].type, DOMAIN_FS_RAM);
                CHECK_INTEQ(fs[2].usage_kib, 65536);
                CHECK(fs[2].src == NULL);
                CHECK_INTEQ(fs[3].type, DOMAIN_FS_BLOCK);
                CHECK_STREQ(fs[3].src, "/dev/vg0/data");
                CHECK_INTEQ(fs[4].type, DOMAIN_FS_FILE);
                CHECK_STREQ(fs[4].driver_type, "loop");
                CHECK_STREQ(fs[4].driver_format, "raw");
                CHECK_STREQ(fs[5].driver_type, "nbd");
                CHECK_STREQ(fs[5].driver_format, "qcow2");
                CHECK_STREQ(fs[4].src, "/var/lib/virtbus/images/extra.img");
        }

        /* written in our canonical form: it comes out byte for byte */
        out = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_STREQ(out, xml);
}

/* What virt-install writes comes back in our form: units, order, type. */
static void test_container_normalised(void) {
        _cleanup_free_ char *xml = container_xml("lxc/virt-install.xml", NULL), *out = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;

        if (!xml || !(def = parse_ok(xml, "virt-install container")))
                return;
        out = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(out, "<os>\n    <type arch='x86_64'>exe</type>\n    <init>/bin/sh</init>\n"
                       "    <initdir>/home</initdir>\n  </os>");
        CHECK_CONTAINS(out, "<idmap>\n    <uid start='0' target='200000' count='1000'/>\n"
                       "    <uid start='1000' target='1000' count='1'/>\n"
                       "    <gid start='0' target='200000' count='1000'/>\n  </idmap>");
        CHECK_CONTAINS(out, "<filesystem type='mount' accessmode='squash'>\n"
                       "      <source dir='/var/lib/sandbox'/>\n      <target dir='/'/>\n    </filesystem>");
        CHECK_CONTAINS(out, "<source usage='1024' units='KiB'/>");
        CHECK_NOT_CONTAINS(out, "firmware");
        CHECK_NOT_CONTAINS(out, "machine=");
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

/* A disk's backing chain and a block job's mirror are live only, parsed
 * back from the live state; bad ones are refused with their place. */
static void test_backing_and_mirror(void) {
        _cleanup_free_ char *path = NULL, *xml = NULL, *inactive = NULL;
        _cleanup_(domain_def_freep) DomainDef *def = NULL;
        const DomainDiskDef *vda;

        CHECK(asprintf(&path, "%s/live-blockjob.xml", data_dir()) > 0);
        xml = read_file(path);
        CHECK(xml != NULL);
        if (!xml || !(def = parse_ok(xml, path)))
                return;
        vda = &def->disks[0];
        CHECK_INTEQ(vda->n_backing, 2);
        CHECK(vda->backing_known);
        if (vda->n_backing == 2) {
                CHECK_STREQ(vda->backing[0].path, "/var/lib/virtbus/images/mid.qcow2");
                CHECK_INTEQ(vda->backing[0].format, DOMAIN_DISK_FORMAT_QCOW2);
                CHECK_INTEQ(vda->backing[1].type, DOMAIN_DISK_TYPE_BLOCK);
                CHECK_INTEQ(vda->backing[1].index, 2);
        }
        CHECK(vda->mirror != NULL);
        if (vda->mirror) {
                CHECK_STREQ(vda->mirror->path, "/var/lib/virtbus/images/copy.qcow2");
                CHECK_STREQ(vda->mirror->job, "copy");
                CHECK_STREQ(vda->mirror->ready, "yes");
        }
        CHECK(def->disks[1].backing_known && def->disks[1].n_backing == 0);
        CHECK_STREQ(def->disks[1].mirror ? def->disks[1].mirror->job : NULL, "active-commit");
        CHECK(def->disks[1].mirror && !def->disks[1].mirror->ready);

        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_NOT_CONTAINS(inactive, "backingStore");
        CHECK_NOT_CONTAINS(inactive, "mirror");

        check_refused("<domain type='kvm'><name>m</name><devices><disk type='file'><source file='/a'/>"
                    "<mirror file='/b' job='merge'/><target dev='vda'/></disk></devices></domain>",
                    VB_ERROR_INVALID_ARG, "devices/disk/mirror");
        check_refused("<domain type='kvm'><name>m</name><devices><disk type='file'><source file='/a'/>"
                    "<backingStore type='file'><format type='raw'/></backingStore>"
                    "<target dev='vda'/></disk></devices></domain>",
                    VB_ERROR_XML, "devices/disk/backingStore/source");
        /* the old form alone (file='' without <source>) is read too */
        {
                _cleanup_(domain_def_freep) DomainDef *old = parse_ok(
                        "<domain type='kvm'><name>m</name><os><type>hvm</type></os><devices><disk type='file'>"
                        "<source file='/a'/><mirror file='/b' format='raw'/><target dev='vda'/></disk></devices></domain>",
                        "old mirror");
                CHECK(old && old->disks[0].mirror && streq_ptr(old->disks[0].mirror->path, "/b") &&
                      streq_ptr(old->disks[0].mirror->job, "copy"));
        }
}

/* <listen type='network'/>: the address the start resolved is the running
 * guest's, in the live XML only (listen='' and address=''), as libvirt. */
static void test_graphics_listen_network(void) {
        _cleanup_(domain_def_freep) DomainDef *def = parse_ok(
                "<domain type='qemu'><name>g</name><os><type>hvm</type></os><devices>"
                "<graphics type='vnc' port='5903' autoport='no' listen='192.168.122.1'>"
                "<listen type='network' address='192.168.122.1' network='default'/></graphics>"
                "</devices></domain>", "listen network");
        _cleanup_free_ char *live = NULL, *inactive = NULL;

        if (!def)
                return;
        CHECK_STREQ(def->graphics[0].listen_network, "default");
        CHECK_STREQ(def->graphics[0].listen, "192.168.122.1");
        live = format_ok(def, 0);
        CHECK_CONTAINS(live, "<graphics type='vnc' port='5903' autoport='no' listen='192.168.122.1'>");
        CHECK_CONTAINS(live, "<listen type='network' address='192.168.122.1' network='default'/>");
        inactive = format_ok(def, DOMAIN_FORMAT_INACTIVE);
        CHECK_CONTAINS(inactive, "<graphics type='vnc' port='5903' autoport='no'>");
        CHECK_CONTAINS(inactive, "<listen type='network' network='default'/>");
}

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
        CHECK_TABLE(domain_fs_type, _DOMAIN_FS_MAX, 0);
        CHECK_TABLE(domain_fs_access_mode, _DOMAIN_FS_ACCESS_MAX, 1);
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


UNIT_TESTS(test_hostdev_fields, test_hostdev_iscsi, test_lease, test_hostdev_refused, test_round_trip_fixtures, test_canonical_form, test_current_memory_written, test_schema_valid, test_containers_round_trip,
           test_container_fields, test_container_normalised, test_units, test_numbers,
           test_overflow, test_big_documents, test_live_fields, test_graphics_listen_network, test_backing_and_mirror, test_defaults, test_escaping,
           test_copy_is_deep, test_string_tables, test_conf_error_set)
