/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of an interface's tap: its fds reach QEMU by getfd, one per
 * queue of a multiqueue tap (qemu-hotplug-internal.h). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "qemu-command.h"
#include "qemu-hotplug-internal.h"
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
