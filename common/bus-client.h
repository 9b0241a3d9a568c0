/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plumbing of the asynchronous client helpers (lockd-client.c,
 * logd-client.c): a method call whose reply handler gets a small struct of
 * the helper's own, typically the caller's callback and userdata:
 *
 *   typedef struct Pending { logd_tail_fn cb; void *userdata; } Pending;
 *   static int on_tail_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
 *           Pending *p = userdata;
 *           const sd_bus_error *e;
 *           int r = bus_reply_errno(m, &e);
 *           ...
 *   }
 *   Pending p = { .cb = cb, .userdata = userdata };
 *   return bus_call_async(bus, &logd, "Tail", on_tail_reply, &p, sizeof(p), ret_slot, "sst", driver, name, max);
 *
 * A reply with nothing in it, or just a count, needs no handler of its own:
 * see BusReply and bus_on_reply() below.
 *
 * The copy of the struct lives as long as the call's slot: it is freed after
 * the reply was handled, when the slot is unreferenced (which cancels the
 * call: the handler does not run) or when the connection goes away. With
 * ret_slot NULL the call is fire-and-forget and the handler always runs. */

#include <systemd/sd-bus.h>

#include "macro.h"

/* The object a helper talks to. */
typedef struct BusTarget {
        const char *service;
        const char *path;
        const char *interface;
} BusTarget;

/* Calls target's method with the arguments of types, as sd_bus_call_method_async()
 * does; handler gets a copy of the size bytes at pending as its userdata. */
int bus_call_async(sd_bus *bus, const BusTarget *target, const char *method, sd_bus_message_handler_t handler,
                   const void *pending, size_t size, sd_bus_slot **ret_slot, const char *types, ...);
/* A call that asks for no answer (one message, not two: a lease release
 * whose outcome nobody waits for). */
int bus_send_noreply(sd_bus *bus, const BusTarget *target, const char *method, const char *types, ...);
/* The same for a call message built by the caller. */
int bus_send_call_async(sd_bus *bus, sd_bus_message *call, sd_bus_message_handler_t handler, const void *pending,
                        size_t size, sd_bus_slot **ret_slot);

/* 0 for a method return. For an error reply, the errno of the D-Bus error as
 * -errno (from the error table: -EBUSY for ResourceBusy ...; -EIO if it maps
 * to none), with the error itself in *ret_error (NULL for a method return). */
int bus_reply_errno(sd_bus_message *reply, const sd_bus_error **ret_error);

/* The callbacks for the two commonest replies: none, or one unsigned count
 * (0 on failure). r and the error are as bus_reply_errno() gives them. */
typedef void (*bus_reply_fn)(int r, const sd_bus_error *error, void *userdata);
typedef void (*bus_count_fn)(int r, const sd_bus_error *error, unsigned count, void *userdata);

/* The pending struct of bus_on_reply(): count_cb, if set, reads a "u" from
 * the reply; else cb (which may be NULL) is called. */
typedef struct BusReply {
        bus_reply_fn cb;
        bus_count_fn count_cb;
        void *userdata;
} BusReply;

/* A handler for bus_call_async() with a BusReply as pending:
 *   BusReply p = { .count_cb = cb, .userdata = userdata };
 *   return bus_call_async(bus, &target, "ReleaseOwner", bus_on_reply, &p, sizeof(p), ret_slot, "s", owner); */
int bus_on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* Calls cb(userdata, owner) each time the well-known name changes hands:
 * owner is the new unique name, or "" when the name left the bus. For the
 * daemons a client depends on (lockd's leases taken again when it is back,
 * logd activated again when it went away). The match lives until the
 * caller unrefs *ret_slot. */
typedef void (*bus_owner_fn)(void *userdata, const char *owner);
int bus_watch_name_owner(sd_bus *bus, const char *name, bus_owner_fn cb, void *userdata, sd_bus_slot **ret_slot);
