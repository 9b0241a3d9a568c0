/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* At start, what the video adapters of a definition need of the host. */

#include "domain-conf.h"
#include "error.h"

/* The vhost-user-gpu binary that a description in dir (QEMU's
 * /usr/share/qemu/vhost-user) names and that can be run; NULL if none. */
char *qemu_video_find_backend(const char *dir);

/* On the live definition: a virgl adapter needs an OpenGL display, a
 * vhost-user one its backend. 0, or -EOPNOTSUPP with err naming what is
 * missing. */
int qemu_video_prepare(const DomainDef *live, const char *vhost_user_dir, ConfError *err);
