/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Events for libvirt's clients (virsh event, python's *EventRegisterAny):
 * the daemons' DomainEvent(oii), NetworkEvent(oi) and StoragePoolEvent(oii)
 * signals become the LIFECYCLE messages (318, 315, 370) of every connection
 * that registered for them.
 *
 * A signal names the object by its path; the client wants its name (and a
 * domain's id) too, read from the daemon (in order, so events keep theirs).
 * An object that is gone by then (undefined, a transient one stopped) is
 * named from the names the proxy has seen: the one thing it remembers
 * beyond its connections. */

#include "call.h"
#include "server.h"

/* One registration of a connection. */
typedef struct EventReg {
        int32_t callback_id;
        HandleKind kind;        /* domain, network or storage pool events */
        int32_t event_id;
        bool filtered;          /* only the domain with this uuid */
        uint8_t uuid[16];
} EventReg;

/* Subscribes to the DomainEvent signals of every driver's daemon. */
int events_watch(Server *s);
void events_done(Server *s);
/* Remembers an object's name, from any handle read. */
void events_note_name(Server *s, HandleKind kind, const uint8_t uuid[16], const char *name);

/* The *_EVENT_(CALLBACK_)REGISTER_ANY / DEREGISTER_ANY calls; the kind is
 * that of the call's optional filter letter (call.h). */
int events_register(Call *c);
int events_deregister(Call *c);
