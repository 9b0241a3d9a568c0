/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Keyboard codes: libvirt's codesets (virKeycodeSet) to the "number" QEMU's
 * send-key takes (QNUM: the AT set 1 scancode, an 0xe0 prefix folded into
 * the high bit), which is what libvirt sends QEMU too.
 *
 * The table (qemu-keycodes.c) has one row per key of a standard PC keyboard
 * with its code in each set; tests/unit/test-qemu-keycodes.c checks it. */

#include <stdint.h>

typedef enum QemuKeycodeSet {
        KEYCODE_SET_LINUX = 0,
        KEYCODE_SET_XT = 1,
        KEYCODE_SET_ATSET1 = 2,
        KEYCODE_SET_ATSET2 = 3,
        KEYCODE_SET_ATSET3 = 4,
        KEYCODE_SET_OSX = 5,
        KEYCODE_SET_XT_KBD = 6,
        KEYCODE_SET_USB = 7,
        KEYCODE_SET_WIN32 = 8,
        KEYCODE_SET_QNUM = 9, /* also RFB: the same numbers */
        _KEYCODE_SET_MAX,
} QemuKeycodeSet;

/* "linux", "xt", ... "qnum"; NULL for a set libvirt does not have. */
const char *qemu_keycode_set_name(unsigned set);

/* The QNUM of code in set: >= 0, or -EINVAL for an unknown set, -ENOENT
 * for a code the set does not have (or that we have no row for). */
int qemu_keycode_to_qnum(unsigned set, uint32_t code);

/* The table, for the unit test: the code of row i in set (-1: none), and
 * -ERANGE past the last row. */
int qemu_keycode_table_code(size_t i, unsigned set);
