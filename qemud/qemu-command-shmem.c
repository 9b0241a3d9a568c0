/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <shmem> on QEMU's command line, as libvirt builds it: ivshmem-plain on a
 * memory-backend-file "shmmem-" ALIAS of /dev/shm/NAME (share=on; master
 * from the role), ivshmem-doorbell on a socket chardev "char" ALIAS to the
 * ivshmem-server (<server path=''/>, by default libvirt's
 * /var/lib/libvirt/shmem-NAME-sock) with msi vectors and ioeventfd; the
 * legacy ivshmem device with size= and shm=/chardev=. Aliases shmemN. */
#include "qemu-command-internal.h"
#include "qemu-shmem.h"
#include "util.h"

int qemu_shmem_assign_aliases(DomainDef *def) {
        for (size_t i = 0; i < def->n_shmems; i++) {
                char *s;

                if (asprintf(&s, "shmem%zu", i) < 0)
                        return -ENOMEM;
                qemu_set_alias(&def->shmems[i].alias, s);
        }
        return 0;
}

static int build_server_chardev(QemuCmd *c, const DomainShmemDef *s, const char *alias) {
        _cleanup_free_ char *sock = NULL;
        OptBuf b = {};

        if (qemu_shmem_server_path(s, &sock) < 0)
                return -ENOMEM;
        opt_add(&b, "socket,id=char%s", alias);
        opt_add_str(&b, "path", sock);
        return cmd_opt(c, "-chardev", &b);
}

static int build_backend(QemuCmd *c, const DomainShmemDef *s, const char *alias) {
        json_object *o = props_new("qom-type", "memory-backend-file");

        prop_strf(&o, "id", "shmmem-%s", alias);
        prop_strf(&o, "mem-path", "/dev/shm/%s", s->name);
        prop_int(&o, "size", (int64_t) s->size);
        prop_bool(&o, "share", true);
        return cmd_object(c, o);
}

static void msi_props(json_object **o, const DomainShmemDef *s) {
        if (s->msi_vectors)
                prop_int(o, "vectors", s->msi_vectors);
        if (s->msi_ioeventfd)
                prop_bool(o, "ioeventfd", s->msi_ioeventfd == TRISTATE_ON);
}

/* The device removed from QEMU 4.0: libvirt still builds it, and a QEMU
 * without it refuses the start, naming the device type. */
static void legacy_props(json_object **o, const DomainShmemDef *s, const char *alias) {
        prop_strf(o, "size", "%" PRIu64 "m", s->size >> 20);
        if (s->server) {
                prop_strf(o, "chardev", "char%s", alias);
                if (s->msi)
                        prop_bool(o, "msi", true);
        } else
                prop_str(o, "shm", s->name);
        msi_props(o, s);
}

static int build_one(QemuCmd *c, const DomainShmemDef *s, const char *alias) {
        json_object *o = NULL;
        int r;

        if (streq(s->model, "ivshmem-plain")) {
                r = build_backend(c, s, alias);
                if (r < 0)
                        return r;
        }
        r = qemu_pci_device_new(c, &s->addr, alias, s->model, alias, &o);
        if (r < 0)
                return r;
        if (streq(s->model, "ivshmem"))
                legacy_props(&o, s, alias);
        else if (s->server) {
                prop_strf(&o, "chardev", "char%s", alias);
                msi_props(&o, s);
        } else {
                prop_strf(&o, "memdev", "shmmem-%s", alias);
                /* an OnOffAuto property: "on"/"off" */
                if (s->role)
                        prop_str(&o, "master", streq(s->role, "master") ? "on" : "off");
        }
        r = cmd_device(c, o);
        if (r >= 0 && s->server && cmd_renders(c))
                r = build_server_chardev(c, s, alias);
        return r;
}

int qemu_build_shmems(QemuCmd *c) {
        for (size_t i = 0; i < c->def->n_shmems; i++) {
                char alias[128];
                int r;

                cmd_at(c, QEMU_DEVICE_SHMEM, i);
                /* a hot-plugged one keeps the alias it was plugged with */
                if (c->def->shmems[i].alias)
                        snprintf(alias, sizeof(alias), "%s", c->def->shmems[i].alias);
                else
                        snprintf(alias, sizeof(alias), "shmem%zu", i);
                r = build_one(c, &c->def->shmems[i], alias);
                if (r < 0)
                        return r;
        }
        return 0;
}
