/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The accelerator's <features> on QEMU's command line: <kvm>'s children as
 * -cpu properties, <dirty-ring> and <tcg><tb-cache> as -accel properties,
 * <smm><tseg> as q35's mch.extended-tseg-mbytes, <vmcoreinfo/> as its
 * device. libvirt's spelling: only what differs from QEMU's default. */
#include <errno.h>
#include <inttypes.h>

#include "qemu-command-internal.h"

bool qemu_features_cpu_extra(const DomainDef *def) {
        const Tristate *k = def->features.kvm;

        return k[DOMAIN_KVM_HINT_DEDICATED] == TRISTATE_ON || k[DOMAIN_KVM_POLL_CONTROL] == TRISTATE_ON ||
               k[DOMAIN_KVM_PV_IPI] == TRISTATE_OFF;
}

void qemu_features_cpu_opts(const DomainDef *def, OptBuf *b) {
        const Tristate *k = def->features.kvm;

        if (k[DOMAIN_KVM_HINT_DEDICATED] == TRISTATE_ON)
                opt_add(b, "kvm-hint-dedicated=on");
        if (k[DOMAIN_KVM_POLL_CONTROL] == TRISTATE_ON)
                opt_add(b, "kvm-poll-control=on");
        if (k[DOMAIN_KVM_PV_IPI] == TRISTATE_OFF)
                opt_add(b, "kvm-pv-ipi=off");
}

void qemu_features_accel_opts(const DomainDef *def, bool kvm, OptBuf *b) {
        const DomainFeaturesDef *f = &def->features;

        if (kvm && f->kvm[DOMAIN_KVM_DIRTY_RING] == TRISTATE_ON)
                opt_add(b, "dirty-ring-size=%u", f->kvm_dirty_ring_size);
        if (!kvm && f->tcg_tb_cache_kib)
                opt_add(b, "tb-size=%" PRIu64, f->tcg_tb_cache_kib / 1024);
}

int qemu_build_tseg(QemuCmd *c) {
        const DomainFeaturesDef *f = &c->def->features;

        if (f->smm != TRISTATE_ON || !f->has_smm_tseg)
                return 0;
        return cmd_arg(c, "-global") ?: cmd_argf(c, "mch.extended-tseg-mbytes=%" PRIu64, f->smm_tseg_bytes >> 20);
}

int qemu_build_vmcoreinfo(QemuCmd *c) {
        if (c->def->features.vmcoreinfo != TRISTATE_ON)
                return 0;
        return cmd_device(c, props_new("driver", "vmcoreinfo"));
}
