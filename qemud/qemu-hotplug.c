/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device hot-plug: AttachDevice, DetachDevice, UpdateDevice (qemu-hotplug.h). */
#include <errno.h>
#include <stdarg.h>

#include "domain-device.h"
#include "domain-manager.h"
#include "domain-status.h"
#include "error.h"
#include "lockd-client.h"
#include "networkd-client.h"
#include "storaged-client.h"
#include "log.h"
#include "qemu-memdev.h"
#include "qemu-address.h"
#include "qemu-command-internal.h"
#include "qemu-command.h"
#include "qemu-device.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "domain-lock.h"
#include "qemu-hotplug.h"
#include "qemu-hotplug-internal.h"
#include "qemu-memory-dir.h"
#include "qemu-hotplug-chr.h"
#include "qemu-chr-generated.h"
#include "qemu-confine.h"
#include "qemu-security.h"
#include "qemu-taint.h"
#include "qemu-tune.h"
#include "qemu-interface.h"
#include "qemu-net-host.h"
#include "qemu-lease.h"
#include "qemu-monitor.h"
#include "qemu-validate.h"
#include "util.h"

/* ---- pure helpers ---- */

int hotplug_push_cmd(json_object *cmds, const char *execute, json_object *args) {
        json_object *c = json_object_new_object();

        if (!c) {
                json_object_put(args);
                return -ENOMEM;
        }
        json_object_object_add(c, "execute", json_object_new_string(execute));
        if (args)
                json_object_object_add(c, "arguments", args);
        return json_object_array_add(cmds, c) < 0 ? -ENOMEM : 0;
}

int hotplug_push_all(json_object *cmds, const char *execute, json_object *list) {
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                int r = hotplug_push_cmd(cmds, execute, json_object_get(json_object_array_get_idx(list, i)));
                if (r < 0)
                        return r;
        }
        return 0;
}

int qemu_hotplug_plug_commands(json_object *objects, json_object *blockdevs, json_object *devices,
                               json_object **ret) {
        json_object *cmds = json_object_new_array();
        int r;

        if (!cmds)
                return -ENOMEM;
        r = hotplug_push_all(cmds, "object-add", objects);
        if (r >= 0)
                r = hotplug_push_all(cmds, "blockdev-add", blockdevs);
        if (r >= 0)
                r = hotplug_push_all(cmds, "device_add", devices);
        if (r < 0) {
                json_object_put(cmds);
                return r;
        }
        *ret = cmds;
        return 0;
}

static int push_del(json_object *cmds, const char *execute, const char *key, json_object *from) {
        json_object *v, *args;

        if (!json_object_object_get_ex(from, key, &v))
                return 0;
        args = json_object_new_object();
        if (!args)
                return -ENOMEM;
        json_object_object_add(args, key, json_object_new_string(json_object_get_string(v)));
        return hotplug_push_cmd(cmds, execute, args);
}

int qemu_hotplug_unplug_backends(json_object *objects, json_object *blockdevs, json_object **ret) {
        json_object *cmds = json_object_new_array();
        int r = 0;

        if (!cmds)
                return -ENOMEM;
        /* the top node first: each node holds the one below it */
        for (size_t i = blockdevs ? json_object_array_length(blockdevs) : 0; i > 0 && r >= 0; i--)
                r = push_del(cmds, "blockdev-del", "node-name", json_object_array_get_idx(blockdevs, i - 1));
        for (size_t i = objects ? json_object_array_length(objects) : 0; i > 0 && r >= 0; i--)
                r = push_del(cmds, "object-del", "id", json_object_array_get_idx(objects, i - 1));
        if (r < 0) {
                json_object_put(cmds);
                return r;
        }
        *ret = cmds;
        return 0;
}

/* ---- one device of a definition ---- */

int hotplug_family_of(const char *kind, QemuDeviceFamily *ret) {
        if (streq(kind, "disk"))
                *ret = QEMU_DEVICE_DISK;
        else if (streq(kind, "controller"))
                *ret = QEMU_DEVICE_CONTROLLER;
        else if (streq(kind, "interface"))
                *ret = QEMU_DEVICE_NET;
        else if (streq(kind, "serial") || streq(kind, "console") || streq(kind, "channel"))
                *ret = QEMU_DEVICE_CHR;
        else if (streq(kind, "rng"))
                *ret = QEMU_DEVICE_RNG;
        else if (streq(kind, "memory"))
                *ret = QEMU_DEVICE_MEMORY;
        else if (streq(kind, "hostdev"))
                *ret = QEMU_DEVICE_HOSTDEV;
        else if (streq(kind, "filesystem"))
                *ret = QEMU_DEVICE_FS;
        else if (streq(kind, "shmem"))
                *ret = QEMU_DEVICE_SHMEM;
        else
                return -EOPNOTSUPP;
        return 0;
}

const char *hotplug_dev_alias(const DomainDef *def, const DevRef *r) {
        switch (r->family) {
        case QEMU_DEVICE_DISK: return def->disks[r->index].alias;
        case QEMU_DEVICE_CONTROLLER: return def->controllers[r->index].alias;
        case QEMU_DEVICE_NET: return def->nets[r->index].alias;
        case QEMU_DEVICE_CHR: return def->chrs[r->index].alias;
        case QEMU_DEVICE_RNG: return def->rngs[r->index].alias;
        case QEMU_DEVICE_MEMORY: return def->mems[r->index].alias;
        case QEMU_DEVICE_HOSTDEV: return def->hostdevs[r->index].alias;
        case QEMU_DEVICE_FS: return def->filesystems[r->index].alias;
        case QEMU_DEVICE_SHMEM: return def->shmems[r->index].alias;
        default: return NULL;
        }
}

/* Names the device in messages: "disk 'vdb'", "interface 52:54:00:..". */
void hotplug_dev_what(const DomainDef *def, const DevRef *r, char *buf, size_t size) {
        switch (r->family) {
        case QEMU_DEVICE_DISK:
                snprintf(buf, size, "disk '%s'", def->disks[r->index].dst ?: "?");
                break;
        case QEMU_DEVICE_CONTROLLER:
                snprintf(buf, size, "controller '%s' index %u",
                         domain_controller_type_to_string(def->controllers[r->index].type) ?: "?",
                         def->controllers[r->index].index);
                break;
        case QEMU_DEVICE_NET: {
                const uint8_t *m = def->nets[r->index].mac;
                snprintf(buf, size, "interface '%02x:%02x:%02x:%02x:%02x:%02x'", m[0], m[1], m[2], m[3], m[4], m[5]);
                break;
        }
        case QEMU_DEVICE_CHR:
                snprintf(buf, size, "%s port %u", r->kind, def->chrs[r->index].port);
                break;
        case QEMU_DEVICE_FS:
                snprintf(buf, size, "filesystem '%s'", def->filesystems[r->index].dst ?: "?");
                break;
        case QEMU_DEVICE_SHMEM:
                snprintf(buf, size, "shmem '%s'", def->shmems[r->index].name ?: "?");
                break;
        case QEMU_DEVICE_HOSTDEV: {
                char dev[128];
                domain_hostdev_describe(&def->hostdevs[r->index], dev, sizeof(dev));
                snprintf(buf, size, "hostdev '%s'", dev);
                break;
        }
        default:
                snprintf(buf, size, "%s %zu", r->kind, r->index);
        }
}

/* Finds in def the device that want (the only device of holder) names, as
 * libvirt matches them: a disk by its target, an interface by its MAC, a
 * controller by type and index, a serial/console/channel by its port (a
 * channel also by its target name), an rng by its model and backend. An
 * <alias name=''/> given must match too. */
int hotplug_find_device(const DomainDef *def, const DomainDef *holder, const char *kind, DevRef *ret) {
        QemuDeviceFamily f;

        if (hotplug_family_of(kind, &f) < 0)
                return -EOPNOTSUPP;
        *ret = (DevRef) { .kind = kind, .family = f };
        switch (f) {
        case QEMU_DEVICE_DISK:
                for (size_t i = 0; i < def->n_disks; i++)
                        if (streq_ptr(def->disks[i].dst, holder->disks[0].dst))
                                return ret->index = i, 0;
                break;
        case QEMU_DEVICE_NET:
                for (size_t i = 0; i < def->n_nets; i++)
                        if ((!holder->nets[0].mac_given || memcmp(def->nets[i].mac, holder->nets[0].mac, 6) == 0) &&
                            (!holder->nets[0].alias || streq_ptr(def->nets[i].alias, holder->nets[0].alias)))
                                return ret->index = i, 0;
                break;
        case QEMU_DEVICE_CONTROLLER:
                for (size_t i = 0; i < def->n_controllers; i++)
                        if (def->controllers[i].type == holder->controllers[0].type &&
                            def->controllers[i].index == holder->controllers[0].index)
                                return ret->index = i, 0;
                break;
        case QEMU_DEVICE_CHR: {
                const DomainChrDef *w = &holder->chrs[0];
                for (size_t i = 0; i < def->n_chrs; i++) {
                        const DomainChrDef *c = &def->chrs[i];
                        if (c->kind != w->kind)
                                continue;
                        if (w->target_name ? streq_ptr(c->target_name, w->target_name) : c->port == w->port)
                                return ret->index = i, 0;
                }
                break;
        }
        case QEMU_DEVICE_MEMORY:
                /* libvirt's match: the model, size and node, and the slot when given */
                for (size_t i = 0; i < def->n_mems; i++) {
                        const DomainMemoryDef *m = &def->mems[i], *w = &holder->mems[0];
                        if (m->model == w->model && m->size_kib == w->size_kib && m->node == w->node &&
                            (!w->has_dimm_slot || (m->has_dimm_slot && m->dimm_slot == w->dimm_slot)))
                                return ret->index = i, 0;
                }
                break;
        case QEMU_DEVICE_HOSTDEV: {
                /* by its source on the host, as libvirt */
                char a[128], b[128];
                domain_hostdev_describe(&holder->hostdevs[0], b, sizeof(b));
                for (size_t i = 0; i < def->n_hostdevs; i++) {
                        domain_hostdev_describe(&def->hostdevs[i], a, sizeof(a));
                        if (def->hostdevs[i].type == holder->hostdevs[0].type && streq(a, b))
                                return ret->index = i, 0;
                }
                break;
        }
        case QEMU_DEVICE_FS:
                /* by its target, unique in a definition */
                for (size_t i = 0; i < def->n_filesystems; i++)
                        if (streq_ptr(def->filesystems[i].dst, holder->filesystems[0].dst))
                                return ret->index = i, 0;
                break;
        case QEMU_DEVICE_SHMEM:
                for (size_t i = 0; i < def->n_shmems; i++)
                        if (streq_ptr(def->shmems[i].name, holder->shmems[0].name))
                                return ret->index = i, 0;
                break;
        case QEMU_DEVICE_RNG:
                for (size_t i = 0; i < def->n_rngs; i++)
                        if (streq_ptr(def->rngs[i].model, holder->rngs[0].model) &&
                            streq_ptr(def->rngs[i].backend_model, holder->rngs[0].backend_model) &&
                            (!holder->rngs[0].alias || streq_ptr(def->rngs[i].alias, holder->rngs[0].alias)))
                                return ret->index = i, 0;
                break;
        default:
                break;
        }
        return -ENOENT;
}

int hotplug_no_such_device(const DomainDef *holder, const char *kind, const char *where, sd_bus_error *error) {
        DevRef r = { .kind = kind, .index = 0 };
        char what[128];

        (void) hotplug_family_of(kind, &r.family);
        hotplug_dev_what(holder, &r, what, sizeof(what));
        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "operation failed: no %s found in the %s definition",
                             what, where);
}

/* Whether holder's device would collide with one of def by name: a disk
 * target, an interface MAC, a controller index. */
static int check_unique(const DomainDef *def, const DomainDef *holder, const char *kind, const char *where,
                        sd_bus_error *error) {
        DevRef r;
        char what[128];

        if (streq(kind, "rng") || streq(kind, "memory") || streq(kind, "serial") || streq(kind, "console") ||
            (streq(kind, "channel") && !holder->chrs[0].target_name))
                return 0;       /* told apart by their address, checked by the allocator */
        if (streq(kind, "interface") && !holder->nets[0].mac_given)
                return 0;
        if (hotplug_find_device(def, holder, kind, &r) < 0)
                return 0;
        hotplug_dev_what(def, &r, what, sizeof(what));
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                             "operation invalid: %s already exists in the %s definition", what, where);
}

/* ---- definitions ---- */

/* The persistent definition (the one waiting for the next start, if any). */
const DomainDef *hotplug_config_def(Domain *d) {
        return *domain_persistent_def(d);
}

int hotplug_conf_to_bus(const ConfError *e, int r, const char *fallback, sd_bus_error *error) {
        if (e->name)
                return vb_error_setf(error, e->name, "%s", e->message);
        return vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: %s: %s", fallback, strerror(-r));
}

/* The one device of a caller's XML, of a kind qemud can attach or detach
 * (verb names which, for the error). */
int hotplug_parse_device(const char *xml, const char *verb, DomainDef **ret_holder, const char **ret_kind,
                         QemuDeviceFamily *ret_family, sd_bus_error *error) {
        ConfError e = {};
        int r;

        r = domain_def_parse_device(xml, 0, ret_holder, ret_kind, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot parse the device", error);
        if (hotplug_family_of(*ret_kind, ret_family) < 0)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "unsupported configuration: device type '%s' cannot be %s", *ret_kind, verb);
        return hotplug_interface_hostdev_kind(*ret_holder, ret_kind, ret_family);
}
/* A SCSI disk on a guest without a SCSI controller: the allocator would add
 * libvirt's default lsilogic, a conventional PCI device that a q35 guest
 * cannot take on a hot-pluggable port; libvirt adds a virtio-scsi then. */
static int add_scsi_controller(DomainDef *def, const DevRef *ref, sd_bus_error *error) {
        static const char xml[] = "<controller type='scsi' index='0' model='virtio-scsi'/>";
        _cleanup_(domain_def_freep) DomainDef *holder = NULL;
        ConfError e = {};
        const char *kind;
        int r;

        if (ref->family != QEMU_DEVICE_DISK || def->disks[ref->index].bus != DOMAIN_DISK_BUS_SCSI)
                return 0;
        for (size_t i = 0; i < def->n_controllers; i++)
                if (def->controllers[i].type == DOMAIN_CONTROLLER_SCSI)
                        return 0;
        r = domain_def_parse_device(xml, 0, &holder, &kind, &e);
        if (r >= 0)
                r = domain_def_take_devices(def, holder);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot add a SCSI controller", error);
        return 0;
}

/* def plus the device of holder, checked and placed as a definition given
 * by a caller is. */
static int def_with_device(Domain *d, const DomainDef *def, const char *xml, const char *where, bool live,
                           DomainDef **ret, DevRef *ref, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *holder = NULL, *copy = NULL;
        ConfError e = {};
        const char *kind;
        QemuDeviceFamily f;
        int r;

        r = hotplug_parse_device(xml, "attached", &holder, &kind, &f, error);
        if (r < 0)
                return r;
        /* a channel's socket in qemud's own directory is placed anew, as at define */
        r = qemu_chr_drop_generated_paths(holder, d->manager->rundir, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "invalid channel", error);
        r = check_unique(def, holder, kind, where, error);
        if (r < 0)
                return r;
        r = domain_def_copy(def, &copy);
        if (r < 0)
                return r;
        *ref = (DevRef) { .kind = kind, .family = f };
        switch (f) {
        case QEMU_DEVICE_DISK: ref->index = copy->n_disks; break;
        case QEMU_DEVICE_CONTROLLER: ref->index = copy->n_controllers; break;
        case QEMU_DEVICE_NET: ref->index = copy->n_nets; break;
        case QEMU_DEVICE_CHR: ref->index = copy->n_chrs; break;
        case QEMU_DEVICE_MEMORY: ref->index = copy->n_mems; break;
        case QEMU_DEVICE_FS: ref->index = copy->n_filesystems; break;
        case QEMU_DEVICE_SHMEM: ref->index = copy->n_shmems; break;
        case QEMU_DEVICE_HOSTDEV: ref->index = copy->n_hostdevs; break;
        default: ref->index = copy->n_rngs; break;
        }
        /* <memory> counts the memory devices: the guest has that much more */
        if (f == QEMU_DEVICE_MEMORY) {
                copy->memory_kib += holder->mems[0].size_kib;
                copy->current_memory_kib += holder->mems[0].size_kib;
        }
        r = domain_def_take_devices(copy, holder);
        if (r < 0)
                return r;
        hotplug_interface_hostdev_place(copy, ref);
        r = add_scsi_controller(copy, ref, error);
        if (r < 0)
                return r;
        /* the model's checks (targets, addresses used twice) on both;
         * QEMU's policy ran when the definition was given */
        r = domain_def_validate(copy, &e);
        if (r >= 0 && !live)
                r = qemu_validate_def(copy, &e);
        if (r >= 0 && live && f == QEMU_DEVICE_MEMORY)
                r = qemu_memdev_validate(copy, &e);     /* slots and <maxMemory> left */
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "invalid definition", error);
        r = qemu_domain_assign_addresses(copy, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot place the device", error);
        *ret = TAKE_PTR(copy);
        return 0;
}

int hotplug_save_config(Domain *d, DomainDef *config, sd_bus_error *error) {
        return domain_config_commit(d, config, error);
}

/* ---- running QMP command lists ---- */

static void attach_done(Plug *p, Domain *d, const char *error_class, const char *error_desc);

Plug *hotplug_plug_free(Plug *p) {
        if (!p)
                return NULL;
        hotplug_plug_record_drop(p, true); /* a plug that ended without its device */
        domain_handle_unref(p->handle);
        domain_def_free(p->live);
        domain_def_free(p->config);
        json_object_put(p->cmds);
        json_object_put(p->undo);
        free(p->lease_path);
        free(p->what);
        free(p->alias);
        free(p->old_src);
        free(p->new_src);
        if (p->tapfd >= 0)
                close(p->tapfd);
        for (unsigned i = 0; i < p->n_queue_fds; i++)
                close(p->queue_fds[i]);
        free(p->queue_fds);
        free(p->port_uuid);
        hotplug_secrets_free(p->secrets);
        free(p->failure);
        strv_free(p->hostdev_nodes);
        return mfree(p);
}

static void on_reply(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                     void *userdata) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;
        json_object *c = json_object_array_get_idx(p->cmds, p->next - 1), *v;

        if (!d) {
                hotplug_plug_free(p);
                return;
        }
        if (error_class) {
                p->done(p, d, error_class, error_desc);
                return;
        }
        if (p->done == attach_done && hotplug_plug_held(c, true))
                return;
        /* a pty chardev: the live XML names the terminal QEMU opened */
        if (p->pty_chr != SIZE_MAX && json_object_object_get_ex(c, "execute", &v) &&
            streq(json_object_get_string(v), "chardev-add") && json_object_object_get_ex(result, "pty", &v))
                free_and_replace_str(&p->live->chrs[p->pty_chr].path, strdup(json_object_get_string(v)));
        hotplug_plug_step(p);
}

void hotplug_plug_step(Plug *p) {
        Domain *d = p->handle->owner;
        QemuMonitor *mon = d ? qemu_domain(d)->mon : NULL;
        json_object *c, *exe, *args = NULL;
        int r;

        if (!d) {
                hotplug_plug_free(p);
                return;
        }
        if (p->next >= json_object_array_length(p->cmds)) {
                p->done(p, d, NULL, NULL);
                return;
        }
        /* the host side is done: the record names all of it (a port, a
         * macvtap, passt) before QEMU gets anything */
        if (p->next == 0 && p->done == attach_done && (r = hotplug_plug_record(p, d)) < 0) {
                p->done(p, d, "GenericError", "cannot record the plug in the live state");
                return;
        }
        c = json_object_array_get_idx(p->cmds, p->next++);
        if (p->done == attach_done && hotplug_plug_held(c, false))
                return;
        json_object_object_get_ex(c, "execute", &exe);
        if (json_object_object_get_ex(c, "arguments", &args))
                json_object_get(args);
        /* the tap goes to QEMU with its getfd (SCM_RIGHTS), then each of
         * its other queues with one of its own */
        if (mon && streq(json_object_get_string(exe), "getfd")) {
                unsigned k = p->n_fds_sent++;
                int fd = k == 0 ? p->tapfd : k <= p->n_queue_fds ? p->queue_fds[k - 1] : -1;

                r = qemu_monitor_command_with_fd(mon, "getfd", args, fd, on_reply, p);
        } else
                r = mon ? qemu_monitor_command(mon, json_object_get_string(exe), args, on_reply, p) : -ENOTCONN;
        if (r < 0) {
                if (!mon)
                        json_object_put(args);
                p->done(p, d, QEMU_MONITOR_ERROR_DISCONNECTED, strerror(-r));
        }
}

/* Sends cmds (from index from) with no reply wanted: undoing. */
void hotplug_send_quietly(Domain *d, json_object *cmds, size_t from) {
        QemuMonitor *mon = qemu_domain(d)->mon;

        for (size_t i = from; mon && cmds && i < json_object_array_length(cmds); i++) {
                json_object *c = json_object_array_get_idx(cmds, i), *exe, *args = NULL;

                json_object_object_get_ex(c, "execute", &exe);
                if (json_object_object_get_ex(c, "arguments", &args))
                        json_object_get(args);
                (void) qemu_monitor_command(mon, json_object_get_string(exe), args, NULL, NULL);
        }
}

static void volume_in_use(Domain *d, const DomainDiskDef *disk, bool in_use) {
        if (!disk->src_pool)
                return; /* an empty volume drive */
        (void) storaged_set_in_use_async(d->manager->bus, disk->src_pool, disk->src_volume, d->uuid_str, in_use,
                                         NULL, NULL, NULL);
}

void hotplug_release_lease(Domain *d, const char *path) {
        if (path)
                (void) lockd_release_async(domain_lock_bus(d->manager), path, d->uuid_str, NULL, NULL, NULL);
}

int hotplug_label_disk(Plug *p, Domain *d, sd_bus_error *error) {
        ConfError e = {};
        int r;

        if (p->ref.family != QEMU_DEVICE_DISK || !p->live->disks[p->ref.index].src)
                return 0;
        r = qemu_security_set_disk(d, &p->live->disks[p->ref.index], &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot give the disk to QEMU's user", error);
        p->labelled = true;
        /* and the guest's cgroup lets QEMU open it, if it is a device node */
        r = qemu_confine_disk(d, &p->live->disks[p->ref.index], true, e.message, sizeof(e.message));
        if (r < 0) {
                hotplug_unlabel_disk(p, d);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "%s", e.message);
        }
        return 0;
}

void hotplug_unlabel_disk(Plug *p, Domain *d) {
        char msg[256];

        if (!p->labelled)
                return;
        qemu_security_restore_disk(d, &p->live->disks[p->ref.index]);
        (void) qemu_confine_disk(d, &p->live->disks[p->ref.index], false, msg, sizeof(msg));
        p->labelled = false;
}

void hotplug_fail_job(Domain *d, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        domain_job_fail(d->jobs, name, msg ?: "out of memory");
}

/* Makes the plug's definitions the domain's: live first (what runs), then
 * the persistent one. */
static int plug_commit(Plug *p, Domain *d, sd_bus_error *error) {
        if (p->live) {
                domain_def_free(d->live);
                d->live = TAKE_PTR(p->live);
                (void) domain_status_save(d);
        }
        if (p->config) {
                int r = hotplug_save_config(d, p->config, error);
                if (r < 0)
                        return r;
                p->config = NULL;
        }
        return 0;
}

void hotplug_finish_job(Plug *p, Domain *d) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (plug_commit(p, d, &e) < 0)
                domain_job_fail(d->jobs, e.name, e.message);
        else
                domain_job_succeed(d->jobs);
        sd_bus_error_free(&e);
}

/* ---- attach ---- */

/* QEMU took back what it took: the plug's other resources go, and the
 * call fails with QEMU's word. */
static void attach_failed(Plug *p, Domain *d) {
        hotplug_secrets_undo(p);
        hotplug_unlabel_disk(p, d);
        hotplug_hostdev_take_back(p, d);
        hotplug_fs_undo(p, d);
        hotplug_pr_undo(p, d);
        hotplug_passt_undo(p, d);
        hotplug_release_lease(d, p->lease_path);
        if (p->volume_marked)
                volume_in_use(d, &p->live->disks[p->ref.index], false);
        if (p->port_uuid)
                (void) networkd_release_port_async(d->manager->bus, p->port_uuid, NULL, NULL, NULL);
        hotplug_direct_undo(p, d);
        hotplug_fail_job(d, VB_ERROR_OPERATION_FAILED, "cannot attach %s: QEMU said: %s", p->what,
                         p->failure ?: "out of memory");
        hotplug_plug_free(p);
}

static void on_undone(QemuMonitor *mon, json_object *result, const char *error_class, const char *error_desc,
                      void *userdata) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;

        if (d)
                attach_failed(p, d);
        else
                hotplug_plug_free(p);
}

/* Takes back what QEMU took, and fails the call once QEMU answered the
 * last command (it answers in order): the caller then sees the guest as
 * it was. The whole undo list goes: a command for what was never made
 * fails in QEMU and harms nothing. */
static void undo_then_fail(Plug *p, Domain *d) {
        QemuMonitor *mon = qemu_domain(d)->mon;
        size_t n = json_object_array_length(p->undo);

        if (!mon || n == 0) {
                attach_failed(p, d);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(p->undo, i), *exe, *args = NULL;
                bool last = i == n - 1;

                json_object_object_get_ex(c, "execute", &exe);
                if (json_object_object_get_ex(c, "arguments", &args))
                        json_object_get(args);
                if (qemu_monitor_command(mon, json_object_get_string(exe), args, last ? on_undone : NULL,
                                         last ? p : NULL) < 0 && last)
                        attach_failed(p, d);
        }
}

static void attach_done(Plug *p, Domain *d, const char *error_class, const char *error_desc) {
        if (error_class) {
                p->failure = strdup(error_desc ?: error_class);
                undo_then_fail(p, d);
                return;
        }
        if (p->alias && *p->alias)
                domain_emit_device_added(d, p->alias);
        p->fs_started = false;  /* its virtiofsd is the guest's now */
        p->passt_started = false; /* and its passt */
        hotplug_secrets_keep(p); /* and the master key QEMU read */
        qemu_taint_attach(d, p->live);
        hotplug_plug_record_drop(p, false); /* gone in the save that adds the device */
        hotplug_finish_job(p, d);
        hotplug_plug_free(p);
}

static void on_lease(int r, const sd_bus_error *error, void *userdata) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;

        if (!d) {
                hotplug_plug_free(p);
                return;
        }
        if (r < 0 && error && (sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                               sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)))
                r = 0, p->lease_path = mfree(p->lease_path); /* no lock manager: no leases */
        if (r < 0) {
                p->lease_path = mfree(p->lease_path);
                hotplug_unlabel_disk(p, d);
                domain_job_fail(d->jobs, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                                error && error->message ? error->message : strerror(-r));
                hotplug_plug_free(p);
                return;
        }
        hotplug_plug_step(p);
}

bool hotplug_disk_needs_lease(const DomainDiskDef *disk) {
        return !disk->readonly && disk->src && disk->device == DOMAIN_DISK_DEVICE_DISK;
}

/* netdev_add's arguments for slirp: the guest's addresses as -netdev user. */
static void hotplug_user_netdev(const DomainNetDef *net, json_object *args) {
        json_object_object_add(args, "type", json_object_new_string("user"));
        for (size_t k = 0; k < net->n_ips; k++) {
                const DomainNetIp *ip = &net->ips[k];
                bool six = strchr(ip->address, ':');
                char v4[128];

                snprintf(v4, sizeof(v4), ip->prefix ? "%s/%u" : "%s", ip->address, ip->prefix);
                json_object_object_add(args, six ? "ipv6-prefix" : "net", json_object_new_string(six ? ip->address : v4));
                if (six && ip->prefix)
                        json_object_object_add(args, "ipv6-prefixlen", json_object_new_int((int) ip->prefix));
        }
}

/* netdev_add's arguments for QEMU's socket netdev: as -netdev socket. */
static int hotplug_socket_netdev(const DomainNetDef *net, json_object *args) {
        static const char *const keys[_DOMAIN_NET_MAX] = {
                [DOMAIN_NET_SERVER] = "listen",
                [DOMAIN_NET_CLIENT] = "connect",
                [DOMAIN_NET_MCAST] = "mcast",
                [DOMAIN_NET_UDP] = "udp",
        };
        const DomainNetOpts *o = &net->opts;
        char hp[300];

        json_object_object_add(args, "type", json_object_new_string("socket"));
        qemu_net_host_port(o->sock_address, o->sock_port, hp, sizeof(hp));
        json_object_object_add(args, keys[net->type], json_object_new_string(hp));
        if (net->type == DOMAIN_NET_UDP) {
                qemu_net_host_port(o->local_address, o->local_port, hp, sizeof(hp));
                json_object_object_add(args, "localaddr", json_object_new_string(hp));
        }
        return 0;
}

/* The host side of a device that is not data yet: a chardev, a netdev. */
static int host_side(Plug *p, json_object *cmds, sd_bus_error *error) {
        const DomainDef *def = p->live;
        json_object *args;
        char id[256], msg[300];
        int r;

        if (p->ref.family == QEMU_DEVICE_CHR) {
                const DomainChrDef *chr = &def->chrs[p->ref.index];

                if (hotplug_chr_is_guestfwd(def, p->ref.family, p->ref.index))
                        return hotplug_chr_guestfwd_plug(p->handle->owner, def, chr, cmds, p->undo, error);
                if (chr->type == DOMAIN_CHR_PTY)
                        p->pty_chr = p->ref.index;
                return hotplug_chr_plug(p->handle->owner, def, chr, chr->alias, cmds, p->undo, error);
        }
        if (p->ref.family == QEMU_DEVICE_MEMORY && def->mems[p->ref.index].model == DOMAIN_MEMORY_SGX_EPC)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: hotplug is "
                                     "not supported for the sgx-epc device");
        if (hotplug_is_fs_or_shmem(&p->ref))
                return hotplug_fs_host_side(p, p->handle->owner, cmds, error);
        if (p->ref.family == QEMU_DEVICE_DISK && def->disks[p->ref.index].vhostuser)
                return hotplug_disk_vhostuser_chardev(&def->disks[p->ref.index], cmds, p->undo);
        /* an egd backend's chardev before the rng-egd object that reads it */
        if (p->ref.family == QEMU_DEVICE_RNG && def->rngs[p->ref.index].backend_chr)
                return hotplug_chr_plug(p->handle->owner, def, def->rngs[p->ref.index].backend_chr,
                                        def->rngs[p->ref.index].alias, cmds, p->undo, error);
        if (p->ref.family == QEMU_DEVICE_NET) {
                const DomainNetDef *net = &def->nets[p->ref.index];

                snprintf(id, sizeof(id), "host%s", net->alias);
                args = json_object_new_object();
                if (!args)
                        return -ENOMEM;
                json_object_object_add(args, "id", json_object_new_string(id));
                if (domain_net_is_passt(net)) {
                        r = hotplug_passt_netdev(p->handle->owner, net, args);
                        if (r < 0) {
                                json_object_put(args);
                                return r;
                        }
                } else if (net->type == DOMAIN_NET_USER)
                        hotplug_user_netdev(net, args);
                else if (domain_net_is_socket(net)) {
                        r = hotplug_socket_netdev(net, args);
                        if (r < 0) {
                                json_object_put(args);
                                return r;
                        }
                } else if (!hotplug_net_takes_fds(net)) {
                        json_object_put(args);
                        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "unsupported configuration: an interface "
                                             "of type '%s' cannot be hot-plugged by qemud",
                                             domain_net_type_to_string(net->type));
                } else if (qemu_net_vhost_check(def, net, p->ref.index, msg, sizeof(msg)) < 0) {
                        json_object_put(args);
                        return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: %s", msg);
                } else {
                        /* networkd's tap (or the macvtap) reaches QEMU by getfd
                         * under a name of its own, which netdev_add then takes */
                        r = hotplug_tap_getfds(net, cmds, args);
                        if (r < 0) {
                                json_object_put(args);
                                return r;
                        }
                        json_object_object_add(args, "type", json_object_new_string("tap"));
                        if (streq_ptr(net->driver_name, "vhost") && domain_net_is_virtio(net) && qemu_net_host_has_vhost())
                                json_object_object_add(args, "vhost", json_object_new_boolean(true));
                }
                r = hotplug_push_cmd(cmds, "netdev_add", args);
                if (r < 0)
                        return r;
                args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(id));
                r = hotplug_push_cmd(p->undo, "netdev_del", args);
                if (r < 0 || !hotplug_net_takes_fds(net))
                        return r;
                /* netdev_add failed: the named fds are still QEMU's */
                return hotplug_tap_closefds(net, p->undo);
        }
        return 0;
}

/* The interface's qdev id and netdev are named after its alias (net2,
 * hostnet2), which stays what it was given however the list of interfaces
 * changes; the props name them by index. */
static void name_net_device(json_object *devices, const char *alias) {
        char netdev[256];

        snprintf(netdev, sizeof(netdev), "host%s", alias);
        for (size_t i = 0; i < json_object_array_length(devices); i++) {
                json_object *dev = json_object_array_get_idx(devices, i);

                json_object_object_add(dev, "id", json_object_new_string(alias));
                json_object_object_add(dev, "netdev", json_object_new_string(netdev));
        }
}

static bool rng_alias_used(const DomainDef *def, size_t except, const char *alias) {
        for (size_t i = 0; i < def->n_rngs; i++)
                if (i != except && streq_ptr(def->rngs[i].alias, alias))
                        return true;
        return false;
}

/* As interfaces (qemu_interface_keep_aliases): the rngs QEMU has keep the
 * aliases they were plugged with, a new one takes the first free rngN
 * (the start names them by position, which collides once one went). */
static int keep_rng_aliases(const DomainDef *old, DomainDef *def) {
        for (size_t i = 0; i < old->n_rngs && i < def->n_rngs; i++) {
                char *a = old->rngs[i].alias ? strdup(old->rngs[i].alias) : NULL;

                if (old->rngs[i].alias && !a)
                        return -ENOMEM;
                free_and_replace_str(&def->rngs[i].alias, a);
        }
        for (size_t i = old->n_rngs; i < def->n_rngs; i++) {
                char alias[256];

                if (domain_alias_is_user(def->rngs[i].alias))
                        continue;       /* a user's alias names it */
                for (unsigned k = 0;; k++) {
                        snprintf(alias, sizeof(alias), "rng%u", k);
                        if (!rng_alias_used(def, i, alias))
                                break;
                }
                free_and_replace_str(&def->rngs[i].alias, strdup(alias));
                if (!def->rngs[i].alias)
                        return -ENOMEM;
        }
        return 0;
}

/* The rng's qdev id and backend object are named after its alias (rng1,
 * objrng1); the props name them by index. */
void hotplug_name_rng_device(QemuDeviceProps *props, const char *alias) {
        char obj[256];

        snprintf(obj, sizeof(obj), "obj%s", alias);
        for (size_t i = 0; props->objects && i < json_object_array_length(props->objects); i++) {
                json_object *o = json_object_array_get_idx(props->objects, i);

                json_object_object_add(o, "id", json_object_new_string(obj));
                if (json_object_object_get_ex(o, "chardev", NULL)) /* egd: the chardev plugged for it */
                        prop_strf(&o, "chardev", "char%s", alias);
        }
        for (size_t i = 0; props->devices && i < json_object_array_length(props->devices); i++) {
                json_object *dev = json_object_array_get_idx(props->devices, i);

                json_object_object_add(dev, "id", json_object_new_string(alias));
                json_object_object_add(dev, "rng", json_object_new_string(obj));
        }
}

/* Controllers the allocator added for the device (a SCSI controller for
 * the first SCSI disk, virtio-serial for the first channel) are plugged
 * first; a PCI controller cannot be: there is no free slot. */
static int new_controllers(Plug *p, size_t n_before, const QemuCaps *caps, json_object *cmds, sd_bus_error *error) {
        for (size_t i = n_before; i < p->live->n_controllers; i++) {
                const DomainControllerDef *c = &p->live->controllers[i];
                QemuDeviceProps props = {};
                ConfError e = {};
                int r;

                if (c->type == DOMAIN_CONTROLLER_PCI)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "operation failed: no free PCI slot to hot-plug %s into: define the "
                                             "domain with a spare <controller type='pci' model='pcie-root-port'/>",
                                             p->what);
                r = qemu_device_props(p->live, caps, QEMU_DEVICE_CONTROLLER, i, &props, &e);
                if (r < 0)
                        return hotplug_conf_to_bus(&e, r, "cannot build the controller", error);
                r = hotplug_push_all(cmds, "device_add", props.devices);
                qemu_device_props_done(&props);
                if (r >= 0 && c->alias) {
                        json_object *args;
                        r = hotplug_id_args(c->alias, &args);
                        if (r >= 0)
                                r = hotplug_push_cmd(p->undo, "device_del", args);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* networkd made the interface's tap: its fd goes to QEMU by getfd. */
static void on_port(int r, const sd_bus_error *error, int tapfd, const char *ifname, const char *port_uuid,
                    void *userdata) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;
        DomainNetDef *net = &p->live->nets[p->ref.index];

        if (r >= 0) {
                p->tapfd = tapfd;
                p->port_uuid = strdup(port_uuid);
                free_and_replace_str(&net->ifname, strdup(ifname));
                if (!p->port_uuid || !net->ifname)
                        r = -ENOMEM;
        }
        if (d && r >= 0 && qemu_net_extra_queues(net) > 0 && (r = hotplug_tap_queues_open(p, net)) < 0) {
                (void) networkd_release_port_async(d->manager->bus, p->port_uuid, NULL, NULL, NULL);
                hotplug_fail_job(d, VB_ERROR_OPERATION_FAILED, "cannot attach %s: cannot open queue 2 to %u of "
                                 "tap %s: %s", p->what, net->driver_queues, ifname, strerror(-r));
                hotplug_plug_free(p);
                return;
        }
        if (!d || r < 0) {
                if (p->port_uuid && d)
                        (void) networkd_release_port_async(d->manager->bus, p->port_uuid, NULL, NULL, NULL);
                if (d && error && error->name)
                        domain_job_fail(d->jobs, error->name, error->message);
                else if (d)
                        hotplug_fail_job(d, VB_ERROR_OPERATION_FAILED, "cannot attach %s: no port from networkd: %s",
                                 p->what, strerror(-r));
                hotplug_plug_free(p);
                return;
        }
        log_debug("Domain %s: %s on tap %s (port %s)", d->def->name, p->what, ifname, port_uuid);
        hotplug_plug_step(p);
}

static int ask_port(Plug *p, Domain *d, sd_bus_error *error) {
        const DomainNetDef *net = &p->live->nets[p->ref.index];
        _cleanup_free_ char *bandwidth = NULL, *vlan = NULL;
        NetworkdPortRequest req;
        int r;

        r = qemu_interface_port_request(d, net, &req, &bandwidth, &vlan);
        if (r < 0)
                return r;
        r = networkd_allocate_port_async(d->manager->bus, &req, on_port, p, NULL);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot ask networkd for a port on '%s': %s",
                                     net->source, strerror(-r));
        return 1;
}

/* The commands of p, its lease, then QEMU: once the device's definition is
 * complete (a volume's path known). 1, or -errno with error set. */
static int attach_build(Plug *p, Domain *d, sd_bus_error *error) {
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        _cleanup_(qemu_json_putp) json_object *cmds = json_object_new_array(), *plug = NULL, *undo = NULL;
        QemuDeviceProps props = {};
        ConfError e = {};
        json_object *all;
        int r;

        if (!cmds)
                return -ENOMEM;
        r = new_controllers(p, p->n_ctrl_before, caps, cmds, error);
        if (r < 0)
                return r;
        r = host_side(p, cmds, error);
        if (r < 0)
                return r;
        r = hotplug_device_props(d, p->live, &p->ref, true, &props, &e);
        if (r >= 0 && p->ref.family == QEMU_DEVICE_MEMORY)     /* fd-backed RAM, as at start */
                r = qemu_memory_dir_plug(d, p->live, p->ref.index, props.objects, &e);
        if (r < 0) {
                qemu_device_props_done(&props);
                return hotplug_conf_to_bus(&e, r, "cannot build the device", error);
        }
        if (p->ref.family == QEMU_DEVICE_NET)
                name_net_device(props.devices, p->alias);
        if (p->ref.family == QEMU_DEVICE_RNG)
                hotplug_name_rng_device(&props, p->alias);
        r = hotplug_secrets_fill(p, d, props.objects, cmds, error);
        if (r >= 0)
                r = qemu_hotplug_plug_commands(props.objects, props.blockdevs, props.devices, &plug);
        if (r >= 0)
                r = qemu_hotplug_unplug_backends(props.objects, props.blockdevs, &undo);
        qemu_device_props_done(&props);
        if (r < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(plug); i++)
                json_object_array_add(cmds, json_object_get(json_object_array_get_idx(plug, i)));
        /* undo: the backends (top first), then the host side, then the
         * controllers plugged for it */
        all = json_object_new_array();
        if (!all)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(undo); i++)
                json_object_array_add(all, json_object_get(json_object_array_get_idx(undo, i)));
        for (size_t i = 0; i < json_object_array_length(p->undo); i++)
                json_object_array_add(all, json_object_get(json_object_array_get_idx(p->undo, i)));
        json_object_put(p->undo);
        p->undo = all;
        p->cmds = TAKE_PTR(cmds);
        p->done = attach_done;
        /* in the live state before the first host-side step: a qemud killed
         * from here on takes it back once restarted */
        r = hotplug_plug_record(p, d);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: cannot record the plug of %s: %s",
                                     p->what, strerror(-r));
        /* before the lease: a plug that fails from here gives the disk back */
        r = hotplug_label_disk(p, d, error);
        if (r >= 0)
                r = hotplug_hostdev_give(p, d, error);
        if (r < 0)
                return r;
        if (p->ref.family == QEMU_DEVICE_NET &&
            (r = qemu_confine_net(d, &p->live->nets[p->ref.index], e.message, sizeof(e.message))) < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "%s", e.message);

        if (p->ref.family == QEMU_DEVICE_DISK && hotplug_disk_needs_lease(&p->live->disks[p->ref.index])) {
                const DomainDiskDef *disk = &p->live->disks[p->ref.index];

                p->lease_path = strdup(disk->src);
                if (!p->lease_path)
                        return -ENOMEM;
                r = lockd_acquire_async(domain_lock_bus(d->manager), disk->src, d->uuid_str, d->def->name, d->pid,
                                        disk->shareable ? LOCKD_LEASE_SHARED : 0, on_lease, p, NULL);
                if (r < 0) {
                        p->lease_path = mfree(p->lease_path);
                        hotplug_unlabel_disk(p, d);
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot ask for a lease on %s: %s",
                                             disk->src, strerror(-r));
                }
                return 1;
        }
        if (p->ref.family == QEMU_DEVICE_NET && qemu_interface_uses_port(&p->live->nets[p->ref.index]))
                return ask_port(p, d, error);
        if (p->ref.family == QEMU_DEVICE_NET && (r = hotplug_direct_open(p, d, error)) < 0)
                return r;
        r = hotplug_fs_start(p, d, error);
        if (r >= 0)
                r = hotplug_pr_start(p, d, error);
        if (r >= 0)
                r = hotplug_passt_start(p, d, error);
        if (r < 0) {
                hotplug_fs_undo(p, d);
                hotplug_unlabel_disk(p, d);
                hotplug_hostdev_take_back(p, d);
                return r;
        }
        hotplug_plug_step(p);
        return 1;
}

void hotplug_attach_resume(Plug *p, Domain *d) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = attach_build(p, d, &e);

        if (r < 0) {
                domain_job_fail(d->jobs, e.name ?: VB_ERROR_INTERNAL, e.message ?: strerror(-r));
                hotplug_plug_free(p);
        }
        sd_bus_error_free(&e);
}

/* The device's secrets first, if it has any, then its commands. */
static int secrets_then_build(Plug *p, Domain *d, sd_bus_error *error) {
        int r = hotplug_secrets_fetch(p, d, error);

        return r != 0 ? r : attach_build(p, d, error);
}

/* storaged said where the volume of the disk being attached is. */
static void on_volume(int r, const sd_bus_error *error, const char *path, const char *format, bool block,
                      void *userdata) {
        Plug *p = userdata;
        Domain *d = p->handle->owner;
        DomainDiskDef *disk;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!d) {
                hotplug_plug_free(p);
                return;
        }
        disk = &p->live->disks[p->ref.index];
        if (r < 0) {
                domain_job_fail(d->jobs, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                                error && error->message ? error->message : strerror(-r));
                hotplug_plug_free(p);
                return;
        }
        free_and_replace_str(&disk->src, strdup(path));
        if (disk->format == DOMAIN_DISK_FORMAT_NONE && format && domain_disk_format_from_string(format) >= 0)
                disk->format = domain_disk_format_from_string(format);
        r = disk->src ? secrets_then_build(p, d, &e) : -ENOMEM;
        if (r < 0) {
                domain_job_fail(d->jobs, e.name ?: VB_ERROR_INTERNAL, e.message ?: strerror(-r));
                hotplug_plug_free(p);
        } else {
                /* storaged keeps it from deletion while this guest uses it */
                volume_in_use(d, disk, true);
                p->volume_marked = true;
        }
        sd_bus_error_free(&e);
}

static int attach_live(Domain *d, const char *xml, DomainDef *config, sd_bus_error *error) {
        _cleanup_(hotplug_plug_freep) Plug *p = NULL;
        char what[128];
        int r;

        if (!qemu_domain(d)->mon || !qemu_driver_data(d->manager)->caps)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->pty_chr = SIZE_MAX;
        p->tapfd = -1;
        p->n_ctrl_before = d->live->n_controllers;
        p->undo = json_object_new_array();
        if (!p->undo)
                return -ENOMEM;
        r = def_with_device(d, d->live, xml, "live", true, &p->live, &p->ref, error);
        if (r < 0)
                return r;
        /* LIVE and CONFIG: the interface gets the same generated MAC in both */
        if (config && p->ref.family == QEMU_DEVICE_NET && !p->live->nets[p->ref.index].mac_given &&
            config->n_nets > 0) {
                DomainDef holder = { .nets = &p->live->nets[p->ref.index], .n_nets = 1 };

                memcpy(holder.nets[0].mac, config->nets[config->n_nets - 1].mac, 6);
                holder.nets[0].mac_given = true;
                r = check_unique(d->live, &holder, "interface", "live", error);
                holder.nets[0].mac_given = false;
                if (r < 0)
                        return r;
        }
        hotplug_dev_what(p->live, &p->ref, what, sizeof(what));
        p->what = strdup(what);
        if (!p->what)
                return -ENOMEM;
        r = hotplug_hostdev_check(p->live, &p->ref, error);
        if (r >= 0)
                r = hotplug_fs_attach_check(p->live, &p->ref, error);
        if (r < 0)
                return r;
        if (p->ref.family == QEMU_DEVICE_DISK) {
                DomainDiskDef *disk = &p->live->disks[p->ref.index];

                if (disk->bus != DOMAIN_DISK_BUS_VIRTIO && disk->bus != DOMAIN_DISK_BUS_SCSI &&
                    disk->bus != DOMAIN_DISK_BUS_USB)
                        return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                             "unsupported configuration: disk bus '%s' cannot be hot-plugged",
                                             domain_disk_bus_to_string(disk->bus));
        }
        /* named as the start names devices, paths placed the same way */
        r = qemu_command_assign_aliases(p->live);
        if (r >= 0)
                r = qemu_interface_keep_aliases(d->live, p->live);
        if (r >= 0)
                r = keep_rng_aliases(d->live, p->live);
        if (r >= 0)
                r = hotplug_keep_memory_aliases(d->live, p->live);
        if (r >= 0)
                r = hotplug_fs_keep_aliases(d->live, p->live);
        _cleanup_free_ char *dir = NULL;
        if (r >= 0)
                r = qemu_confine_dir(d, &dir);
        if (r >= 0)
                r = qemu_command_assign_paths(p->live, dir);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "internal error: cannot name %s: %s", what, strerror(-r));
        p->alias = strdup(hotplug_dev_alias(p->live, &p->ref) ?: "");
        p->handle = domain_handle_get(&d->handle, d);
        if (!p->alias || !p->handle)
                return -ENOMEM;

        if (p->ref.family == QEMU_DEVICE_DISK && p->live->disks[p->ref.index].type == DOMAIN_DISK_TYPE_VOLUME &&
            p->live->disks[p->ref.index].src_pool) {
                const DomainDiskDef *disk = &p->live->disks[p->ref.index];

                r = storaged_resolve_volume_async(d->manager->bus, disk->src_pool, disk->src_volume, on_volume, p,
                                                  NULL);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                             "cannot ask storaged for volume %s/%s: %s", disk->src_pool,
                                             disk->src_volume, strerror(-r));
                p->config = config;
                TAKE_PTR(p);
                return 1;
        }
        p->config = config;
        r = secrets_then_build(p, d, error);
        if (r < 0) {
                p->config = NULL;
                return r;
        }
        TAKE_PTR(p);
        return 1;
}

static int qemu_attach(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *config = NULL;
        DevRef ref;
        int r = qemu_lease_device_op(d, xml, flags, true, error);

        if (r != -ENOTTY)
                return r;
        if (flags & DOMAIN_AFFECT_CONFIG) {
                r = def_with_device(d, hotplug_config_def(d), xml, "persistent", false, &config, &ref, error);
                if (r < 0)
                        return r;
        }
        if (flags & DOMAIN_AFFECT_LIVE) {
                r = attach_live(d, xml, config, error);
                if (r > 0)
                        TAKE_PTR(config); /* the plug has it */
                return r;
        }
        r = hotplug_save_config(d, config, error);
        if (r >= 0)
                TAKE_PTR(config);
        return r;
}

/* ---- QEMU's device events ---- */

/* "/machine/peripheral/virtio-disk1/virtio-backend" or "sata0-0-0": the
 * alias of a disk of d, NULL when none. */
static const char *disk_alias_of_id(Domain *d, const char *id) {
        const char *peri = "/machine/peripheral/";

        if (!id || !d->live)
                return NULL;
        if (startswith(id, peri))
                id += strlen(peri);
        for (size_t i = 0; i < d->live->n_disks; i++) {
                const char *a = d->live->disks[i].alias;
                size_t n = a ? strlen(a) : 0;
                if (n && strncmp(id, a, n) == 0 && (id[n] == 0 || id[n] == '/'))
                        return a;
        }
        return NULL;
}

void qemu_hotplug_event(Domain *d, const char *event, json_object *data) {
        json_object *v;
        const char *alias = NULL;
        Unplug *u;

        if (json_object_object_get_ex(data, "device", &v))
                alias = json_object_get_string(v);
        if (streq(event, "DEVICE_DELETED")) {
                if (alias && hotplug_plug_record_deleted(d, alias))
                        return;
                if (alias && (u = hotplug_unplug_find(d, alias)))
                        hotplug_unplug_finish(u, d);
        } else if (streq(event, "DEVICE_UNPLUG_GUEST_ERROR")) {
                if (!alias || !*alias) {
                        /* QEMU 7.2 gives the QOM path only */
                        if (json_object_object_get_ex(data, "path", &v))
                                alias = json_object_get_string(v);
                        alias = alias && strrchr(alias, '/') ? strrchr(alias, '/') + 1 : alias;
                }
                if (alias && (u = hotplug_unplug_find(d, alias))) {
                        domain_emit_device_removal_failed(d, u->alias);
                        hotplug_unplug_answer(u, d, VB_ERROR_OPERATION_FAILED, "the guest refused to release the device");
                        hotplug_unplug_remove(u);
                }
        } else if (streq(event, "DEVICE_TRAY_MOVED")) {
                const char *id = json_object_object_get_ex(data, "id", &v) ? json_object_get_string(v) : NULL;
                const char *a = disk_alias_of_id(d, id) ?: disk_alias_of_id(d, alias);
                bool open = json_object_object_get_ex(data, "tray-open", &v) && json_object_get_boolean(v);

                if (a)
                        domain_emit_tray_change(d, a, open ? DOMAIN_TRAY_CHANGE_OPEN : DOMAIN_TRAY_CHANGE_CLOSE);
        }
}

/* ---- after a restart: QEMU's capabilities are probed first ---- */

typedef int (*DeviceOp)(Domain *d, const char *xml, unsigned flags, sd_bus_error *error);

typedef struct CapsWait {
        DomainHandle *handle;
        DeviceOp op;
        char *xml;
        unsigned flags;
} CapsWait;

static void caps_wait_free(CapsWait *w) {
        domain_handle_unref(w->handle);
        free(w->xml);
        free(w);
}

static void caps_ready(Manager *m, int r, void *userdata) {
        CapsWait *w = userdata;
        Domain *d = w->handle->owner;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (d) {
                if (r < 0)
                        (void) vb_error_setf(&e, VB_ERROR_OPERATION_FAILED, "cannot probe QEMU: %s", strerror(-r));
                else
                        r = w->op(d, w->xml, w->flags, &e);
                if (r == 0)
                        domain_job_succeed(d->jobs);
                else if (r < 0)
                        domain_job_fail(d->jobs, e.name ?: VB_ERROR_INTERNAL, e.message ?: strerror(-r));
        }
        sd_bus_error_free(&e);
        caps_wait_free(w);
}

/* Runs op now, or once the capabilities are known (they are probed again
 * after a restart of qemud); LIVE needs them, CONFIG alone does not. */
static int with_caps(DeviceOp op, Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        CapsWait *w;
        int r;

        if (!(flags & DOMAIN_AFFECT_LIVE) || qemu_driver_data(d->manager)->caps)
                return op(d, xml, flags, error);
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (CapsWait) { .handle = domain_handle_get(&d->handle, d), .op = op, .xml = strdup(xml), .flags = flags };
        if (!w->handle || !w->xml) {
                caps_wait_free(w);
                return -ENOMEM;
        }
        r = qemu_driver_with_caps(d->manager, caps_ready, w);
        if (r < 0) {
                caps_wait_free(w);
                return r;
        }
        return 1;
}

static int attach_hook(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        return with_caps(qemu_attach, d, xml, flags, error);
}

static int detach_hook(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        return with_caps(hotplug_detach, d, xml, flags, error);
}

static int update_hook(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        return with_caps(hotplug_update, d, xml, flags, error);
}

const DomainDeviceOps qemu_device_ops = {
        .attach = attach_hook,
        .detach = detach_hook,
        .update = update_hook,
};
