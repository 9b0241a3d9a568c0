/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What is mounted where: /proc/self/mountinfo, for fs pools (is the pool's
 * device mounted on its target, also after a restart). */

#include <sys/types.h>

#include "macro.h"

typedef struct MountEntry {
        dev_t devno;     /* major:minor of the mounted file system */
        char *source;    /* "/dev/loop0" */
        char *fstype;
} MountEntry;

void mount_entry_done(MountEntry *e);
/* Pure: the last mount on target in the text of a mountinfo file (the one
 * visible). 1 found, 0 not, -errno. */
int mountinfo_find(const char *text, const char *target, MountEntry *ret);
int mountinfo_find_self(const char *target, MountEntry *ret);
