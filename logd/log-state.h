/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* logd's state across a re-exec. The pipe read ends and the open log files
 * stay open across exec (FD_CLOEXEC cleared); a writer keeps writing into
 * the pipe meanwhile (or blocks when it is full), so no byte is lost. The
 * text names the fds and the write offsets:
 *
 *   virtbus-logd-state 1
 *   file <driver> <name> <fd> <size>
 *   stream <driver> <name> <fd>
 *   end
 *
 * Names escape bytes <= 0x20, 0x7f and '\' as \xHH. */

#include "log-file.h"

#define LOGD_STATE_FD_ENV "VIRTBUS_LOGD_STATE_FD"

int log_state_format(LogTable *t, char **ret, size_t *ret_len);
/* Adopts the fds named; an fd not open is skipped with a warning, an fd
 * named but not adopted is closed. */
int log_state_parse(LogTable *t, const char *text);
int log_state_serialize(LogTable *t, int *ret_fd);
int log_state_deserialize(LogTable *t, int fd);
int log_state_set_cloexec(LogTable *t, bool cloexec);

char *log_state_escape(const char *s);
int log_state_unescape(const char *s, char **ret);
