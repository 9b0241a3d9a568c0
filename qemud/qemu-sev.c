/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "qemu-sev.h"
#include "util.h"

char *qemu_sev_file(const char *dir, const char *file) {
        char *p;

        return asprintf(&p, "%s/%s", dir, file) < 0 ? NULL : p;
}

/* KVM's sev parameter: "Y" or "1" when the module runs SEV guests. */
static bool kvm_amd_sev_on(const char *sysdir) {
        _cleanup_free_ char *path = NULL;
        char buf[8] = "";
        _cleanup_close_ int fd = -1;

        if (asprintf(&path, "%s/module/kvm_amd/parameters/sev", sysdir) < 0)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
                return false;
        return buf[0] == 'Y' || buf[0] == '1';
}

static int write_blob(const char *dir, const char *file, const char *blob, ConfError *err) {
        _cleanup_free_ char *path = qemu_sev_file(dir, file);
        _cleanup_close_ int fd = -1;
        size_t len;

        if (!blob)
                return 0;
        if (!path)
                return -ENOMEM;
        len = strlen(blob);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, blob, len) != (ssize_t) len) {
                int r = fd < 0 ? -errno : -EIO;

                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: cannot write %s: %s", path,
                               strerror(-r));
                return r;
        }
        return 0;
}

int qemu_sev_prepare(const DomainDef *live, const char *devdir, const char *sysdir, const char *run_dir,
                     ConfError *err) {
        const DomainLaunchSecurity *ls = &live->launch_security;
        _cleanup_free_ char *dev = NULL;

        if (ls->type != DOMAIN_LSEC_SEV)
                return 0;
        if (asprintf(&dev, "%s/sev", devdir) < 0)
                return -ENOMEM;
        if (access(dev, F_OK) < 0) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: <launchSecurity type='sev'> needs "
                               "AMD SEV: %s is missing (an AMD host with SEV, the ccp module)", dev);
                return -ENODEV;
        }
        if (!kvm_amd_sev_on(sysdir)) {
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "operation failed: <launchSecurity type='sev'> needs "
                               "KVM's SEV support: %s/module/kvm_amd/parameters/sev is not on (load kvm_amd "
                               "with sev=1)", sysdir);
                return -ENODEV;
        }
        return write_blob(run_dir, QEMU_SEV_DH_CERT, ls->dh_cert, err) ?:
               write_blob(run_dir, QEMU_SEV_SESSION, ls->session, err);
}
