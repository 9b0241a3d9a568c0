/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <bandwidth>, <vlan> and <portgroup>: what a port gets besides its bridge. */
#include <inttypes.h>

#include "error.h"
#include "network-conf-internal.h"

static int parse_rate_attr(xmlNodePtr n, const char *path, const char *attr, uint64_t *ret, ConfError *err) {
        unsigned v;
        int r = xml_attr_uint(n, path, attr, &v, err);

        if (r <= 0)
                return r;
        if (v == 0)
                return xml_err_invalid(err, "attribute '%s' of <%s> must be at least 1", attr, path);
        *ret = v;
        return 1;
}

static int parse_rate(xmlNodePtr n, const char *path, NetworkRate *rate, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "average", "peak", "floor", "burst");

        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = parse_rate_attr(n, path, "average", &rate->average, err);
        if (r >= 0)
                r = parse_rate_attr(n, path, "peak", &rate->peak, err);
        if (r >= 0)
                r = parse_rate_attr(n, path, "floor", &rate->floor, err);
        if (r >= 0)
                r = parse_rate_attr(n, path, "burst", &rate->burst, err);
        if (r < 0)
                return r;
        if (!rate->average && !rate->floor)
                return xml_err_xml(err, "<%s> needs 'average' or 'floor'", path);
        rate->present = true;
        return 0;
}

int network_parse_bandwidth(xmlNodePtr n, const char *path, NetworkBandwidth *bw, ConfError *err) {
        int r = XML_CHECK_ATTRS(n, path, err, "classID");

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        /* classID is status that libvirt writes; we keep ours in the port state */
        bw->present = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "inbound") && !xml_is(c, "outbound"))
                        return xml_unsupported_element(c, path, err);
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = parse_rate(c, sub, xml_is(c, "inbound") ? &bw->in : &bw->out, err);
                if (r < 0)
                        return r;
        }
        if (bw->out.floor)
                return xml_err_unsupported(err, "'floor' of <%s/outbound> is not supported: only inbound", path);
        return 0;
}

static int parse_vlan(xmlNodePtr n, const char *path, NetworkVlan *vlan, unsigned min_id, unsigned max_id,
                      ConfError *err) {
        _cleanup_free_ char *trunk = NULL;
        int r = XML_CHECK_ATTRS(n, path, err, "trunk");

        if (r >= 0)
                r = xml_attr_str(n, path, "trunk", &trunk, err);
        if (r > 0 && !streq(trunk, "yes"))
                return xml_err_invalid(err, "invalid value '%s' of attribute 'trunk' of <%s>", trunk, path);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        vlan->trunk = trunk != NULL;
        XML_FOREACH_ELEMENT(c, n) {
                static const char *const modes[] = { "", "tagged", "untagged" };
                XML_SUBPATH(sub, path, (const char *) c->name);
                unsigned id;
                int mode = 0;

                if (!xml_is(c, "tag"))
                        return xml_unsupported_element(c, path, err);
                r = XML_CHECK_ATTRS(c, sub, err, "id", "nativeMode");
                if (r >= 0)
                        r = xml_check_empty(c, sub, err);
                if (r >= 0)
                        r = xml_attr_uint(c, sub, "id", &id, err);
                if (r == 0)
                        r = xml_err_xml(err, "missing attribute 'id' of <%s>", sub);
                if (r >= 0)
                        r = xml_attr_enum(c, sub, "nativeMode", modes, ELEMENTSOF(modes), &mode, err);
                if (r < 0)
                        return r;
                if (id < min_id || id > max_id)
                        return xml_err_invalid(err, "VLAN tag %u of <%s> is out of range (%u to %u)", id, sub,
                                               min_id, max_id);
                for (size_t i = 0; i < vlan->n_tags; i++)
                        if (vlan->tags[i] == id)
                                return xml_err_invalid(err, "VLAN tag %u is given twice in <%s>", id, path);
                if (vlan->n_tags >= NETWORK_VLAN_TAGS_MAX)
                        return xml_err_invalid(err, "too many VLAN tags in <%s>: at most %d", path,
                                               NETWORK_VLAN_TAGS_MAX);
                if (mode > 0) {
                        if (vlan->native_mode)
                                return xml_err_xml(err, "only one <%s> may have 'nativeMode'", sub);
                        vlan->native_mode = (NetworkVlanNative) mode;
                        vlan->native_tag = id;
                }
                vlan->tags[vlan->n_tags++] = id;
        }
        if (vlan->n_tags == 0)
                return xml_err_xml(err, "<%s> needs at least one <tag>", path);
        if (vlan->native_mode && !vlan->trunk && vlan->n_tags == 1)
                return xml_err_xml(err, "'nativeMode' in <%s> needs a trunk (trunk='yes' or several tags)", path);
        return 0;
}

/* 0 and 4095 are reserved by 802.1Q: a network's tags are what its
 * bridge can filter. */
int network_parse_vlan(xmlNodePtr n, const char *path, NetworkVlan *vlan, ConfError *err) {
        return parse_vlan(n, path, vlan, 1, 4094, err);
}

/* A domain's <interface><vlan> takes what libvirt's does (0 to 4095); a
 * reserved tag is networkd's refusal when the port is asked for. */
int network_parse_vlan_domain(xmlNodePtr n, const char *path, NetworkVlan *vlan, ConfError *err) {
        return parse_vlan(n, path, vlan, 0, 4095, err);
}

bool network_vlan_equal(const NetworkVlan *a, const NetworkVlan *b) {
        return a->n_tags == b->n_tags && a->trunk == b->trunk && a->native_mode == b->native_mode &&
               a->native_tag == b->native_tag && memcmp(a->tags, b->tags, a->n_tags * sizeof(a->tags[0])) == 0;
}

int network_parse_portgroup(xmlNodePtr n, const char *path, NetworkPortgroup *pg, ConfError *err) {
        Tristate def = TRISTATE_ABSENT;
        int r = XML_CHECK_ATTRS(n, path, err, "name", "default", "trustGuestRxFilters");

        if (r >= 0)
                r = network_attr_charset(n, path, "name", CHARSET_DEVICE, true, &pg->name, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "default", "yes", "no", &def, err);
        if (r >= 0)
                r = network_attr_tristate(n, path, "trustGuestRxFilters", "yes", "no", &pg->trust_guest_rx, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        pg->is_default = def == TRISTATE_ON;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "bandwidth"))
                        r = network_parse_bandwidth(c, sub, &pg->bandwidth, err);
                else if (xml_is(c, "vlan"))
                        r = network_parse_vlan(c, sub, &pg->vlan, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void network_portgroup_clear(NetworkPortgroup *pg) {
        free(pg->name);
        *pg = (NetworkPortgroup) {};
}

static void format_rate(XmlWriter *w, const char *name, const NetworkRate *rate) {
        if (!rate->present)
                return;
        xw_start(w, name);
        if (rate->average)
                xw_attrf(w, "average", "%" PRIu64, rate->average);
        if (rate->peak)
                xw_attrf(w, "peak", "%" PRIu64, rate->peak);
        if (rate->floor)
                xw_attrf(w, "floor", "%" PRIu64, rate->floor);
        if (rate->burst)
                xw_attrf(w, "burst", "%" PRIu64, rate->burst);
        xw_end(w);
}

void network_format_bandwidth(XmlWriter *w, const NetworkBandwidth *bw) {
        if (!bw->present)
                return;
        xw_start(w, "bandwidth");
        format_rate(w, "inbound", &bw->in);
        format_rate(w, "outbound", &bw->out);
        xw_end(w);
}

void network_format_vlan(XmlWriter *w, const NetworkVlan *vlan) {
        if (!vlan->n_tags)
                return;
        xw_start(w, "vlan");
        if (vlan->trunk)
                xw_attr(w, "trunk", "yes");
        for (size_t i = 0; i < vlan->n_tags; i++) {
                xw_start(w, "tag");
                xw_attrf(w, "id", "%u", vlan->tags[i]);
                if (vlan->native_mode && vlan->native_tag == vlan->tags[i])
                        xw_attr(w, "nativeMode",
                                vlan->native_mode == NETWORK_VLAN_NATIVE_TAGGED ? "tagged" : "untagged");
                xw_end(w);
        }
        xw_end(w);
}

void network_format_portgroup(XmlWriter *w, const NetworkPortgroup *pg) {
        xw_start(w, "portgroup");
        xw_attr(w, "name", pg->name);
        if (pg->is_default)
                xw_attr(w, "default", "yes");
        xw_attr(w, "trustGuestRxFilters", network_tristate_word(pg->trust_guest_rx, "yes", "no"));
        network_format_bandwidth(w, &pg->bandwidth);
        network_format_vlan(w, &pg->vlan);
        xw_end(w);
}

/* ---- standalone fragments (Update, ports) ------------------------------------------ */

#define DEFINE_FRAGMENT_PARSER(func, type, root, parser, clear)                                 \
        int func(const char *xml, type *ret, ConfError *err) {                                  \
                _cleanup_xmldoc_ xmlDocPtr doc = NULL;                                          \
                xmlNodePtr n;                                                                   \
                type v = {};                                                                    \
                int r = network_read_fragment(xml, root, &doc, &n, err);                        \
                                                                                                \
                if (r < 0)                                                                      \
                        return r;                                                               \
                r = parser(n, root, &v, err);                                                   \
                if (r < 0) {                                                                    \
                        clear(&v);                                                              \
                        return r;                                                               \
                }                                                                               \
                *ret = v;                                                                       \
                return 0;                                                                       \
        }

static void no_clear(void *p) {
}

DEFINE_FRAGMENT_PARSER(network_parse_dhcp_host_xml, NetworkDhcpHost, "host", network_parse_dhcp_host,
                       network_dhcp_host_clear)
DEFINE_FRAGMENT_PARSER(network_parse_dhcp_range_xml, NetworkDhcpRange, "range", network_parse_dhcp_range,
                       network_dhcp_range_clear)
DEFINE_FRAGMENT_PARSER(network_parse_dns_host_xml, NetworkDnsHost, "host", network_parse_dns_host,
                       network_dns_host_clear)
DEFINE_FRAGMENT_PARSER(network_parse_portgroup_xml, NetworkPortgroup, "portgroup", network_parse_portgroup,
                       network_portgroup_clear)
DEFINE_FRAGMENT_PARSER(network_parse_bandwidth_xml, NetworkBandwidth, "bandwidth", network_parse_bandwidth,
                       no_clear)
DEFINE_FRAGMENT_PARSER(network_parse_vlan_xml, NetworkVlan, "vlan", network_parse_vlan, no_clear)
