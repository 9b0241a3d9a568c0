/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <driver name='vhost'/> at start (qemu_net_vhost_check): libvirt's two
 * refusals for a KVM guest (a NIC that is no virtio; a host without
 * /dev/vhost-net), none for a TCG guest, none without the explicit ask. */

#include <unistd.h>

#include "domain-test.h"
#include "qemu-net-host.h"

static int check(DomainVirtType type, const char *model, const char *driver, char *msg, size_t size) {
        DomainNetDef net = { .type = DOMAIN_NET_BRIDGE, .model = (char *) model, .driver_name = (char *) driver };
        DomainDef def = { .virt_type = type, .nets = &net, .n_nets = 1 };

        msg[0] = '\0';
        return qemu_net_vhost_check(&def, &net, 0, msg, size);
}

static void test_vhost_check(void) {
        bool host = access("/dev/vhost-net", F_OK) == 0;
        char msg[300];

        CHECK(check(DOMAIN_VIRT_KVM, "e1000", "vhost", msg, sizeof(msg)) == -EOPNOTSUPP);
        CHECK(strstr(msg, "only supported for virtio"));
        CHECK(check(DOMAIN_VIRT_KVM, "virtio", "vhost", msg, sizeof(msg)) == (host ? 0 : -EOPNOTSUPP));
        if (!host)
                CHECK(strstr(msg, "/dev/vhost-net"));
        CHECK(host == qemu_net_host_has_vhost());
        /* a TCG guest, or no explicit ask: nothing to refuse */
        CHECK(check(DOMAIN_VIRT_QEMU, "e1000", "vhost", msg, sizeof(msg)) == 0);
        CHECK(check(DOMAIN_VIRT_QEMU, "virtio", "vhost", msg, sizeof(msg)) == 0);
        CHECK(check(DOMAIN_VIRT_KVM, "e1000", NULL, msg, sizeof(msg)) == 0);
        CHECK(check(DOMAIN_VIRT_KVM, "virtio", "qemu", msg, sizeof(msg)) == 0);
}

UNIT_TESTS(test_vhost_check)
