/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What <interface type='user'> has for passt: <backend type='passt'
 * logFile=''/>, <source dev=''/> (passt's host interface) and the
 * <portForward>s passt listens for on the host. */
#include <arpa/inet.h>

#include "domain-conf-internal.h"
#include "error.h"

int domain_parse_net_user_source(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "dev");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "dev", &net->opts.source_dev, err);
        if (r > 0)
                r = domain_check_charset(net->opts.source_dev, CHARSET_ALNUM "_.-\\:/", "attribute 'dev' of", path,
                                         err);
        return r < 0 ? r : 0;
}

/* libvirt writes <source dev=''/> of a user interface for passt only. */
void domain_format_net_user_source(XmlWriter *w, const DomainNetDef *net) {
        if (!net->opts.source_dev)
                return;
        xw_start(w, "source");
        xw_attr(w, "dev", net->opts.source_dev);
        xw_end(w);
}

static int parse_port(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, ConfError *err) {
        int r = xml_attr_uint(n, path, attr, ret, err);

        if (r > 0 && (*ret == 0 || *ret > 65535))
                return xml_err_invalid(err, "invalid port '%u' in attribute '%s' of <%s>", *ret, attr, path);
        return r;
}

static int parse_range(DomainNetPortForward *pf, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetPortRange *range;
        int r;

        r = LIST_APPEND(pf->ranges, pf->n_ranges, &range, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "start", "end", "to", "exclude");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_port(n, path, "start", &range->start, err);
        if (r >= 0)
                r = parse_port(n, path, "end", &range->end, err);
        if (r >= 0)
                r = parse_port(n, path, "to", &range->to, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "exclude", "yes", "no", &range->exclude, err);
        if (r < 0)
                return r;
        /* libvirt's virDomainNetDefValidate() */
        if (!range->start && (range->end || range->to || range->exclude != TRISTATE_ABSENT))
                return xml_err_unsupported(err, "The 'range' of a 'portForward' requires 'start' attribute if "
                                           "'end', 'to', or 'exclude' is specified");
        /* passt's "start-end:to": a range must not run backwards */
        if (range->end && range->end < range->start)
                return xml_err_invalid(err, "invalid range %u-%u in <%s>: end before start", range->start,
                                       range->end, path);
        if (range->end && range->to && range->to + (range->end - range->start) > 65535)
                return xml_err_invalid(err, "invalid range %u-%u to %u in <%s>: past port 65535", range->start,
                                       range->end, range->to, path);
        return 0;
}

int domain_parse_net_port_forward(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const protos[] = { "tcp", "udp" };
        DomainNetOpts *o = &net->opts;
        DomainNetPortForward *pf;
        unsigned char buf[16];
        int r;

        r = LIST_APPEND(o->forwards, o->n_forwards, &pf, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "proto", "address", "dev");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "proto", protos, ELEMENTSOF(protos), &pf->proto, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'proto' of <%s>", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "address", &pf->address, err);
        if (r > 0 && inet_pton(AF_INET, pf->address, buf) != 1 && inet_pton(AF_INET6, pf->address, buf) != 1)
                return xml_err_xml(err, "Invalid address '%s' in <portForward>", pf->address);
        if (r >= 0)
                r = xml_attr_str(n, path, "dev", &pf->dev, err);
        if (r > 0)
                r = domain_check_charset(pf->dev, CHARSET_ALNUM "_.-\\:/", "attribute 'dev' of", path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "range");
                if (!xml_is(c, "range"))
                        return xml_unsupported_element(c, path, err);
                r = parse_range(pf, c, sub, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_net_port_forwards(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;

        for (size_t i = 0; i < o->n_forwards; i++) {
                const DomainNetPortForward *pf = &o->forwards[i];

                xw_start(w, "portForward");
                xw_attr(w, "proto", pf->proto);
                xw_attr(w, "address", pf->address);
                xw_attr(w, "dev", pf->dev);
                for (size_t k = 0; k < pf->n_ranges; k++) {
                        const DomainNetPortRange *range = &pf->ranges[k];

                        xw_start(w, "range");
                        xw_attrf(w, "start", "%u", range->start);
                        if (range->end)
                                xw_attrf(w, "end", "%u", range->end);
                        if (range->to)
                                xw_attrf(w, "to", "%u", range->to);
                        xw_attr(w, "exclude", tristate_word(range->exclude, "yes", "no"));
                        xw_end(w);
                }
                xw_end(w);
        }
}

/* libvirt's rules for the passt back end (virDomainNetDefValidate). Port
 * forwards and <source dev=''/> are passt's: QEMU's own user networking
 * would drop them, so they are refused there rather than ignored. */
int domain_check_net_passt(const DomainNetDef *net, const char *path, ConfError *err) {
        const DomainNetOpts *o = &net->opts;
        bool passt = domain_net_is_passt(net);

        if (streq_ptr(o->backend_type, "passt") && net->type != DOMAIN_NET_USER)
                return conf_fail(err, VB_ERROR_INTERNAL, "The 'passt' backend can only be used "
                                 "with interface type='user'");
        if (o->backend_logfile && !passt)
                return xml_err_unsupported(err, "attribute 'logFile' of <%s/backend> is only supported with "
                                           "<backend type='passt'>", path);
        if (o->n_forwards && !passt)
                return xml_err_unsupported(err, "<%s/portForward> is only supported with <backend type='passt'> "
                                           "(QEMU's own user networking would not forward the ports)", path);
        if (o->source_dev && !passt)
                return xml_err_unsupported(err, "<%s/source> of an interface of type 'user' (passt's host "
                                           "interface) is only supported with <backend type='passt'>", path);
        return 0;
}

void domain_net_forwards_clear(DomainNetDef *net) {
        DomainNetOpts *o = &net->opts;

        for (size_t i = 0; i < o->n_forwards; i++) {
                free(o->forwards[i].proto);
                free(o->forwards[i].address);
                free(o->forwards[i].dev);
                free(o->forwards[i].ranges);
        }
        free(o->forwards);
        o->forwards = NULL;
        o->n_forwards = 0;
}

bool domain_net_forwards_own(DomainNetDef *net) {
        DomainNetOpts *o = &net->opts;
        bool ok = OWN_ARRAY(o->forwards, o->n_forwards);

        for (size_t i = 0; i < o->n_forwards; i++) {
                DomainNetPortForward *pf = &o->forwards[i];

                ok = own_str(&pf->proto) && own_str(&pf->address) && own_str(&pf->dev) && ok;
                ok = OWN_ARRAY(pf->ranges, pf->n_ranges) && ok;
        }
        return ok;
}
