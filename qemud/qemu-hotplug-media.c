/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UpdateDevice: a cdrom's or floppy's medium changed, ejected or inserted. */
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
#include "qemu-address.h"
#include "qemu-command-internal.h"
#include "qemu-command.h"
#include "qemu-device.h"
#include "qemu-domain.h"
#include "qemu-driver.h"
#include "qemu-hotplug-internal.h"
#include "qemu-confine.h"
#include "qemu-security.h"
#include "qemu-tune.h"
#include "qemu-interface.h"
#include "qemu-monitor.h"
#include "qemu-validate.h"
#include "util.h"

/* ---- update: a cdrom's medium ---- */

static void update_done(Plug *p, Domain *d, const char *error_class, const char *error_desc) {
        if (error_class) {
                hotplug_unlabel_disk(p, d);
                hotplug_fail_job(d, VB_ERROR_OPERATION_FAILED, "cannot change the medium of %s: QEMU said: %s", p->what,
                         error_desc ?: error_class);
                hotplug_plug_free(p);
                return;
        }
        /* the old medium (still in d->live) goes back to its owner */
        if (p->ref.index < d->live->n_disks && d->live->disks[p->ref.index].src) {
                char msg[256];

                qemu_security_restore_disk(d, &d->live->disks[p->ref.index]);
                (void) qemu_confine_disk(d, &d->live->disks[p->ref.index], false, msg, sizeof(msg));
        }
        domain_emit_disk_change(d, p->old_src, p->new_src, p->alias, DOMAIN_DISK_CHANGE_MISSING_ON_START);
        hotplug_finish_job(p, d);
        hotplug_plug_free(p);
}

int hotplug_id_args(const char *alias, json_object **ret) {
        json_object *a = json_object_new_object();

        if (!a)
                return -ENOMEM;
        json_object_object_add(a, "id", json_object_new_string(alias));
        *ret = a;
        return 0;
}

/* The new medium of the disk at index of live (already updated in p->live). */
static int medium_commands(Plug *p, const DomainDef *old, const QemuCaps *caps, json_object *cmds,
                           sd_bus_error *error) {
        QemuDeviceProps oldp = {}, newp = {};
        _cleanup_(qemu_json_putp) json_object *dels = NULL;
        ConfError e = {};
        json_object *args;
        int r;

        r = qemu_device_props(old, caps, QEMU_DEVICE_DISK, p->ref.index, &oldp, &e);
        if (r >= 0)
                r = qemu_device_props(p->live, caps, QEMU_DEVICE_DISK, p->ref.index, &newp, &e);
        if (r < 0) {
                qemu_device_props_done(&oldp);
                return hotplug_conf_to_bus(&e, r, "cannot build the disk", error);
        }
        r = hotplug_id_args(p->alias, &args);
        if (r >= 0) {
                json_object_object_add(args, "force", json_object_new_boolean(true));
                r = hotplug_push_cmd(cmds, "blockdev-open-tray", args);
        }
        if (r >= 0 && p->old_src && hotplug_id_args(p->alias, &args) >= 0)
                r = hotplug_push_cmd(cmds, "blockdev-remove-medium", args);
        if (r >= 0)
                r = qemu_hotplug_unplug_backends(oldp.objects, oldp.blockdevs, &dels);
        for (size_t i = 0; r >= 0 && i < json_object_array_length(dels); i++)
                r = json_object_array_add(cmds, json_object_get(json_object_array_get_idx(dels, i)));
        if (r >= 0 && p->new_src) {
                size_t n = json_object_array_length(newp.blockdevs);
                json_object *top = n ? json_object_array_get_idx(newp.blockdevs, n - 1) : NULL, *node;

                r = hotplug_push_all(cmds, "blockdev-add", newp.blockdevs);
                if (r >= 0 && top && json_object_object_get_ex(top, "node-name", &node) && hotplug_id_args(p->alias, &args) >= 0) {
                        json_object_object_add(args, "node-name", json_object_new_string(json_object_get_string(node)));
                        r = hotplug_push_cmd(cmds, "blockdev-insert-medium", args);
                }
                if (r >= 0 && hotplug_id_args(p->alias, &args) >= 0)
                        r = hotplug_push_cmd(cmds, "blockdev-close-tray", args);
        }
        qemu_device_props_done(&oldp);
        qemu_device_props_done(&newp);
        return r;
}

/* What the update may change of a disk: its source (a cdrom's or a
 * floppy's medium); anything else is refused, naming it, as libvirt does. */
static int update_disk_def(DomainDef *def, const DomainDiskDef *want, size_t *index, const char *where,
                           char **old_src, sd_bus_error *error) {
        size_t i;

        for (i = 0; i < def->n_disks; i++)
                if (streq_ptr(def->disks[i].dst, want->dst))
                        break;
        if (i == def->n_disks)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED,
                                     "operation failed: no disk '%s' found in the %s definition", want->dst ?: "?",
                                     where);
        if (def->disks[i].device != DOMAIN_DISK_DEVICE_CDROM && def->disks[i].device != DOMAIN_DISK_DEVICE_FLOPPY)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: disk '%s': only the medium of a cdrom or a "
                                     "floppy can be changed", want->dst);
        if (def->disks[i].bus != want->bus)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED,
                                     "unsupported configuration: disk '%s': its bus cannot be changed", want->dst);
        if (old_src) {
                *old_src = def->disks[i].src ? strdup(def->disks[i].src) : NULL;
                if (def->disks[i].src && !*old_src)
                        return -ENOMEM;
        }
        free_and_replace_str(&def->disks[i].src, want->src ? strdup(want->src) : NULL);
        if (want->src && !def->disks[i].src)
                return -ENOMEM;
        def->disks[i].type = want->type;
        def->disks[i].format = want->format;
        *index = i;
        return 0;
}

int hotplug_update(Domain *d, const char *xml, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *holder = NULL, *config = NULL;
        _cleanup_(hotplug_plug_freep) Plug *p = NULL;
        _cleanup_(qemu_json_putp) json_object *cmds = NULL;
        const QemuCaps *caps = qemu_driver_data(d->manager)->caps;
        ConfError e = {};
        const char *kind;
        size_t index;
        int r;

        r = domain_def_parse_device(xml, 0, &holder, &kind, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot parse the device", error);
        if (streq(kind, "memory"))
                return hotplug_update_memory(d, holder, flags, error);
        if (!streq(kind, "disk"))
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "unsupported configuration: device type '%s' cannot be updated", kind);
        if (holder->disks[0].type == DOMAIN_DISK_TYPE_VOLUME)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "unsupported configuration: a medium of <disk type='volume'> is not supported "
                                     "yet: give its path");
        if (flags & DOMAIN_AFFECT_CONFIG) {
                r = domain_def_copy(hotplug_config_def(d), &config);
                if (r >= 0)
                        r = update_disk_def(config, &holder->disks[0], &index, "persistent", NULL, error);
                if (r < 0)
                        return r;
        }
        if (!(flags & DOMAIN_AFFECT_LIVE)) {
                r = hotplug_save_config(d, config, error);
                if (r >= 0)
                        TAKE_PTR(config);
                return r;
        }
        if (!qemu_domain(d)->mon || !caps)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        p = calloc(1, sizeof(*p));
        cmds = json_object_new_array();
        if (!p || !cmds)
                return -ENOMEM;
        p->pty_chr = SIZE_MAX;
        r = domain_def_copy(d->live, &p->live);
        if (r < 0)
                return r;
        r = update_disk_def(p->live, &holder->disks[0], &index, "live", &p->old_src, error);
        if (r < 0)
                return r;
        p->ref = (DevRef) { .kind = "disk", .family = QEMU_DEVICE_DISK, .index = index };
        p->alias = strdup(p->live->disks[index].alias ?: "");
        p->new_src = holder->disks[0].src ? strdup(holder->disks[0].src) : NULL;
        if (asprintf(&p->what, "disk '%s'", p->live->disks[index].dst) < 0)
                p->what = NULL;
        if (!p->alias || !p->what || (holder->disks[0].src && !p->new_src))
                return -ENOMEM;
        r = medium_commands(p, d->live, caps, cmds, error);
        if (r < 0)
                return r;
        p->cmds = TAKE_PTR(cmds);
        p->config = TAKE_PTR(config);
        p->done = update_done;
        p->handle = domain_handle_get(&d->handle, d);
        if (!p->handle)
                return -ENOMEM;
        r = hotplug_label_disk(p, d, error);
        if (r < 0)
                return r;
        hotplug_plug_step(TAKE_PTR(p));
        return 1;
}

