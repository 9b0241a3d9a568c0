/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The virtio transport's options on a device's <driver>: iommu, ats, packed,
 * page_per_vq. Every virtio device has them, so they are read and written
 * here once; each device's <driver> parser lists DOMAIN_VIRTIO_OPTS_ATTRS
 * among its attributes and calls domain_parse_virtio_opts(). */
#include "domain-conf-internal.h"

int domain_parse_virtio_opts(xmlNodePtr n, const char *path, DomainVirtioOpts *v, ConfError *err) {
        int r;

        r = domain_attr_tristate(n, path, "iommu", "on", "off", &v->iommu, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "ats", "on", "off", &v->ats, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "packed", "on", "off", &v->packed, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "page_per_vq", "on", "off", &v->page_per_vq, err);
        return r < 0 ? r : 0;
}

bool domain_virtio_opts_set(const DomainVirtioOpts *v) {
        return v->iommu != TRISTATE_ABSENT || v->ats != TRISTATE_ABSENT || v->packed != TRISTATE_ABSENT ||
               v->page_per_vq != TRISTATE_ABSENT;
}

/* The attributes only: the caller owns the <driver> element. */
void domain_format_virtio_opts(XmlWriter *w, const DomainVirtioOpts *v) {
        xw_attr(w, "iommu", tristate_word(v->iommu, "on", "off"));
        xw_attr(w, "ats", tristate_word(v->ats, "on", "off"));
        xw_attr(w, "packed", tristate_word(v->packed, "on", "off"));
        xw_attr(w, "page_per_vq", tristate_word(v->page_per_vq, "on", "off"));
}
