/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The text in which a daemon hands its state to its next process image
 * across a re-exec (common/reexec.h), one item a line:
 *
 *   virtbus-<name>-state 1
 *   <keyword> <arguments>
 *   ...
 *   end
 *
 * The keywords and their arguments are the daemon's own; arguments name the
 * fds that stay open across the exec, and carry strings escaped with
 * state_escape() so that a field never holds a blank. */

#include "macro.h"

/* Bytes <= 0x20, 0x7f and '\' as \xHH; NULL on OOM. */
char *state_escape(const char *s);
/* Reverses state_escape(); -EINVAL for a bad escape or \x00. */
int state_unescape(const char *s, char **ret);

/* Writes the item lines to f; 0 or -errno. */
typedef int (*state_write_fn)(FILE *f, void *userdata);
/* The whole text of <name>'s state: the first line, what write_items() writes,
 * the end marker. */
int state_format(const char *name, state_write_fn write_items, void *userdata, char **ret, size_t *ret_len);

/* Adopts one item: 0, or -EINVAL (or another -errno) for a line it cannot
 * take. */
typedef int (*state_item_fn)(const char *keyword, const char *args, void *userdata);
/* Calls item() for every line of text after the first: -EINVAL (logged) when
 * text is not <name>'s state. A line that item() refuses, or that has no
 * arguments, is logged and skipped; so is a missing end marker. */
int state_parse(const char *name, const char *text, state_item_fn item, void *userdata);

/* An fd that a state line names: open, and not stdin, stdout or stderr. An
 * fd that is not (a state from elsewhere, an fd lost on the way) is dropped
 * by the daemon with a warning. */
bool state_fd_is_open(int fd);
