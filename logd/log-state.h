/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* logd's state across a re-exec (common/reexec.h). The pipe read ends and
 * the open log files stay open across exec (FD_CLOEXEC cleared); a writer
 * keeps writing into the pipe meanwhile (or blocks when it is full), so no
 * byte is lost. The text names the fds and the write offsets, in the syntax
 * of common/state-text.h:
 *
 *   virtbus-logd-state 1
 *   file <driver> <name> <fd> <size>
 *   stream <driver> <name> <fd> [<fifo>]
 *   end
 *
 * <fifo> names the stream's FIFO in the pipes directory (log-file.h); an
 * image from before FIFOs wrote none, for an anonymous pipe.
 *
 * Names escaped with state_escape(). */

#include "log-file.h"
#include "reexec.h"

#define LOGD_STATE_FD_ENV "VIRTBUS_LOGD_STATE_FD"

int log_state_format(LogTable *t, char **ret, size_t *ret_len);
/* Adopts the fds named; an fd not open is skipped with a warning, an fd
 * named but not adopted is closed. */
int log_state_parse(LogTable *t, const char *text);

/* The above for reexec_start(), with the LogTable as userdata; the fds whose
 * FD_CLOEXEC it clears are every log file and pipe. */
extern const ReexecOps log_state_reexec_ops;
