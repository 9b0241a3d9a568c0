/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An idle daemon's resident set is mostly the pages of its shared libraries
 * it touched once, at start (libxml2 alone pulls in ICU and libstdc++).
 * They stay in the page cache for everyone; dropping our mappings of them
 * costs a minor fault when a page is needed again, and makes VmRSS say what
 * the daemon really uses. */

#include <systemd/sd-event.h>

/* Returns freed heap to the system and unmaps the untouched-by-us copies of
 * read-only file pages (never a page we changed: those hold relocations). */
void memory_trim(void);

/* Trims shortly after start, then every interval_usec while the loop runs. */
int memory_trim_periodic(sd_event *e, uint64_t interval_usec);
