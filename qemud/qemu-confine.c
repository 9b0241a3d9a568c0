/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "conf-file.h"
#include "confine.h"
#include "log.h"
#include "manager.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "qemu-migrate.h"
#include "security-manager.h"

/* A postcopy destination takes the guest's page faults through
 * userfaultfd(2), which the kernel gives a process without CAP_SYS_PTRACE
 * only where vm.unprivileged_userfaultfd is 1 (QEMU 7.2 does not use
 * /dev/userfaultfd). */
static bool postcopy_needs_caps(Domain *d) {
        char v = '0';
        int fd;

        if (!qemu_migrate_incoming_postcopy(d))
                return false;
        fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                (void) !read(fd, &v, 1);
                close(fd);
        }
        return v != '1';
}

int qemu_confine_prepare(Domain *d, bool *ret_sandbox, ConfError *err) {
        const char *confdir = d->manager->paths.confdir;
        ConfineConf c;
        SecurityConf sec;
        unsigned flags;
        int r;

        confine_conf_init(&c);
        security_conf_init(&sec);
        r = conf_load_file(confdir, "qemud.conf", confine_conf_apply, &c);
        if (r >= 0)
                r = conf_load_file(confdir, "qemud.conf", security_conf_apply, &sec);
        if (r < 0) {
                conf_error_set(err, VB_ERROR_CONFIG_UNSUPPORTED, "%s/qemud.conf: bad setting %s", confdir,
                               c.bad[0] ? c.bad : sec.bad[0] ? sec.bad : strerror(-r));
                return r;
        }
        flags = confine_conf_flags(&c);
        if (sec.primary == SECURITY_MODEL_SELINUX)
                flags &= ~(unsigned) CONFINE_NO_NEW_PRIVS;
        if ((flags & CONFINE_DROP_CAPS) && postcopy_needs_caps(d)) {
                log_info("Domain %s: QEMU keeps its capabilities for a postcopy migration's userfaultfd "
                         "(vm.unprivileged_userfaultfd is not 1).", d->def->name);
                flags &= ~(unsigned) CONFINE_DROP_CAPS;
        }
        qemu_domain(d)->confine_flags = flags;
        *ret_sandbox = c.seccomp_sandbox == 1;
        return 0;
}

int qemu_confine_dir(const Domain *d, char **ret) {
        return asprintf(ret, "%s/domain-%d-%.20s", d->manager->rundir, d->id, d->def->name) < 0 ? -ENOMEM : 0;
}

int qemu_confine_dir_make(Domain *d, uid_t uid, gid_t gid, ConfError *err) {
        _cleanup_free_ char *dir = NULL;
        int r = qemu_confine_dir(d, &dir);

        if (r < 0)
                return r;
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                r = -errno;
        else if (chown(dir, uid, gid) < 0 || chmod(dir, 0750) < 0)
                r = -errno;
        if (r < 0)
                conf_error_set(err, VB_ERROR_OPERATION_FAILED, "cannot make the directory %s of domain '%s': %s",
                               dir, d->def->name, strerror(-r));
        return r;
}

void qemu_confine_dir_remove(Domain *d) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -1;
        DIR *dh;
        struct dirent *e;

        if (d->id < 0 || qemu_confine_dir(d, &dir) < 0)
                return;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return;
        dh = fdopendir(fd);
        if (!dh)
                return;
        fd = -1; /* the DIR owns it */
        while ((e = readdir(dh)))
                if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
                        (void) unlinkat(dirfd(dh), e->d_name, 0);
        closedir(dh);
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_warning("Cannot remove %s: %s", dir, strerror(errno));
}
