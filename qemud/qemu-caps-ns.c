/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <qemu:capabilities> for one start. libvirt's names are its own QEMU
 * capability flags; qemud's flags are the QEMU device types it probed, so
 * a name that is a device type is honoured: <qemu:add> makes the builder
 * take the device as there, <qemu:del> as missing (a definition using it
 * then fails naming it). Any other name is kept in the definition and
 * changes nothing, as it would be for a flag libvirt ignores. */
#include <stdlib.h>

#include "domain-conf.h"
#include "qemu-caps.h"
#include "util.h"

static int strv_copy(char *const *from, char ***to) {
        for (size_t i = 0; from && from[i]; i++)
                if (strv_extend(to, from[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static bool str_copy(const char *from, char **to) {
        *to = from ? strdup(from) : NULL;
        return !from || *to;
}

/* A deep copy of caps. */
static QemuCaps *caps_copy(const QemuCaps *caps) {
        _cleanup_(qemu_caps_freep) QemuCaps *c = calloc(1, sizeof(*c));
        bool ok;

        if (!c)
                return NULL;
        *c = (QemuCaps) { .binary_size = caps->binary_size, .binary_mtime = caps->binary_mtime,
                          .version = caps->version, .kvm_available = caps->kvm_available,
                          .cpu_usability_known = caps->cpu_usability_known,
                          .blockdev_drivers_known = caps->blockdev_drivers_known };
        ok = str_copy(caps->binary, &c->binary) && str_copy(caps->package, &c->package) &&
             str_copy(caps->arch, &c->arch);
        if (ok && caps->n_machines) {
                c->machines = calloc(caps->n_machines, sizeof(QemuMachine));
                ok = c->machines != NULL;
                for (size_t i = 0; ok && i < caps->n_machines; i++) {
                        c->machines[i] = caps->machines[i];
                        c->machines[i].name = c->machines[i].alias = NULL;
                        c->n_machines = i + 1;
                        ok = str_copy(caps->machines[i].name, &c->machines[i].name) &&
                             str_copy(caps->machines[i].alias, &c->machines[i].alias);
                }
        }
        if (!ok || strv_copy(caps->cpu_models, &c->cpu_models) < 0 ||
            strv_copy(caps->cpu_unusable, &c->cpu_unusable) < 0 || strv_copy(caps->device_types, &c->device_types) < 0 ||
            strv_copy(caps->blockdev_drivers, &c->blockdev_drivers) < 0)
                return NULL;
        return TAKE_PTR(c);
}

static void drop_device(QemuCaps *caps, const char *name) {
        size_t k = 0;

        for (size_t i = 0; caps->device_types && caps->device_types[i]; i++) {
                if (streq(caps->device_types[i], name))
                        free(caps->device_types[i]);
                else
                        caps->device_types[k++] = caps->device_types[i];
        }
        if (caps->device_types)
                caps->device_types[k] = NULL;
}

int qemu_caps_apply_ns(const QemuCaps *caps, const DomainDef *def, QemuCaps **ret) {
        _cleanup_(qemu_caps_freep) QemuCaps *copy = NULL;

        *ret = NULL;
        if (!def->qemu_caps_add && !def->qemu_caps_del)
                return 0;
        copy = caps_copy(caps);
        if (!copy)
                return -ENOMEM;
        for (char **n = def->qemu_caps_add; n && *n; n++)
                if (!qemu_caps_has_device(copy, *n) && strv_extend(&copy->device_types, *n) < 0)
                        return -ENOMEM;
        for (char **n = def->qemu_caps_del; n && *n; n++)
                drop_device(copy, *n);
        *ret = TAKE_PTR(copy);
        return 0;
}
