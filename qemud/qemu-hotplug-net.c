/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of an interface's tap: its fds reach QEMU by getfd, one per
 * queue of a multiqueue tap; a macvtap (type='direct') is made here
 * (qemu-hotplug-internal.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain-manager.h"
#include "error.h"
#include "qemu-command.h"
#include "qemu-hotplug-internal.h"
#include "qemu-interface.h"
#include "qemu-net-direct.h"
#include "qemu-net-queues.h"
#include "util.h"

/* fd-ALIAS for the tap's first fd, fd-ALIAS-qK for its queue K. */
static void fd_name(const DomainNetDef *net, unsigned k, char *buf, size_t size) {
        if (k == 0)
                snprintf(buf, size, "fd-%s", net->alias);
        else
                snprintf(buf, size, "fd-%s-q%u", net->alias, k);
}

static int push_fd_cmd(json_object *list, const char *execute, const char *name) {
        json_object *args = json_object_new_object();

        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "fdname", json_object_new_string(name));
        return hotplug_push_cmd(list, execute, args);
}

int hotplug_tap_getfds(const DomainNetDef *net, json_object *cmds, json_object *args) {
        unsigned n = 1 + qemu_net_extra_queues(net);
        char list[1024] = "", name[64];
        size_t len = 0;

        for (unsigned k = 0; k < n; k++) {
                int r;

                fd_name(net, k, name, sizeof(name));
                r = push_fd_cmd(cmds, "getfd", name);
                if (r < 0)
                        return r;
                len += (size_t) snprintf(list + len, sizeof(list) - MIN(len, sizeof(list)), "%s%s",
                                         k ? ":" : "", name);
        }
        if (len >= sizeof(list))
                return -E2BIG;
        json_object_object_add(args, n > 1 ? "fds" : "fd", json_object_new_string(list));
        return 0;
}

int hotplug_tap_closefds(const DomainNetDef *net, json_object *undo) {
        unsigned n = 1 + qemu_net_extra_queues(net);
        char name[256];

        for (unsigned k = 0; k < n; k++) {
                int r;

                fd_name(net, k, name, sizeof(name));
                r = push_fd_cmd(undo, "closefd", name);
                if (r < 0)
                        return r;
        }
        return 0;
}

int hotplug_tap_queues_open(Plug *p, const DomainNetDef *net) {
        unsigned n = qemu_net_extra_queues(net);
        int *fds = calloc(n, sizeof(int));
        int r;

        if (!fds)
                return -ENOMEM;
        r = qemu_net_queues_open(p->tapfd, net->ifname, true, n, fds);
        if (r < 0) {
                free(fds);
                return r;
        }
        p->queue_fds = fds;
        p->n_queue_fds = n;
        return 0;
}

bool hotplug_net_takes_fds(const DomainNetDef *net) {
        return qemu_interface_uses_port(net) || net->type == DOMAIN_NET_DIRECT;
}

int hotplug_direct_open(Plug *p, Domain *d, sd_bus_error *error) {
        DomainNetDef *net = &p->live->nets[p->ref.index];
        unsigned n = qemu_net_extra_queues(net);
        char msg[512];
        int *fds, r;

        if (net->type != DOMAIN_NET_DIRECT)
                return 0;
        r = qemu_net_direct_create(d->manager->rundir, d->def->name, net, p->ref.index, &p->tapfd, msg,
                                   sizeof(msg));
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot attach %s: %s", p->what, msg);
        p->direct_made = true;
        if (n == 0)
                return 0;
        fds = calloc(n, sizeof(int));
        r = fds ? qemu_net_direct_open_queues(net, n, fds) : -ENOMEM;
        if (r < 0) {
                free(fds);
                hotplug_direct_undo(p, d);
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot attach %s: cannot open queue 2 to "
                                     "%u of macvtap %s: %s", p->what, net->driver_queues, net->ifname, strerror(-r));
        }
        p->queue_fds = fds;
        p->n_queue_fds = n;
        return 0;
}

void hotplug_direct_undo(Plug *p, Domain *d) {
        if (!p->direct_made)
                return;
        qemu_net_direct_delete(d->manager->rundir, d->def->name, &p->live->nets[p->ref.index]);
        p->direct_made = false;
}
