/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lockd's state across a re-exec: a text description of every owner and
 * lease naming the fd numbers that carry them. The fds themselves stay open
 * across exec (FD_CLOEXEC cleared), so every OFD lock stays held the whole
 * time; the new image reads the text back and adopts the fds.
 *
 *   virtbus-lockd-state 1
 *   owner <uuid> <pid> <pidfd> <name>
 *   lease <owner uuid> <fd> <flags> <path>
 *   end
 *
 * Names and paths escape bytes <= 0x20, 0x7f and '\' as \xHH. */

#include "lease.h"

#define LOCKD_STATE_FD_ENV "VIRTBUS_LOCKD_STATE_FD"

int lock_state_format(LeaseTable *t, char **ret, size_t *ret_len);
/* Adopts what text describes into t; an fd that is not open is skipped with
 * a warning, and every fd named but not adopted is closed. */
int lock_state_parse(LeaseTable *t, const char *text);

/* The formatted state in a memfd without FD_CLOEXEC, rewound. */
int lock_state_serialize(LeaseTable *t, int *ret_fd);
/* Reads the state from fd (and closes it). */
int lock_state_deserialize(LeaseTable *t, int fd);

/* Sets or clears FD_CLOEXEC on every lease fd and pidfd. */
int lock_state_set_cloexec(LeaseTable *t, bool cloexec);

/* The escaping used in the state text, for the unit tests. */
char *state_escape(const char *s);
int state_unescape(const char *s, char **ret);
