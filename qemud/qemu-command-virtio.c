/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The virtio transport's options (<driver iommu ats packed page_per_vq>) as
 * the properties every virtio-*-pci device of QEMU has. */
#include "qemu-command-internal.h"

static void prop_tristate(json_object **o, const char *key, Tristate t) {
        if (t != TRISTATE_ABSENT)
                prop_bool(o, key, t == TRISTATE_ON);
}

void qemu_virtio_opts_props(json_object **o, const DomainVirtioOpts *v) {
        prop_tristate(o, "iommu_platform", v->iommu);
        prop_tristate(o, "ats", v->ats);
        prop_tristate(o, "packed", v->packed);
        prop_tristate(o, "page-per-vq", v->page_per_vq);
}
