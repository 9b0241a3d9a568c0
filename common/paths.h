/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The directory layout. A system install uses /etc/virtbus, /run/virtbus,
 * /var/lib/virtbus and /var/log/virtbus; --root DIR (or VIRTBUS_ROOT) puts
 * all four below DIR, so several instances can run side by side. */

#include "macro.h"

typedef struct VbPaths {
        char *root;     /* NULL for a system install */
        char *confdir;  /* definitions: <confdir>/<driver>/<name>.xml */
        char *rundir;   /* live state: <rundir>/<driver>/<name>.xml */
        char *statedir; /* caches and other state kept across boots */
        char *logdir;
} VbPaths;

/* root may be NULL: then VIRTBUS_ROOT, then the system layout. */
int vb_paths_init(VbPaths *p, const char *root);
void vb_paths_done(VbPaths *p);
/* Creates <base>/<sub> with its missing parents (0755), for a daemon's own
 * directories below the layout's ("<confdir>/qemu", "<confdir>/qemu/autostart"),
 * and gives its path in *ret. A failure is logged ("Cannot create <path>: ...")
 * and leaves *ret NULL. */
int vb_paths_make_dir(const char *base, const char *sub, char **ret);
