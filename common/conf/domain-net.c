/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface>: user networking, a port on a virtbus network, or a tap on a
 * host bridge. */
#include <arpa/inet.h>
#include <systemd/sd-id128.h>

#include "domain-conf-internal.h"
#include "error.h"
#include "network-conf-internal.h"

static int parse_mac(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        unsigned b[6];
        int r, end = 0;

        r = XML_CHECK_ATTRS(n, path, err, "address");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "address", &s, err);
        if (r < 0)
                return r;
        if (strlen(s) != 17 ||
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6 ||
            end != 17 || !str_in_charset(s, "0123456789abcdefABCDEF:"))
                return conf_fail(err, VB_ERROR_INVALID_MAC, "invalid MAC address: '%s' in <%s>", s, path);
        /* a guest NIC needs a unicast address (the schema's uniMacAddr) */
        if (b[0] & 1)
                return conf_fail(err, VB_ERROR_INVALID_MAC,
                                 "invalid MAC address: '%s' in <%s> is a multicast address", s, path);
        for (size_t i = 0; i < 6; i++)
                net->mac[i] = (uint8_t) b[i];
        net->mac_given = true;
        return 0;
}

/* 52:54:00 is the prefix QEMU and libvirt use for generated addresses. */
static int generate_mac(DomainNetDef *net, ConfError *err) {
        sd_id128_t id;
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return conf_fail(err, VB_ERROR_INTERNAL, "cannot generate a MAC address: %s", strerror(-r));
        net->mac[0] = 0x52;
        net->mac[1] = 0x54;
        net->mac[2] = 0x00;
        memcpy(net->mac + 3, id.bytes, 3);
        net->mac_given = false;
        return 0;
}

static int parse_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        switch (net->type) {
        case DOMAIN_NET_NETWORK:
                r = XML_CHECK_ATTRS(n, path, err, "network", "portgroup", "portid");
                if (r >= 0)
                        r = xml_check_empty(n, path, err);
                if (r >= 0)
                        r = xml_attr_str_required(n, path, "network", &net->source, err);
                if (r >= 0 && (!*net->source || str_has_newline(net->source)))
                        r = xml_err_invalid(err, "invalid network name '%s' in <%s>", net->source, path);
                if (r >= 0)
                        r = xml_attr_str(n, path, "portgroup", &net->portgroup, err);
                if (r > 0)
                        r = domain_check_charset(net->portgroup, CHARSET_ALNUM "_.-\\:/",
                                                 "attribute 'portgroup' of", path, err);
                if (r >= 0)
                        r = domain_parse_net_portid(net, n, path, err);
                return r < 0 ? r : 0;
        case DOMAIN_NET_USER:
                return domain_parse_net_user_source(net, n, path, err);
        case DOMAIN_NET_ETHERNET:
                return domain_parse_net_host_ips(net, n, path, err);
        case DOMAIN_NET_BRIDGE:
                r = XML_CHECK_ATTRS(n, path, err, "bridge");
                if (r >= 0)
                        r = xml_check_empty(n, path, err);
                if (r >= 0)
                        r = xml_attr_str_required(n, path, "bridge", &net->source, err);
                if (r >= 0)
                        r = domain_check_charset(net->source, CHARSET_ALNUM "_.-\\:/",
                                                 "attribute 'bridge' of", path, err);
                return r < 0 ? r : 0;
        default:
                return domain_parse_net_other_source(net, n, path, err);
        }
}

static int parse_model(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &net->model, err);
        if (r >= 0)
                r = domain_check_charset(net->model, CHARSET_ALNUM "-_", "attribute 'type' of", path, err);
        return r < 0 ? r : 0;
}

static int check_word(const char *value, const char *attr, const char *path, const char *a, const char *b,
                      ConfError *err) {
        if (!value || streq(value, a) || streq(value, b))
                return 0;
        return xml_err_unsupported(err, "value '%s' of attribute '%s' of <%s> is not supported, only '%s' or '%s'",
                                   value, attr, path, a, b);
}

/* libvirt's rule for virtio-net's ring sizes: a power of two, 256 to 1024. */
static int parse_queue_size(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, ConfError *err) {
        int r = xml_attr_uint(n, path, attr, ret, err);

        if (r > 0 && (*ret < 256 || *ret > 1024 || (*ret & (*ret - 1))))
                return xml_err_invalid(err, "%s '%u' of <%s> has to be a power of two and in range [256, 1024]",
                                       attr, *ret, path);
        return r;
}

static int parse_driver(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "txmode", "ioeventfd", "event_idx", "queues", "rx_queue_size",
                            "tx_queue_size", "rss", "rss_hash_report", DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r >= 0)
                r = parse_queue_size(n, path, "rx_queue_size", &net->driver_rx_queue_size, err);
        if (r >= 0)
                r = parse_queue_size(n, path, "tx_queue_size", &net->driver_tx_queue_size, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_parse_net_driver_offloads(net, n, path, err);
        if (r >= 0)
                r = domain_parse_net_driver_rss(net, n, path, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, &net->virtio, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "name", &net->driver_name, err);
        if (r >= 0)
                r = check_word(net->driver_name, "name", path, "qemu", "vhost", err);
        if (r >= 0)
                r = xml_attr_str(n, path, "txmode", &net->driver_txmode, err);
        if (r >= 0)
                r = check_word(net->driver_txmode, "txmode", path, "iothread", "timer", err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "ioeventfd", "on", "off", &net->driver_ioeventfd, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "event_idx", "on", "off", &net->driver_event_idx, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "queues", &net->driver_queues, err);
        if (r > 0 && net->driver_queues == 0)
                return xml_err_invalid(err, "invalid queues '0' in <%s>", path);
        return r < 0 ? r : 0;
}

static void format_driver(XmlWriter *w, const DomainNetDef *net) {
        if (!net->driver_name && !net->driver_txmode && net->driver_ioeventfd == TRISTATE_ABSENT &&
            net->driver_event_idx == TRISTATE_ABSENT && !net->driver_queues && !net->driver_rx_queue_size &&
            !net->driver_tx_queue_size && !domain_virtio_opts_set(&net->virtio) && !domain_net_driver_opts_set(net))
                return;
        xw_start(w, "driver");
        xw_attr(w, "name", net->driver_name);
        xw_attr(w, "txmode", net->driver_txmode);
        xw_attr(w, "ioeventfd", tristate_word(net->driver_ioeventfd, "on", "off"));
        xw_attr(w, "event_idx", tristate_word(net->driver_event_idx, "on", "off"));
        if (net->driver_queues)
                xw_attrf(w, "queues", "%u", net->driver_queues);
        if (net->driver_rx_queue_size)
                xw_attrf(w, "rx_queue_size", "%u", net->driver_rx_queue_size);
        if (net->driver_tx_queue_size)
                xw_attrf(w, "tx_queue_size", "%u", net->driver_tx_queue_size);
        domain_format_virtio_opts(w, &net->virtio);
        domain_format_net_driver_rss(w, net);
        domain_format_net_driver_offloads(w, net);
        xw_end(w);
}

static int parse_target(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "dev", "managed");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "dev", &net->ifname, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "managed", "yes", "no", &net->opts.target_managed, err);
        if (r >= 0)
                r = domain_check_charset(net->ifname, CHARSET_ALNUM "_.-\\:/", "attribute 'dev' of", path, err);
        return r < 0 ? r : 0;
}

/* An address of either family; its longest prefix, or -1. */
static int address_bits(const char *s) {
        unsigned char buf[16];

        if (inet_pton(AF_INET, s, buf) == 1)
                return 32;
        if (inet_pton(AF_INET6, s, buf) == 1)
                return 128;
        return -1;
}

static int parse_prefix(xmlNodePtr n, const char *path, const char *address, unsigned *ret, bool *given,
                        ConfError *err) {
        int bits = address_bits(address), r;

        if (bits < 0)
                return xml_err_invalid(err, "invalid IP address '%s' in <%s>", address, path);
        r = xml_attr_uint(n, path, "prefix", ret, err);
        if (r < 0)
                return r;
        if (r > 0 && *ret > (unsigned) bits)
                return xml_err_invalid(err, "invalid prefix %u for '%s' in <%s>", *ret, address, path);
        if (given)
                *given = r > 0;
        return 0;
}

/* family='' as libvirt reads it: a hint the address must match. */
static int parse_family(xmlNodePtr n, const char *path, const char *address, char **ret, ConfError *err) {
        static const char *const families[] = { "ipv4", "ipv6" };
        int r = xml_attr_choice(n, path, "family", families, ELEMENTSOF(families), ret, err);

        if (r > 0 && address_bits(address) != (streq(*ret, "ipv4") ? 32 : 128))
                return xml_err_invalid(err, "invalid %s address '%s' in <%s>", *ret, address, path);
        return r;
}

int domain_parse_net_ip(DomainNetIp **ips, size_t *n_ips, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetIp *ip;
        int r;

        r = LIST_APPEND(*ips, *n_ips, &ip, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "address", "prefix", "family", "peer");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "address", &ip->address, err);
        if (r >= 0)
                r = parse_prefix(n, path, ip->address, &ip->prefix, &ip->has_prefix, err);
        if (r >= 0)
                r = parse_family(n, path, ip->address, &ip->family, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "peer", &ip->peer, err);
        if (r > 0 && address_bits(ip->peer) != address_bits(ip->address))
                return xml_err_invalid(err, "invalid peer '%s' for '%s' in <%s>", ip->peer, ip->address, path);
        return r < 0 ? r : 0;
}

int domain_parse_net_route(DomainNetRoute **routes, size_t *n_routes, xmlNodePtr n, const char *path,
                           ConfError *err) {
        DomainNetRoute *rt;
        int r;

        r = LIST_APPEND(*routes, *n_routes, &rt, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "address", "prefix", "gateway", "family");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "address", &rt->address, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "gateway", &rt->gateway, err);
        if (r >= 0)
                r = parse_prefix(n, path, rt->address, &rt->prefix, NULL, err);
        if (r >= 0 && address_bits(rt->gateway) != address_bits(rt->address))
                r = xml_err_invalid(err, "invalid gateway '%s' for '%s' in <%s>", rt->gateway, rt->address, path);
        if (r >= 0)
                r = parse_family(n, path, rt->address, &rt->family, err);
        return r < 0 ? r : 0;
}

static int parse_ip(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        return domain_parse_net_ip(&net->ips, &net->n_ips, n, path, err);
}

static int parse_route(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        return domain_parse_net_route(&net->routes, &net->n_routes, n, path, err);
}

static int parse_guest(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "dev");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "dev", &net->guest_ifname, err);
        if (r >= 0)
                r = domain_check_charset(net->guest_ifname, CHARSET_ALNUM "_.-", "attribute 'dev' of", path, err);
        if (r >= 0 && (!*net->guest_ifname || strlen(net->guest_ifname) > 15))
                r = xml_err_invalid(err, "invalid interface name '%s' in <%s>: 1 to 15 characters",
                                    net->guest_ifname, path);
        return r < 0 ? r : 0;
}

int domain_parse_net(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const children[] = { "mac",     "source",    "model", "driver", "target", "boot",
                                                "alias",   "address",   "guest", "ip",     "route",
                                                "bandwidth", "rom", "script", "downscript", "backend", "mtu",
                                                "link",    "teaming",   "coalesce", "vlan", "virtualport", "port", "acpi",
                                                "portForward", "filterref" };
        DomainNetDef *net;
        int r;

        if (domain_net_is_hostdev(n))
                return domain_parse_net_hostdev(def, n, path, err);
        r = LIST_APPEND(def->nets, def->n_nets, &net, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_net_type, &net->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        r = XML_CHECK_ATTRS(n, path, err, "type", "trustGuestRxFilters");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "trustGuestRxFilters", "yes", "no",
                                         &net->opts.trust_guest_rx_filters, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is_any(c, children, ELEMENTSOF(children)))
                        return xml_unsupported_element(c, path, err);

                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_is(c, "ip") || xml_is(c, "route") || xml_is(c, "portForward") ? 0
                                                                                      : xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "mac"))
                        r = parse_mac(net, c, sub, err);
                else if (xml_is(c, "source"))
                        r = parse_source(net, c, sub, err);
                else if (xml_is(c, "model"))
                        r = parse_model(net, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_driver(net, c, sub, err);
                else if (xml_is(c, "target"))
                        r = parse_target(net, c, sub, err);
                else if (xml_is(c, "boot"))
                        r = domain_parse_boot_order(c, sub, &net->boot_order, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &net->addr, err);
                else if (xml_is(c, "bandwidth")) {
                        net->bandwidth = calloc(1, sizeof(*net->bandwidth));
                        r = net->bandwidth ? network_parse_bandwidth(c, sub, net->bandwidth, err)
                                           : conf_fail(err, VB_ERROR_INTERNAL, "out of memory");
                } else if (xml_is(c, "guest"))
                        r = parse_guest(net, c, sub, err);
                else if (xml_is(c, "ip"))
                        r = parse_ip(net, c, sub, err);
                else if (xml_is(c, "route"))
                        r = parse_route(net, c, sub, err);
                else if (xml_is(c, "rom"))
                        r = domain_parse_rom(c, sub, &net->rom, err);
                else if (xml_is(c, "acpi"))
                        r = domain_parse_acpi_index(c, sub, &net->acpi_index, err);
                else if (xml_is(c, "portForward"))
                        r = domain_parse_net_port_forward(net, c, sub, err);
                else if (xml_is(c, "filterref"))
                        r = domain_parse_net_filterref(net, c, sub, err);
                else if (!xml_is(c, "alias"))
                        r = domain_parse_net_opt(net, c, sub, err);
                else
                        r = domain_parse_alias(c, sub, &net->alias, err);
                if (r < 0)
                        return r;
        }

        r = domain_check_net_passt(net, path, err);
        if (r < 0)
                return r;
        if (net->type != DOMAIN_NET_USER && net->type != DOMAIN_NET_ETHERNET && !net->source &&
            !net->opts.sock_path && !net->opts.sock_port)
                return xml_err_xml(err, "missing element <%s/source> for an interface of type '%s'",
                                   path, domain_net_type_to_string(net->type));
        /* as libvirt: a vDPA device is a virtio-net one */
        if (net->type == DOMAIN_NET_VDPA && !net->model && !(net->model = strdup("virtio")))
                return xml_err_oom(err);
        if (!net->mac_given)
                return generate_mac(net, err);
        return 0;
}

void domain_format_net(XmlWriter *w, const DomainNetDef *net, unsigned flags) {
        static const uint8_t zero[6] = {};

        xw_start(w, "interface");
        xw_attr(w, "type", domain_net_type_to_string(net->type));
        xw_attr(w, "trustGuestRxFilters", tristate_word(net->opts.trust_guest_rx_filters, "yes", "no"));
        if (net->mac_given || memcmp(net->mac, zero, 6) != 0) {
                xw_start(w, "mac");
                xw_attrf(w, "address", "%02x:%02x:%02x:%02x:%02x:%02x",
                         net->mac[0], net->mac[1], net->mac[2], net->mac[3], net->mac[4], net->mac[5]);
                xw_end(w);
        }
        if (net->type == DOMAIN_NET_NETWORK && net->source) {
                xw_start(w, "source");
                xw_attr(w, "network", net->source);
                xw_attr(w, "portgroup", net->portgroup);
                xw_attr(w, "portid", net->opts.portid);
                xw_end(w);
        } else if (net->type == DOMAIN_NET_BRIDGE && net->source) {
                xw_start(w, "source");
                xw_attr(w, "bridge", net->source);
                xw_end(w);
        } else if (net->type == DOMAIN_NET_USER)
                domain_format_net_user_source(w, net);
        else if (net->type == DOMAIN_NET_ETHERNET)
                domain_format_net_host_ips(w, net);
        else
                domain_format_net_other_source(w, net);
        domain_format_net_vlan_vport(w, net);
        if (net->bandwidth)
                network_format_bandwidth(w, net->bandwidth);
        domain_format_net_port(w, net);
        domain_format_net_scripts(w, net);
        /* A name the user chose is part of the definition; one given by the
         * driver (libvirt's reserved "vnet"/"vif" prefixes) lives only while
         * the guest runs. */
        if (net->ifname && (!(flags & DOMAIN_FORMAT_INACTIVE) || !domain_net_ifname_is_generated(net->ifname))) {
                xw_start(w, "target");
                xw_attr(w, "dev", net->ifname);
                xw_attr(w, "managed", tristate_word(net->opts.target_managed, "yes", "no"));
                xw_end(w);
        }
        if (net->guest_ifname) {
                xw_start(w, "guest");
                xw_attr(w, "dev", net->guest_ifname);
                xw_end(w);
        }
        domain_format_net_ips(w, net->ips, net->n_ips, net->routes, net->n_routes);
        domain_format_net_port_forwards(w, net);
        if (net->model) {
                xw_start(w, "model");
                xw_attr(w, "type", net->model);
                xw_end(w);
        }
        format_driver(w, net);
        domain_format_net_filterref(w, net);
        domain_format_net_tail(w, net);
        domain_format_boot_order(w, net->boot_order);
        domain_format_alias(w, net->alias, flags);
        domain_format_acpi_index(w, net->acpi_index);
        domain_format_rom(w, &net->rom);
        domain_format_address(w, &net->addr);
        xw_end(w);
}

/* <ip> and <route>, shared with <hostdev mode='capabilities' type='net'>. */
void domain_format_net_ips(XmlWriter *w, const DomainNetIp *ips, size_t n_ips, const DomainNetRoute *routes,
                           size_t n_routes) {
        for (size_t i = 0; i < n_ips; i++) {
                xw_start(w, "ip");
                xw_attr(w, "address", ips[i].address);
                xw_attr(w, "family", ips[i].family);
                if (ips[i].has_prefix)
                        xw_attrf(w, "prefix", "%u", ips[i].prefix);
                xw_attr(w, "peer", ips[i].peer);
                xw_end(w);
        }
        for (size_t i = 0; i < n_routes; i++) {
                xw_start(w, "route");
                xw_attr(w, "family", routes[i].family);
                xw_attr(w, "address", routes[i].address);
                xw_attrf(w, "prefix", "%u", routes[i].prefix);
                xw_attr(w, "gateway", routes[i].gateway);
                xw_end(w);
        }
}

void domain_net_ips_clear(DomainNetIp *ips, size_t n_ips, DomainNetRoute *routes, size_t n_routes) {
        for (size_t i = 0; i < n_ips; i++) {
                free(ips[i].address);
                free(ips[i].family);
                free(ips[i].peer);
        }
        free(ips);
        for (size_t i = 0; i < n_routes; i++) {
                free(routes[i].address);
                free(routes[i].gateway);
                free(routes[i].family);
        }
        free(routes);
}

bool domain_net_ips_own(DomainNetIp **ips, size_t *n_ips, DomainNetRoute **routes, size_t *n_routes) {
        bool ok = true;

        ok = OWN_ARRAY(*ips, *n_ips) && ok;
        for (size_t i = 0; i < *n_ips; i++)
                ok = own_str(&(*ips)[i].address) && own_str(&(*ips)[i].family) && own_str(&(*ips)[i].peer) && ok;
        ok = OWN_ARRAY(*routes, *n_routes) && ok;
        for (size_t i = 0; i < *n_routes; i++)
                ok = own_str(&(*routes)[i].address) && own_str(&(*routes)[i].gateway) &&
                     own_str(&(*routes)[i].family) && ok;
        return ok;
}

void domain_net_clear(DomainNetDef *net) {
        free(net->model);
        free(net->source);
        free(net->portgroup);
        free(net->ifname);
        free(net->alias);
        free(net->bandwidth);
        free(net->guest_ifname);
        free(net->driver_name);
        free(net->driver_txmode);
        free(net->rom.file);
        domain_net_opts_clear(&net->opts);
        domain_net_ips_clear(net->ips, net->n_ips, net->routes, net->n_routes);
        domain_net_ips_clear(net->host_ips, net->n_host_ips, net->host_routes, net->n_host_routes);
        domain_net_forwards_clear(net);
        domain_net_filterref_clear(&net->opts);
}

bool domain_net_own(DomainNetDef *net) {
        bool ok = true;

        ok = own_str(&net->model) && ok;
        ok = own_str(&net->rom.file) && ok;
        ok = own_str(&net->source) && ok;
        ok = own_str(&net->portgroup) && ok;
        ok = own_str(&net->ifname) && ok;
        ok = own_str(&net->alias) && ok;
        if (net->bandwidth) {
                struct NetworkBandwidth *bw = malloc(sizeof(*bw));

                if (bw)
                        *bw = *net->bandwidth;
                net->bandwidth = bw;
                ok = bw && ok;
        }
        ok = own_str(&net->guest_ifname) && ok;
        ok = own_str(&net->driver_name) && ok;
        ok = own_str(&net->driver_txmode) && ok;
        ok = domain_net_ips_own(&net->ips, &net->n_ips, &net->routes, &net->n_routes) && ok;
        ok = domain_net_ips_own(&net->host_ips, &net->n_host_ips, &net->host_routes, &net->n_host_routes) && ok;
        ok = domain_net_forwards_own(net) && ok;
        ok = domain_net_filterref_own(&net->opts) && ok;
        ok = domain_net_opts_own(&net->opts) && ok;
        return ok;
}

bool domain_net_ifname_is_generated(const char *ifname) {
        return strncmp(ifname, "vnet", 4) == 0 || strncmp(ifname, "vif", 3) == 0 ||
               strncmp(ifname, "macvtap", 7) == 0 || strncmp(ifname, "macvlan", 7) == 0;
}
