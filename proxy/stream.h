/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Streams: STORAGE_VOL_UPLOAD and STORAGE_VOL_DOWNLOAD. storaged moves the
 * bytes between the volume and a pipe it is handed (Upload/Download with an
 * fd); the proxy copies between that pipe and the client's STREAM packets,
 * holding at most one packet: a full pipe stops reading the client, a
 * client that does not read stops reading the pipe.
 *
 * The call is answered at once (the daemon's method returns only when all
 * the bytes moved); a failure of the daemon comes to the client as the
 * stream's error, at the latest when it finishes the stream. */

#include "call.h"
#include "server.h"

typedef struct Stream Stream;

/* DOMAIN_OPEN_CONSOLE (dom, dev_name, flags): the daemon's OpenConsole
 * (org.virtbus.Domain1) hands a socket of the console's session; the call
 * is answered once it did (or with its refusal), and the stream copies both
 * ways until either side ends it. */
int stream_open_console(Call *c);

/* The local function of the two procedures (target volume, offset, length,
 * flags). */
int stream_open(Call *c);
/* A stream of the call c the client fills (migration's tunnel, PREPARE_
 * TUNNEL3_PARAMS): its bytes go into a pipe whose reading end is *ret_fd
 * (the caller's, to hand to the daemon, then close). The daemon's answer
 * is the call's own: the stream ends when the client finishes it. */
int stream_open_sink(Call *c, int *ret_fd);
/* A STREAM packet from the client (type STREAM, header h). */
int stream_packet(Client *c, const RpcHeader *h, const uint8_t *data, size_t len);
/* The client's output drained: downloads may read on. */
void streams_resume(Client *c);
/* An upload waits for its pipe: the client is not read meanwhile. */
bool streams_block_input(const Client *c);
/* The connection is gone: every stream ends. */
void streams_close(Client *c);
