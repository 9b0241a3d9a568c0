/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vsock> at start: the host must have /dev/vhost-vsock, and a guest with
 * <cid auto='yes'/> gets the first CID no other guest holds (from its
 * address='', or 3), claimed and let go here so that QEMU claims it
 * next. The live definition keeps the CID. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "error.h"
#include "qemu-vsock.h"
#include "util.h"

#define VHOST_VSOCK_DEV "/dev/vhost-vsock"

static int claim(int fd, unsigned cid) {
        uint64_t v = cid;

        return ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &v) < 0 ? -errno : 0;
}

int qemu_vsock_prepare(DomainDef *live, ConfError *err) {
        DomainVsockDef *v = &live->vsock;
        _cleanup_close_ int fd = -1;
        int r = -EADDRINUSE;

        if (!v->present)
                return 0;
        fd = open(VHOST_VSOCK_DEV, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: <vsock> needs %s "
                               "(the host's vhost_vsock module): %s", VHOST_VSOCK_DEV, strerror(-r));
                return r;
        }
        if (v->cid_auto != TRISTATE_ON)
                return 0;
        for (unsigned cid = v->cid >= 3 ? v->cid : 3; cid < UINT32_MAX && r == -EADDRINUSE; cid++) {
                r = claim(fd, cid);
                if (r == 0)
                        v->cid = cid;
        }
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: no free vsock CID for "
                               "<vsock>: %s", strerror(-r));
        return r;
}
