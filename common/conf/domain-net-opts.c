/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sub-elements of <interface> beyond its source, model and driver
 * basics: script, downscript, backend, mtu, link, teaming, coalesce, vlan,
 * virtualport, port, the offloads of <driver> and trustGuestRxFilters. */
#include "domain-conf-internal.h"
#include "error.h"
#include "network-conf-internal.h"

const char *const domain_net_host_offloads[DOMAIN_NET_HOST_OFFLOADS] = {
        "csum", "gso", "tso4", "tso6", "ecn", "ufo", "mrg_rxbuf",
};
const char *const domain_net_guest_offloads[DOMAIN_NET_GUEST_OFFLOADS] = {
        "csum", "tso4", "tso6", "ecn", "ufo",
};
const char *const domain_net_vport_params[6] = {
        "managerid", "typeid", "typeidversion", "instanceid", "profileid", "interfaceid",
};
static const char *const vport_params_allowed[7] = {
        "managerid", "typeid", "typeidversion", "instanceid", "profileid", "interfaceid", NULL,
};

static const char *const teaming_table[_DOMAIN_NET_TEAMING_MAX] = {
        [DOMAIN_NET_TEAMING_NONE] = "none",
        [DOMAIN_NET_TEAMING_PERSISTENT] = "persistent",
        [DOMAIN_NET_TEAMING_TRANSIENT] = "transient",
};

static int parse_teaming(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err);

static const char *const vport_types[] = { "802.1Qbg", "802.1Qbh", "openvswitch", "midonet" };

static int parse_path_elem(xmlNodePtr n, const char *path, char **ret, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "path");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "path", ret, err);
        if (r >= 0 && (!**ret || str_has_newline(*ret)))
                r = xml_err_invalid(err, "invalid path '%s' in <%s>", *ret, path);
        return r < 0 ? r : 0;
}

static int parse_backend(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const types[] = { "default", "passt" };
        int r = XML_CHECK_ATTRS(n, path, err, "type", "tap", "vhost", "logFile");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", types, ELEMENTSOF(types), &o->backend_type, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "logFile", &o->backend_logfile, err);
        if (r > 0)
                r = domain_check_abs_path(o->backend_logfile, "attribute 'logFile' of", path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "tap", &o->backend_tap, err);
        if (r > 0)
                r = domain_check_abs_path(o->backend_tap, "attribute 'tap' of", path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "vhost", &o->backend_vhost, err);
        if (r > 0)
                r = domain_check_abs_path(o->backend_vhost, "attribute 'vhost' of", path, err);
        return r < 0 ? r : 0;
}

/* libvirt's range for an interface MTU: a positive int. */
static int parse_mtu(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "size");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "size", &o->mtu, err);
        if (r == 0)
                return xml_err_xml(err, "missing MTU size in <%s>", path);
        if (r > 0 && (o->mtu == 0 || o->mtu > INT32_MAX))
                return xml_err_xml(err, "malformed mtu size '%u' in <%s>", o->mtu, path);
        return r < 0 ? r : 0;
}

static int parse_link(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "state");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "state", "up", "down", &o->link_up, err);
        return r < 0 ? r : 0;
}

/* <teaming> of a host device: only the transient side of a pair. */
int domain_parse_hostdev_teaming(char **persistent, xmlNodePtr n, const char *path, ConfError *err) {
        DomainNetOpts o = {};
        int r = parse_teaming(&o, n, path, err);

        if (r >= 0 && o.teaming != DOMAIN_NET_TEAMING_TRANSIENT)
                r = xml_err_unsupported(err, "teaming type '%s' of <%s> is not supported: a host device is the "
                                        "transient side of a failover pair", teaming_table[o.teaming], path);
        if (r >= 0)
                *persistent = TAKE_PTR(o.teaming_persistent);
        free(o.teaming_persistent);
        return r;
}

void domain_format_hostdev_teaming(XmlWriter *w, const char *persistent) {
        if (!persistent)
                return;
        xw_start(w, "teaming");
        xw_attr(w, "type", "transient");
        xw_attr(w, "persistent", persistent);
        xw_end(w);
}

static int parse_teaming(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "type", "persistent"), t = 0;

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_enum(n, path, "type", teaming_table, ELEMENTSOF(teaming_table), &t, err);
        if (r == 0)
                r = xml_err_xml(err, "missing teaming type (persistent or transient) in <%s>", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "persistent", &o->teaming_persistent, err);
        if (r < 0)
                return r;
        o->teaming = (DomainNetTeaming) t;
        /* libvirt's virDomainNetTeamingInfoValidate */
        if (o->teaming == DOMAIN_NET_TEAMING_TRANSIENT && !o->teaming_persistent)
                return xml_err_xml(err, "teaming persistent attribute must be set if teaming type is 'transient'");
        if (o->teaming != DOMAIN_NET_TEAMING_TRANSIENT && o->teaming_persistent)
                return xml_err_xml(err, "teaming persistent attribute not allowed if teaming type is '%s'",
                                   teaming_table[o->teaming]);
        return 0;
}

/* <coalesce><rx><frames max=''/></rx></coalesce>: each level optional. */
static int parse_coalesce(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_attrs(n, path, (const char *const[]) { NULL }, err);

        o->coalesce = true;
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        XML_FOREACH_ELEMENT(rx, n) {
                XML_SUBPATH(rpath, path, "rx");
                if (r < 0)
                        return r;
                if (!xml_is(rx, "rx"))
                        return xml_unsupported_element(rx, path, err);
                r = xml_check_attrs(rx, rpath, (const char *const[]) { NULL }, err);
                if (r >= 0)
                        r = xml_check_no_text(rx, rpath, err);
                XML_FOREACH_ELEMENT(f, rx) {
                        XML_SUBPATH(fpath, rpath, "frames");
                        if (r < 0)
                                return r;
                        if (!xml_is(f, "frames"))
                                return xml_unsupported_element(f, rpath, err);
                        r = XML_CHECK_ATTRS(f, fpath, err, "max");
                        if (r >= 0)
                                r = xml_check_empty(f, fpath, err);
                        if (r >= 0)
                                r = xml_attr_uint(f, fpath, "max", &o->coalesce_rx_frames, err);
                }
        }
        return r < 0 ? r : 0;
}

static int parse_vlan(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        o->vlan = calloc(1, sizeof(*o->vlan));
        if (!o->vlan)
                return xml_err_oom(err);
        return network_parse_vlan_domain(n, path, o->vlan, err);
}

static int parse_vport_params(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_attrs(n, path, vport_params_allowed, err);

        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(domain_net_vport_params); i++) {
                r = xml_attr_str(n, path, domain_net_vport_params[i], &o->vport_params[i], err);
                if (r > 0)
                        r = domain_check_charset(o->vport_params[i], CHARSET_ALNUM "-_.:", "a parameter of",
                                                 path, err);
        }
        return r < 0 ? r : 0;
}

static int parse_virtualport(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "type");

        o->vport = true;
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", vport_types, ELEMENTSOF(vport_types), &o->vport_type, err);
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, "parameters");
                if (r < 0)
                        return r;
                if (!xml_is(c, "parameters"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_vport_params(o, c, sub, err);
        }
        return r < 0 ? r : 0;
}

static int parse_port(DomainNetOpts *o, xmlNodePtr n, const char *path, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "isolated");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "isolated", "yes", "no", &o->port_isolated, err);
        return r < 0 ? r : 0;
}

int domain_parse_net_opt(DomainNetDef *net, xmlNodePtr c, const char *path, ConfError *err) {
        DomainNetOpts *o = &net->opts;

        if (xml_is(c, "script"))
                return parse_path_elem(c, path, &o->script, err);
        if (xml_is(c, "downscript"))
                return parse_path_elem(c, path, &o->downscript, err);
        if (xml_is(c, "backend"))
                return parse_backend(o, c, path, err);
        if (xml_is(c, "mtu"))
                return parse_mtu(o, c, path, err);
        if (xml_is(c, "link"))
                return parse_link(o, c, path, err);
        if (xml_is(c, "teaming"))
                return parse_teaming(o, c, path, err);
        if (xml_is(c, "coalesce"))
                return parse_coalesce(o, c, path, err);
        if (xml_is(c, "vlan"))
                return parse_vlan(o, c, path, err);
        if (xml_is(c, "virtualport"))
                return parse_virtualport(o, c, path, err);
        return parse_port(o, c, path, err);
}

/* <host .../> and <guest .../> of <driver>. */
int domain_parse_net_driver_offloads(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        XML_FOREACH_ELEMENT(c, n) {
                bool host = xml_is(c, "host");
                const char *const *names = host ? domain_net_host_offloads : domain_net_guest_offloads;
                size_t count = host ? DOMAIN_NET_HOST_OFFLOADS : DOMAIN_NET_GUEST_OFFLOADS;
                Tristate *v = host ? net->opts.host : net->opts.guest;
                int r;

                if (!host && !xml_is(c, "guest"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = host ? XML_CHECK_ATTRS(c, sub, err, "csum", "gso", "tso4", "tso6", "ecn", "ufo", "mrg_rxbuf")
                                 : XML_CHECK_ATTRS(c, sub, err, "csum", "tso4", "tso6", "ecn", "ufo");
                if (r >= 0)
                        r = xml_check_empty(c, sub, err);
                for (size_t i = 0; r >= 0 && i < count; i++)
                        r = domain_attr_tristate(c, sub, names[i], "on", "off", &v[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int domain_parse_net_driver_rss(DomainNetDef *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = domain_attr_tristate(n, path, "rss", "on", "off", &net->opts.rss, err);

        if (r >= 0)
                r = domain_attr_tristate(n, path, "rss_hash_report", "on", "off", &net->opts.rss_hash_report, err);
        return r < 0 ? r : 0;
}

static bool any_set(const Tristate *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (v[i] != TRISTATE_ABSENT)
                        return true;
        return false;
}

bool domain_net_driver_opts_set(const DomainNetDef *net) {
        return net->opts.rss || net->opts.rss_hash_report ||
               any_set(net->opts.host, DOMAIN_NET_HOST_OFFLOADS) || any_set(net->opts.guest, DOMAIN_NET_GUEST_OFFLOADS);
}

void domain_format_net_driver_rss(XmlWriter *w, const DomainNetDef *net) {
        xw_attr(w, "rss", tristate_word(net->opts.rss, "on", "off"));
        xw_attr(w, "rss_hash_report", tristate_word(net->opts.rss_hash_report, "on", "off"));
}

static void format_offloads(XmlWriter *w, const char *name, const char *const *names, const Tristate *v, size_t n) {
        if (!any_set(v, n))
                return;
        xw_start(w, name);
        for (size_t i = 0; i < n; i++)
                xw_attr(w, names[i], tristate_word(v[i], "on", "off"));
        xw_end(w);
}

void domain_format_net_driver_offloads(XmlWriter *w, const DomainNetDef *net) {
        format_offloads(w, "host", domain_net_host_offloads, net->opts.host, DOMAIN_NET_HOST_OFFLOADS);
        format_offloads(w, "guest", domain_net_guest_offloads, net->opts.guest, DOMAIN_NET_GUEST_OFFLOADS);
}

/* After <source>: vlan, virtualport (bandwidth follows, then port). */
void domain_format_net_vlan_vport(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;
        bool params = false;

        if (o->vlan)
                network_format_vlan(w, o->vlan);
        if (!o->vport)
                return;
        xw_start(w, "virtualport");
        xw_attr(w, "type", o->vport_type);
        for (size_t i = 0; i < ELEMENTSOF(o->vport_params); i++)
                params = params || o->vport_params[i];
        if (params) {
                xw_start(w, "parameters");
                for (size_t i = 0; i < ELEMENTSOF(o->vport_params); i++)
                        xw_attr(w, domain_net_vport_params[i], o->vport_params[i]);
                xw_end(w);
        }
        xw_end(w);
}

void domain_format_net_port(XmlWriter *w, const DomainNetDef *net) {
        if (net->opts.port_isolated == TRISTATE_ABSENT)
                return;
        xw_start(w, "port");
        xw_attr(w, "isolated", tristate_word(net->opts.port_isolated, "yes", "no"));
        xw_end(w);
}

static void format_path_elem(XmlWriter *w, const char *name, const char *path) {
        if (!path)
                return;
        xw_start(w, name);
        xw_attr(w, "path", path);
        xw_end(w);
}

/* Before <target>: script, downscript, backend. */
void domain_format_net_scripts(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;

        format_path_elem(w, "script", o->script);
        format_path_elem(w, "downscript", o->downscript);
        if (o->backend_type || o->backend_tap || o->backend_vhost || o->backend_logfile) {
                xw_start(w, "backend");
                xw_attr(w, "type", o->backend_type);
                xw_attr(w, "tap", o->backend_tap);
                xw_attr(w, "vhost", o->backend_vhost);
                xw_attr(w, "logFile", o->backend_logfile);
                xw_end(w);
        }
}

/* After <driver>: teaming, link, mtu, coalesce. */
void domain_format_net_tail(XmlWriter *w, const DomainNetDef *net) {
        const DomainNetOpts *o = &net->opts;

        if (o->teaming != DOMAIN_NET_TEAMING_NONE) {
                xw_start(w, "teaming");
                xw_attr(w, "type", teaming_table[o->teaming]);
                xw_attr(w, "persistent", o->teaming_persistent);
                xw_end(w);
        }
        if (o->link_up != TRISTATE_ABSENT) {
                xw_start(w, "link");
                xw_attr(w, "state", tristate_word(o->link_up, "up", "down"));
                xw_end(w);
        }
        if (o->mtu) {
                xw_start(w, "mtu");
                xw_attrf(w, "size", "%u", o->mtu);
                xw_end(w);
        }
        /* as libvirt: a coalesce without frames, or of 0 frames, is the
         * default and not written back */
        if (o->coalesce && o->coalesce_rx_frames) {
                xw_start(w, "coalesce");
                xw_start(w, "rx");
                xw_start(w, "frames");
                xw_attrf(w, "max", "%u", o->coalesce_rx_frames);
                xw_end(w);
                xw_end(w);
                xw_end(w);
        }
}

#define OPTS_STRINGS(o)                                                                                          \
        { &(o)->script, &(o)->downscript, &(o)->backend_tap, &(o)->backend_vhost, &(o)->teaming_persistent,     \
          &(o)->vport_type, &(o)->portid, &(o)->sock_address, &(o)->local_address, &(o)->sock_path,             \
          &(o)->vport_params[0], &(o)->vport_params[1], &(o)->vport_params[2], &(o)->vport_params[3],           \
          &(o)->vport_params[4], &(o)->vport_params[5], &(o)->backend_type, &(o)->backend_logfile,             \
          &(o)->source_dev }

void domain_net_opts_clear(DomainNetOpts *o) {
        char **strings[] = OPTS_STRINGS(o);

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                free(*strings[i]);
        free(o->vlan);
}

bool domain_net_opts_own(DomainNetOpts *o) {
        char **strings[] = OPTS_STRINGS(o);
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                ok = own_str(strings[i]) && ok;
        if (o->vlan) {
                struct NetworkVlan *v = malloc(sizeof(*v));

                if (v)
                        *v = *o->vlan;
                o->vlan = v;
                ok = v && ok;
        }
        return ok;
}
