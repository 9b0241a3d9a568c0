/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's SMBIOS table (dmi-table.h): the structures libvirt takes for
 * <os><smbios mode='host'/>, from a table laid out as DSP0134 says (SMBIOS
 * 2.8: types 0, 1, 2, 3 with a contained element and its SKU after it, 4
 * and 17 skipped, 11, 127) and from one captured from a QEMU guest
 * (tests/data/dmi/: QEMU 7.2's tables with -smbios values);
 * blanks and absent strings left out, and a cut table refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmi-table.h"
#include "unit.h"
#include "util.h"

typedef struct Table {
        uint8_t buf[2048];
        size_t len;
} Table;

/* One structure: its formatted area (type and length filled in), then
 * its strings ("" for an empty set). */
static void add(Table *t, const uint8_t *area, size_t n, const char *const *strings) {
        size_t start = t->len;

        memcpy(t->buf + t->len, area, n);
        t->buf[start + 1] = (uint8_t) n;
        t->len += n;
        if (!strings || !strings[0]) {
                t->buf[t->len++] = 0;
                t->buf[t->len++] = 0;
                return;
        }
        for (size_t i = 0; strings[i]; i++) {
                size_t l = strlen(strings[i]) + 1;
                memcpy(t->buf + t->len, strings[i], l);
                t->len += l;
        }
        t->buf[t->len++] = 0;
}

static void build(Table *t) {
        /* type 0: vendor 1, version 2, date 3; release 2.17 at 0x14/0x15 */
        uint8_t bios[0x18] = { 0, 0, 0, 0, 1, 2, 0, 0, 3, 0, [0x14] = 2, [0x15] = 17 };
        /* type 1: serial 0 (absent), sku 5 is blanks, family 4 */
        uint8_t sys[0x1b] = { 1, 0, 1, 0, 1, 2, 3, 0, [0x19] = 5, [0x1a] = 4 };
        /* type 2: asset and location */
        uint8_t board[0x0f] = { 2, 0, 2, 0, 1, 2, 3, 4, 5, 0, 6 };
        /* type 3: one contained element of 3 bytes, SKU after it */
        uint8_t chassis[0x15 + 3 + 1] = { 3, 0, 3, 0, 1, 0x17, 2, 3, 0, [0x13] = 1, [0x14] = 3, [0x18] = 4 };
        uint8_t cpu[0x30] = { 4, 0, 4, 0, 1 };
        uint8_t mem[0x28] = { 17, 0, 17, 0 };
        uint8_t oem[5] = { 11, 0, 11, 0, 2 };
        uint8_t end[4] = { 127, 0, 127, 0 };

        t->len = 0;
        add(t, bios, sizeof(bios), (const char *const[]) { "Host BIOS Inc.", "2.17", "03/14/2024", NULL });
        add(t, sys, sizeof(sys), (const char *const[]) { "Host Maker", "Server X1", "v3", "Big, Family", "   ", NULL });
        add(t, board, sizeof(board),
            (const char *const[]) { "Board Maker", "B-100", "rev 2", "BSN1", "asset-7", "slot left", NULL });
        add(t, chassis, sizeof(chassis), (const char *const[]) { "Host Maker", "c1", "CSN-1", "CSKU", NULL });
        add(t, cpu, sizeof(cpu), (const char *const[]) { "CPU 0", NULL });
        add(t, mem, sizeof(mem), NULL);
        add(t, oem, sizeof(oem), (const char *const[]) { "oem one", "oem=two", NULL });
        add(t, end, sizeof(end), NULL);
}

#define FIELD(si, kind, i) ((si).sections[DOMAIN_SMBIOS_##kind].fields[i])

static void test_parse_built_table(void) {
        Table t;
        DomainSysinfo si;

        build(&t);
        CHECK_INTEQ(dmi_table_parse(t.buf, t.len, &si), 0);
        CHECK_INTEQ(si.type, DOMAIN_SYSINFO_SMBIOS);
        CHECK_STREQ(FIELD(si, BIOS, 0), "Host BIOS Inc.");
        CHECK_STREQ(FIELD(si, BIOS, 1), "2.17");
        CHECK_STREQ(FIELD(si, BIOS, 2), "03/14/2024");
        CHECK_STREQ(FIELD(si, BIOS, 3), "2.17");
        CHECK_STREQ(FIELD(si, SYSTEM, 0), "Host Maker");
        CHECK_STREQ(FIELD(si, SYSTEM, 1), "Server X1");
        CHECK_STREQ(FIELD(si, SYSTEM, 2), "v3");
        CHECK(!FIELD(si, SYSTEM, 3));                   /* string number 0 */
        CHECK(!FIELD(si, SYSTEM, DOMAIN_SMBIOS_SYSTEM_UUID)); /* the guest's own */
        CHECK(!FIELD(si, SYSTEM, 5));                   /* blanks */
        CHECK_STREQ(FIELD(si, SYSTEM, 6), "Big, Family");
        CHECK_INTEQ(si.n_baseboards, 1);
        CHECK_STREQ(si.baseboards[0].fields[0], "Board Maker");
        CHECK_STREQ(si.baseboards[0].fields[4], "asset-7");
        CHECK_STREQ(si.baseboards[0].fields[5], "slot left");
        CHECK_STREQ(FIELD(si, CHASSIS, 0), "Host Maker");
        CHECK_STREQ(FIELD(si, CHASSIS, 1), "c1");
        CHECK_STREQ(FIELD(si, CHASSIS, 2), "CSN-1");
        CHECK(!FIELD(si, CHASSIS, 3));
        CHECK_STREQ(FIELD(si, CHASSIS, 4), "CSKU");
        CHECK_INTEQ(si.n_oem_strings, 2);
        CHECK_STREQ(si.oem_strings[0], "oem one");
        CHECK_STREQ(si.oem_strings[1], "oem=two");
        dmi_sysinfo_clear(&si);
        CHECK(!si.baseboards && !si.oem_strings);
}

/* An older table: type 0 without the release bytes, type 1 of SMBIOS 2.0
 * (no SKU, no family), a release of 0xff (none). */
static void test_short_structures(void) {
        uint8_t bios[0x12] = { 0, 0, 0, 0, 1, 0, 0, 0, 0 };
        uint8_t bios_ff[0x18] = { 0, 0, 0, 0, 1, [0x14] = 0xff, [0x15] = 0xff };
        uint8_t sys[0x08] = { 1, 0, 1, 0, 1, 0, 0, 2 };
        Table t = {};
        DomainSysinfo si;

        add(&t, bios, sizeof(bios), (const char *const[]) { "Old BIOS", NULL });
        add(&t, sys, sizeof(sys), (const char *const[]) { "Old Maker", "SN", NULL });
        CHECK_INTEQ(dmi_table_parse(t.buf, t.len, &si), 0);  /* no type 127: the end of the data */
        CHECK_STREQ(FIELD(si, BIOS, 0), "Old BIOS");
        CHECK(!FIELD(si, BIOS, 3));
        CHECK_STREQ(FIELD(si, SYSTEM, 3), "SN");
        CHECK(!FIELD(si, SYSTEM, 5) && !FIELD(si, SYSTEM, 6));
        dmi_sysinfo_clear(&si);

        t.len = 0;
        add(&t, bios_ff, sizeof(bios_ff), (const char *const[]) { "BIOS", NULL });
        CHECK_INTEQ(dmi_table_parse(t.buf, t.len, &si), 0);
        CHECK(!FIELD(si, BIOS, 3));
        dmi_sysinfo_clear(&si);
}

static void test_cut_table_refused(void) {
        Table t;
        DomainSysinfo si = {};

        build(&t);
        /* in a formatted area, in a string set, and a length below 4 */
        CHECK_INTEQ(dmi_table_parse(t.buf, 10, &si), -EBADMSG);
        CHECK_INTEQ(dmi_table_parse(t.buf, 0x18 + 5, &si), -EBADMSG);
        t.buf[1] = 2;
        CHECK_INTEQ(dmi_table_parse(t.buf, t.len, &si), -EBADMSG);
        CHECK_INTEQ(dmi_table_read("/nonexistent/DMI", &si), -ENOENT);
}

static const char *data_file(const char *name) {
        static char buf[4096 + 64];
        char exe[4096];
        ssize_t n;

        snprintf(buf, sizeof(buf), "tests/data/dmi/%s", name);
        if (access(buf, F_OK) == 0)
                return buf;
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return buf;
        exe[n] = 0;
        for (int i = 0; i < 3; i++) {
                char *s = strrchr(exe, '/');
                if (s)
                        *s = 0;
        }
        snprintf(buf, sizeof(buf), "%s/tests/data/dmi/%s", exe, name);
        return buf;
}

/* The tables QEMU 7.2 gave a q35 guest started with the <sysinfo> of
 * test_qemud_smbios_host.py (which captured it, VIRTBUS_CAPTURE_DMI=1). */
static void test_captured_qemu_table(void) {
        DomainSysinfo si;

        CHECK_INTEQ(dmi_table_read(data_file("qemu-guest.bin"), &si), 0);
        CHECK_STREQ(FIELD(si, BIOS, 0), "VBVendor");
        CHECK_STREQ(FIELD(si, BIOS, 1), "VBVersion 1");
        CHECK_STREQ(FIELD(si, BIOS, 2), "01/02/2023");
        CHECK_STREQ(FIELD(si, BIOS, 3), "4.5");
        CHECK_STREQ(FIELD(si, SYSTEM, 0), "VB Maker");
        CHECK_STREQ(FIELD(si, SYSTEM, 1), "VB Product");
        CHECK_STREQ(FIELD(si, SYSTEM, 3), "VBSERIAL");
        CHECK_STREQ(FIELD(si, SYSTEM, 6), "VB Family");
        CHECK_INTEQ(si.n_baseboards, 1);
        CHECK_STREQ(si.baseboards[0].fields[0], "VB Board");
        CHECK_STREQ(FIELD(si, CHASSIS, 0), "VB Chassis");
        CHECK_INTEQ(si.n_oem_strings, 1);
        CHECK_STREQ(si.oem_strings[0], "vb oem");
        dmi_sysinfo_clear(&si);
}

UNIT_TESTS(test_parse_built_table, test_short_structures, test_cut_table_refused, test_captured_qemu_table)
