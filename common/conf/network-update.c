/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virNetworkUpdate on a definition: add, delete or modify one entry of a
 * section. The change is made on a copy, validated as a whole, and only
 * then swapped in, so a refused update leaves the definition as it was. */
#include <strings.h>

#include "error.h"
#include "network-conf-internal.h"

#define op_invalid(err, ...) conf_fail(err, VB_ERROR_OPERATION_INVALID, __VA_ARGS__)

static bool is_add(unsigned command) {
        return command == NETWORK_UPDATE_COMMAND_ADD_FIRST || command == NETWORK_UPDATE_COMMAND_ADD_LAST;
}

/* Inserts a zeroed element at the front or the back; returns it. */
static int list_insert(void **array, size_t *n, size_t size, size_t max, bool first, void **ret, const char *what,
                       ConfError *err) {
        void *slot;
        int r = network_list_append(array, n, size, max, &slot, what, err);

        if (r < 0)
                return r;
        if (first) {
                memmove((char *) *array + size, *array, (*n - 1) * size);
                memset(*array, 0, size);
                slot = *array;
        }
        *ret = slot;
        return 0;
}

static void list_remove(void *array, size_t *n, size_t size, size_t idx) {
        memmove((char *) array + idx * size, (char *) array + (idx + 1) * size, (*n - idx - 1) * size);
        (*n)--;
}

/* A host is identified by its MAC, else its DUID, else its name. */
static bool host_same_identity(const NetworkDhcpHost *a, const NetworkDhcpHost *b) {
        if (a->has_mac || b->has_mac)
                return a->has_mac && b->has_mac && memcmp(a->mac, b->mac, 6) == 0;
        if (a->id || b->id)
                return a->id && b->id && strcasecmp(a->id, b->id) == 0;
        return a->name && b->name && streq(a->name, b->name);
}

static int host_description(const NetworkDhcpHost *h, char *buf, size_t size) {
        char mac[MAC_STRING_MAX], ip[NET_ADDR_STRING_MAX];

        snprintf(buf, size, "mac='%s' name='%s' ip='%s'", h->has_mac ? mac_format(h->mac, mac) : "",
                 h->name ?: (h->id ?: ""), net_addr_format(&h->ip, ip));
        return 0;
}

static int update_dhcp_host(NetworkDef *def, unsigned command, int parent, const char *xml, ConfError *err) {
        NetworkDhcpHost h = {};
        NetworkIp *ip;
        char desc[256];
        ssize_t found = -1;
        int r;

        r = network_parse_dhcp_host_xml(xml, &h, err);
        if (r < 0)
                return r;
        host_description(&h, desc, sizeof(desc));
        ip = network_def_find_ip(def, parent, h.ip.family);
        if (!ip || ip->address.family != h.ip.family) {
                network_dhcp_host_clear(&h);
                return op_invalid(err, "network '%s' has no %s <ip> for the DHCP host %s", def->name,
                                  h.ip.family == AF_INET6 ? "IPv6" : "IPv4", desc);
        }
        for (size_t i = 0; i < ip->n_hosts && found < 0; i++)
                if (host_same_identity(&ip->hosts[i], &h) ||
                    (is_add(command) && net_addr_equal(&ip->hosts[i].ip, &h.ip)))
                        found = (ssize_t) i;
        if (is_add(command)) {
                NetworkDhcpHost *slot;
                if (found >= 0) {
                        network_dhcp_host_clear(&h);
                        return op_invalid(err, "there is an existing DHCP host entry in network '%s' that matches %s",
                                          def->name, desc);
                }
                r = list_insert((void **) &ip->hosts, &ip->n_hosts, sizeof(h), NETWORK_HOSTS_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "ip/dhcp/host", err);
                if (r < 0) {
                        network_dhcp_host_clear(&h);
                        return r;
                }
                *slot = h;
                ip->has_dhcp = true;
                return 0;
        }
        if (found < 0) {
                network_dhcp_host_clear(&h);
                return op_invalid(err, "couldn't locate a matching DHCP host entry in network '%s' for %s", def->name,
                                  desc);
        }
        network_dhcp_host_clear(&ip->hosts[found]);
        if (command == NETWORK_UPDATE_COMMAND_MODIFY)
                ip->hosts[found] = h;
        else {
                network_dhcp_host_clear(&h);
                list_remove(ip->hosts, &ip->n_hosts, sizeof(h), (size_t) found);
        }
        return 0;
}

static int update_dhcp_range(NetworkDef *def, unsigned command, int parent, const char *xml, ConfError *err) {
        char s[NET_ADDR_STRING_MAX], e[NET_ADDR_STRING_MAX];
        NetworkDhcpRange range = {};
        NetworkIp *ip;
        ssize_t found = -1;
        int r;

        if (command == NETWORK_UPDATE_COMMAND_MODIFY)
                return xml_err_unsupported(err, "DHCP ranges cannot be modified, only added or deleted");
        r = network_parse_dhcp_range_xml(xml, &range, err);
        if (r < 0)
                return r;
        net_addr_format(&range.start, s);
        net_addr_format(&range.end, e);
        ip = network_def_find_ip(def, parent, range.start.family);
        if (!ip || ip->address.family != range.start.family) {
                network_dhcp_range_clear(&range);
                return op_invalid(err, "network '%s' has no <ip> of the family of the DHCP range %s - %s", def->name,
                                  s, e);
        }
        for (size_t i = 0; i < ip->n_ranges && found < 0; i++)
                if (net_addr_equal(&ip->ranges[i].start, &range.start) && net_addr_equal(&ip->ranges[i].end, &range.end))
                        found = (ssize_t) i;
        if (is_add(command)) {
                NetworkDhcpRange *slot;
                if (found >= 0) {
                        network_dhcp_range_clear(&range);
                        return op_invalid(err, "there is an existing DHCP range %s - %s in network '%s'", s, e,
                                          def->name);
                }
                r = list_insert((void **) &ip->ranges, &ip->n_ranges, sizeof(range), NETWORK_LIST_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "ip/dhcp/range", err);
                if (r < 0) {
                        network_dhcp_range_clear(&range);
                        return r;
                }
                *slot = range;
                ip->has_dhcp = true;
                return 0;
        }
        network_dhcp_range_clear(&range);
        if (found < 0)
                return op_invalid(err, "couldn't locate a DHCP range %s - %s in network '%s'", s, e, def->name);
        network_dhcp_range_clear(&ip->ranges[found]);
        list_remove(ip->ranges, &ip->n_ranges, sizeof(range), (size_t) found);
        return 0;
}

static int update_dns_host(NetworkDef *def, unsigned command, const char *xml, ConfError *err) {
        char a[NET_ADDR_STRING_MAX];
        NetworkDnsHost h = {};
        NetworkDns *dns = &def->dns;
        ssize_t found = -1;
        int r;

        if (command == NETWORK_UPDATE_COMMAND_MODIFY)
                return xml_err_unsupported(err, "DNS host records cannot be modified, only added or deleted");
        r = network_parse_dns_host_xml(xml, &h, err);
        if (r < 0)
                return r;
        net_addr_format(&h.ip, a);
        for (size_t i = 0; i < dns->n_hosts && found < 0; i++)
                if (net_addr_equal(&dns->hosts[i].ip, &h.ip))
                        found = (ssize_t) i;
        if (is_add(command)) {
                NetworkDnsHost *slot;
                if (found >= 0) {
                        network_dns_host_clear(&h);
                        return op_invalid(err, "there is already a DNS host record for %s in network '%s'", a,
                                          def->name);
                }
                r = list_insert((void **) &dns->hosts, &dns->n_hosts, sizeof(h), NETWORK_HOSTS_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "dns/host", err);
                if (r < 0) {
                        network_dns_host_clear(&h);
                        return r;
                }
                *slot = h;
                dns->present = true;
                return 0;
        }
        network_dns_host_clear(&h);
        if (found < 0)
                return op_invalid(err, "couldn't locate a DNS host record for %s in network '%s'", a, def->name);
        network_dns_host_clear(&dns->hosts[found]);
        list_remove(dns->hosts, &dns->n_hosts, sizeof(h), (size_t) found);
        /* the last record gone from a <dns> that says nothing else: it goes
         * too, as adding the record made it (an empty <dns/> means nothing) */
        if (!dns->n_hosts && !dns->n_txts && !dns->n_forwarders && !dns->enable && !dns->forward_plain_names)
                dns->present = false;
        return 0;
}

static int update_portgroup(NetworkDef *def, unsigned command, const char *xml, ConfError *err) {
        NetworkPortgroup pg = {};
        ssize_t found = -1;
        int r;

        r = network_parse_portgroup_xml(xml, &pg, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_portgroups && found < 0; i++)
                if (streq(def->portgroups[i].name, pg.name))
                        found = (ssize_t) i;
        if (is_add(command)) {
                NetworkPortgroup *slot;
                if (found >= 0) {
                        r = op_invalid(err, "there is already a portgroup '%s' in network '%s'", pg.name, def->name);
                        network_portgroup_clear(&pg);
                        return r;
                }
                r = list_insert((void **) &def->portgroups, &def->n_portgroups, sizeof(pg), NETWORK_LIST_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "portgroup", err);
                if (r < 0) {
                        network_portgroup_clear(&pg);
                        return r;
                }
                *slot = pg;
                return 0;
        }
        if (found < 0) {
                r = op_invalid(err, "couldn't find a portgroup '%s' in network '%s'", pg.name, def->name);
                network_portgroup_clear(&pg);
                return r;
        }
        network_portgroup_clear(&def->portgroups[found]);
        if (command == NETWORK_UPDATE_COMMAND_MODIFY)
                def->portgroups[found] = pg;
        else {
                network_portgroup_clear(&pg);
                list_remove(def->portgroups, &def->n_portgroups, sizeof(pg), (size_t) found);
        }
        return 0;
}

static int apply(NetworkDef *def, unsigned command, unsigned section, int parent, const char *xml, ConfError *err) {
        switch (section) {
        case NETWORK_SECTION_IP_DHCP_HOST:
                return update_dhcp_host(def, command, parent, xml, err);
        case NETWORK_SECTION_IP_DHCP_RANGE:
                return update_dhcp_range(def, command, parent, xml, err);
        case NETWORK_SECTION_DNS_HOST:
                return update_dns_host(def, command, xml, err);
        case NETWORK_SECTION_PORTGROUP:
                return update_portgroup(def, command, xml, err);
        default:
                return xml_err_unsupported(err, "updating section %u of a network is not supported "
                                                "(supported: 4 ip-dhcp-host, 5 ip-dhcp-range, 9 portgroup, 10 dns-host)",
                                           section);
        }
}

int network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index, const char *xml,
                       ConfError *err) {
        _cleanup_(network_def_freep) NetworkDef *copy = NULL;
        NetworkDef tmp;
        int r;

        if (command < NETWORK_UPDATE_COMMAND_MODIFY || command > NETWORK_UPDATE_COMMAND_ADD_FIRST)
                return xml_err_invalid(err, "unknown update command %u (1 modify, 2 delete, 3 add-last, 4 add-first)",
                                       command);
        if (parent_index < -1)
                return xml_err_invalid(err, "invalid parent index %d", parent_index);
        r = network_def_copy(def, &copy);
        if (r < 0)
                return r == -ENOMEM ? xml_err_oom(err) : conf_fail(err, VB_ERROR_INTERNAL, "cannot copy the network");
        r = apply(copy, command, section, parent_index, xml, err);
        if (r >= 0)
                r = network_def_validate(copy, err);
        if (r < 0)
                return r;
        tmp = *def;
        *def = *copy;
        *copy = tmp;
        def->connections = tmp.connections;
        return 0;
}
