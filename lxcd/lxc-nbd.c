/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lxc-nbd.h"
#include "process.h"
#include "util.h"

#define QEMU_NBD "/usr/bin/qemu-nbd"
#define NBD_MAX 256

int lxc_nbd_available(void) {
        if (access("/dev/nbd0", F_OK) < 0)
                return -ENODEV;
        return access(QEMU_NBD, X_OK) < 0 ? -ENOENT : 0;
}

/* A device with no server: the kernel shows a connected one's pid. */
static bool nbd_is_free(unsigned n) {
        char pid[64], dev[32];

        snprintf(dev, sizeof(dev), "/dev/nbd%u", n);
        snprintf(pid, sizeof(pid), "/sys/block/nbd%u/pid", n);
        return access(dev, F_OK) == 0 && access(pid, F_OK) < 0;
}

static int run_qemu_nbd(char *const argv[]) {
        _cleanup_free_ char *out = NULL;
        int status = 0, r = process_run(argv, &out, &status);

        if (r < 0)
                return r;
        return status == 0 ? 0 : -EIO;
}

int lxc_nbd_attach(const char *path, const char *format, bool readonly, char **ret_dev) {
        int r = lxc_nbd_available();

        if (r < 0)
                return r;
        /* another attach may take the same device between our look and
         * qemu-nbd's: the next one is tried then */
        for (unsigned n = 0; n < NBD_MAX; n++) {
                _cleanup_free_ char *dev = NULL, *connect = NULL, *fmt = NULL;

                if (!nbd_is_free(n))
                        continue;
                if (asprintf(&dev, "/dev/nbd%u", n) < 0 || asprintf(&connect, "--connect=%s", dev) < 0 ||
                    asprintf(&fmt, "--format=%s", format) < 0)
                        return -ENOMEM;
                char *argv[] = { (char *) QEMU_NBD, connect, fmt, (char *) path,
                                 readonly ? (char *) "--read-only" : NULL, NULL };
                r = run_qemu_nbd(argv);
                if (r >= 0) {
                        *ret_dev = TAKE_PTR(dev);
                        return 0;
                }
        }
        return r < 0 ? r : -EBUSY;
}

int lxc_nbd_detach(const char *dev) {
        char *argv[] = { (char *) QEMU_NBD, (char *) "--disconnect", (char *) dev, NULL };

        return run_qemu_nbd(argv);
}
