/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An interface's guest-side <ip> and <route> (not its <source>'s, which are
 * the host side of an ethernet tap): QEMU can hand addresses to the guest
 * only through user networking, slirp's DHCP or passt's, so libvirt takes
 * them there alone, within slirp's limits (qemuValidateDomainDeviceDefNetwork):
 * one IPv4 with a prefix of 4 to 27, one IPv6 with none or 64, no peer, no
 * <route>. */
#include <arpa/inet.h>

#include "qemu-validate.h"
#include "util.h"
#include "xml-util.h"

static bool is_ipv4(const char *s) {
        unsigned char buf[4];

        return inet_pton(AF_INET, s, buf) == 1;
}

static int validate_user_ip(const DomainNetIp *ip, size_t i, bool *v4, bool *v6, ConfError *err) {
        bool four = is_ipv4(ip->address);

        if (ip->peer)
                return xml_err_unsupported(err, "interface %zu: Invalid attempt to set peer IP for guest", i);
        if ((four && *v4) || (!four && *v6))
                return xml_err_unsupported(err, "interface %zu: Only one %s address per interface is allowed", i,
                                           four ? "IPv4" : "IPv6");
        if (four && ip->prefix && (ip->prefix < 4 || ip->prefix > 27))
                return xml_err_xml(err, "interface %zu: invalid prefix %u of '%s', must be in range of 4-27", i,
                                   ip->prefix, ip->address);
        if (!four && ip->has_prefix && ip->prefix != 64)
                return xml_err_unsupported(err, "interface %zu: unsupported IPv6 address prefix='%u' - must be 64", i,
                                           ip->prefix);
        *v4 = *v4 || four;
        *v6 = *v6 || !four;
        return 0;
}

int qemu_validate_net_guest_ips(const DomainNetDef *net, size_t i, ConfError *err) {
        bool v4 = false, v6 = false;

        if (net->type != DOMAIN_NET_USER) {
                if (net->n_ips || net->n_routes)
                        return xml_err_unsupported(err, "interface %zu: Invalid attempt to set network interface "
                                                   "guest-side IP route and/or address info, not supported by QEMU "
                                                   "(only type 'user' hands addresses to the guest)", i);
                return 0;
        }
        if (net->n_routes)
                return xml_err_unsupported(err, "interface %zu: Invalid attempt to set network interface guest-side "
                                           "IP route, not supported by QEMU", i);
        for (size_t k = 0; k < net->n_ips; k++) {
                int r = validate_user_ip(&net->ips[k], i, &v4, &v6, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
