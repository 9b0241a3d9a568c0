/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may open the read-write socket, as libvirtd with auth_unix_rw=polkit:
 * root at once (AUTH_LIST answers [NONE]); another user ([POLKIT] is
 * answered) once polkit allows its process org.libvirt.unix.manage, asked
 * by AUTH_POLKIT (70), asynchronously. The read-only socket needs nothing.
 * CONNECT_OPEN refuses a client that should have, and has not. */

#include "call.h"

/* AUTH_LIST (66) and AUTH_POLKIT (70). */
int auth_list(Call *c);
int auth_polkit(Call *c);
/* Whether the client may open its connection. */
bool auth_may_open(const Client *c);
