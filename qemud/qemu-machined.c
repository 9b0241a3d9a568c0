/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemud's guests in systemd-machined (common/machined.h). */
#include <net/if.h>

#include "cgroup.h"
#include "log.h"
#include "machined.h"
#include "manager.h"
#include "qemu-machined.h"
#include "util.h"

void qemu_machined_register(Domain *d) {
        MachineReg r;
        int k;

        if (!d->live || d->pid <= 0)
                return;
        k = machined_reg_init(&r, "qemu", d->id, d->def->name, d->live->uuid, d->pid, d->manager->paths.root);
        for (size_t i = 0; k >= 0 && i < d->live->n_nets; i++)
                if (d->live->nets[i].ifname)
                        machined_reg_add_if(&r, (int) if_nametoindex(d->live->nets[i].ifname));
        if (k >= 0)
                k = machined_register(d->manager->bus, &r);
        if (k < 0)
                log_debug("Domain %s: not registered with systemd-machined: %s", d->def->name, strerror(-k));
}

void qemu_machined_unregister(Domain *d) {
        _cleanup_free_ char *name = NULL;

        if (d->id < 0)
                return;
        name = cgroup_machine_name("qemu", d->id, d->def->name);
        if (name)
                (void) machined_terminate(d->manager->bus, name);
}
