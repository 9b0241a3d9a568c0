/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <launchSecurity type='sev'>: QEMU's sev-guest object "lsec0", the
 * machine's confidential-guest-support; the guest owner's certificate and
 * session blob in files of the guest's run directory (qemu-sev.c writes
 * them), as libvirt passes them. */
#include <errno.h>

#include "qemu-command-internal.h"
#include "qemu-sev.h"

void qemu_sev_machine_opt(const DomainDef *def, OptBuf *b) {
        if (def->launch_security.type == DOMAIN_LSEC_SEV)
                opt_add(b, "confidential-guest-support=lsec0");
}

static int add_file(QemuCmd *c, json_object **o, const char *key, const char *blob, const char *file) {
        _cleanup_free_ char *path = NULL;

        if (!blob)
                return 0;
        if (!c->params->run_dir)
                return cmd_fail(c, -EINVAL, "no run directory for the SEV %s", file);
        path = qemu_sev_file(c->params->run_dir, file);
        if (!path)
                return -ENOMEM;
        prop_str(o, key, path);
        return 0;
}

int qemu_build_sev(QemuCmd *c) {
        const DomainLaunchSecurity *ls = &c->def->launch_security;
        json_object *o;
        int r;

        if (ls->type != DOMAIN_LSEC_SEV)
                return 0;
        /* libvirt fills them from the host's SEV capabilities; qemud has none to read */
        if (!ls->has_cbitpos || !ls->has_reduced_phys_bits)
                return cmd_fail(c, -EOPNOTSUPP, "<launchSecurity type='sev'> needs <cbitpos> and <reducedPhysBits>: "
                                "this host reports no SEV capabilities to fill them from");
        o = props_new("qom-type", "sev-guest");
        prop_str(&o, "id", "lsec0");
        prop_int(&o, "cbitpos", ls->cbitpos);
        prop_int(&o, "reduced-phys-bits", ls->reduced_phys_bits);
        prop_int(&o, "policy", ls->policy);
        r = add_file(c, &o, "dh-cert-file", ls->dh_cert, QEMU_SEV_DH_CERT) ?:
            add_file(c, &o, "session-file", ls->session, QEMU_SEV_SESSION);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        if (ls->kernel_hashes != TRISTATE_ABSENT)
                prop_bool(&o, "kernel-hashes", ls->kernel_hashes == TRISTATE_ON);
        return cmd_object(c, o);
}
