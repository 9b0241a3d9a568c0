/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <vcpus> for QEMU, with libvirt 9.0's rules and messages
 * (qemuDomainDefVcpusPostParse, qemuProcessValidateHotpluggableVcpus):
 * QEMU boots the first vCPUs and plugs the others as devices, so vCPU 0
 * runs from the start and the fixed vCPUs come before the hot-pluggable
 * ones; orders are all given or all left out, and unique. */
#include <stdlib.h>

#include "qemu-validate.h"
#include "xml-util.h"

static int validate_vcpu0(const DomainVcpuState *s, ConfError *err) {
        if (!s->enabled)
                return xml_err_unsupported(err, "vcpu 0 can't be offline");
        if (s->hotpluggable == TRISTATE_ON)
                return xml_err_unsupported(err, "vcpu0 can't be hotpluggable");
        if (s->order > 1)
                return xml_err_unsupported(err, "vcpu0 must be enabled first");
        return 0;
}

static int validate_orders(const DomainDef *def, ConfError *err) {
        _cleanup_free_ bool *seen = calloc(def->n_vcpu_states + 1, sizeof(bool));

        if (!seen)
                return xml_err_oom(err);
        for (size_t i = 0; i < def->n_vcpu_states; i++) {
                unsigned order = def->vcpu_states[i].order;

                if (!order)
                        continue;
                if (order > def->n_vcpu_states)
                        return xml_err_unsupported(err, "vcpu order '%u' exceeds vcpu count", order);
                if (seen[order])
                        return xml_err_unsupported(err, "duplicate vcpu order '%u'", order);
                seen[order] = true;
        }
        return 0;
}

int qemu_vcpus_validate(const DomainDef *def, ConfError *err) {
        const DomainVcpuState *v = def->vcpu_states, *prev;
        bool has_order;
        int r;

        if (!def->n_vcpu_states)
                return 0;
        r = validate_vcpu0(&v[0], err);
        if (r < 0)
                return r;
        has_order = v[0].order != 0;
        prev = &v[0];
        for (size_t i = 1; i < def->n_vcpu_states; i++) {
                if (v[i].enabled && (v[i].order != 0) != has_order)
                        return xml_err_unsupported(err, "all vcpus must have either set or unset order");
                if (v[i].hotpluggable == TRISTATE_OFF) {
                        if (prev->hotpluggable == TRISTATE_ON)
                                return xml_err_unsupported(err, "online non-hotpluggable vcpus need to be ordered "
                                                           "prior to hotplugable vcpus");
                        if (prev->order > v[i].order)
                                return xml_err_unsupported(err, "online non-hotpluggable vcpus must be ordered in "
                                                           "ascending order");
                }
                prev = &v[i];
        }
        return validate_orders(def, err);
}
