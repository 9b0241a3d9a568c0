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

/* qemu-video-gpu.c: before QEMU starts, each vhost-user adapter's socket
 * (qemu_video_vhost_user_path() in the guest's directory, QEMU's user's),
 * on which qemud starts vhost-user-gpu (as root, its output in log_fd) once
 * QEMU connected; it ends with QEMU's connection. qemu_video_stop_backends()
 * closes a socket QEMU never reached and ends a backend left behind (its
 * pid in RUN_DIR/videoN-gpu.pid, checked to be a vhost-user-gpu). */
#include <sys/types.h>
#include "domain.h"

int qemu_video_start_backends(Domain *d, uid_t uid, gid_t gid, int log_fd, ConfError *err);
void qemu_video_stop_backends(Domain *d);
