/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key table (qemud/qemu-keycodes.c) and the pure mappings of the
 * guest's other controls (qemud/qemu-control.c): QEMU's words to libvirt's
 * numbers, written out here from libvirt's and QEMU's documentation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-control.h"
#include "qemu-keycodes.h"
#include "unit.h"

/* One key in every set: the same QNUM whichever set names it. */
typedef struct Key {
        const char *name;
        int qnum;
        int code[_KEYCODE_SET_MAX]; /* -1: the set has no code for it */
} Key;

static const Key known[] = {
        /*                 linux xt    set1    set2    set3 osx   xtkbd usb   win32 qnum */
        { "A", 0x1e, { 30, 0x1e, 0x1e, 0x1c, -1, 0x00, 0x1e, 0x04, 0x41, 0x1e } },
        { "Enter", 0x1c, { 28, 0x1c, 0x1c, 0x5a, -1, 0x24, 0x1c, 0x28, 0x0d, 0x1c } },
        { "Escape", 0x01, { 1, 0x01, 0x01, 0x76, -1, 0x35, 0x01, 0x29, 0x1b, 0x01 } },
        { "left Ctrl", 0x1d, { 29, 0x1d, 0x1d, 0x14, -1, 0x3b, 0x1d, 0xe0, 0xa2, 0x1d } },
        { "left Alt", 0x38, { 56, 0x38, 0x38, 0x11, -1, 0x3a, 0x38, 0xe2, 0xa4, 0x38 } },
        { "F1", 0x3b, { 59, 0x3b, 0x3b, 0x05, -1, 0x7a, 0x3b, 0x3a, 0x70, 0x3b } },
        { "F12", 0x58, { 88, 0x58, 0x58, 0x07, -1, 0x6f, 0x58, 0x45, 0x7b, 0x58 } },
        { "Delete", 0xd3, { 111, -1, 0xe053, 0xe071, -1, 0x75, -1, 0x4c, 0x2e, 0xd3 } },
        { "right Ctrl", 0x9d, { 97, -1, 0xe01d, 0xe014, -1, 0x3e, -1, 0xe4, 0xa3, 0x9d } },
        { "Up", 0xc8, { 103, -1, 0xe048, 0xe075, -1, 0x7e, -1, 0x52, 0x26, 0xc8 } },
        { "left Meta", 0xdb, { 125, -1, 0xe05b, 0xe01f, -1, 0x37, -1, 0xe3, 0x5b, 0xdb } },
};

static void test_known_keys(void) {
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                for (unsigned set = 0; set < _KEYCODE_SET_MAX; set++) {
                        int code = known[i].code[set];
                        if (code < 0)
                                continue;
                        if (qemu_keycode_to_qnum(set, (uint32_t) code) != known[i].qnum)
                                fprintf(stderr, "  %s in %s (0x%x): %d, not 0x%x\n", known[i].name,
                                        qemu_keycode_set_name(set), code, qemu_keycode_to_qnum(set, (uint32_t) code),
                                        known[i].qnum);
                        CHECK(qemu_keycode_to_qnum(set, (uint32_t) code) == known[i].qnum);
                }
}

static void test_refused(void) {
        CHECK(qemu_keycode_to_qnum(_KEYCODE_SET_MAX, 30) == -EINVAL);
        CHECK(qemu_keycode_to_qnum(99, 30) == -EINVAL);
        CHECK(qemu_keycode_to_qnum(KEYCODE_SET_LINUX, 0) == -ENOENT);
        CHECK(qemu_keycode_to_qnum(KEYCODE_SET_LINUX, 0xffff) == -ENOENT);
        CHECK(qemu_keycode_to_qnum(KEYCODE_SET_ATSET3, 0x1c) == -ENOENT);
        /* XT has no keys with the 0xe0 prefix */
        CHECK(qemu_keycode_to_qnum(KEYCODE_SET_XT, 0x9d) == -ENOENT);
        CHECK(qemu_keycode_to_qnum(KEYCODE_SET_ATSET1, 0x9d) == -ENOENT);
}

static void test_names(void) {
        static const char *const names[] = { "linux", "xt", "atset1", "atset2", "atset3",
                                             "osx", "xt_kbd", "usb", "win32", "qnum" };
        for (unsigned set = 0; set < _KEYCODE_SET_MAX; set++)
                CHECK_STREQ(qemu_keycode_set_name(set), names[set]);
        CHECK(!qemu_keycode_set_name(_KEYCODE_SET_MAX));
}

/* No code twice in a set (a key would hide another), and every row has a
 * Linux code and a QNUM. */
static void test_table_unique(void) {
        size_t n = 0;

        while (qemu_keycode_table_code(n, KEYCODE_SET_LINUX) != -ERANGE)
                n++;
        CHECK(n > 100);
        for (unsigned set = 0; set < _KEYCODE_SET_MAX; set++)
                for (size_t i = 0; i < n; i++) {
                        int a = qemu_keycode_table_code(i, set);
                        if (set == KEYCODE_SET_LINUX || set == KEYCODE_SET_QNUM)
                                CHECK(a > 0);
                        for (size_t j = 0; a >= 0 && j < i; j++)
                                if (qemu_keycode_table_code(j, set) == a) {
                                        fprintf(stderr, "  %s: code 0x%x twice (rows %zu and %zu)\n",
                                                qemu_keycode_set_name(set), a, j, i);
                                        CHECK(false);
                                }
                }
}

static void test_event_words(void) {
        CHECK(qemu_control_io_error_action("stop") == 1);   /* VIR_DOMAIN_EVENT_IO_ERROR_PAUSE */
        CHECK(qemu_control_io_error_action("report") == 2);
        CHECK(qemu_control_io_error_action("ignore") == 0);
        CHECK(qemu_control_io_error_action("explode") == -1);
        CHECK(qemu_control_watchdog_action("none") == 0);
        CHECK(qemu_control_watchdog_action("pause") == 1);
        CHECK(qemu_control_watchdog_action("reset") == 2);
        CHECK(qemu_control_watchdog_action("poweroff") == 3);
        CHECK(qemu_control_watchdog_action("shutdown") == 4);
        CHECK(qemu_control_watchdog_action("debug") == 5);
        CHECK(qemu_control_watchdog_action("inject-nmi") == 6);
        CHECK(qemu_control_watchdog_action(NULL) == -1);
        CHECK(qemu_control_graphics_phase("VNC_CONNECTED") == 0);
        CHECK(qemu_control_graphics_phase("SPICE_INITIALIZED") == 1);
        CHECK(qemu_control_graphics_phase("VNC_DISCONNECTED") == 2);
        CHECK(qemu_control_graphics_phase("SPICE_MIGRATE_COMPLETED") == -1);
        CHECK(qemu_control_graphics_family("ipv4") == 0);
        CHECK(qemu_control_graphics_family("ipv6") == 1);
        CHECK(qemu_control_graphics_family("unix") == 2);
        CHECK(qemu_control_graphics_family("vsock") == -1);
}

static void test_alias_of_node(void) {
        char *s;

        CHECK_STREQ((s = qemu_control_alias_of_node("virtio-disk0-fmt")), "virtio-disk0");
        free(s);
        CHECK_STREQ((s = qemu_control_alias_of_node("sata0-0-1-file")), "sata0-0-1");
        free(s);
        CHECK_STREQ((s = qemu_control_alias_of_node("virtio-disk3-throttle")), "virtio-disk3");
        free(s);
        /* an external snapshot's overlay names the disk it is on */
        CHECK_STREQ((s = qemu_control_alias_of_overlay("virtio-disk1-s0a1b2c-fmt")), "virtio-disk1");
        free(s);
        CHECK_STREQ((s = qemu_control_alias_of_overlay("virtio-disk1-s0a1b2c-file")), "virtio-disk1");
        free(s);
        CHECK_STREQ((s = qemu_control_alias_of_overlay("my-s-disk-fmt")), "my-s-disk");
        free(s);
        CHECK_STREQ((s = qemu_control_alias_of_overlay("virtio-disk0-fmt")), "virtio-disk0");
        free(s);
        CHECK(!qemu_control_alias_of_node("-fmt"));
        CHECK(!qemu_control_alias_of_node("#block123"));
        CHECK(!qemu_control_alias_of_node(NULL));
}

UNIT_TESTS(test_known_keys, test_refused, test_names, test_table_unique, test_event_words, test_alias_of_node)
