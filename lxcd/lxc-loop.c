/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices and block devices for the container's filesystems. */

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lxc-loop.h"
#include "util.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
#endif

/* Another process may take the free device first: then the next one. */
static int configure_free(int ctl, int image, bool readonly, char **ret_dev, int *ret_fd) {
        struct loop_config cfg = {
                .fd = image,
                .info.lo_flags = LO_FLAGS_AUTOCLEAR | (readonly ? LO_FLAGS_READ_ONLY : 0),
        };

        for (int tries = 0; tries < 64; tries++) {
                _cleanup_close_ int fd = -1;
                char dev[32];
                int n = ioctl(ctl, LOOP_CTL_GET_FREE);

                if (n < 0)
                        return -errno;
                snprintf(dev, sizeof(dev), "/dev/loop%d", n);
                fd = open(dev, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (ioctl(fd, LOOP_CONFIGURE, &cfg) < 0) {
                        if (errno == EBUSY)
                                continue;
                        return -errno;
                }
                *ret_dev = strdup(dev);
                if (!*ret_dev)
                        return -ENOMEM;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return -EBUSY;
}

int lxc_loop_attach(const char *path, bool readonly, char **ret_dev, int *ret_fd) {
        _cleanup_close_ int ctl = -1, image = -1;

        image = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (image < 0)
                return -errno;
        ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return -errno;
        return configure_free(ctl, image, readonly, ret_dev, ret_fd);
}

int lxc_mount_device(const char *dev, const char *dir, bool readonly) {
        _cleanup_fclose_ FILE *f = fopen("/proc/filesystems", "re");
        unsigned long flags = MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0);
        char line[128];
        int r = -EINVAL;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *type = line;

                if (strncmp(line, "nodev", 5) == 0)
                        continue;
                type += strspn(type, " \t");
                type[strcspn(type, " \t\n")] = 0;
                if (!*type)
                        continue;
                if (mount(dev, dir, type, flags, NULL) == 0)
                        return 0;
                /* a type that does not know the device says so in its own
                 * way; a refusal is the answer of them all */
                if (errno == EPERM || errno == EACCES || errno == EROFS || errno == ENXIO)
                        return -errno;
        }
        return r;
}
