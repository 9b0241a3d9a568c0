/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <confdir>/lockd.conf, in the "key = value" syntax of libvirt's daemon
 * configuration files (common/conf-file.h):
 *
 *   # several hosts sharing this directory exclude each other
 *   lockspace_dir = "/srv/shared/virtbus-lockspace"
 *
 * Unknown keys and bad values are errors: a setting is never dropped silently. */

#include "macro.h"
#include "paths.h"

typedef struct LockdConfig {
        char *lockspace_dir; /* absolute; default <statedir>/lockd/lockspace */
} LockdConfig;

void lockd_config_done(LockdConfig *c);
/* Parses text into c (which holds the defaults already). On a bad line
 * returns -EINVAL and, if ret_line is not NULL, the 1-based line number. */
int lockd_config_parse(LockdConfig *c, const char *text, unsigned *ret_line);
/* Defaults from paths, then <confdir>/lockd.conf if it exists. */
int lockd_config_load(LockdConfig *c, const VbPaths *paths);
