/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network sources of a <serial>, <console> or <channel>: type 'tcp'
 * (<source mode='bind|connect' host='' service=''/> and <protocol
 * type='raw|telnet'/>) and type 'udp' (a connect source, the remote end,
 * and optionally a bind source, the local end). */
#include "domain-conf-internal.h"

/* A host name or address: what QEMU's inet address takes. */
static int check_host(const char *host, const char *path, ConfError *err) {
        if (!*host || !str_in_charset(host, CHARSET_ALNUM ".-_:[]"))
                return xml_err_invalid(err, "invalid host '%s' of <%s>", host, path);
        return 0;
}

/* A port number or service name ("9999", "telnet"). */
static int check_service(const char *service, const char *path, ConfError *err) {
        if (!*service || !str_in_charset(service, CHARSET_ALNUM "-_"))
                return xml_err_invalid(err, "invalid service '%s' of <%s>", service, path);
        return 0;
}

int domain_chr_parse_net_source(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *mode = NULL, *host = NULL, *service = NULL;
        bool bind;
        int r;

        if (chr->type == DOMAIN_CHR_TCP)
                r = XML_CHECK_ATTRS(n, path, err, "mode", "host", "service", "tls");
        else
                r = XML_CHECK_ATTRS(n, path, err, "mode", "host", "service");
        if (r >= 0)
                r = domain_chr_parse_source_children(chr, n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "tls", "yes", "no", &chr->tls, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "mode", &mode, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "host", &host, err);
        if (r > 0)
                r = check_host(host, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "service", &service, err);
        if (r > 0)
                r = check_service(service, path, err);
        if (r < 0)
                return r;
        if (mode && !streq(mode, "bind") && !streq(mode, "connect"))
                return xml_err_invalid(err, "value '%s' of attribute 'mode' of <%s> must be 'bind' or 'connect'",
                                       mode, path);
        bind = mode && streq(mode, "bind");
        if (chr->type == DOMAIN_CHR_UDP && bind) {
                /* udp: the bind source is the local end, beside the remote one */
                if (chr->bind_host || chr->bind_service)
                        return xml_err_invalid(err, "more than one <%s mode='bind'> of type 'udp'", path);
                chr->bind_host = TAKE_PTR(host);
                chr->bind_service = TAKE_PTR(service);
                return 0;
        }
        if (chr->host || chr->service)
                return xml_err_invalid(err, "more than one <%s>%s", path,
                                       chr->type == DOMAIN_CHR_UDP ? " with mode 'connect'" : "");
        if (!service)
                return xml_err_xml(err, "missing attribute 'service' of <%s>", path);
        chr->listen = chr->type == DOMAIN_CHR_TCP && bind;
        chr->host = TAKE_PTR(host);
        chr->service = TAKE_PTR(service);
        return 0;
}

int domain_chr_parse_protocol(DomainChrDef *chr, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        /* libvirt takes a raw protocol on any socket or device: it is what they speak */
        if (chr->type != DOMAIN_CHR_TCP) {
                if (!streq(type, "raw"))
                        return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported "
                                                   "for type '%s', only 'raw'", type, path,
                                                   domain_chr_type_to_string(chr->type));
                chr->protocol_raw = true;
                return 0;
        }
        /* telnets and tls need TLS credentials, which qemud does not set up */
        if (!streq(type, "raw") && !streq(type, "telnet"))
                return xml_err_unsupported(err, "value '%s' of attribute 'type' of <%s> is not supported, "
                                           "only 'raw' and 'telnet'", type, path);
        chr->telnet = streq(type, "telnet");
        return 0;
}

void domain_chr_format_net(XmlWriter *w, const DomainChrDef *chr) {
        if (chr->type == DOMAIN_CHR_UDP && (chr->bind_host || chr->bind_service)) {
                xw_start(w, "source");
                xw_attr(w, "mode", "bind");
                xw_attr(w, "host", chr->bind_host);
                xw_attr(w, "service", chr->bind_service);
                xw_end(w);
        }
        xw_start(w, "source");
        xw_attr(w, "mode", chr->listen ? "bind" : "connect");
        xw_attr(w, "host", chr->host);
        xw_attr(w, "service", chr->service);
        xw_attr(w, "tls", tristate_word(chr->tls, "yes", "no"));
        domain_chr_format_source_children(w, chr);
        xw_end(w);
        if (chr->type == DOMAIN_CHR_TCP) {
                xw_start(w, "protocol");
                xw_attr(w, "type", chr->telnet ? "telnet" : "raw");
                xw_end(w);
        }
}

void domain_chr_net_clear(DomainChrDef *chr) {
        free(chr->host);
        free(chr->service);
        free(chr->bind_host);
        free(chr->bind_service);
}

bool domain_chr_net_own(DomainChrDef *chr) {
        bool ok = true;

        ok = own_str(&chr->host) && ok;
        ok = own_str(&chr->service) && ok;
        ok = own_str(&chr->bind_host) && ok;
        ok = own_str(&chr->bind_service) && ok;
        return ok;
}
