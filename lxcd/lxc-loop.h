/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Images of <filesystem type='file'> and 'block': a file attached to a
 * free loop device, and a block device mounted with the first filesystem
 * type of the kernel's that takes it. */

#include <stdbool.h>

/* Attaches path to a free loop device, which goes by itself once its last
 * user is gone (LO_FLAGS_AUTOCLEAR): the returned fd (close-on-exec) is
 * the supervisor's until its mounts hold the device. ret_dev gets
 * "/dev/loopN". */
int lxc_loop_attach(const char *path, bool readonly, char **ret_dev, int *ret_fd);

/* Mounts the block device dev on dir, trying each filesystem type of
 * /proc/filesystems that needs a device; -errno of the last try. */
int lxc_mount_device(const char *dev, const char *dir, bool readonly);
