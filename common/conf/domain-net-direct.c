/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='direct'><source dev='' mode=''/>: a macvtap link on a
 * host interface (qemud/qemu-net-direct.c makes it at start). */
#include "domain-conf-internal.h"
#include "error.h"

/* libvirt's order (virNetDevMacVLanMode): vepa is its default. */
const char *const domain_net_direct_modes[4] = { "vepa", "private", "bridge", "passthrough" };

int domain_parse_net_direct_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int mode = 0;
        int r = XML_CHECK_ATTRS(n, path, err, "dev", "mode");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "dev", &net->source, err);
        if (r >= 0)
                r = xml_attr_enum(n, path, "mode", domain_net_direct_modes, ELEMENTSOF(domain_net_direct_modes),
                                  &mode, err);
        if (r < 0)
                return r;
        net->opts.direct_mode = (unsigned) mode;
        return 0;
}

/* mode='' always, as libvirt formats it (its default filled in). */
void domain_format_net_direct_source(XmlWriter *w, const DomainNetDef *net) {
        xw_attr(w, "dev", net->source);
        xw_attr(w, "mode", domain_net_direct_modes[net->opts.direct_mode]);
}
