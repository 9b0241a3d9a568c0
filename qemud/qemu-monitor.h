/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An asynchronous QMP client on an sd-event loop.
 *
 * The monitor reads QEMU's greeting, sends qmp_capabilities by itself and
 * then calls on_ready. Commands may be issued at any time after
 * qemu_monitor_new(): those issued before the greeting are queued and sent,
 * right behind qmp_capabilities, in one write as soon as the greeting
 * arrives (QMP handles requests in order, so there is no need to wait for
 * the capabilities reply). Replies are matched to commands by "id".
 *
 * Nothing here blocks: connecting, reading and writing all happen from
 * the event loop. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "qemu-monitor-protocol.h"

typedef struct QemuMonitor QemuMonitor;

typedef struct QemuMonitorCallbacks {
        /* Greeting read and qmp_capabilities accepted. */
        void (*on_ready)(QemuMonitor *m, void *userdata);
        /* An asynchronous event; data is NULL when QEMU sent none. Borrowed:
         * json_object_get() it to keep it. timestamp_usec is QEMU's
         * CLOCK_REALTIME stamp (0 when absent). */
        void (*on_event)(QemuMonitor *m, const char *event, json_object *data,
                         uint64_t timestamp_usec, void *userdata);
        /* The connection ended: error is 0 when QEMU hung up (EOF or
         * ECONNRESET), else -errno (-ETIMEDOUT: not ready in time, -EPROTO:
         * QEMU spoke no QMP, ...). Commands still in flight got their reply
         * callback with error class "Disconnected" just before. Called at
         * most once; the monitor may be freed from here. */
        void (*on_closed)(QemuMonitor *m, int error, void *userdata);
} QemuMonitorCallbacks;

/* Exactly one of result and error_class is non-NULL. result is borrowed:
 * json_object_get() it to keep it. error_class is QEMU's ("GenericError",
 * "CommandNotFound", ...) or "Disconnected" when the monitor closed before
 * the reply came. */
typedef void (*QemuMonitorReplyFn)(QemuMonitor *m, json_object *result, const char *error_class,
                                   const char *error_desc, void *userdata);

/* The error class given to commands whose reply never came. */
#define QEMU_MONITOR_ERROR_DISCONNECTED "Disconnected"

/* Creates a monitor on an already connected stream socket (fd >= 0, taken
 * over on success only, switched to non-blocking) or, with fd < 0, connects
 * to socket_path, retrying every few milliseconds while the socket does not
 * exist yet or does not listen yet (QEMU creates it shortly after exec).
 * timeout_usec bounds the whole way to on_ready (connect, greeting,
 * capabilities); 0 means no limit. cb is copied; it may be NULL. */
int qemu_monitor_new(sd_event *event, int fd, const char *socket_path, uint64_t timeout_usec,
                     const QemuMonitorCallbacks *cb, void *userdata, QemuMonitor **ret);

/* Frees the monitor and closes the connection. No callback of any kind is
 * called afterwards, not even for commands in flight: their owners must
 * clean up on their own (or call qemu_monitor_close() first). Safe to call
 * from inside any of the monitor's callbacks. Returns NULL. */
QemuMonitor *qemu_monitor_free(QemuMonitor *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuMonitor *, qemu_monitor_free);

/* Closes the connection on our side: commands in flight get their reply
 * callback with "Disconnected", on_closed is not called. Idempotent. */
void qemu_monitor_close(QemuMonitor *m);

/* Sends {"execute": command, "arguments": arguments, "id": N}. arguments is
 * consumed (even on failure) and may be NULL. cb may be NULL to ignore the
 * reply. Returns -ENOTCONN once the monitor is closed; the callback is then
 * never called. The command goes out in a single write when the socket
 * accepts it; otherwise the rest is sent when it becomes writable. */
int qemu_monitor_command(QemuMonitor *m, const char *command, json_object *arguments,
                         QemuMonitorReplyFn cb, void *userdata);

/* The same, with fd (>= 0) sent alongside as SCM_RIGHTS, for getfd and
 * add-fd: the monitor sends a duplicate (the caller keeps fd) on the first
 * byte of this command, in a write that carries no other command's first
 * byte. A negative fd sends none. -EBADF when fd cannot be duplicated. */
int qemu_monitor_command_with_fd(QemuMonitor *m, const char *command, json_object *arguments, int fd,
                                 QemuMonitorReplyFn cb, void *userdata);

bool qemu_monitor_is_ready(const QemuMonitor *m);
bool qemu_monitor_is_closed(const QemuMonitor *m);
/* The greeting's "QMP" object (version, capabilities), NULL before it came. */
json_object *qemu_monitor_get_greeting(const QemuMonitor *m);
void *qemu_monitor_get_userdata(const QemuMonitor *m);
void qemu_monitor_set_userdata(QemuMonitor *m, void *userdata);
