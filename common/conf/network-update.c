/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virNetworkUpdate on a definition: add, delete or modify one entry of a
 * section. The change is made in place, the definition validated as a
 * whole, and a refused change undone, so that a refused update leaves the
 * definition as it was. */
#include <strings.h>

#include "error.h"
#include "network-conf-internal.h"
#include "xml-bounds.h"

#define op_invalid(err, ...) conf_fail(err, VB_ERROR_OPERATION_INVALID, __VA_ARGS__)

static bool is_add(unsigned command) {
        return command == NETWORK_UPDATE_COMMAND_ADD_FIRST || command == NETWORK_UPDATE_COMMAND_ADD_LAST;
}

/* One change to one list of the definition, made in place and undone if the
 * definition as a whole is refused: the list's elements before the change
 * (a shallow copy: the strings stay owned by the list), the element that
 * came in and the one that went out (freed only once the change stands). No
 * copy of the whole definition: a network may hold tens of thousands of
 * hosts. */
typedef union Element {
        NetworkDhcpHost host;
        NetworkDhcpRange range;
        NetworkDnsHost dns_host;
        NetworkPortgroup portgroup;
} Element;

typedef struct Change {
        void **array;
        size_t *n, n_before, size;
        void *before;
        bool *flag, flag_before; /* has_dhcp, dns.present */
        void (*clear)(void *e);
        bool has_added, has_dropped;
        Element added, dropped;
} Change;

static int change_begin(Change *c, void **array, size_t *n, size_t size, void (*clear)(void *), bool *flag,
                        ConfError *err) {
        *c = (Change) { .array = array, .n = n, .n_before = *n, .size = size, .clear = clear, .flag = flag };
        if (flag)
                c->flag_before = *flag;
        if (*n == 0)
                return 0;
        c->before = malloc(*n * size);
        if (!c->before) {
                *c = (Change) {}; /* nothing begun: change_end() has nothing to undo */
                return xml_err_oom(err);
        }
        memcpy(c->before, *array, *n * size);
        return 0;
}

static void change_added(Change *c, const void *e) {
        memcpy(&c->added, e, c->size);
        c->has_added = true;
}

static void change_dropped(Change *c, const void *e) {
        memcpy(&c->dropped, e, c->size);
        c->has_dropped = true;
}

/* keep: the change stands. Otherwise the list is as before. */
static void change_end(Change *c, bool keep) {
        if (!c->array)
                return;
        if (keep) {
                if (c->has_dropped)
                        c->clear(&c->dropped);
        } else {
                if (c->has_added)
                        c->clear(&c->added);
                /* the array never shrinks: it holds n_before elements */
                if (c->n_before)
                        memcpy(*c->array, c->before, c->n_before * c->size);
                *c->n = c->n_before;
                if (c->flag)
                        *c->flag = c->flag_before;
        }
        free(c->before);
        *c = (Change) {};
}

static void clear_host(void *e) {
        network_dhcp_host_clear(e);
}

static void clear_range(void *e) {
        network_dhcp_range_clear(e);
}

static void clear_dns_host(void *e) {
        network_dns_host_clear(e);
}

static void clear_portgroup(void *e) {
        network_portgroup_clear(e);
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

static int update_dhcp_host(NetworkDef *def, unsigned command, int parent, const char *xml, Change *c,
                            ConfError *err) {
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
        if (is_add(command) ? found >= 0 : found < 0) {
                network_dhcp_host_clear(&h);
                return found >= 0 ? op_invalid(err, "there is an existing DHCP host entry in network '%s' that matches %s",
                                               def->name, desc)
                                  : op_invalid(err, "couldn't locate a matching DHCP host entry in network '%s' for %s",
                                               def->name, desc);
        }
        r = change_begin(c, (void **) &ip->hosts, &ip->n_hosts, sizeof(h), clear_host, &ip->has_dhcp, err);
        if (r < 0) {
                network_dhcp_host_clear(&h);
                return r;
        }
        if (is_add(command)) {
                NetworkDhcpHost *slot;
                r = list_insert((void **) &ip->hosts, &ip->n_hosts, sizeof(h), NETWORK_HOSTS_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "ip/dhcp/host", err);
                if (r < 0) {
                        network_dhcp_host_clear(&h);
                        return r;
                }
                *slot = h;
                change_added(c, &h);
                ip->has_dhcp = true;
                return 0;
        }
        change_dropped(c, &ip->hosts[found]);
        if (command == NETWORK_UPDATE_COMMAND_MODIFY) {
                ip->hosts[found] = h;
                change_added(c, &h);
        } else {
                network_dhcp_host_clear(&h);
                list_remove(ip->hosts, &ip->n_hosts, sizeof(h), (size_t) found);
        }
        return 0;
}

static int update_dhcp_range(NetworkDef *def, unsigned command, int parent, const char *xml, Change *c,
                             ConfError *err) {
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
        if (is_add(command) ? found >= 0 : found < 0) {
                network_dhcp_range_clear(&range);
                return found >= 0 ? op_invalid(err, "there is an existing DHCP range %s - %s in network '%s'", s, e,
                                               def->name)
                                  : op_invalid(err, "couldn't locate a DHCP range %s - %s in network '%s'", s, e,
                                               def->name);
        }
        r = change_begin(c, (void **) &ip->ranges, &ip->n_ranges, sizeof(range), clear_range, &ip->has_dhcp, err);
        if (r < 0) {
                network_dhcp_range_clear(&range);
                return r;
        }
        if (is_add(command)) {
                NetworkDhcpRange *slot;
                r = list_insert((void **) &ip->ranges, &ip->n_ranges, sizeof(range), NETWORK_LIST_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "ip/dhcp/range", err);
                if (r < 0) {
                        network_dhcp_range_clear(&range);
                        return r;
                }
                *slot = range;
                change_added(c, &range);
                ip->has_dhcp = true;
                return 0;
        }
        network_dhcp_range_clear(&range);
        change_dropped(c, &ip->ranges[found]);
        list_remove(ip->ranges, &ip->n_ranges, sizeof(range), (size_t) found);
        return 0;
}

static int update_dns_host(NetworkDef *def, unsigned command, const char *xml, Change *c, ConfError *err) {
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
        if (is_add(command) ? found >= 0 : found < 0) {
                network_dns_host_clear(&h);
                return found >= 0 ? op_invalid(err, "there is already a DNS host record for %s in network '%s'", a,
                                               def->name)
                                  : op_invalid(err, "couldn't locate a DNS host record for %s in network '%s'", a,
                                               def->name);
        }
        r = change_begin(c, (void **) &dns->hosts, &dns->n_hosts, sizeof(h), clear_dns_host, &dns->present, err);
        if (r < 0) {
                network_dns_host_clear(&h);
                return r;
        }
        if (is_add(command)) {
                NetworkDnsHost *slot;
                r = list_insert((void **) &dns->hosts, &dns->n_hosts, sizeof(h), NETWORK_HOSTS_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "dns/host", err);
                if (r < 0) {
                        network_dns_host_clear(&h);
                        return r;
                }
                *slot = h;
                change_added(c, &h);
                dns->present = true;
                return 0;
        }
        network_dns_host_clear(&h);
        change_dropped(c, &dns->hosts[found]);
        list_remove(dns->hosts, &dns->n_hosts, sizeof(h), (size_t) found);
        /* the last record gone from a <dns> that says nothing else: it goes
         * too, as adding the record made it (an empty <dns/> means nothing) */
        if (!dns->n_hosts && !dns->n_txts && !dns->n_forwarders && !dns->enable && !dns->forward_plain_names)
                dns->present = false;
        return 0;
}

static int update_portgroup(NetworkDef *def, unsigned command, const char *xml, Change *c, ConfError *err) {
        NetworkPortgroup pg = {};
        ssize_t found = -1;
        int r;

        r = network_parse_portgroup_xml(xml, &pg, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < def->n_portgroups && found < 0; i++)
                if (streq(def->portgroups[i].name, pg.name))
                        found = (ssize_t) i;
        if (is_add(command) ? found >= 0 : found < 0) {
                r = found >= 0 ? op_invalid(err, "there is already a portgroup '%s' in network '%s'", pg.name, def->name)
                               : op_invalid(err, "couldn't find a portgroup '%s' in network '%s'", pg.name, def->name);
                network_portgroup_clear(&pg);
                return r;
        }
        r = change_begin(c, (void **) &def->portgroups, &def->n_portgroups, sizeof(pg), clear_portgroup, NULL, err);
        if (r < 0) {
                network_portgroup_clear(&pg);
                return r;
        }
        if (is_add(command)) {
                NetworkPortgroup *slot;
                r = list_insert((void **) &def->portgroups, &def->n_portgroups, sizeof(pg), NETWORK_LIST_MAX,
                                command == NETWORK_UPDATE_COMMAND_ADD_FIRST, (void **) &slot, "portgroup", err);
                if (r < 0) {
                        network_portgroup_clear(&pg);
                        return r;
                }
                *slot = pg;
                change_added(c, &pg);
                return 0;
        }
        change_dropped(c, &def->portgroups[found]);
        if (command == NETWORK_UPDATE_COMMAND_MODIFY) {
                def->portgroups[found] = pg;
                change_added(c, &pg);
        } else {
                network_portgroup_clear(&pg);
                list_remove(def->portgroups, &def->n_portgroups, sizeof(pg), (size_t) found);
        }
        return 0;
}

static int apply(NetworkDef *def, unsigned command, unsigned section, int parent, const char *xml, Change *c,
                 ConfError *err) {
        switch (section) {
        case NETWORK_SECTION_IP_DHCP_HOST:
                return update_dhcp_host(def, command, parent, xml, c, err);
        case NETWORK_SECTION_IP_DHCP_RANGE:
                return update_dhcp_range(def, command, parent, xml, c, err);
        case NETWORK_SECTION_DNS_HOST:
                return update_dns_host(def, command, xml, c, err);
        case NETWORK_SECTION_PORTGROUP:
                return update_portgroup(def, command, xml, c, err);
        default:
                return xml_err_unsupported(err, "updating section %u of a network is not supported "
                                                "(supported: 4 ip-dhcp-host, 5 ip-dhcp-range, 9 portgroup, 10 dns-host)",
                                           section);
        }
}

/* What an Update adds or changes must leave a definition the parser still
 * reads: the stored file is read back at every start of the daemon, through
 * the same bounds on the document's size. */
static int check_still_readable(const NetworkDef *def, ConfError *err) {
        _cleanup_free_ char *xml = NULL;
        ConfError bounds = {};
        int r = network_def_format(def, 0, &xml);

        if (r < 0)
                return xml_err_oom(err);
        if (strlen(xml) > XML_DOCUMENT_MAX_SIZE)
                return xml_err_invalid(err, "network '%s' cannot take more: its definition would be %zu bytes, "
                                       "at most %zu", def->name, strlen(xml), XML_DOCUMENT_MAX_SIZE);
        r = xml_check_bounds(xml, strlen(xml), &bounds);
        if (r < 0)
                return xml_err_invalid(err, "network '%s' cannot take more: %s", def->name, bounds.message);
        return 0;
}

int network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index, const char *xml,
                       ConfError *err) {
        Change c = {};
        int r;

        if (command < NETWORK_UPDATE_COMMAND_MODIFY || command > NETWORK_UPDATE_COMMAND_ADD_FIRST)
                return xml_err_invalid(err, "unknown update command %u (1 modify, 2 delete, 3 add-last, 4 add-first)",
                                       command);
        if (parent_index < -1)
                return xml_err_invalid(err, "invalid parent index %d", parent_index);
        r = apply(def, command, section, parent_index, xml, &c, err);
        if (r >= 0)
                r = network_def_validate(def, err);
        if (r >= 0 && command != NETWORK_UPDATE_COMMAND_DELETE)
                r = check_still_readable(def, err);
        change_end(&c, r >= 0);
        return r;
}
