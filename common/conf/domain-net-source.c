/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <source> of the interface types that have no network or bridge: QEMU's
 * socket netdevs (server, client, mcast, udp), a vhost-user socket and a
 * vDPA device; and the portid of a network's. */
#include "domain-conf-internal.h"
#include "error.h"

static int parse_port_attr(xmlNodePtr n, const char *path, unsigned *ret, ConfError *err) {
        int r = xml_attr_uint(n, path, "port", ret, err);

        if (r > 0 && (*ret == 0 || *ret > 65535))
                return xml_err_invalid(err, "invalid port '%u' in <%s>", *ret, path);
        return r;
}

static int parse_address_attr(xmlNodePtr n, const char *path, char **ret, ConfError *err) {
        int r = xml_attr_str(n, path, "address", ret, err);

        if (r > 0 && !str_is_host_address(*ret))
                return xml_err_invalid(err, "invalid address '%s' in <%s>", *ret, path);
        return r;
}

/* udp's <local address='' port=''/>. */
static int parse_local(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "address", "port");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_address_attr(n, path, &o->local_address, err);
        if (r == 0)
                return xml_err_xml(err, "No <local> 'address' attribute specified with socket interface");
        if (r >= 0)
                r = parse_port_attr(n, path, &o->local_port, err);
        if (r == 0)
                return xml_err_xml(err, "No <local> 'port' attribute specified with socket interface");
        return r < 0 ? r : 0;
}

/* libvirt's messages for a socket interface's missing address or port. */
static int parse_socket(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetOpts *o = &net->opts;
        bool udp = net->type == DOMAIN_NET_UDP;
        int r = XML_CHECK_ATTRS(n, path, err, "address", "port");

        if (r >= 0)
                r = udp ? xml_check_no_text(n, path, err) : xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_address_attr(n, path, &o->sock_address, err);
        if (r == 0 && net->type != DOMAIN_NET_SERVER)
                return xml_err_xml(err, "No <source> 'address' attribute specified with socket interface");
        if (r >= 0)
                r = parse_port_attr(n, path, &o->sock_port, err);
        if (r == 0)
                return xml_err_xml(err, "No <source> 'port' attribute specified with socket interface");
        if (r < 0 || !udp)
                return r < 0 ? r : 0;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "local");
                if (!xml_is(c, "local"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_local(o, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (!o->local_address)
                return xml_err_xml(err, "No <local> 'address' attribute specified with socket interface");
        return 0;
}

static int parse_reconnect(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "enabled", "timeout");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "enabled", "yes", "no", &o->reconnect, err);
        if (r == 0)
                return xml_err_xml(err, "missing reconnect enabled attribute in <%s>", path);
        if (r >= 0)
                r = xml_attr_uint(n, path, "timeout", &o->reconnect_timeout, err);
        if (r < 0)
                return r;
        /* libvirt's virDomainChrSourceReconnectDefParseXML */
        if (o->reconnect == TRISTATE_ON && !o->reconnect_timeout)
                return xml_err_xml(err, "missing timeout for chardev with reconnect enabled");
        if (o->reconnect == TRISTATE_OFF && r > 0)
                return xml_err_xml(err, "reconnect attribute 'timeout' is not supported with reconnect disabled");
        return 0;
}

static int parse_vhostuser(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const modes[] = { "client", "server" };
        DomainNetOpts *o = &net->opts;
        _cleanup_free_ char *type = NULL, *mode = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, "type", "path", "mode");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "type", &type, err);
        if (r >= 0 && !streq_ptr(type, "unix"))
                return xml_err_unsupported(err, "Type='%s' unsupported for <interface type='vhostuser'>",
                                           type ?: "");
        if (r >= 0)
                r = xml_attr_str_required(n, path, "path", &o->sock_path, err);
        if (r >= 0)
                r = domain_check_abs_path(o->sock_path, "attribute 'path' of", path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "mode", modes, ELEMENTSOF(modes), &mode, err);
        if (r == 0)
                return xml_err_xml(err, "Missing source mode for <interface type='vhostuser'>");
        if (r < 0)
                return r;
        o->sock_server = streq(mode, "server");
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "reconnect");
                if (!xml_is(c, "reconnect"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_reconnect(o, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (o->reconnect != TRISTATE_ABSENT && o->sock_server)
                return xml_err_xml(err, "'reconnect' attribute is not supported when source mode='server' for "
                                   "<interface type='vhostuser'>");
        return 0;
}

static int parse_vdpa(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "dev");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "dev", &net->source, err);
        if (r >= 0)
                r = domain_check_abs_path(net->source, "attribute 'dev' of", path, err);
        return r < 0 ? r : 0;
}

bool domain_net_is_socket(const DomainNetDef *net) {
        return net->type == DOMAIN_NET_SERVER || net->type == DOMAIN_NET_CLIENT || net->type == DOMAIN_NET_MCAST ||
               net->type == DOMAIN_NET_UDP;
}

int domain_parse_net_other_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        if (domain_net_is_socket(net))
                return parse_socket(net, n, path, err);
        if (net->type == DOMAIN_NET_VHOSTUSER)
                return parse_vhostuser(net, n, path, err);
        if (net->type == DOMAIN_NET_DIRECT)
                return domain_parse_net_direct_source(net, n, path, err);
        return parse_vdpa(net, n, path, err);
}

int domain_parse_net_portid(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_attr_str(n, path, "portid", &net->opts.portid, err);

        if (r > 0)
                r = domain_check_charset(net->opts.portid, "0123456789abcdefABCDEF-", "attribute 'portid' of", path,
                                         err);
        return r < 0 ? r : 0;
}

void domain_format_net_other_source(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;

        xw_start(w, "source");
        if (domain_net_is_socket(net)) {
                xw_attr(w, "address", o->sock_address);
                xw_attrf(w, "port", "%u", o->sock_port);
                if (net->type == DOMAIN_NET_UDP) {
                        xw_start(w, "local");
                        xw_attr(w, "address", o->local_address);
                        xw_attrf(w, "port", "%u", o->local_port);
                        xw_end(w);
                }
        } else if (net->type == DOMAIN_NET_VHOSTUSER) {
                xw_attr(w, "type", "unix");
                xw_attr(w, "path", o->sock_path);
                xw_attr(w, "mode", o->sock_server ? "server" : "client");
                if (o->reconnect != TRISTATE_ABSENT) {
                        xw_start(w, "reconnect");
                        xw_attr(w, "enabled", tristate_word(o->reconnect, "yes", "no"));
                        if (o->reconnect_timeout)
                                xw_attrf(w, "timeout", "%u", o->reconnect_timeout);
                        xw_end(w);
                }
        } else if (net->type == DOMAIN_NET_DIRECT)
                domain_format_net_direct_source(w, net);
        else
                xw_attr(w, "dev", net->source);
        xw_end(w);
}
