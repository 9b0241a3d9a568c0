/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a backing layer's <source> holds beyond a path: a network source
 * (<backingStore type='network'><source protocol=''>...) and an
 * <encryption> (a LUKS layer under the image). Each is parsed, formatted,
 * freed and copied by the disk's own code through a DomainDiskDef view of
 * the layer, so a layer's source reads as a disk's. */

#include "domain-conf-internal.h"
#include "domain-disk-secret.h"
#include "util.h"

/* tmp's parts a layer keeps, moved into b; what it cannot keep refused. */
static int take_from_view(DomainDiskBacking *b, DomainDiskDef *tmp, const char *path, int r, ConfError *err) {
        if (r >= 0 && tmp->auth)
                r = xml_err_unsupported(err, "element <%s/auth> is not supported", path);
        b->net = TAKE_PTR(tmp->net);
        b->encryption = TAKE_PTR(tmp->encryption);
        if (tmp->slice.set)
                b->slice = tmp->slice;
        domain_disk_clear(tmp);
        return r;
}

int domain_parse_backing_net_source(DomainDiskBacking *b, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskDef tmp = { .type = DOMAIN_DISK_TYPE_NETWORK };
        int r = domain_parse_disk_net_source(&tmp, n, path, err);

        return take_from_view(b, &tmp, path, r, err);
}

int domain_parse_backing_encryption(DomainDiskBacking *b, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskDef tmp = {};
        int r = domain_parse_disk_encryption(&tmp, n, path, true, err);

        return take_from_view(b, &tmp, path, r, err);
}

void domain_format_backing_encryption(XmlWriter *w, const DomainDiskBacking *b) {
        DomainDiskDef view = { .encryption = b->encryption };

        domain_format_disk_encryption(w, &view, true);
}

/* <source protocol=''> ... </source> of a network layer. */
void domain_format_backing_net_source(XmlWriter *w, const DomainDiskBacking *b) {
        domain_format_disk_net_source(w, b->net, 0);
        domain_format_disk_slices(w, &b->slice);
        domain_format_backing_encryption(w, b);
        xw_end(w);
}

void domain_backing_src_clear(DomainDiskBacking *b) {
        DomainDiskDef view = { .net = b->net, .encryption = b->encryption };

        domain_disk_net_free(view.net);
        domain_disk_secrets_clear(&view);
        b->net = NULL;
        b->encryption = NULL;
}

bool domain_backing_src_own(DomainDiskBacking *b) {
        DomainDiskDef view = { .encryption = b->encryption };
        bool ok = domain_disk_net_own(&b->net);

        ok = domain_disk_secrets_own(&view) && ok;
        b->encryption = view.encryption;
        return ok;
}

bool domain_backing_kept_inactive(const DomainDiskDef *d) {
        for (size_t k = 0; k < d->n_backing; k++)
                if (d->backing[k].net || d->backing[k].encryption)
                        return true;
        return false;
}
