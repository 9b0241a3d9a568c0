/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Peer-to-peer migration (virsh migrate --p2p, virDomainMigrateToURI3): the
 * source's proxy is the destination's libvirt client. It runs libvirt's v3
 * phases itself, as libvirtd's qemu driver does: Begin (local qemud),
 * Prepare (destination), Perform (local, to the URI Prepare gave), Finish
 * (destination, cancelled when Perform failed), Confirm (local, cancelled
 * when Finish did not give the domain). The remote calls block, so the whole
 * run is on a thread of its own with its own bus connection; the call is
 * answered from the main loop when it ends. */

#include "call.h"

/* virDomainMigrateFlags */
enum {
        MIGRATE_LIVE = 1 << 0,
        MIGRATE_PEER2PEER = 1 << 1,
        MIGRATE_TUNNELLED = 1 << 2,
        MIGRATE_OFFLINE = 1 << 10,
        MIGRATE_ABORT_ON_ERROR = 1 << 12,
        MIGRATE_AUTO_CONVERGE = 1 << 13,
};

/* Takes over Perform3Params's call c (args D z T C u) whose flags have
 * PEER2PEER: answers it when the run ends, or at once on bad input.
 * Returns -ECANCELED (the call is no longer the caller's). */
int migrate_p2p_start(Call *c);

/* A client that prepared an incoming guest (Prepare3Params) and went away
 * before Finish3Params: each such guest is ended as a cancelled Finish3
 * (qemud kills the incoming QEMU), as libvirt ties an incoming guest to its
 * migration's connection. */
void migrate_client_gone(Client *c);
/* The guests a client has coming in: added when its Prepare3 succeeded,
 * dropped when it calls Finish3. */
int migrate_incoming_add(Client *c, const char *name);
void migrate_incoming_drop(Client *c, const char *name);
/* The name an incoming guest has on this host: params' destination_name,
 * else the <name> of destination_xml; NULL when neither says. */
char *migrate_incoming_name(const TypedParams *tp);
