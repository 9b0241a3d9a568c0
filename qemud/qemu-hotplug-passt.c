/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot-plug of <interface type='user'><backend type='passt'/>, as libvirt
 * 9.0's qemuDomainAttachNetDevice does it: qemud starts the interface's
 * passt (qemu-passt.h) right before QEMU gets the commands, netdev_add of
 * type stream connects QEMU to passt's socket, device_add follows; a plug
 * that fails ends that passt again. DetachDevice ends it once netdev_del
 * took the netdev away. */
#include <errno.h>

#include "error.h"
#include "qemu-confine.h"
#include "qemu-hotplug-internal.h"
#include "qemu-passt.h"
#include "qemu-validate.h"
#include "util.h"

static const DomainNetDef *plugged_passt(const Plug *p) {
        const DomainNetDef *net;

        if (p->ref.family != QEMU_DEVICE_NET || !p->live)
                return NULL;
        net = &p->live->nets[p->ref.index];
        return domain_net_is_passt(net) ? net : NULL;
}

int hotplug_passt_netdev(Domain *d, const DomainNetDef *net, json_object *args) {
        _cleanup_free_ char *dir = NULL;
        int r = qemu_confine_dir(d, &dir);

        return r < 0 ? r : qemu_passt_netdev_props(dir, net->alias, args);
}

int hotplug_passt_start(Plug *p, Domain *d, sd_bus_error *error) {
        const DomainNetDef *net = plugged_passt(p);
        ConfError e = {};
        int r;

        if (!net)
                return 0;
        /* the guest's addresses passt hands out: the define's rule, which
         * a live plug does not run otherwise */
        r = qemu_validate_net_guest_ips(net, p->ref.index, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "invalid interface", error);
        /* passt listens before QEMU connects; the last step before QEMU,
         * so that whatever fails later undoes it (attach_failed) */
        r = qemu_passt_start_plugged(d, net, p->ref.index, &e);
        if (r < 0)
                return hotplug_conf_to_bus(&e, r, "cannot start passt", error);
        p->passt_started = true;
        return 0;
}

void hotplug_passt_undo(Plug *p, Domain *d) {
        if (p->passt_started && plugged_passt(p))
                qemu_passt_stop_alias(d, p->live->nets[p->ref.index].alias);
        p->passt_started = false;
}
