/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><tpm> on QEMU's command line, as libvirt puts it: the backend
 * as -tpmdev "tpm-" ALIAS (passthrough: the host's device and the cancel
 * file of its sysfs node; emulator and external: a socket chardev "chr"
 * ALIAS to an swtpm, RUN_DIR/ALIAS.swtpm.sock for the one the driver runs),
 * then -device tpm-tis or tpm-crb with id ALIAS ("tpm0"). */
#include "qemu-command-internal.h"
#include "util.h"

int qemu_tpm_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_tpms; i++) {
                char *s;

                if (asprintf(&s, "tpm%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->tpms[i].alias, s);
        }
        return 0;
}

static int build_passthrough(QemuCmd *c, const DomainTpmDef *t, const char *alias) {
        const char *dev = t->path ?: "/dev/tpm0", *base = strrchr(dev, '/') + 1;
        OptBuf b = {};

        opt_add(&b, "passthrough,id=tpm-%s", alias);
        opt_add_str(&b, "path", dev);
        opt_add(&b, "cancel-path=/sys/class/tpm/");
        opt_append(&b, "%s", base);
        opt_append(&b, "/device/cancel");
        return cmd_opt(c, "-tpmdev", &b);
}

static int build_socket(QemuCmd *c, const DomainTpmDef *t, const char *alias) {
        _cleanup_free_ char *sock = NULL;
        OptBuf b = {};
        int r;

        if (t->backend == DOMAIN_TPM_EXTERNAL)
                sock = strdup(t->path ?: "");
        else if (!c->params->run_dir)
                return cmd_fail(c, -EINVAL, "%s: the driver gave no directory for the swtpm socket", alias);
        else if (asprintf(&sock, "%s/%s.swtpm.sock", c->params->run_dir, alias) < 0)
                sock = NULL;
        if (!sock)
                return -ENOMEM;
        opt_add(&b, "socket,id=chr%s", alias);
        opt_add_str(&b, "path", sock);
        r = cmd_opt(c, "-chardev", &b);
        if (r < 0)
                return r;
        opt_add(&b, "emulator,id=tpm-%s,chardev=chr%s", alias, alias);
        return cmd_opt(c, "-tpmdev", &b);
}

int qemu_build_tpms(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_tpms; i++) {
                const DomainTpmDef *t = &c->def->tpms[i];
                const char *model = t->model ?: "tpm-tis";
                json_object *o;
                char alias[128];
                int r;

                cmd_at(c, QEMU_DEVICE_TPM, i);
                qemu_dev_id(alias, sizeof(alias), t->alias, "tpm%zu", i);
                r = cmd_need_device(c, model);
                if (r >= 0 && cmd_renders(c))
                        r = t->backend == DOMAIN_TPM_PASSTHROUGH ? build_passthrough(c, t, alias) :
                                                                   build_socket(c, t, alias);
                if (r < 0)
                        return r;
                o = dev_new(model, alias);
                prop_strf(&o, "tpmdev", "tpm-%s", alias);
                r = cmd_device(c, o);
                if (r < 0)
                        return r;
        }
        return 0;
}
