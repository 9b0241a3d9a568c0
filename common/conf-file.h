/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Configuration files in the "key = value" syntax of libvirt's daemon
 * configuration files (lockd.conf, logd.conf):
 *
 *   # a comment
 *   key = value               # a comment after a value
 *   other_key = "quoted # value with \" and \\"
 *
 * Keys are [a-z0-9_]+. An unquoted value ends at '#'; a quoted one may hold
 * '#' and the escapes \" and \\. Blanks around keys and values, and a CR at
 * the end of a line, do not count. What a key means is the caller's: every
 * setting goes to its apply callback, and an unknown key or a bad value is an
 * error naming the file and line, never a setting dropped silently. */

#include "macro.h"

/* Splits one line in place: returns 1 with key and value pointing into line,
 * 0 for a blank or comment line, -EINVAL for anything else. */
int conf_split_line(char *line, char **ret_key, char **ret_value);

/* Applies one setting: 0, -EINVAL for an unknown key or a bad value, or
 * another -errno (-ENOMEM). */
typedef int (*conf_apply_fn)(void *userdata, const char *key, const char *value);

/* Calls apply for every setting of text, in order. Stops at the first bad
 * line or failed apply and returns its error with the 1-based line number in
 * *ret_line (if ret_line is not NULL). */
int conf_parse_text(const char *text, conf_apply_fn apply, void *userdata, unsigned *ret_line);

/* Parses <dir>/<name> (at most 1 MiB) if it exists; no file is 0, with
 * nothing applied. Errors are logged, a bad line as
 * "<file>:<line>: unknown key or bad value." */
int conf_load_file(const char *dir, const char *name, conf_apply_fn apply, void *userdata);
