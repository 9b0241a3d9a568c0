/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='ethernet'><source><ip/><route/></source>: the addresses
 * and routes the host side of the tap gets when it is made (libvirt's
 * "hostIP"). */
#include "domain-conf-internal.h"
#include "error.h"

int domain_parse_net_host_ips(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, NULL);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "ip"))
                        r = domain_parse_net_ip(&net->host_ips, &net->n_host_ips, c, sub, err);
                else if (xml_is(c, "route"))
                        r = domain_parse_net_route(&net->host_routes, &net->n_host_routes, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* As libvirt: <source> only when there is something in it. */
void domain_format_net_host_ips(XmlWriter *w, const DomainNetDef *net) {
        if (!net->n_host_ips && !net->n_host_routes)
                return;
        xw_start(w, "source");
        domain_format_net_ips(w, net->host_ips, net->n_host_ips, net->host_routes, net->n_host_routes);
        xw_end(w);
}
