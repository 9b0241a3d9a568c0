/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a frame from a client becomes: a keepalive PONG, a call of the REMOTE
 * program (procedures.c's table), or an error reply. */

#include "call.h"
#include "server.h"

/* frame: header and payload, without the length word. A negative return
 * means the client broke the protocol: the connection is closed. */
int dispatch_frame(Client *c, const uint8_t *frame, size_t len);

/* The tables (procedures.h); NULL for a procedure that is not served. */
const ProcDef *procedure_find(int32_t proc);
/* The driver for a URI given to CONNECT_OPEN, NULL when none. */
const Driver *driver_find(const char *uri);
const Driver *driver_table(size_t *n);
