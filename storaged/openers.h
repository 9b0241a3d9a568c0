/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The last guard before a volume is deleted, wiped or shrunk: a QEMU
 * process that has the file open (a guest reading it as a backing layer
 * that nobody told storaged of: qemud could not reach a storaged that was
 * not running, and the call that started it is this delete). Found in
 * /proc: only processes whose name starts with "qemu" are looked into. */

#include <stddef.h>

/* 1 with a description of the process ("QEMU process 42 of guest 'vm1'")
 * in buf when one has path open, 0 when none, -errno when path cannot be
 * looked at. */
int file_qemu_opener(const char *path, char *buf, size_t size);
