/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The domain events other than LIFECYCLE: each a signal on a domain object
 * (libvirt-dbus's org.libvirt.Domain signals, which qemud and lxcd emit)
 * and the REMOTE program's DOMAIN_EVENT_CALLBACK_* message a client that
 * registered its event id gets. One signal may feed two event ids
 * (IOError: IO_ERROR and IO_ERROR_REASON). Nothing here knows the bus's
 * connections or the clients: events.c delivers. */

#include <systemd/sd-bus.h>

#include "rpc.h"
#include "xdr.h"

typedef struct DomainEventKind {
        const char *member;       /* the signal's name */
        const char *signature;    /* its arguments, checked before encoding */
        int32_t event_id;         /* virDomainEventID */
        int32_t msg_proc;         /* the message's procedure number */
        /* Writes the message body after the callback id and the domain
         * (the PM messages put their reason before the domain: encode
         * writes everything after the callback id then). Reads sig from
         * its first argument. */
        int (*encode)(XdrWriter *w, const RemoteHandle *dom, sd_bus_message *sig);
        bool reason_first;
} DomainEventKind;

/* The kinds fed by signal member; *n of them (0: not an event). */
const DomainEventKind *domain_event_kinds(const char *member, size_t *n);
/* Every kind, for tests. */
const DomainEventKind *domain_event_table(size_t *n);
/* The whole message: header, callback id, then the kind's body. 0 or
 * -errno (a malformed signal: nothing is sent). */
int domain_event_build(XdrWriter *w, const DomainEventKind *k, int32_t callback_id, const RemoteHandle *dom,
                       sd_bus_message *sig);
