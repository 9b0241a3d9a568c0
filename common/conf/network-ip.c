/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <ip> with its DHCP server, <domain> and <dns>. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <strings.h>

#include "error.h"
#include "network-conf-internal.h"
#include "util.h"

static const char *const lease_units[] = { "seconds", "minutes", "hours" };

/* File names handed to dnsmasq (dhcp-boot=, tftp-root=): no separators
 * (',' splits dnsmasq's arguments), no quoting, comments or whitespace. */
#define CHARSET_FILE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-/%~@"
#define FILE_NAME_MAX 255

/* dnsmasq reads the fields of a dhcp-host line by their look: a lease time
 * ("45", "2h", "infinite"), an address or a keyword is never a name. */
static bool dhcp_name_is_other_field(const char *name) {
        size_t digits = strspn(name, "0123456789");
        NetAddr a;

        if (digits > 0 && (name[digits] == 0 || (strchr("smhdwSMHDW", name[digits]) && name[digits + 1] == 0)))
                return true;
        if (net_addr_parse(name, &a) == 0)
                return true;
        return strcasecmp(name, "infinite") == 0 || strcasecmp(name, "ignore") == 0 ||
               strcasecmp(name, "deprecated") == 0;
}

/* dnsmasq refuses a DHCP host name with a label that starts with '-' or '_'
 * ("bad DHCP host name"), and the host would silently get no lease. */
static bool dhcp_name_labels_start_well(const char *name) {
        for (const char *label = name; label; label = strchr(label, '.') ? strchr(label, '.') + 1 : NULL)
                if (*label == '-' || *label == '_')
                        return false;
        return true;
}

static int parse_lease(xmlNodePtr n, const char *path, NetworkLease *l, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "expiry", "unit");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "expiry", &l->expiry, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'expiry' of <%s>", path);
        if (r >= 0)
                r = xml_attr_choice(n, path, "unit", lease_units, ELEMENTSOF(lease_units), &l->unit, err);
        if (r < 0)
                return r;
        /* an hour's worth of years is beyond any lease; keep the seconds in range */
        if (l->expiry > UINT32_MAX)
                return xml_err_invalid(err, "lease expiry %" PRIu64 " of <%s> is too large", l->expiry, path);
        l->present = true;
        return 0;
}

static int parse_lease_child(xmlNodePtr n, const char *path, NetworkLease *l, ConfError *err) {
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                int r;

                if (!xml_is(c, "lease"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_lease(c, sub, l, err);
                if (r < 0)
                        return r;
        }
        return xml_check_no_text(n, path, err);
}

static void format_lease(XmlWriter *w, const NetworkLease *l) {
        if (!l->present)
                return;
        xw_start(w, "lease");
        xw_attrf(w, "expiry", "%" PRIu64, l->expiry);
        xw_attr(w, "unit", l->unit);
        xw_end(w);
}

int64_t network_lease_seconds(const NetworkLease *l) {
        if (!l->present)
                return -1;
        if (!l->unit || streq(l->unit, "minutes"))
                return (int64_t) l->expiry * 60;
        if (streq(l->unit, "hours"))
                return (int64_t) l->expiry * 3600;
        return (int64_t) l->expiry;
}

int network_parse_dhcp_range(xmlNodePtr n, const char *path, NetworkDhcpRange *r, ConfError *err) {
        int k = XML_CHECK_ATTRS(n, path, err, "start", "end");

        if (k >= 0)
                k = network_attr_addr(n, path, "start", true, &r->start, err);
        if (k >= 0)
                k = network_attr_addr(n, path, "end", true, &r->end, err);
        if (k >= 0)
                k = parse_lease_child(n, path, &r->lease, err);
        return k < 0 ? k : 0;
}

/* A DHCPv6 DUID as the schema allows: colon-separated bytes, type 1 (LLT),
 * 2 (EN), 3 (LL) or 4 (UUID), each with its length. */
static bool duid_valid(const char *s) {
        unsigned g[140], n = 0;

        for (const char *p = s; *p; n++) {
                size_t len = strspn(p, "0123456789abcdefABCDEF");
                if (len < 1 || len > 2 || n >= ELEMENTSOF(g))
                        return false;
                g[n] = (unsigned) strtoul(p, NULL, 16);
                p += len;
                if (*p == ':' && p[1])
                        p++;
                else if (*p)
                        return false;
        }
        if (n < 2 || g[0] != 0)
                return false;
        switch (g[1]) {
        case 1:
                return n >= 14 && n <= 16 && g[2] == 0 && g[3] >= 1 && g[3] <= 15;
        case 2:
                return n >= 7 && n <= 130;
        case 3:
                return n >= 10 && n <= 12 && g[2] == 0 && g[3] >= 1 && g[3] <= 15;
        case 4:
                return n == 18;
        default:
                return false;
        }
}

int network_parse_dhcp_host(xmlNodePtr n, const char *path, NetworkDhcpHost *h, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "mac", "id", "name", "ip");

        if (r >= 0)
                r = network_attr_mac(n, path, "mac", h->mac, err);
        if (r > 0)
                h->has_mac = true;
        if (r >= 0)
                r = xml_attr_str(n, path, "id", &h->id, err);
        if (r > 0 && !duid_valid(h->id))
                r = xml_err_invalid(err, "invalid DUID '%s' in <%s>", h->id, path);
        if (r >= 0)
                r = xml_attr_str(n, path, "name", &h->name, err);
        if (r >= 0 && h->name &&
            (!network_dns_name_is_valid(h->name, true) || dhcp_name_is_other_field(h->name) ||
             !dhcp_name_labels_start_well(h->name)))
                r = xml_err_invalid(err,
                                    "invalid host name " VALUE_FMT " in <%s>: labels of 1 to 63 letters, digits, '-' or '_', "
                                    "each starting with a letter or digit, at most 253 characters, not a number, "
                                    "an address or a keyword",
                                    VALUE_ARG(h->name), path);
        if (r >= 0)
                r = network_attr_addr(n, path, "ip", true, &h->ip, err);
        if (r >= 0)
                r = parse_lease_child(n, path, &h->lease, err);
        if (r < 0)
                return r;
        if (h->has_mac && h->id)
                return xml_err_xml(err, "<%s> has both 'mac' and 'id'", path);
        if (!h->has_mac && !h->id && !h->name)
                return xml_err_xml(err, "<%s> needs a 'mac', an 'id' or a 'name'", path);
        return 0;
}

static int parse_bootp(NetworkIp *ip, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "file", "server");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "file", &ip->bootp_file, err);
        if (r > 0 && (!*ip->bootp_file || strlen(ip->bootp_file) > FILE_NAME_MAX ||
                      !str_in_charset(ip->bootp_file, CHARSET_FILE ":=?&")))
                return xml_err_invalid(err,
                                       "invalid boot file " VALUE_FMT " in attribute 'file' of <%s>: 1 to %d letters, digits "
                                       "or any of _.+-/%%~@:=?&",
                                       VALUE_ARG(ip->bootp_file), path, FILE_NAME_MAX);
        /* dnsmasq reads a leading "tag:" or "net:" as a tag, not a file */
        if (r > 0 && (strncasecmp(ip->bootp_file, "tag:", 4) == 0 || strncasecmp(ip->bootp_file, "net:", 4) == 0))
                return xml_err_invalid(err, "invalid boot file '%s' in <%s>: it may not start with 'tag:' or 'net:'",
                                       ip->bootp_file, path);
        if (r >= 0)
                r = network_attr_dns_name(n, path, "server", false, &ip->bootp_server, err);
        return r < 0 ? r : 0;
}

static int parse_dhcp(NetworkIp *ip, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        ip->has_dhcp = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "range")) {
                        NetworkDhcpRange *range;
                        r = NET_LIST_APPEND(ip->ranges, ip->n_ranges, NETWORK_LIST_MAX, &range, sub, err);
                        if (r >= 0)
                                r = network_parse_dhcp_range(c, sub, range, err);
                } else if (xml_is(c, "host")) {
                        NetworkDhcpHost *h;
                        r = NET_LIST_APPEND(ip->hosts, ip->n_hosts, NETWORK_HOSTS_MAX, &h, sub, err);
                        if (r >= 0)
                                r = network_parse_dhcp_host(c, sub, h, err);
                } else if (xml_is(c, "bootp")) {
                        r = xml_check_unique(c, sub, err);
                        if (r >= 0)
                                r = parse_bootp(ip, c, sub, err);
                } else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The classful default of an IPv4 address without a prefix, as libvirt. */
static unsigned default_prefix(const NetAddr *a) {
        uint8_t first = a->bytes[0];

        if (a->family == AF_INET6)
                return 64;
        return first < 128 ? 8 : first < 192 ? 16 : 24;
}

static int parse_ip_attrs(NetworkIp *ip, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const families[] = { "ipv4", "ipv6" };
        _cleanup_free_ char *family = NULL;
        NetAddr mask = {};
        int r, has_prefix;

        r = XML_CHECK_ATTRS(n, path, err, "address", "netmask", "prefix", "family", "localPtr");
        if (r >= 0)
                r = network_attr_addr(n, path, "address", true, &ip->address, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "family", families, ELEMENTSOF(families), &family, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "localPtr", "yes", "no", &ip->local_ptr, err);
        if (r >= 0)
                r = network_attr_addr(n, path, "netmask", false, &mask, err);
        if (r < 0)
                return r;
        ip->family_given = family != NULL;
        if (family && (ip->address.family == AF_INET6) != streq(family, "ipv6"))
                return xml_err_invalid(err, "address of <%s> is not of family '%s'", path, family);
        has_prefix = xml_attr_uint(n, path, "prefix", &ip->prefix, err);
        if (has_prefix < 0)
                return has_prefix;
        if (has_prefix && mask.family)
                return xml_err_xml(err, "<%s> has both 'netmask' and 'prefix'", path);
        if (mask.family) {
                if (ip->address.family != AF_INET || net_netmask_to_prefix(&mask, &ip->prefix) < 0) {
                        char buf[NET_ADDR_STRING_MAX];
                        return xml_err_invalid(err, "invalid netmask '%s' in <%s>", net_addr_format(&mask, buf),
                                               path);
                }
                ip->netmask_given = true;
        } else if (!has_prefix)
                ip->prefix = default_prefix(&ip->address);
        if (ip->prefix > net_addr_bits(&ip->address))
                return xml_err_invalid(err, "invalid prefix %u in <%s>", ip->prefix, path);
        return 0;
}

int network_parse_ip(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        NetworkIp *ip;
        int r;

        r = NET_LIST_APPEND(def->ips, def->n_ips, NETWORK_LIST_MAX, &ip, path, err);
        if (r >= 0)
                r = parse_ip_attrs(ip, n, path, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "dhcp"))
                        r = parse_dhcp(ip, c, sub, err);
                else if (xml_is(c, "tftp")) {
                        r = XML_CHECK_ATTRS(c, sub, err, "root");
                        if (r >= 0)
                                r = xml_check_empty(c, sub, err);
                        if (r >= 0)
                                r = xml_attr_str_required(c, sub, "root", &ip->tftp_root, err);
                        if (r > 0 && !str_is_abs_path(ip->tftp_root))
                                r = xml_err_invalid(err, "tftp root " VALUE_FMT " is not an absolute path", VALUE_ARG(ip->tftp_root));
                        else if (r > 0 && (strlen(ip->tftp_root) > FILE_NAME_MAX ||
                                           !str_in_charset(ip->tftp_root, CHARSET_FILE)))
                                r = xml_err_invalid(err,
                                                    "invalid tftp root " VALUE_FMT " in <%s>: at most %d letters, digits or "
                                                    "any of _.+-/%%~@",
                                                    VALUE_ARG(ip->tftp_root), sub, FILE_NAME_MAX);
                } else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int network_parse_domain(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "name", "localOnly");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = network_attr_dns_name(n, path, "name", true, &def->domain, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "localOnly", "yes", "no", &def->domain_local_only, err);
        return r < 0 ? r : 0;
}

/* Appends to a NULL-terminated list of *n entries, taking s; the capacity
 * doubles, so that a thousand names cost no more than a thousand copies. */
static int strv_push_counted(char ***l, size_t *n, char *s) {
        if (((*n + 1) & *n) == 0) {
                char **nl = realloc(*l, (*n + 1) * 2 * sizeof(char *));
                if (!nl) {
                        free(s);
                        return -ENOMEM;
                }
                *l = nl;
        }
        (*l)[(*n)++] = s;
        (*l)[*n] = NULL;
        return 0;
}

int network_parse_dns_host(xmlNodePtr n, const char *path, NetworkDnsHost *h, ConfError *err) {
        size_t count = 0;
        int r = XML_CHECK_ATTRS(n, path, err, "ip");

        if (r >= 0)
                r = network_attr_addr(n, path, "ip", true, &h->ip, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                _cleanup_free_ char *name = NULL;

                if (!xml_is(c, "hostname"))
                        return xml_unsupported_element(c, path, err);
                r = XML_CHECK_ATTRS(c, sub, err, "");
                if (r >= 0)
                        r = xml_text(c, sub, &name, err);
                if (r < 0)
                        return r;
                if (!network_dns_name_is_valid(name, false))
                        return xml_err_invalid(err,
                                               "invalid host name " VALUE_FMT " in <%s>: labels of 1 to 63 letters, digits "
                                               "or '-', at most 253 characters in all",
                                               VALUE_ARG(name), sub);
                if (count >= NETWORK_LIST_MAX)
                        return xml_err_invalid(err, "too many <%s>: at most %d", sub, NETWORK_LIST_MAX);
                r = strv_push_counted(&h->hostnames, &count, TAKE_PTR(name));
                if (r < 0)
                        return xml_err_oom(err);
        }
        if (!h->hostnames)
                return xml_err_xml(err, "<%s> needs at least one <hostname>", path);
        return 0;
}

static int parse_forwarder(NetworkDns *dns, xmlNodePtr n, const char *path, ConfError *err) {
        NetworkDnsForwarder *f;
        NetAddr a;
        int r = NET_LIST_APPEND(dns->forwarders, dns->n_forwarders, NETWORK_LIST_MAX, &f, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "addr", "domain");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "addr", &f->addr, err);
        if (r > 0 && net_addr_parse(f->addr, &a) < 0)
                r = xml_err_invalid(err, "invalid address '%s' in <%s>", f->addr, path);
        if (r >= 0)
                r = network_attr_dns_name(n, path, "domain", false, &f->domain, err);
        if (r >= 0 && !f->addr && !f->domain)
                r = xml_err_xml(err, "<%s> needs 'addr' or 'domain'", path);
        return r < 0 ? r : 0;
}

/* dnsmasq gets the value in quotes, where '"' ends it and '\\' escapes. */
static bool txt_value_is_valid(const char *v) {
        if (strlen(v) > 255)
                return false;
        for (const unsigned char *c = (const unsigned char *) v; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
                        return false;
        return true;
}

static int parse_txt(NetworkDns *dns, xmlNodePtr n, const char *path, ConfError *err) {
        NetworkDnsTxt *t;
        int r = NET_LIST_APPEND(dns->txts, dns->n_txts, NETWORK_LIST_MAX, &t, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "name", "value");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = network_attr_dns_name(n, path, "name", true, &t->name, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "value", &t->value, err);
        if (r > 0 && !txt_value_is_valid(t->value))
                r = xml_err_invalid(err,
                                    "invalid TXT value " VALUE_FMT " in <%s>: at most 255 characters, without quotes, "
                                    "backslashes or control characters",
                                    VALUE_ARG(t->value), path);
        return r < 0 ? r : 0;
}

int network_parse_dns(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        NetworkDns *dns = &def->dns;
        int r = XML_CHECK_ATTRS(n, path, err, "enable", "forwardPlainNames");

        if (r >= 0)
                r = network_attr_tristate(n, path, "enable", "yes", "no", &dns->enable, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "forwardPlainNames", "yes", "no", &dns->forward_plain_names, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        dns->present = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "host")) {
                        NetworkDnsHost *h;
                        r = NET_LIST_APPEND(dns->hosts, dns->n_hosts, NETWORK_HOSTS_MAX, &h, sub, err);
                        if (r >= 0)
                                r = network_parse_dns_host(c, sub, h, err);
                } else if (xml_is(c, "forwarder"))
                        r = parse_forwarder(dns, c, sub, err);
                else if (xml_is(c, "txt"))
                        r = parse_txt(dns, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- clear ------------------------------------------------------------------- */

void network_dhcp_host_clear(NetworkDhcpHost *h) {
        free(h->id);
        free(h->name);
        free(h->lease.unit);
        *h = (NetworkDhcpHost) {};
}

void network_dhcp_range_clear(NetworkDhcpRange *r) {
        free(r->lease.unit);
        *r = (NetworkDhcpRange) {};
}

void network_dns_host_clear(NetworkDnsHost *h) {
        strv_free(h->hostnames);
        *h = (NetworkDnsHost) {};
}

void network_ip_clear(NetworkIp *ip) {
        for (size_t i = 0; i < ip->n_ranges; i++)
                network_dhcp_range_clear(&ip->ranges[i]);
        free(ip->ranges);
        for (size_t i = 0; i < ip->n_hosts; i++)
                network_dhcp_host_clear(&ip->hosts[i]);
        free(ip->hosts);
        free(ip->tftp_root);
        free(ip->bootp_file);
        free(ip->bootp_server);
        *ip = (NetworkIp) {};
}

void network_dns_clear(NetworkDns *dns) {
        for (size_t i = 0; i < dns->n_forwarders; i++) {
                free(dns->forwarders[i].addr);
                free(dns->forwarders[i].domain);
        }
        free(dns->forwarders);
        for (size_t i = 0; i < dns->n_txts; i++) {
                free(dns->txts[i].name);
                free(dns->txts[i].value);
        }
        free(dns->txts);
        for (size_t i = 0; i < dns->n_hosts; i++)
                network_dns_host_clear(&dns->hosts[i]);
        free(dns->hosts);
        *dns = (NetworkDns) {};
}

/* ---- format --------------------------------------------------------------------- */

void network_format_dhcp_host(XmlWriter *w, const NetworkDhcpHost *h) {
        char mac[MAC_STRING_MAX], ip[NET_ADDR_STRING_MAX];

        xw_start(w, "host");
        if (h->has_mac)
                xw_attr(w, "mac", mac_format(h->mac, mac));
        xw_attr(w, "id", h->id);
        xw_attr(w, "name", h->name);
        xw_attr(w, "ip", net_addr_format(&h->ip, ip));
        format_lease(w, &h->lease);
        xw_end(w);
}

static void format_dhcp(XmlWriter *w, const NetworkIp *ip) {
        char a[NET_ADDR_STRING_MAX], b[NET_ADDR_STRING_MAX];

        if (!ip->has_dhcp)
                return;
        xw_start(w, "dhcp");
        for (size_t i = 0; i < ip->n_ranges; i++) {
                xw_start(w, "range");
                xw_attr(w, "start", net_addr_format(&ip->ranges[i].start, a));
                xw_attr(w, "end", net_addr_format(&ip->ranges[i].end, b));
                format_lease(w, &ip->ranges[i].lease);
                xw_end(w);
        }
        for (size_t i = 0; i < ip->n_hosts; i++)
                network_format_dhcp_host(w, &ip->hosts[i]);
        if (ip->bootp_file) {
                xw_start(w, "bootp");
                xw_attr(w, "file", ip->bootp_file);
                xw_attr(w, "server", ip->bootp_server);
                xw_end(w);
        }
        xw_end(w);
}

void network_format_ips(XmlWriter *w, const NetworkDef *def) {
        char a[NET_ADDR_STRING_MAX];

        for (size_t i = 0; i < def->n_ips; i++) {
                const NetworkIp *ip = &def->ips[i];

                xw_start(w, "ip");
                if (ip->family_given || ip->address.family == AF_INET6)
                        xw_attr(w, "family", ip->address.family == AF_INET6 ? "ipv6" : "ipv4");
                xw_attr(w, "address", net_addr_format(&ip->address, a));
                if (ip->netmask_given) {
                        NetAddr mask;
                        net_prefix_to_netmask(ip->prefix, &mask);
                        xw_attr(w, "netmask", net_addr_format(&mask, a));
                } else
                        xw_attrf(w, "prefix", "%u", ip->prefix);
                xw_attr(w, "localPtr", network_tristate_word(ip->local_ptr, "yes", "no"));
                if (ip->tftp_root) {
                        xw_start(w, "tftp");
                        xw_attr(w, "root", ip->tftp_root);
                        xw_end(w);
                }
                format_dhcp(w, ip);
                xw_end(w);
        }
}

void network_format_dns(XmlWriter *w, const NetworkDef *def) {
        const NetworkDns *dns = &def->dns;
        char a[NET_ADDR_STRING_MAX];

        if (!dns->present)
                return;
        xw_start(w, "dns");
        xw_attr(w, "enable", network_tristate_word(dns->enable, "yes", "no"));
        xw_attr(w, "forwardPlainNames", network_tristate_word(dns->forward_plain_names, "yes", "no"));
        for (size_t i = 0; i < dns->n_forwarders; i++) {
                xw_start(w, "forwarder");
                xw_attr(w, "domain", dns->forwarders[i].domain);
                xw_attr(w, "addr", dns->forwarders[i].addr);
                xw_end(w);
        }
        for (size_t i = 0; i < dns->n_txts; i++) {
                xw_start(w, "txt");
                xw_attr(w, "name", dns->txts[i].name);
                xw_attr(w, "value", dns->txts[i].value);
                xw_end(w);
        }
        for (size_t i = 0; i < dns->n_hosts; i++) {
                xw_start(w, "host");
                xw_attr(w, "ip", net_addr_format(&dns->hosts[i].ip, a));
                for (char **h = dns->hosts[i].hostnames; h && *h; h++)
                        xw_element(w, "hostname", *h);
                xw_end(w);
        }
        xw_end(w);
}
