/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain events for libvirt's clients (virsh event, python's
 * domainEventRegisterAny): the daemons' DomainEvent(oii) signals become
 * DOMAIN_EVENT_CALLBACK_LIFECYCLE messages to every connection that
 * registered for them.
 *
 * A signal names the domain by its object path; the client wants its name
 * and id too, read from the daemon (in order, so events keep theirs). A
 * domain that is gone by then (undefined, a transient one stopped) is named
 * from the names the proxy has seen: the one thing it remembers beyond its
 * connections. */

#include "call.h"
#include "server.h"

/* One registration of a connection. */
typedef struct EventReg {
        int32_t callback_id;
        int32_t event_id;
        bool filtered;          /* only the domain with this uuid */
        uint8_t uuid[16];
} EventReg;

/* Subscribes to the DomainEvent signals of every driver's daemon. */
int events_watch(Server *s);
void events_done(Server *s);
/* Remembers a domain's name, from any handle read. */
void events_note_domain(Server *s, const uint8_t uuid[16], const char *name);

/* CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY / DEREGISTER_ANY */
int events_register(Call *c);
int events_deregister(Call *c);
