/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asynchronous calls to virtbus-logd (org.virtbus.Log1), for qemud/lxcd.
 *
 *   logd_open_async(bus, "qemu", "vm1", on_log, vm, NULL);
 *   static void on_log(int r, const sd_bus_error *e, int fd, const char *path, void *vm) {
 *           ... fd is the write end of the log pipe, the callee's to close:
 *           make it QEMU's stdout and stderr ...
 *   }
 *
 * Callbacks get r = 0 or a -errno (from the error table: -EINVAL for
 * InvalidArg, -ENOENT for NoLog ...) with the D-Bus error. As for lockd's
 * helpers, a callback does not run once its slot is unreferenced;
 * ret_slot = NULL makes the call fire-and-forget. */

#include <systemd/sd-bus.h>

#include "macro.h"

#define LOGD_SERVICE "org.virtbus.logd"
#define LOGD_PATH "/org/virtbus/logd"
#define LOGD_IFACE "org.virtbus.Log1"

/* fd: a new fd (owned by the callback, -1 on error); path: the log file. */
typedef void (*logd_open_fn)(int r, const sd_bus_error *error, int fd, const char *path, void *userdata);
typedef void (*logd_reply_fn)(int r, const sd_bus_error *error, void *userdata);
/* data/len: the bytes, valid during the callback only. */
typedef void (*logd_tail_fn)(int r, const sd_bus_error *error, const void *data, size_t len, void *userdata);

int logd_open_async(sd_bus *bus, const char *driver, const char *name, logd_open_fn cb, void *userdata,
                    sd_bus_slot **ret_slot);
/* Appends a line (e.g. the QEMU command line, before starting it). cb may be NULL. */
int logd_append_async(sd_bus *bus, const char *driver, const char *name, const char *line, logd_reply_fn cb,
                      void *userdata, sd_bus_slot **ret_slot);
int logd_tail_async(sd_bus *bus, const char *driver, const char *name, uint64_t max_bytes, logd_tail_fn cb,
                    void *userdata, sd_bus_slot **ret_slot);
