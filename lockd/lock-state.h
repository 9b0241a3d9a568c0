/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lockd's state across a re-exec (common/reexec.h): a text description of
 * every owner and lease naming the fd numbers that carry them. The fds
 * themselves stay open across exec (FD_CLOEXEC cleared), so every OFD lock
 * stays held the whole time; the new image reads the text back and adopts
 * the fds. In the syntax of common/state-text.h:
 *
 *   virtbus-lockd-state 1
 *   owner <uuid> <pid> <pidfd> <name>
 *   lease <owner uuid> <fd> <flags> <path>
 *   end
 *
 * Names and paths escaped with state_escape(). */

#include "lease.h"
#include "reexec.h"
#include "state-text.h"

#define LOCKD_STATE_FD_ENV "VIRTBUS_LOCKD_STATE_FD"

int lock_state_format(LeaseTable *t, char **ret, size_t *ret_len);
/* Adopts what text describes into t; an fd that is not open is skipped with
 * a warning, and every fd named but not adopted is closed. */
int lock_state_parse(LeaseTable *t, const char *text);

/* The above for reexec_start(), with the LeaseTable as userdata; the fds
 * whose FD_CLOEXEC it clears are every lease fd and pidfd. */
extern const ReexecOps lock_state_reexec_ops;
