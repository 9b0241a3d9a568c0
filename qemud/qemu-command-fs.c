/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><filesystem> of a machine on QEMU's command line, as libvirt
 * puts a 9p share: -fsdev local (the host directory, its security model,
 * write policy, modes, multidevs and readonly) with id "fsdev-" ALIAS, then
 * -device virtio-9p-pci with id ALIAS ("fs0") and the target dir as the
 * mount tag. */
#include "qemu-command-internal.h"
#include "util.h"

int qemu_fs_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                char *s;

                if (asprintf(&s, "fs%zu", i) < 0)
                        return -ENOMEM;
                free_and_replace_str(&def->filesystems[i].alias, s);
        }
        return 0;
}

/* QEMU's security_model for libvirt's accessmode: squash is "none" (files
 * created as QEMU's user, no mapping, no error on chown). */
static const char *security_model(DomainFsAccessMode m) {
        switch (m) {
        case DOMAIN_FS_ACCESS_MAPPED:
                return "mapped";
        case DOMAIN_FS_ACCESS_SQUASH:
                return "none";
        default:
                return "passthrough";
        }
}

static int build_fsdev(QemuCmd *c, const DomainFsDef *fs, const char *alias) {
        OptBuf b = {};

        /* QEMU 6.0 dropped the 'handle' driver; libvirt still takes it */
        if (streq_ptr(fs->driver_type, "handle"))
                return cmd_fail(c, -EOPNOTSUPP, "filesystem '%s': driver type 'handle' of <devices/filesystem/driver> "
                                "is not supported by this QEMU (it has only the 'local' 9p driver, type 'path')",
                                fs->dst);
        opt_add(&b, "local,security_model=%s", security_model(fs->accessmode));
        if (fs->driver_wrpolicy)
                opt_add(&b, "writeout=%s", fs->driver_wrpolicy);
        if (fs->fmode)
                opt_add(&b, "fmode=%04o", fs->fmode);
        if (fs->dmode)
                opt_add(&b, "dmode=%04o", fs->dmode);
        if (fs->multidevs && !streq(fs->multidevs, "default"))
                opt_add(&b, "multidevs=%s", fs->multidevs);
        opt_add(&b, "id=fsdev-%s", alias);
        opt_add_str(&b, "path", fs->src);
        if (fs->readonly)
                opt_add(&b, "readonly=on");
        return cmd_opt(c, "-fsdev", &b);
}

int qemu_build_filesystems(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_filesystems; i++) {
                const DomainFsDef *fs = &c->def->filesystems[i];
                json_object *o = NULL;
                char alias[32];
                int r;

                cmd_at(c, QEMU_DEVICE_FS, i);
                snprintf(alias, sizeof(alias), "fs%zu", i);
                if (cmd_renders(c)) {
                        r = build_fsdev(c, fs, alias);
                        if (r < 0)
                                return r;
                }
                r = qemu_pci_device_new(c, &fs->addr, alias, "virtio-9p-pci", alias, &o);
                if (r < 0)
                        return r;
                prop_strf(&o, "fsdev", "fsdev-%s", alias);
                prop_str(&o, "mount_tag", fs->dst);
                qemu_virtio_opts_props(&o, &fs->virtio);
                r = cmd_device(c, o);
                if (r < 0)
                        return r;
        }
        return 0;
}
