/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-file.h"
#include "confine.h"
#include "manager.h"
#include "qemu-confine.h"
#include "qemu-domain.h"
#include "security-manager.h"

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
        qemu_domain(d)->confine_flags = flags;
        *ret_sandbox = c.seccomp_sandbox == 1;
        return 0;
}
