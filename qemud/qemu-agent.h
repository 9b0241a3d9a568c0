/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A client of the QEMU guest agent (qemu-ga) on the host end of its virtio
 * port: a unix socket QEMU listens on (<channel type='unix'> with target
 * name org.qemu.guest_agent.0).
 *
 * The protocol is QMP-like JSON lines with no greeting, no ids and no
 * events, and the port keeps whatever was written while nobody listened in
 * the guest, or what an agent answered after we gave up on it. So every
 * command is preceded by guest-sync-delimited with a random id: the agent
 * answers it with a 0xFF byte and {"return": id}; everything before that
 * answer is stale and dropped. Then the command goes out and its one answer
 * is the next line. One command is in flight at a time (the agent is
 * sequential); the others wait in order. Each has a timeout covering its
 * sync and its answer; a command that timed out leaves its late answer to
 * be dropped by the next sync.
 *
 * Nothing here blocks: everything happens from the event loop. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct QemuAgent QemuAgent;

/* The error classes of an answer that did not come from the agent. */
#define QEMU_AGENT_ERROR_TIMEOUT "Timeout"            /* no answer in time */
#define QEMU_AGENT_ERROR_CLOSED "Disconnected"        /* the connection closed first */

/* Exactly one of result and error_class is non-NULL (for a no_reply command
 * result is NULL and error_class NULL too on success). result is borrowed. */
typedef void (*QemuAgentReplyFn)(json_object *result, const char *error_class, const char *error_desc,
                                 void *userdata);

/* Connects to socket_path (QEMU listens there). */
int qemu_agent_new(sd_event *event, const char *socket_path, QemuAgent **ret);
/* Closes the connection: commands waiting or in flight get their reply
 * callback with QEMU_AGENT_ERROR_CLOSED, then the agent is freed. NULL. */
QemuAgent *qemu_agent_free(QemuAgent *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(QemuAgent *, qemu_agent_free);

/* Queues command (arguments consumed, may be NULL). cb runs exactly once,
 * later (never from within this call), unless this returns < 0. no_reply:
 * the agent answers nothing (guest-shutdown): cb runs once it was written
 * after a good sync. timeout_usec covers the sync and the answer. */
int qemu_agent_command(QemuAgent *a, const char *command, json_object *arguments, bool no_reply,
                       uint64_t timeout_usec, QemuAgentReplyFn cb, void *userdata);
bool qemu_agent_is_closed(const QemuAgent *a);

/* VIRTBUS_AGENT_TIMEOUT_MS, else 5 s (libvirt's default wait). */
uint64_t qemu_agent_timeout_from_env(void);

/* ---- the pure part (tests/unit/test-qemu-agent.c) ---- */

/* {"execute":"guest-sync-delimited","arguments":{"id":ID}} and "\n". */
char *qemu_agent_format_sync(uint64_t id);
/* {"execute":COMMAND[,"arguments":ARGS]} and "\n" (no "id": qemu-ga does
 * not need one). arguments is not consumed. */
char *qemu_agent_format_command(const char *command, json_object *arguments);
/* The offset just past the first 0xFF byte of data, or -1 when none. */
ssize_t qemu_agent_after_delimiter(const char *data, size_t n);
/* Whether line is the answer {"return": id} to our sync. */
bool qemu_agent_is_sync_reply(const char *line, size_t len, uint64_t id);
