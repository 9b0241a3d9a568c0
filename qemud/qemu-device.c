/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices as data: the one walk over a definition's devices that both the
 * command line and hot-plug take, and the properties of one device for
 * QMP (see qemu-device.h). The builders of the families are in
 * qemu-command-devices.c (controllers, interfaces, video, input,
 * memballoon, rng), qemu-command-disks.c, qemu-command-chr.c (serials,
 * consoles, channels, redirdevs) and qemu-command-sound.c. */

#include <stdarg.h>

#include "error.h"
#include "qemu-command-internal.h"
#include "qemu-device.h"
#include "util.h"

static const char *const family_names[_QEMU_DEVICE_FAMILY_MAX] = {
        [QEMU_DEVICE_CONTROLLER] = "controller",
        [QEMU_DEVICE_DISK] = "disk",
        [QEMU_DEVICE_NET] = "interface",
        [QEMU_DEVICE_CHR] = "chr",
        [QEMU_DEVICE_VIDEO] = "video",
        [QEMU_DEVICE_SOUND] = "sound",
        [QEMU_DEVICE_INPUT] = "input",
        [QEMU_DEVICE_REDIRDEV] = "redirdev",
        [QEMU_DEVICE_MEMBALLOON] = "memballoon",
        [QEMU_DEVICE_RNG] = "rng",
        [QEMU_DEVICE_WATCHDOG] = "watchdog",
        [QEMU_DEVICE_PANIC] = "panic",
        [QEMU_DEVICE_VSOCK] = "vsock",
        [QEMU_DEVICE_IOMMU] = "iommu",
        [QEMU_DEVICE_HOSTDEV] = "hostdev",
        [QEMU_DEVICE_MEMORY] = "memory",
        [QEMU_DEVICE_TPM] = "tpm",
        [QEMU_DEVICE_HUB] = "hub",
        [QEMU_DEVICE_FS] = "filesystem",
        [QEMU_DEVICE_SMARTCARD] = "smartcard",
        [QEMU_DEVICE_SHMEM] = "shmem",
};

const char *qemu_device_family_to_string(QemuDeviceFamily f) {
        return (unsigned) f < _QEMU_DEVICE_FAMILY_MAX ? family_names[f] : NULL;
}

size_t qemu_device_family_count(const DomainDef *def, QemuDeviceFamily f) {
        switch (f) {
        case QEMU_DEVICE_CONTROLLER:
                return def->n_controllers;
        case QEMU_DEVICE_DISK:
                return def->n_disks;
        case QEMU_DEVICE_NET:
                return def->n_nets;
        case QEMU_DEVICE_CHR:
                return def->n_chrs;
        case QEMU_DEVICE_VIDEO:
                return def->n_videos;
        case QEMU_DEVICE_SOUND:
                return def->n_sounds;
        case QEMU_DEVICE_INPUT:
                return def->n_inputs;
        case QEMU_DEVICE_REDIRDEV:
                return def->n_redirdevs;
        case QEMU_DEVICE_MEMBALLOON:
                return def->memballoon.present ? 1 : 0;
        case QEMU_DEVICE_RNG:
                return def->n_rngs;
        case QEMU_DEVICE_WATCHDOG:
                return def->watchdog.present ? 1 : 0;
        case QEMU_DEVICE_PANIC:
                return def->n_panics;
        case QEMU_DEVICE_VSOCK:
                return def->vsock.present ? 1 : 0;
        case QEMU_DEVICE_IOMMU:
                return def->iommu.present ? 1 : 0;
        case QEMU_DEVICE_HOSTDEV:
                return def->n_hostdevs;
        case QEMU_DEVICE_MEMORY:
                return def->n_mems;
        case QEMU_DEVICE_TPM:
                return def->n_tpms;
        case QEMU_DEVICE_HUB:
                return def->n_hubs;
        case QEMU_DEVICE_FS:
                return def->n_filesystems;
        case QEMU_DEVICE_SMARTCARD:
                return def->n_smartcards;
        case QEMU_DEVICE_SHMEM:
                return def->n_shmems;
        default:
                return 0;
        }
}

/* Displays and audio backends sit between the devices on the command line
 * (where they always were); they are no devices to plug. */
int qemu_build_devices(QemuCmd *c) {
        int r;

        qemu_pci_plan(c);
        r = qemu_build_iommu(c) ?:
            qemu_build_controllers(c) ?:
            qemu_build_hubs(c) ?:
            qemu_build_smartcards(c) ?:
            qemu_build_disks(c) ?:
            qemu_build_filesystems(c) ?:
            qemu_build_nets(c) ?:
            qemu_build_chrs(c);
        if (r >= 0 && cmd_renders(c))
                r = qemu_build_graphics(c) ?:
                    qemu_build_audios(c);
        if (r < 0)
                return r;
        return qemu_build_videos(c) ?:
               qemu_build_sounds(c) ?:
               qemu_build_inputs(c) ?:
               qemu_build_redirdevs(c) ?:
               qemu_build_hostdevs(c) ?:
               qemu_build_memdevs(c) ?:
               qemu_build_tpms(c) ?:
               qemu_build_watchdog(c) ?:
               qemu_build_memballoon(c) ?:
               qemu_build_rngs(c) ?:
               qemu_build_panics(c) ?:
               qemu_build_shmems(c) ?:
               qemu_build_vsock(c);
}

void qemu_device_props_done(QemuDeviceProps *p) {
        if (!p)
                return;
        qemu_json_putp(&p->objects);
        qemu_json_putp(&p->blockdevs);
        qemu_json_putp(&p->devices);
        *p = (QemuDeviceProps) {};
}

static void device_list_done(QemuDeviceList *l) {
        for (size_t i = 0; i < l->n; i++)
                json_object_put(l->entries[i].args);
        free(l->entries);
        *l = (QemuDeviceList) {};
}

/* Every device of def, as data; params: what the driver decided (NULL:
 * nothing, which most devices need). */
static int collect_all_params(const DomainDef *def, const QemuCaps *caps, const QemuCommandParams *params,
                              QemuDeviceList *ret, ConfError *err) {
        static const QemuCommandParams no_params = { .monitor_fd = -1 };
        QemuDeviceList l = {};
        QemuCmd c = {
                .def = def,
                .caps = caps,
                .params = params ?: &no_params,
                .err = err,
                .collect = &l,
        };
        const char *machine;
        int r;

        r = qemu_resolve_machine(&c, &machine);
        if (r >= 0)
                r = qemu_build_devices(&c);
        if (r < 0) {
                if (r == -ENOMEM)
                        cmd_fail(&c, r, "out of memory");
                device_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

static int collect_all(const DomainDef *def, const QemuCaps *caps, QemuDeviceList *ret, ConfError *err) {
        return collect_all_params(def, caps, NULL, ret, err);
}

static json_object **props_array(QemuDeviceProps *p, QemuDeviceArg kind) {
        switch (kind) {
        case QEMU_DEVICE_ARG_OBJECT:
                return &p->objects;
        case QEMU_DEVICE_ARG_BLOCKDEV:
                return &p->blockdevs;
        default:
                return &p->devices;
        }
}

/* Moves the entries of (family, index) into *ret. For an implicit
 * controller, only the entry whose "id" is alias: they share the index. */
static int take_entries(QemuDeviceList *l, QemuDeviceFamily family, size_t index, const char *alias,
                        QemuDeviceProps *ret) {
        QemuDeviceProps p = {
                .objects = json_object_new_array(),
                .blockdevs = json_object_new_array(),
                .devices = json_object_new_array(),
        };

        if (!p.objects || !p.blockdevs || !p.devices) {
                qemu_device_props_done(&p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < l->n; i++) {
                QemuDeviceEntry *e = &l->entries[i];
                json_object *id;

                if (e->family != family || e->index != index)
                        continue;
                if (index == QEMU_DEVICE_IMPLICIT &&
                    !(json_object_object_get_ex(e->args, "id", &id) && streq(json_object_get_string(id), alias)))
                        continue;
                if (json_object_array_add(*props_array(&p, e->kind), e->args) < 0) {
                        qemu_device_props_done(&p);
                        return -ENOMEM;
                }
                e->args = NULL;
        }
        *ret = p;
        return 0;
}

static int no_device(ConfError *err, const char *fmt, ...) _printf_(2, 3);
static int no_device(ConfError *err, const char *fmt, ...) {
        va_list ap;
        int n;

        if (!err)
                return -ENOENT;
        err->name = VB_ERROR_INVALID_ARG;
        n = snprintf(err->message, sizeof(err->message), "invalid argument: ");
        va_start(ap, fmt);
        vsnprintf(err->message + n, sizeof(err->message) - (size_t) n, fmt, ap);
        va_end(ap);
        return -ENOENT;
}

int qemu_device_props(
                const DomainDef *def,
                const QemuCaps *caps,
                QemuDeviceFamily family,
                size_t index,
                QemuDeviceProps *ret,
                ConfError *err) {

        return qemu_device_props_params(def, caps, NULL, family, index, ret, err);
}

int qemu_device_props_by_alias(
                const DomainDef *def,
                const QemuCaps *caps,
                const char *alias,
                QemuDeviceProps *ret,
                ConfError *err) {

        QemuDeviceList l = {};
        int r = -ENOENT;

        if (!def || !caps || !alias || !ret)
                return -EINVAL;
        r = collect_all(def, caps, &l, err);
        if (r < 0)
                return r;
        r = -ENOENT;
        for (size_t i = 0; i < l.n; i++) {
                QemuDeviceEntry *e = &l.entries[i];
                json_object *id;

                if (e->kind == QEMU_DEVICE_ARG_DEVICE && json_object_object_get_ex(e->args, "id", &id) &&
                    streq(json_object_get_string(id), alias)) {
                        r = take_entries(&l, e->family, e->index, alias, ret);
                        break;
                }
        }
        device_list_done(&l);
        if (r == -ENOENT)
                return no_device(err, "the domain has no device with alias '%s'", alias);
        return r;
}

int qemu_device_props_params(
                const DomainDef *def,
                const QemuCaps *caps,
                const QemuCommandParams *params,
                QemuDeviceFamily family,
                size_t index,
                QemuDeviceProps *ret,
                ConfError *err) {

        QemuDeviceList l = {};
        int r;

        if (!def || !caps || !ret)
                return -EINVAL;
        if ((unsigned) family >= _QEMU_DEVICE_FAMILY_MAX || index >= qemu_device_family_count(def, family))
                return no_device(err, "the domain has no %s %zu", qemu_device_family_to_string(family) ?: "device",
                                 index);
        r = collect_all_params(def, caps, params, &l, err);
        if (r < 0)
                return r;
        r = take_entries(&l, family, index, NULL, ret);
        device_list_done(&l);
        return r;
}
