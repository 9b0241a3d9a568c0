/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of <filesystem> and <shmem>, as libvirt 9.0's qemu_hotplug.c
 * allows it: a virtiofs share only (its virtiofsd started by qemud first,
 * then chardev-add of the socket and device_add of vhost-user-fs-pci; the
 * virtiofsd ended once the device is gone), and an ivshmem-plain (its
 * memory-backend-file by object-add) or ivshmem-doorbell (a chardev to its
 * ivshmem-server); never the legacy ivshmem, nor a 9p share. */
#include <errno.h>

#include "error.h"
#include "qemu-confine.h"
#include "qemu-hotplug-internal.h"
#include "qemu-shmem.h"
#include "qemu-virtiofs.h"
#include "util.h"

bool hotplug_is_fs_or_shmem(const DevRef *ref) {
        return ref->family == QEMU_DEVICE_FS || ref->family == QEMU_DEVICE_SHMEM;
}

/* libvirt's refusals, for attach and detach alike. */
static int check_kind(const DomainDef *def, const DevRef *ref, const char *verb, sd_bus_error *error) {
        if (ref->family == QEMU_DEVICE_FS && !def->filesystems[ref->index].virtiofs)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: only virtiofs "
                                     "filesystems can be hotplugged (filesystem '%s' is a 9p share)",
                                     def->filesystems[ref->index].dst);
        if (ref->family == QEMU_DEVICE_SHMEM && streq_ptr(def->shmems[ref->index].model, "ivshmem"))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: live %s of shmem "
                                     "model 'ivshmem' is not supported (shmem '%s')", verb,
                                     def->shmems[ref->index].name);
        return 0;
}

int hotplug_fs_attach_check(const DomainDef *live, const DevRef *ref, sd_bus_error *error) {
        ConfError e = {};
        int r;

        if (!hotplug_is_fs_or_shmem(ref))
                return 0;
        r = check_kind(live, ref, "attach", error);
        if (r < 0)
                return r;
        /* QEMU's rules for the new device, as at define */
        if (ref->family == QEMU_DEVICE_FS)
                r = qemu_virtiofs_validate(live, &live->filesystems[ref->index], &e);
        else
                r = qemu_shmem_prepare_one(&live->shmems[ref->index], &e);
        return r < 0 ? hotplug_conf_to_bus(&e, r, "invalid device", error) : 0;
}

static const char *fs_alias_prefix(QemuDeviceFamily f) {
        return f == QEMU_DEVICE_FS ? "fs" : "shmem";
}

static char **alias_slot(DomainDef *def, QemuDeviceFamily f, size_t i) {
        return f == QEMU_DEVICE_FS ? &def->filesystems[i].alias : &def->shmems[i].alias;
}

static bool alias_used(DomainDef *def, QemuDeviceFamily f, size_t except, const char *alias) {
        for (size_t i = 0; i < qemu_device_family_count(def, f); i++)
                if (i != except && streq_ptr(*alias_slot(def, f, i), alias))
                        return true;
        return false;
}

/* As rngs: the devices QEMU has keep their aliases (the start names them by
 * position, which collides once one went), a new one takes the first free
 * fsN/shmemN. */
static int keep_family_aliases(const DomainDef *old, DomainDef *def, QemuDeviceFamily f) {
        size_t n_old = qemu_device_family_count(old, f), n = qemu_device_family_count(def, f);

        for (size_t i = 0; i < n_old && i < n; i++) {
                const char *a = *alias_slot((DomainDef *) old, f, i);
                char *c = a ? strdup(a) : NULL;

                if (a && !c)
                        return -ENOMEM;
                free_and_replace_str(alias_slot(def, f, i), c);
        }
        for (size_t i = n_old; i < n; i++) {
                char alias[256];

                if (domain_alias_is_user(*alias_slot(def, f, i)))
                        continue;       /* a user's alias names it */
                for (unsigned k = 0;; k++) {
                        snprintf(alias, sizeof(alias), "%s%u", fs_alias_prefix(f), k);
                        if (!alias_used(def, f, i, alias))
                                break;
                }
                free_and_replace_str(alias_slot(def, f, i), strdup(alias));
                if (!*alias_slot(def, f, i))
                        return -ENOMEM;
        }
        return 0;
}

int hotplug_fs_keep_aliases(const DomainDef *old, DomainDef *def) {
        return keep_family_aliases(old, def, QEMU_DEVICE_FS) ?: keep_family_aliases(old, def, QEMU_DEVICE_SHMEM);
}

/* The chardev id of the device's socket: the command line's names. */
static void chardev_id(const DevRef *ref, const char *alias, char *buf, size_t size) {
        snprintf(buf, size, ref->family == QEMU_DEVICE_FS ? "chr-vu-%s" : "char%s", alias);
}

/* chardev-add of a unix socket QEMU connects to. */
static int socket_chardev_args(const char *id, const char *path, json_object **ret) {
        json_object *args = json_object_new_object(), *backend = json_object_new_object(),
                    *data = json_object_new_object(), *addr = json_object_new_object(),
                    *unix_data = json_object_new_object();

        if (!args || !backend || !data || !addr || !unix_data) {
                json_object_put(args), json_object_put(backend), json_object_put(data);
                json_object_put(addr), json_object_put(unix_data);
                return -ENOMEM;
        }
        json_object_object_add(unix_data, "path", json_object_new_string(path));
        json_object_object_add(addr, "type", json_object_new_string("unix"));
        json_object_object_add(addr, "data", unix_data);
        json_object_object_add(data, "addr", addr);
        json_object_object_add(data, "server", json_object_new_boolean(false));
        json_object_object_add(backend, "type", json_object_new_string("socket"));
        json_object_object_add(backend, "data", data);
        json_object_object_add(args, "id", json_object_new_string(id));
        json_object_object_add(args, "backend", backend);
        *ret = args;
        return 0;
}

/* The socket the device's chardev connects to, or NULL (-ENOENT): none. */
static int socket_path(Domain *d, const DomainDef *def, const DevRef *ref, char **ret) {
        _cleanup_free_ char *run = NULL;

        *ret = NULL;
        if (ref->family == QEMU_DEVICE_SHMEM) {
                if (!def->shmems[ref->index].server)
                        return -ENOENT;
                return qemu_shmem_server_path(&def->shmems[ref->index], ret);
        }
        if (def->filesystems[ref->index].sock)
                *ret = strdup(def->filesystems[ref->index].sock);
        else if (qemu_confine_dir(d, &run) >= 0)
                *ret = qemu_virtiofs_socket(run, def->filesystems[ref->index].alias);
        return *ret ? 0 : -ENOMEM;
}

int hotplug_fs_host_side(Plug *p, Domain *d, json_object *cmds, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        json_object *args;
        char id[128];
        int r;

        r = socket_path(d, p->live, &p->ref, &path);
        if (r == -ENOENT)
                return 0;       /* an ivshmem-plain: its backend is an object of the props */
        if (r < 0)
                return r;
        chardev_id(&p->ref, p->alias, id, sizeof(id));
        r = socket_chardev_args(id, path, &args);
        if (r >= 0)
                r = hotplug_push_cmd(cmds, "chardev-add", args);
        if (r >= 0)
                r = hotplug_id_args(id, &args);
        if (r >= 0)
                r = hotplug_push_cmd(p->undo, "chardev-remove", args);
        return r;
}

int hotplug_fs_start(Plug *p, Domain *d, sd_bus_error *error) {
        ConfError e = {};
        int r;

        if (p->ref.family != QEMU_DEVICE_FS)
                return 0;
        /* virtiofsd listens before QEMU connects; the last step before
         * QEMU, so that whatever fails later undoes it (attach_done) */
        r = qemu_virtiofs_start_plugged(d, &p->live->filesystems[p->ref.index], &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot start virtiofsd", error);
        p->fs_started = true;
        return 0;
}

void hotplug_fs_undo(Plug *p, Domain *d) {
        if (p->fs_started && p->live)
                qemu_virtiofs_stop_one(d, &p->live->filesystems[p->ref.index]);
        p->fs_started = false;
}

int hotplug_fs_detach_prepare(const DomainDef *live, const DevRef *ref, json_object *backends,
                              sd_bus_error *error) {
        const char *alias = hotplug_dev_alias(live, ref);
        json_object *args;
        char id[128];
        int r;

        if (!hotplug_is_fs_or_shmem(ref))
                return 0;
        r = check_kind(live, ref, "detach", error);
        if (r < 0)
                return r;
        if (ref->family == QEMU_DEVICE_SHMEM && !live->shmems[ref->index].server)
                return 0;       /* its memory backend is among the props' objects */
        chardev_id(ref, alias, id, sizeof(id));
        r = hotplug_id_args(id, &args);
        if (r >= 0)
                r = hotplug_push_cmd(backends, "chardev-remove", args);
        return r;
}

void hotplug_fs_removed(Domain *d, const DevRef *ref) {
        if (ref->family == QEMU_DEVICE_FS)
                qemu_virtiofs_stop_one(d, &d->live->filesystems[ref->index]);
}
