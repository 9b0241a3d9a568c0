/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks beyond what the parser sees element by element. Every message
 * names the value that is wrong. */
#include <arpa/inet.h>
#include <inttypes.h>

#include "error.h"
#include "network-conf-internal.h"
#include "util.h"

static const char *subnet_str(const NetAddr *a, unsigned prefix, char *buf, size_t size) {
        char s[NET_ADDR_STRING_MAX];
        NetAddr n;

        net_addr_network(a, prefix, &n);
        snprintf(buf, size, "%s/%u", net_addr_format(&n, s), prefix);
        return buf;
}

static int check_range(const NetworkIp *ip, const NetworkDhcpRange *range, ConfError *err) {
        char s[NET_ADDR_STRING_MAX], e[NET_ADDR_STRING_MAX], net[64];
        NetAddr first, last;

        net_addr_format(&range->start, s);
        net_addr_format(&range->end, e);
        subnet_str(&ip->address, ip->prefix, net, sizeof(net));
        if (range->start.family != ip->address.family || range->end.family != ip->address.family)
                return xml_err_invalid(err, "DHCP range %s - %s is not of the family of network %s", s, e, net);
        if (net_addr_cmp(&range->start, &range->end) > 0)
                return xml_err_invalid(err, "DHCP range %s - %s is reversed: start after end", s, e);
        if (!net_addr_in_subnet(&range->start, &ip->address, ip->prefix) ||
            !net_addr_in_subnet(&range->end, &ip->address, ip->prefix))
                return xml_err_invalid(err, "DHCP range %s - %s is not entirely within network %s", s, e, net);
        net_addr_network(&ip->address, ip->prefix, &first);
        net_addr_last(&ip->address, ip->prefix, &last);
        if (ip->address.family == AF_INET && ip->prefix < 31 &&
            (net_addr_equal(&range->start, &first) || net_addr_equal(&range->end, &last)))
                return xml_err_invalid(err, "DHCP range %s - %s includes the network or broadcast address of %s",
                                       s, e, net);
        if (net_addr_cmp(&range->start, &ip->address) <= 0 && net_addr_cmp(&ip->address, &range->end) <= 0)
                return xml_err_invalid(err, "DHCP range %s - %s includes the network's own address %s", s, e,
                                       net_addr_format(&ip->address, net));
        return 0;
}

static int check_ranges(const NetworkIp *ip, ConfError *err) {
        char s[NET_ADDR_STRING_MAX], e[NET_ADDR_STRING_MAX];
        int r;

        for (size_t i = 0; i < ip->n_ranges; i++) {
                r = check_range(ip, &ip->ranges[i], err);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (net_addr_cmp(&ip->ranges[i].start, &ip->ranges[j].end) <= 0 &&
                            net_addr_cmp(&ip->ranges[j].start, &ip->ranges[i].end) <= 0)
                                return xml_err_invalid(err, "DHCP range %s - %s overlaps another range",
                                                       net_addr_format(&ip->ranges[i].start, s),
                                                       net_addr_format(&ip->ranges[i].end, e));
        }
        return 0;
}

static int check_host(const NetworkIp *ip, const NetworkDhcpHost *h, ConfError *err) {
        char a[NET_ADDR_STRING_MAX], net[64];

        net_addr_format(&h->ip, a);
        if (!net_addr_in_subnet(&h->ip, &ip->address, ip->prefix))
                return xml_err_invalid(err, "DHCP host address %s is not within network %s", a,
                                       subnet_str(&ip->address, ip->prefix, net, sizeof(net)));
        if (net_addr_equal(&h->ip, &ip->address))
                return xml_err_invalid(err, "DHCP host address %s is the network's own address", a);
        if (ip->address.family == AF_INET && h->id)
                return xml_err_invalid(err, "DHCP host %s: an 'id' (DUID) is for IPv6 hosts only", a);
        if (ip->address.family == AF_INET6 && h->has_mac)
                return xml_err_invalid(err, "DHCP host %s: IPv6 hosts are matched by 'id' or 'name', not 'mac'", a);
        return 0;
}

/* Duplicates are found by sorting (indices, so that the first of equals
 * stays first): a network may have tens of thousands of static hosts. */
typedef enum HostKey { HOST_KEY_MAC, HOST_KEY_ADDR, HOST_KEY_NAME } HostKey;

typedef struct HostSort {
        const NetworkDhcpHost *hosts;
        HostKey key;
} HostSort;

static int host_cmp(const void *a, const void *b, void *userdata) {
        const HostSort *hs = userdata;
        size_t i = *(const size_t *) a, j = *(const size_t *) b;
        const NetworkDhcpHost *x = &hs->hosts[i], *y = &hs->hosts[j];
        int c = 0;

        switch (hs->key) {
        case HOST_KEY_MAC:
                c = memcmp(x->mac, y->mac, 6);
                break;
        case HOST_KEY_ADDR:
                c = net_addr_cmp(&x->ip, &y->ip);
                break;
        case HOST_KEY_NAME:
                c = strcmp(x->name, y->name);
                break;
        }
        return c ? c : i < j ? -1 : i > j;
}

static bool host_has_key(const NetworkDhcpHost *h, HostKey key) {
        return key == HOST_KEY_ADDR || (key == HOST_KEY_MAC ? h->has_mac : h->name != NULL);
}

static bool host_key_equal(const NetworkDhcpHost *x, const NetworkDhcpHost *y, HostKey key) {
        switch (key) {
        case HOST_KEY_MAC:
                return memcmp(x->mac, y->mac, 6) == 0;
        case HOST_KEY_ADDR:
                return net_addr_equal(&x->ip, &y->ip);
        default:
                return streq(x->name, y->name);
        }
}

/* The lowest index of a host that repeats the key of an earlier one, or
 * SIZE_MAX. A repeated name counts only on a host without MAC and DUID. */
static size_t find_duplicate(const NetworkIp *ip, HostKey key, size_t *idx) {
        HostSort hs = { ip->hosts, key };
        size_t n = 0, found = SIZE_MAX;

        for (size_t i = 0; i < ip->n_hosts; i++)
                if (host_has_key(&ip->hosts[i], key))
                        idx[n++] = i;
        qsort_r(idx, n, sizeof(size_t), host_cmp, &hs);
        for (size_t k = 1; k < n; k++) {
                const NetworkDhcpHost *h = &ip->hosts[idx[k]];

                if (!host_key_equal(h, &ip->hosts[idx[k - 1]], key))
                        continue;
                if (key == HOST_KEY_NAME && (h->has_mac || h->id))
                        continue;
                found = MIN(found, idx[k]);
        }
        return found;
}

static int check_host_duplicates(const NetworkIp *ip, ConfError *err) {
        _cleanup_free_ size_t *idx = NULL;
        char a[NET_ADDR_STRING_MAX], m[MAC_STRING_MAX];
        size_t first = SIZE_MAX;
        HostKey which = HOST_KEY_MAC;

        if (ip->n_hosts < 2)
                return 0;
        idx = malloc(ip->n_hosts * sizeof(size_t));
        if (!idx)
                return xml_err_oom(err);
        for (HostKey key = HOST_KEY_MAC; key <= HOST_KEY_NAME; key++) {
                size_t i = find_duplicate(ip, key, idx);
                if (i < first) {
                        first = i;
                        which = key;
                }
        }
        if (first == SIZE_MAX)
                return 0;
        switch (which) {
        case HOST_KEY_MAC:
                return xml_err_invalid(err, "DHCP host MAC %s is given twice", mac_format(ip->hosts[first].mac, m));
        case HOST_KEY_ADDR:
                return xml_err_invalid(err, "DHCP host address %s is given twice",
                                       net_addr_format(&ip->hosts[first].ip, a));
        default:
                return xml_err_invalid(err, "DHCP host name '%s' is given twice", ip->hosts[first].name);
        }
}

static int check_ip(const NetworkDef *def, const NetworkIp *ip, ConfError *err) {
        char a[NET_ADDR_STRING_MAX];
        NetAddr first, last;
        int r;

        net_addr_format(&ip->address, a);
        net_addr_network(&ip->address, ip->prefix, &first);
        net_addr_last(&ip->address, ip->prefix, &last);
        if (ip->address.family == AF_INET && ip->prefix < 31 &&
            (net_addr_equal(&ip->address, &first) || net_addr_equal(&ip->address, &last)))
                return xml_err_invalid(err, "address %s/%u of the network is its subnet's network or broadcast address",
                                       a, ip->prefix);
        if (ip->has_dhcp && ip->address.family == AF_INET6 && ip->prefix != 64 && ip->n_ranges)
                return xml_err_unsupported(err, "DHCPv6 on %s/%u: only /64 subnets are supported", a, ip->prefix);
        if (ip->tftp_root && ip->address.family != AF_INET)
                return xml_err_unsupported(err, "<tftp> on the IPv6 address %s is not supported", a);
        r = check_ranges(ip, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ip->n_hosts; i++) {
                r = check_host(ip, &ip->hosts[i], err);
                if (r < 0)
                        return r;
        }
        if (ip->has_dhcp && !network_def_is_managed_bridge(def))
                return xml_err_unsupported(err, "a DHCP server on a network of forward mode '%s' is not supported",
                                           network_forward_mode_to_string(def->forward));
        return check_host_duplicates(ip, err);
}

static int check_ips(const NetworkDef *def, ConfError *err) {
        bool dhcp4 = false, dhcp6 = false;
        char a[NET_ADDR_STRING_MAX];
        int r;

        for (size_t i = 0; i < def->n_ips; i++) {
                const NetworkIp *ip = &def->ips[i];
                bool v6 = ip->address.family == AF_INET6;

                r = check_ip(def, ip, err);
                if (r < 0)
                        return r;
                if (ip->has_dhcp && (ip->n_ranges || ip->n_hosts)) {
                        if (v6 ? dhcp6 : dhcp4)
                                return xml_err_unsupported(err, "DHCP on more than one %s address (%s) is not supported",
                                                           v6 ? "IPv6" : "IPv4", net_addr_format(&ip->address, a));
                        *(v6 ? &dhcp6 : &dhcp4) = true;
                }
                for (size_t j = 0; j < i; j++)
                        if (net_subnets_overlap(&ip->address, ip->prefix, &def->ips[j].address, def->ips[j].prefix))
                                return xml_err_invalid(err, "address %s/%u overlaps another <ip> of the network",
                                                       net_addr_format(&ip->address, a), ip->prefix);
        }
        return 0;
}

static int check_rate(const NetworkRate *rate, const char *what, ConfError *err) {
        if (rate->peak && rate->average && rate->peak < rate->average)
                return xml_err_invalid(err, "%s peak %" PRIu64 " is below its average %" PRIu64, what, rate->peak,
                                       rate->average);
        /* tc's htb takes rates in bytes per second as 32 bits, or 64 with rate64 */
        if (rate->average > UINT32_MAX || rate->peak > UINT32_MAX || rate->floor > UINT32_MAX)
                return xml_err_invalid(err, "%s rate is too large", what);
        return 0;
}

static int check_bandwidth(const NetworkBandwidth *bw, const char *what, ConfError *err) {
        char buf[96];
        int r;

        snprintf(buf, sizeof(buf), "%s inbound", what);
        r = check_rate(&bw->in, buf, err);
        if (r < 0)
                return r;
        snprintf(buf, sizeof(buf), "%s outbound", what);
        return check_rate(&bw->out, buf, err);
}

static int check_portgroups(const NetworkDef *def, ConfError *err) {
        bool seen_default = false;
        int r;

        for (size_t i = 0; i < def->n_portgroups; i++) {
                const NetworkPortgroup *pg = &def->portgroups[i];
                char what[128];

                for (size_t j = 0; j < i; j++)
                        if (streq(pg->name, def->portgroups[j].name))
                                return xml_err_invalid(err, "portgroup '%s' is defined twice", pg->name);
                if (pg->is_default) {
                        if (seen_default)
                                return xml_err_invalid(err, "portgroup '%s' is a second default portgroup", pg->name);
                        seen_default = true;
                }
                snprintf(what, sizeof(what), "portgroup '%s'", pg->name);
                r = check_bandwidth(&pg->bandwidth, what, err);
                if (r < 0)
                        return r;
                if (pg->bandwidth.in.floor && !def->bandwidth.in.average)
                        return xml_err_invalid(err, "portgroup '%s' has an inbound floor but the network has no "
                                                    "inbound average to share",
                                               pg->name);
        }
        return 0;
}

static int check_forward(const NetworkDef *def, ConfError *err) {
        const char *mode = network_forward_mode_to_string(def->forward);

        if (def->forward_dev && def->forward != NETWORK_FORWARD_NAT && def->forward != NETWORK_FORWARD_ROUTE)
                return xml_err_unsupported(err, "forward dev '%s' with forward mode '%s' is not supported",
                                           def->forward_dev, mode);
        if (def->has_nat && def->forward != NETWORK_FORWARD_NAT)
                return xml_err_xml(err, "<forward><nat> is only for forward mode 'nat', not '%s'", mode);
        if (def->forward != NETWORK_FORWARD_BRIDGE)
                return 0;
        /* an existing host bridge: we plug ports into it and nothing else */
        if (!def->bridge)
                return xml_err_xml(err, "forward mode 'bridge' needs <bridge name='...'/> naming a host bridge");
        if (def->n_ips || def->domain || def->dns.present || def->has_mac || def->mtu || def->stp || def->has_delay)
                return xml_err_unsupported(err, "forward mode 'bridge' uses the host bridge '%s' as it is: "
                                                "<ip>, <domain>, <dns>, <mac>, <mtu> and stp/delay are not supported",
                                           def->bridge);
        if (network_def_uses_vlans(def))
                return xml_err_unsupported(err, "VLANs on the host bridge '%s' (forward mode 'bridge') are not supported",
                                           def->bridge);
        if (def->bandwidth.present)
                return xml_err_unsupported(err, "<bandwidth> of a network of forward mode 'bridge' is not supported");
        return 0;
}

int network_def_validate(const NetworkDef *def, ConfError *err) {
        int r;

        r = check_forward(def, err);
        if (r >= 0)
                r = check_ips(def, err);
        if (r >= 0)
                r = check_bandwidth(&def->bandwidth, "network", err);
        if (r >= 0 && (def->bandwidth.in.floor || def->bandwidth.out.floor))
                r = xml_err_unsupported(err, "'floor' in the network's own <bandwidth> is not supported: "
                                             "floors are for portgroups and interfaces");
        if (r >= 0)
                r = check_portgroups(def, err);
        if (r >= 0 && def->vlan.n_tags && def->vlan.trunk)
                r = xml_err_unsupported(err, "a trunk <vlan> on the network itself is not supported: "
                                             "trunks are for portgroups and interfaces");
        return r;
}

int network_def_check_conflict(const NetworkDef *def, const NetworkDef *other, ConfError *err) {
        char a[64], b[64];

        if (def->bridge && other->bridge && streq(def->bridge, other->bridge))
                return conf_fail(err, VB_ERROR_RESOURCE_BUSY, "bridge name '%s' is already in use by network '%s'",
                                 def->bridge, other->name);
        if (!network_def_is_managed_bridge(def) || !network_def_is_managed_bridge(other))
                return 0;
        for (size_t i = 0; i < def->n_ips; i++)
                for (size_t j = 0; j < other->n_ips; j++) {
                        const NetworkIp *x = &def->ips[i], *y = &other->ips[j];

                        if (net_subnets_overlap(&x->address, x->prefix, &y->address, y->prefix))
                                return conf_fail(err, VB_ERROR_RESOURCE_BUSY,
                                                 "subnet %s of network '%s' overlaps subnet %s of active network '%s'",
                                                 subnet_str(&x->address, x->prefix, a, sizeof(a)), def->name,
                                                 subnet_str(&y->address, y->prefix, b, sizeof(b)), other->name);
                }
        return 0;
}
