/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <devices><filesystem> of a machine on QEMU's command line, as libvirt
 * puts a 9p share: -fsdev local (the host directory, its security model,
 * write policy, modes, multidevs and readonly) with id "fsdev-" ALIAS, then
 * -device virtio-9p-pci with id ALIAS ("fs0") and the target dir as the
 * mount tag. A virtiofs share is a vhost-user-fs-pci device on a socket
 * chardev "chr-vu-" ALIAS: the one given (<source socket=''/>), or
 * RUN_DIR/ALIAS-fs.sock where qemud's virtiofsd listens (qemu-virtiofs.c). */
#include "qemu-command-internal.h"
#include "qemu-virtiofs.h"
#include "util.h"

int qemu_fs_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_filesystems; i++) {
                char *s;

                if (asprintf(&s, "fs%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->filesystems[i].alias, s);
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

/* <filesystem model='virtio-transitional'>: QEMU's device of that name. */
static const char *ninep_driver(const DomainFsDef *fs) {
        if (streq_ptr(fs->model, "virtio-transitional"))
                return "virtio-9p-pci-transitional";
        if (streq_ptr(fs->model, "virtio-non-transitional"))
                return "virtio-9p-pci-non-transitional";
        return "virtio-9p-pci";
}

static int build_vhost_user_chardev(QemuCmd *c, const DomainFsDef *fs, const char *alias) {
        _cleanup_free_ char *sock = NULL;
        OptBuf b = {};

        if (fs->sock)
                sock = strdup(fs->sock);
        else if (!c->params->run_dir)
                return cmd_fail(c, -EINVAL, "filesystem '%s': the driver gave no directory for the virtiofsd "
                                "socket", fs->dst);
        else
                sock = qemu_virtiofs_socket(c->params->run_dir, alias);
        if (!sock)
                return -ENOMEM;
        opt_add(&b, "socket,id=chr-vu-%s", alias);
        opt_add_str(&b, "path", sock);
        return cmd_opt(c, "-chardev", &b);
}

static int build_virtiofs(QemuCmd *c, const DomainFsDef *fs, const char *alias) {
        json_object *o = NULL;
        int r;

        if (cmd_renders(c)) {
                r = build_vhost_user_chardev(c, fs, alias);
                if (r < 0)
                        return r;
        }
        r = qemu_pci_device_new(c, &fs->addr, alias, "vhost-user-fs-pci", alias, &o);
        if (r < 0)
                return r;
        prop_strf(&o, "chardev", "chr-vu-%s", alias);
        if (fs->queue)
                prop_int(&o, "queue-size", (int64_t) fs->queue);
        prop_str(&o, "tag", fs->dst);
        if (fs->boot_order)
                prop_int(&o, "bootindex", fs->boot_order);
        qemu_virtio_opts_props(&o, &fs->virtio);
        return cmd_device(c, o);
}

int qemu_build_filesystems(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_filesystems; i++) {
                const DomainFsDef *fs = &c->def->filesystems[i];
                json_object *o = NULL;
                char alias[128];
                int r;

                cmd_at(c, QEMU_DEVICE_FS, i);
                /* a hot-plugged share keeps the alias it was plugged with */
                if (fs->alias)
                        snprintf(alias, sizeof(alias), "%s", fs->alias);
                else
                        snprintf(alias, sizeof(alias), "fs%zu", i);
                if (fs->virtiofs) {
                        r = build_virtiofs(c, fs, alias);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (cmd_renders(c)) {
                        r = build_fsdev(c, fs, alias);
                        if (r < 0)
                                return r;
                }
                r = qemu_pci_device_new(c, &fs->addr, alias, ninep_driver(fs), alias, &o);
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
