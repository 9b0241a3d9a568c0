/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <network>: the root element, its simple children (<name>, <uuid>,
 * <bridge>, <mac>, <mtu>, <forward>, <port>), new/free/copy and format. */
#include <inttypes.h>

#include "error.h"
#include "network-conf-internal.h"
#include "util.h"
#include "uuid.h"

static const char *const forward_modes[_NETWORK_FORWARD_MAX] = {
        [NETWORK_FORWARD_NONE] = "none", /* never in XML: no <forward> */
        [NETWORK_FORWARD_NAT] = "nat",
        [NETWORK_FORWARD_ROUTE] = "route",
        [NETWORK_FORWARD_OPEN] = "open",
        [NETWORK_FORWARD_BRIDGE] = "bridge",
        [NETWORK_FORWARD_PASSTHROUGH] = "passthrough",
        [NETWORK_FORWARD_PRIVATE] = "private",
        [NETWORK_FORWARD_VEPA] = "vepa",
        [NETWORK_FORWARD_HOSTDEV] = "hostdev",
};

const char *network_forward_mode_to_string(NetworkForwardMode m) {
        return (size_t) m < ELEMENTSOF(forward_modes) ? forward_modes[m] : NULL;
}

int network_forward_mode_from_string(const char *s) {
        for (size_t i = 1; i < ELEMENTSOF(forward_modes); i++)
                if (streq_ptr(forward_modes[i], s))
                        return (int) i;
        return -EINVAL;
}

/* ---- names ------------------------------------------------------------------ */

/* Not isalnum(): the locale must not widen what reaches other programs. */
static bool ascii_isalnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool network_name_is_valid(const char *name) {
        /* dnsmasq's lines carry the name in file names: no quoting, escapes
         * or comments */
        return object_name_is_valid(name) && !strpbrk(name, "\\\"'#");
}

bool network_dns_name_is_valid(const char *name, bool underscore) {
        size_t total, label = 0;

        if (!name)
                return false;
        total = strlen(name);
        if (total == 0 || total > 253)
                return false;
        for (const char *c = name; *c; c++) {
                if (*c == '.') {
                        if (label == 0)
                                return false; /* an empty label: "a..b", ".a" */
                        label = 0;
                        continue;
                }
                if (!ascii_isalnum(*c) && *c != '-' && !(underscore && *c == '_'))
                        return false;
                if (++label > 63)
                        return false;
        }
        return label > 0; /* no trailing dot */
}

bool network_ifname_is_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n >= 16 || streq(name, ".") || streq(name, ".."))
                return false;
        for (const char *c = name; *c; c++)
                if (!ascii_isalnum(*c) && !strchr("-_.", *c))
                        return false;
        return true;
}

int network_attr_dns_name(xmlNodePtr n, const char *path, const char *attr, bool required, char **ret,
                          ConfError *err) {
        int r = required ? xml_attr_str_required(n, path, attr, ret, err) : xml_attr_str(n, path, attr, ret, err);

        if (r > 0 && !network_dns_name_is_valid(*ret, false))
                return xml_err_invalid(err,
                                       "invalid DNS name " VALUE_FMT " in attribute '%s' of <%s>: labels of 1 to 63 letters, "
                                       "digits or '-', at most 253 characters in all",
                                       VALUE_ARG(*ret), attr, path);
        return r;
}

/* ---- shared helpers ------------------------------------------------------- */

int network_list_append(void **array, size_t *n, size_t size, size_t max, void **ret, const char *path,
                        ConfError *err) {
        void *a;

        if (*n >= max)
                return xml_err_invalid(err, "too many <%s> elements: at most %zu", path, max);
        /* capacity is the next power of two of the count */
        if ((*n & (*n - 1)) == 0) {
                size_t cap = *n ? *n * 2 : 1;
                a = realloc(*array, cap * size);
                if (!a)
                        return xml_err_oom(err);
                *array = a;
        }
        a = (char *) *array + *n * size;
        memset(a, 0, size);
        (*n)++;
        *ret = a;
        return 0;
}

int network_attr_tristate(xmlNodePtr n, const char *path, const char *attr, const char *on, const char *off,
                          Tristate *ret, ConfError *err) {
        bool b;
        int r = xml_attr_bool(n, path, attr, on, off, &b, err);

        if (r > 0)
                *ret = b ? TRISTATE_ON : TRISTATE_OFF;
        return r;
}

int network_attr_charset(xmlNodePtr n, const char *path, const char *attr, const char *charset, bool required,
                         char **ret, ConfError *err) {
        int r = required ? xml_attr_str_required(n, path, attr, ret, err) : xml_attr_str(n, path, attr, ret, err);

        if (r > 0 && !str_in_charset(*ret, charset))
                return xml_err_invalid(err, "invalid value " VALUE_FMT " of attribute '%s' of <%s>", VALUE_ARG(*ret), attr, path);
        return r;
}

int network_attr_addr(xmlNodePtr n, const char *path, const char *attr, bool required, NetAddr *ret,
                      ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = required ? xml_attr_str_required(n, path, attr, &s, err) : xml_attr_str(n, path, attr, &s, err);

        if (r <= 0)
                return r;
        if (net_addr_parse(s, ret) < 0)
                return xml_err_invalid(err, "invalid IP address '%s' in attribute '%s' of <%s>", s, attr, path);
        return 1;
}

int network_attr_mac(xmlNodePtr n, const char *path, const char *attr, uint8_t mac[6], ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = xml_attr_str(n, path, attr, &s, err);

        if (r <= 0)
                return r;
        if (mac_parse(s, mac) < 0)
                return conf_fail(err, VB_ERROR_INVALID_MAC, "invalid MAC address '%s' in <%s>", s, path);
        if (!mac_is_unicast(mac))
                return conf_fail(err, VB_ERROR_INVALID_MAC,
                                 "invalid MAC address '%s' in <%s>: a multicast address", s, path);
        return 1;
}

int network_read_fragment(const char *xml, const char *root, xmlDocPtr *ret_doc, xmlNodePtr *ret_root,
                          ConfError *err) {
        xmlDocPtr doc = NULL;
        int r = xml_read_document(xml, 0, root, &doc, err);

        if (r < 0)
                return r;
        *ret_doc = doc;
        *ret_root = xmlDocGetRootElement(doc);
        return 0;
}

/* ---- new, free ------------------------------------------------------------ */

NetworkDef *network_def_new(void) {
        return calloc(1, sizeof(NetworkDef));
}

NetworkDef *network_def_free(NetworkDef *def) {
        if (!def)
                return NULL;
        free(def->name);
        free(def->bridge);
        free(def->zone);
        free(def->mac_table_manager);
        free(def->forward_dev);
        free(def->domain);
        network_dns_clear(&def->dns);
        for (size_t i = 0; i < def->n_portgroups; i++)
                network_portgroup_clear(&def->portgroups[i]);
        free(def->portgroups);
        for (size_t i = 0; i < def->n_ips; i++)
                network_ip_clear(&def->ips[i]);
        free(def->ips);
        free(def);
        return NULL;
}

/* ---- simple children -------------------------------------------------------- */

static int parse_name(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "");

        if (r >= 0)
                r = xml_text(n, path, &def->name, err);
        if (r < 0)
                return r;
        if (!network_name_is_valid(def->name))
                return xml_err_invalid(err,
                                       "invalid network name " VALUE_FMT ": 1 to %d characters, not '.' or '..', without "
                                       "'/', '\\', quotes, '#' or control characters",
                                       VALUE_ARG(def->name), NETWORK_NAME_MAX);
        return 0;
}

static int parse_uuid(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, "");

        if (r >= 0)
                r = xml_text(n, path, &s, err);
        if (r < 0)
                return r;
        if (uuid_parse(s, def->uuid) < 0)
                return xml_err_invalid(err, "invalid UUID '%s' in <%s>", s, path);
        return 0;
}

static int parse_bridge(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const managers[] = { "kernel", "libvirt" };
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "zone", "stp", "delay", "macTableManager");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = network_attr_charset(n, path, "name", CHARSET_DEVICE, false, &def->bridge, err);
        if (r >= 0 && def->bridge && strlen(def->bridge) >= 16)
                r = xml_err_invalid(err, "bridge name '%s' is too long: at most 15 characters", def->bridge);
        if (r >= 0 && def->bridge && !network_ifname_is_valid(def->bridge))
                r = xml_err_invalid(err, "invalid bridge name '%s': letters, digits, '-', '_' or '.'", def->bridge);
        if (r >= 0)
                r = network_attr_charset(n, path, "zone", CHARSET_DNS "_", false, &def->zone, err);
        if (r > 0)
                r = xml_err_unsupported(err, "attribute 'zone' of <%s> (firewalld) is not supported", path);
        if (r >= 0)
                r = network_attr_tristate(n, path, "stp", "on", "off", &def->stp, err);
        if (r >= 0)
                r = xml_attr_ullong(n, path, "delay", &def->delay, err);
        if (r > 0)
                def->has_delay = true;
        if (r >= 0)
                r = xml_attr_choice(n, path, "macTableManager", managers, ELEMENTSOF(managers),
                                    &def->mac_table_manager, err);
        if (r > 0 && streq(def->mac_table_manager, "libvirt"))
                r = xml_err_unsupported(err, "macTableManager='libvirt' of <%s> is not supported", path);
        return r < 0 ? r : 0;
}

static int parse_mac(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "address");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = network_attr_mac(n, path, "address", def->mac, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'address' of <%s>", path);
        if (r > 0)
                def->has_mac = true;
        return r < 0 ? r : 0;
}

static int parse_mtu(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "size");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "size", &def->mtu, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'size' of <%s>", path);
        if (r > 0 && (def->mtu < 68 || def->mtu > 65535))
                return xml_err_invalid(err, "MTU %u of <%s> is out of range (68 to 65535)", def->mtu, path);
        return r < 0 ? r : 0;
}

static int parse_nat(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "ipv6");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "ipv6", "yes", "no", &def->nat_ipv6, err);
        if (r < 0)
                return r;
        def->has_nat = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "port"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "start", "end");
                if (r >= 0)
                        r = xml_attr_uint(c, sub, "start", &def->nat_port_start, err);
                if (r >= 0)
                        r = xml_attr_uint(c, sub, "end", &def->nat_port_end, err);
                if (r < 0)
                        return r;
                if (def->nat_port_start < 1 || def->nat_port_end > 65535 || def->nat_port_start > def->nat_port_end)
                        return xml_err_invalid(err, "invalid port range %u-%u in <%s>", def->nat_port_start,
                                               def->nat_port_end, sub);
        }
        return 0;
}

static int parse_forward(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL;
        int r, m = NETWORK_FORWARD_NAT; /* <forward/> alone means nat */

        r = XML_CHECK_ATTRS(n, path, err, "dev", "mode", "managed");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "mode", &mode, err);
        if (r < 0)
                return r;
        if (mode) {
                m = network_forward_mode_from_string(mode);
                if (m < 0)
                        return xml_err_unsupported(err, "unknown forward mode '%s' in <%s>", mode, path);
        }
        if (m >= NETWORK_FORWARD_PASSTHROUGH)
                return xml_err_unsupported(err, "forward mode '%s' is not supported", mode);
        if (xmlHasProp(n, BAD_CAST "managed"))
                return xml_err_unsupported(err, "attribute 'managed' of <%s> is not supported", path);
        def->has_forward = true;
        def->forward = (NetworkForwardMode) m;
        r = network_attr_charset(n, path, "dev", CHARSET_DEVICE, false, &def->forward_dev, err);
        if (r > 0 && !network_ifname_is_valid(def->forward_dev))
                r = xml_err_invalid(err, "invalid interface name '%s' in attribute 'dev' of <%s>: 1 to 15 letters, "
                                         "digits, '-', '_' or '.'",
                                    def->forward_dev, path);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "nat"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_nat(def, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_port(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "isolated");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "isolated", "yes", "no", &def->port_isolated, err);
        return r < 0 ? r : 0;
}

static int parse_portgroup_child(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        NetworkPortgroup *pg = NULL;
        int r = NET_LIST_APPEND(def->portgroups, def->n_portgroups, NETWORK_LIST_MAX, &pg, path, err);

        return r < 0 ? r : network_parse_portgroup(n, path, pg, err);
}

static int parse_bandwidth_child(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return network_parse_bandwidth(n, path, &def->bandwidth, err);
}

static int parse_vlan_child(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        return network_parse_vlan(n, path, &def->vlan, err);
}

typedef int (*ChildParseFn)(NetworkDef *def, xmlNodePtr n, const char *path, ConfError *err);

static const struct {
        const char *name;
        ChildParseFn parse;
        bool repeats;
} children[] = {
        { "name", parse_name },
        { "uuid", parse_uuid },
        { "bridge", parse_bridge },
        { "mac", parse_mac },
        { "mtu", parse_mtu },
        { "forward", parse_forward },
        { "port", parse_port },
        { "portgroup", parse_portgroup_child, true },
        { "domain", network_parse_domain },
        { "dns", network_parse_dns },
        { "bandwidth", parse_bandwidth_child },
        { "vlan", parse_vlan_child },
        { "ip", network_parse_ip, true },
};

static int parse_root(NetworkDef *def, xmlNodePtr root, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(root, "network", err, "connections", "ipv6", "trustGuestRxFilters");
        if (r >= 0)
                r = xml_check_no_text(root, "network", err);
        if (r >= 0)
                r = network_attr_tristate(root, "network", "ipv6", "yes", "no", &def->ipv6, err);
        if (r >= 0)
                r = network_attr_tristate(root, "network", "trustGuestRxFilters", "yes", "no", &def->trust_guest_rx,
                                          err);
        if (r < 0)
                return r;
        /* connections='' is a status attribute: read back, never trusted */

        XML_FOREACH_ELEMENT(c, root) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(children); i++)
                        if (xml_is(c, children[i].name))
                                break;
                if (i == ELEMENTSOF(children))
                        return xml_unsupported_element(c, "", err);
                if (!children[i].repeats) {
                        r = xml_check_unique(c, children[i].name, err);
                        if (r < 0)
                                return r;
                }
                r = children[i].parse(def, c, children[i].name, err);
                if (r < 0)
                        return r;
        }
        if (!def->name)
                return xml_err_xml(err, "missing element <name> in <network>");
        return 0;
}

int network_def_parse(const char *xml, size_t len, NetworkDef **ret, ConfError *err) {
        _cleanup_(network_def_freep) NetworkDef *def = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        int r;

        r = xml_read_document(xml, len, "network", &doc, err);
        if (r < 0)
                return r;
        def = network_def_new();
        if (!def)
                return xml_err_oom(err);
        r = parse_root(def, xmlDocGetRootElement(doc), err);
        if (r < 0)
                return r;
        if (uuid_is_null(def->uuid) && uuid_generate(def->uuid) < 0)
                return conf_fail(err, VB_ERROR_INTERNAL, "cannot generate a UUID");
        r = network_def_validate(def, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(def);
        return 0;
}

/* ---- format ----------------------------------------------------------------- */

static void format_forward(XmlWriter *w, const NetworkDef *def) {
        if (!def->has_forward)
                return;
        xw_start(w, "forward");
        xw_attr(w, "mode", network_forward_mode_to_string(def->forward));
        xw_attr(w, "dev", def->forward_dev);
        if (def->has_nat) {
                xw_start(w, "nat");
                xw_attr(w, "ipv6", network_tristate_word(def->nat_ipv6, "yes", "no"));
                if (def->nat_port_start) {
                        xw_start(w, "port");
                        xw_attrf(w, "start", "%u", def->nat_port_start);
                        xw_attrf(w, "end", "%u", def->nat_port_end);
                        xw_end(w);
                }
                xw_end(w);
        }
        xw_end(w);
}

static void format_bridge(XmlWriter *w, const NetworkDef *def) {
        char mac[MAC_STRING_MAX];

        if (def->bridge || def->stp || def->has_delay || def->mac_table_manager) {
                xw_start(w, "bridge");
                xw_attr(w, "name", def->bridge);
                xw_attr(w, "stp", network_tristate_word(def->stp, "on", "off"));
                if (def->has_delay)
                        xw_attrf(w, "delay", "%" PRIu64, def->delay);
                xw_attr(w, "macTableManager", def->mac_table_manager);
                xw_end(w);
        }
        if (def->mtu) {
                xw_start(w, "mtu");
                xw_attrf(w, "size", "%u", def->mtu);
                xw_end(w);
        }
        if (def->has_mac) {
                xw_start(w, "mac");
                xw_attr(w, "address", mac_format(def->mac, mac));
                xw_end(w);
        }
}

int network_def_format(const NetworkDef *def, unsigned flags, char **ret) {
        XmlWriter w = {};
        char uuid[UUID_STRING_MAX];

        xw_start(&w, "network");
        if (!(flags & NETWORK_FORMAT_INACTIVE) && def->connections)
                xw_attrf(&w, "connections", "%u", def->connections);
        xw_attr(&w, "ipv6", network_tristate_word(def->ipv6, "yes", "no"));
        xw_attr(&w, "trustGuestRxFilters", network_tristate_word(def->trust_guest_rx, "yes", "no"));
        xw_element(&w, "name", def->name);
        xw_element(&w, "uuid", uuid_format(def->uuid, uuid));
        format_forward(&w, def);
        format_bridge(&w, def);
        if (def->domain) {
                xw_start(&w, "domain");
                xw_attr(&w, "name", def->domain);
                xw_attr(&w, "localOnly", network_tristate_word(def->domain_local_only, "yes", "no"));
                xw_end(&w);
        }
        network_format_dns(&w, def);
        network_format_bandwidth(&w, &def->bandwidth);
        network_format_vlan(&w, &def->vlan);
        if (def->port_isolated) {
                xw_start(&w, "port");
                xw_attr(&w, "isolated", network_tristate_word(def->port_isolated, "yes", "no"));
                xw_end(&w);
        }
        for (size_t i = 0; i < def->n_portgroups; i++)
                network_format_portgroup(&w, &def->portgroups[i]);
        network_format_ips(&w, def);
        xw_end(&w);
        return xw_finish(&w, ret);
}

/* A deep copy, field by field: a network may hold tens of thousands of hosts,
 * and a copy through the XML (format, parse, validate) took a tenth of a
 * second for each Update. Every pointer of the model is copied here; the
 * unit tests compare the copy's XML with the original's for every test
 * file. Lists get the capacity network_list_append() expects. */
static bool dup_str(char **s) {
        if (!*s)
                return true;
        *s = strdup(*s);
        return *s != NULL;
}

static bool dup_list(void **array, size_t n, size_t size) {
        size_t cap = 1;
        void *a;

        if (!n) {
                *array = NULL;
                return true;
        }
        while (cap < n)
                cap *= 2;
        a = calloc(cap, size);
        if (a)
                memcpy(a, *array, n * size);
        *array = a;
        return a != NULL;
}

static bool dup_strv(char ***l) {
        size_t n = strv_length(*l);
        char **c;

        if (!*l)
                return true;
        c = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup((*l)[i]))) {
                        strv_free(c);
                        c = NULL;
                }
        *l = c;
        return c != NULL;
}

/* Copies what the (shallow) copy *ip points to; on failure what was not
 * copied is NULL, so that network_ip_clear() can free the rest. */
static bool dup_ip(NetworkIp *ip) {
        bool ok = true;

        ok &= dup_str(&ip->tftp_root);
        ok &= dup_str(&ip->bootp_file);
        ok &= dup_str(&ip->bootp_server);
        if (!dup_list((void **) &ip->ranges, ip->n_ranges, sizeof(*ip->ranges))) {
                ip->n_ranges = 0;
                ok = false;
        }
        for (size_t i = 0; i < ip->n_ranges; i++)
                ok &= dup_str(&ip->ranges[i].lease.unit);
        if (!dup_list((void **) &ip->hosts, ip->n_hosts, sizeof(*ip->hosts))) {
                ip->n_hosts = 0;
                ok = false;
        }
        for (size_t i = 0; i < ip->n_hosts; i++) {
                NetworkDhcpHost *h = &ip->hosts[i];
                ok &= dup_str(&h->id);
                ok &= dup_str(&h->name);
                ok &= dup_str(&h->lease.unit);
        }
        return ok;
}

static bool dup_dns(NetworkDns *dns) {
        bool ok = true;

        if (!dup_list((void **) &dns->forwarders, dns->n_forwarders, sizeof(*dns->forwarders))) {
                dns->n_forwarders = 0;
                ok = false;
        }
        for (size_t i = 0; i < dns->n_forwarders; i++) {
                ok &= dup_str(&dns->forwarders[i].addr);
                ok &= dup_str(&dns->forwarders[i].domain);
        }
        if (!dup_list((void **) &dns->txts, dns->n_txts, sizeof(*dns->txts))) {
                dns->n_txts = 0;
                ok = false;
        }
        for (size_t i = 0; i < dns->n_txts; i++) {
                ok &= dup_str(&dns->txts[i].name);
                ok &= dup_str(&dns->txts[i].value);
        }
        if (!dup_list((void **) &dns->hosts, dns->n_hosts, sizeof(*dns->hosts))) {
                dns->n_hosts = 0;
                ok = false;
        }
        for (size_t i = 0; i < dns->n_hosts; i++)
                ok &= dup_strv(&dns->hosts[i].hostnames);
        return ok;
}

int network_def_copy(const NetworkDef *def, NetworkDef **ret) {
        _cleanup_(network_def_freep) NetworkDef *c = network_def_new();
        bool ok = true;

        if (!c)
                return -ENOMEM;
        *c = *def;
        ok &= dup_str(&c->name);
        ok &= dup_str(&c->bridge);
        ok &= dup_str(&c->zone);
        ok &= dup_str(&c->mac_table_manager);
        ok &= dup_str(&c->forward_dev);
        ok &= dup_str(&c->domain);
        ok &= dup_dns(&c->dns);
        if (!dup_list((void **) &c->portgroups, c->n_portgroups, sizeof(*c->portgroups))) {
                c->n_portgroups = 0;
                ok = false;
        }
        for (size_t i = 0; i < c->n_portgroups; i++)
                ok &= dup_str(&c->portgroups[i].name);
        if (!dup_list((void **) &c->ips, c->n_ips, sizeof(*c->ips))) {
                c->n_ips = 0;
                ok = false;
        }
        for (size_t i = 0; i < c->n_ips; i++)
                ok &= dup_ip(&c->ips[i]);
        if (!ok)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- small queries -------------------------------------------------------------- */

bool network_def_uses_vlans(const NetworkDef *def) {
        if (def->vlan.n_tags)
                return true;
        for (size_t i = 0; i < def->n_portgroups; i++)
                if (def->portgroups[i].vlan.n_tags)
                        return true;
        return false;
}

const NetworkPortgroup *network_def_find_portgroup(const NetworkDef *def, const char *name) {
        for (size_t i = 0; i < def->n_portgroups; i++) {
                const NetworkPortgroup *pg = &def->portgroups[i];
                if (name && *name ? streq(pg->name, name) : pg->is_default)
                        return pg;
        }
        return NULL;
}

NetworkIp *network_def_find_ip(const NetworkDef *def, int idx, int family) {
        if (idx >= 0)
                return (size_t) idx < def->n_ips ? &def->ips[idx] : NULL;
        /* the first of the family with a DHCP server, else the first of the family */
        for (size_t i = 0; i < def->n_ips; i++)
                if ((!family || def->ips[i].address.family == family) && def->ips[i].has_dhcp)
                        return &def->ips[i];
        for (size_t i = 0; i < def->n_ips; i++)
                if (!family || def->ips[i].address.family == family)
                        return &def->ips[i];
        return NULL;
}
