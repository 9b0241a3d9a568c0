/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* <confdir>/logd.conf, "key = value" like libvirt's virtlogd.conf
 * (common/conf-file.h):
 *
 *   max_size = 2M      # rotate a log at this size (bytes, or K/M/G); 0 never
 *   max_backups = 3    # rotated files kept: name.log.1 .. name.log.3
 *
 * Unknown keys and bad values are errors. */

#include "macro.h"
#include "paths.h"

typedef struct LogdConfig {
        uint64_t max_size;
        unsigned max_backups;
} LogdConfig;

void logd_config_defaults(LogdConfig *c);
/* -EINVAL with the 1-based line number of the first bad line. */
int logd_config_parse(LogdConfig *c, const char *text, unsigned *ret_line);
int logd_config_load(LogdConfig *c, const VbPaths *paths);

/* "4096", "512K", "2M", "2MiB", "1G" -> bytes. */
int parse_size(const char *s, uint64_t *ret);
