/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><nvram type='network'><source protocol='' name=''><host/>...<auth/>
 * </source></nvram>: the firmware's variables store on a network server.
 * Kept as a network disk's source (a DomainDiskDef with its net and
 * <auth>), so the disk's parser and formatter, and QEMU's blockdev builder
 * for network disks, serve it as they serve a disk's. Its dst and alias
 * are fixed ("nvram", "pflash1": the secret objects and messages use
 * them) and never formatted. */

#include "domain-conf-internal.h"
#include "domain-disk-secret.h"
#include "util.h"

int domain_parse_os_nvram_net(DomainOsDef *os, xmlNodePtr src, const char *path, ConfError *err) {
        DomainDiskDef *d = calloc(1, sizeof(*d));

        if (!d)
                return xml_err_oom(err);
        os->nvram_net = d;
        d->type = DOMAIN_DISK_TYPE_NETWORK;
        d->dst = strdup("nvram");
        d->alias = strdup("pflash1");
        if (!d->dst || !d->alias)
                return xml_err_oom(err);
        return domain_parse_disk_net_source(d, src, path, err);
}

/* The <source> of a network nvram, as a network disk's. */
void domain_format_os_nvram_net(XmlWriter *w, const DomainOsDef *os) {
        const DomainDiskDef *d = os->nvram_net;

        domain_format_disk_net_source(w, d->net, 0);
        domain_format_disk_slices(w, &d->slice);
        domain_format_disk_auth(w, d, true);
        domain_format_disk_encryption(w, d, true);
        xw_end(w);
}

void domain_os_nvram_net_free(DomainOsDef *os) {
        if (!os->nvram_net)
                return;
        domain_disk_clear(os->nvram_net);
        free(os->nvram_net);
        os->nvram_net = NULL;
}

bool domain_os_nvram_net_own(DomainOsDef *os) {
        DomainDiskDef *d;

        if (!os->nvram_net)
                return true;
        d = malloc(sizeof(*d));
        if (!d) {
                os->nvram_net = NULL;
                return false;
        }
        *d = *os->nvram_net;
        os->nvram_net = d;
        return domain_disk_own(d);
}
