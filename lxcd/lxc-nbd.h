/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Images of <filesystem type='file'><driver type='nbd' format=''/>: the
 * file served by qemu-nbd on a free /dev/nbdN (qemu-nbd --connect), as
 * libvirt's LXC driver does, and let go (--disconnect) once the container
 * is gone. Needs the nbd kernel module (/dev/nbd0) and qemu-nbd. */

#include <stdbool.h>

/* Whether the host can: 0, or -ENODEV (no nbd device) / -ENOENT (no qemu-nbd). */
int lxc_nbd_available(void);
/* ret_dev gets "/dev/nbdN". -errno. */
int lxc_nbd_attach(const char *path, const char *format, bool readonly, char **ret_dev);
int lxc_nbd_detach(const char *dev);
