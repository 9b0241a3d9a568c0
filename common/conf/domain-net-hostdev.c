/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <interface type='hostdev'>: an SR-IOV VF given to the guest as a PCI
 * hostdev, with its MAC, VLAN and virtual port (domain-hostdev.h). It is
 * kept in the hostdev list, so everything a PCI hostdev goes through (the
 * host checks, the nodes, vfio-pci on QEMU's command line) applies. */
#include <systemd/sd-id128.h>

#include "domain-conf-internal.h"
#include "error.h"

static const char *const driver_values[] = { "kvm", "vfio", "xen" };
static const char *const native_modes[] = { "tagged", "untagged" };
static const char *const vport_types[] = { "802.1Qbg", "802.1Qbh", "openvswitch", "midonet" };

bool domain_net_is_hostdev(xmlNodePtr n) {
        _cleanup_free_ char *type = (char *) xmlGetProp(n, (const xmlChar *) "type");

        return streq_ptr(type, "hostdev");
}

static int parse_empty_attrs(xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = xml_check_empty(c, path, err);
        return r;
}

static int parse_mac(DomainHostdevNet *net, xmlNodePtr c, const char *path, ConfError *err) {
        _cleanup_free_ char *s = NULL;
        unsigned b[6];
        int r = parse_empty_attrs(c, path, err), end = 0;

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "address");
        if (r >= 0)
                r = xml_attr_str_required(c, path, "address", &s, err);
        if (r < 0)
                return r;
        if (strlen(s) != 17 ||
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6 ||
            end != 17 || !str_in_charset(s, "0123456789abcdefABCDEF:") || (b[0] & 1))
                return conf_fail(err, VB_ERROR_INVALID_MAC, "invalid MAC address: '%s' in <%s>", s, path);
        for (size_t i = 0; i < 6; i++)
                net->mac[i] = (uint8_t) b[i];
        net->mac_given = true;
        return 0;
}

/* <source><address type='pci' domain bus slot function/></source> */
static int parse_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const pci_only[] = { "pci" };
        bool has_address = false;
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                _cleanup_free_ char *type = NULL;

                if (!xml_is(c, "address"))
                        return xml_unsupported_element(c, path, err);
                has_address = true;
                r = parse_empty_attrs(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "type", "domain", "bus", "slot", "function");
                if (r >= 0 && (r = xml_attr_choice(c, sub, "type", pci_only, 1, &type, err)) == 0)
                        return xml_err_xml(err, "missing attribute 'type' of <%s>", sub);
                if (r >= 0)
                        r = domain_hostdev_parse_pci_numbers(h, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (!has_address)
                return xml_err_xml(err, "missing element <%s/address> of an interface of type 'hostdev'", path);
        return 0;
}

static int parse_vlan(DomainHostdevNet *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "trunk");
        if (r >= 0)
                r = domain_attr_tristate(n, path, "trunk", "yes", "no", &net->trunk, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                DomainVlanTag *t;

                if (!xml_is(c, "tag"))
                        return xml_unsupported_element(c, path, err);
                r = LIST_APPEND(net->tags, net->n_tags, &t, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "id", "nativeMode");
                if (r >= 0)
                        r = xml_check_empty(c, sub, err);
                if (r >= 0 && (r = xml_attr_uint(c, sub, "id", &t->id, err)) == 0)
                        return xml_err_xml(err, "missing attribute 'id' of <%s>", sub);
                if (r >= 0 && t->id > 4095)
                        return xml_err_invalid(err, "invalid VLAN tag id '%u' in <%s>: 0 to 4095", t->id, sub);
                if (r >= 0)
                        r = xml_attr_choice(c, sub, "nativeMode", native_modes, ELEMENTSOF(native_modes),
                                            &t->native_mode, err);
                if (r < 0)
                        return r;
        }
        if (net->n_tags == 0)
                return xml_err_xml(err, "missing element <%s/tag>", path);
        if (net->n_tags > 1 && net->trunk == TRISTATE_OFF)
                return xml_err_xml(err, "invalid configuration in <%s>: trunk='no' with more than one tag", path);
        return 0;
}

static int parse_vport(DomainHostdevNet *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", vport_types, ELEMENTSOF(vport_types), &net->vport_type, err);
        if (r < 0)
                return r;
        net->has_vport = true;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (!xml_is(c, "parameters"))
                        return xml_unsupported_element(c, path, err);
                r = parse_empty_attrs(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "managerid", "typeid", "typeidversion", "instanceid",
                                            "profileid");
                if (r >= 0)
                        r = xml_attr_str(c, sub, "managerid", &net->managerid, err);
                if (r >= 0)
                        r = xml_attr_str(c, sub, "typeid", &net->typeid, err);
                if (r >= 0)
                        r = xml_attr_str(c, sub, "typeidversion", &net->typeidversion, err);
                if (r >= 0)
                        r = xml_attr_str(c, sub, "instanceid", &net->instanceid, err);
                if (r >= 0)
                        r = xml_attr_str(c, sub, "profileid", &net->profileid, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_driver(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        int r = parse_empty_attrs(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r >= 0)
                r = xml_attr_choice(n, path, "name", driver_values, ELEMENTSOF(driver_values), &h->driver_name, err);
        return r < 0 ? r : 0;
}

static int parse_model(DomainHostdevNet *net, xmlNodePtr n, const char *path, ConfError *err) {
        int r = parse_empty_attrs(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r >= 0)
                r = xml_attr_str_required(n, path, "type", &net->model, err);
        if (r >= 0)
                r = domain_check_charset(net->model, CHARSET_ALNUM "-_", "attribute 'type' of", path, err);
        return r < 0 ? r : 0;
}

static int parse_child(DomainHostdevDef *h, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);

        if (xml_is(c, "mac"))
                return parse_mac(&h->net, c, sub, err);
        if (xml_is(c, "source"))
                return parse_source(h, c, sub, err);
        if (xml_is(c, "driver"))
                return parse_driver(h, c, sub, err);
        if (xml_is(c, "vlan"))
                return parse_vlan(&h->net, c, sub, err);
        if (xml_is(c, "virtualport"))
                return parse_vport(&h->net, c, sub, err);
        if (xml_is(c, "model"))
                return parse_model(&h->net, c, sub, err);
        if (xml_is(c, "teaming"))
                return domain_parse_hostdev_teaming(&h->net.teaming_persistent, c, sub, err);
        if (xml_is(c, "boot"))
                return domain_parse_boot_order(c, sub, &h->boot_order, err);
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &h->alias, err);
        if (xml_is(c, "address"))
                return domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &h->addr, err);
        /* libvirt reads a filterref only of the types it filters (network,
         * bridge, ethernet) and drops it here: a filter of a host device's
         * traffic is nothing the host can apply */
        if (xml_is(c, "filterref"))
                return 0;
        return xml_unsupported_element(c, path, err);
}

/* 52:54:00, as for the other interfaces (domain-net.c). */
static int generate_mac(DomainHostdevNet *net, ConfError *err) {
        sd_id128_t id;
        int r = sd_id128_randomize(&id);

        if (r < 0)
                return conf_fail(err, VB_ERROR_INTERNAL, "cannot generate a MAC address: %s", strerror(-r));
        net->mac[0] = 0x52;
        net->mac[1] = 0x54;
        net->mac[2] = 0x00;
        memcpy(net->mac + 3, id.bytes, 3);
        return 0;
}

int domain_parse_net_hostdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainHostdevDef *h;
        Tristate managed = TRISTATE_ABSENT;
        bool has_source = false;
        int r = LIST_APPEND(def->hostdevs, def->n_hostdevs, &h, path, err);

        if (r < 0)
                return r;
        h->mode = DOMAIN_HOSTDEV_MODE_SUBSYSTEM;
        h->type = DOMAIN_HOSTDEV_PCI;
        h->net.is_interface = true;
        h->net.position = def->n_nets;
        r = XML_CHECK_ATTRS(n, path, err, "type", "managed");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "managed", "yes", "no", &managed, err);
        if (r < 0)
                return r;
        h->managed = managed;
        XML_FOREACH_ELEMENT(c, n) {
                has_source = has_source || xml_is(c, "source");
                r = parse_child(h, c, path, err);
                if (r < 0)
                        return r;
        }
        if (!has_source)
                return xml_err_xml(err, "missing element <%s/source> for an interface of type 'hostdev'", path);
        return h->net.mac_given ? 0 : generate_mac(&h->net, err);
}

/* ---- format ------------------------------------------------------------- */

static void format_vlan(XmlWriter *w, const DomainHostdevNet *net) {
        if (!net->n_tags)
                return;
        xw_start(w, "vlan");
        xw_attr(w, "trunk", tristate_word(net->trunk, "yes", "no"));
        for (size_t i = 0; i < net->n_tags; i++) {
                xw_start(w, "tag");
                xw_attrf(w, "id", "%u", net->tags[i].id);
                xw_attr(w, "nativeMode", net->tags[i].native_mode);
                xw_end(w);
        }
        xw_end(w);
}

static void format_vport(XmlWriter *w, const DomainHostdevNet *net) {
        if (!net->has_vport)
                return;
        xw_start(w, "virtualport");
        xw_attr(w, "type", net->vport_type);
        if (net->managerid || net->typeid || net->typeidversion || net->instanceid || net->profileid) {
                xw_start(w, "parameters");
                xw_attr(w, "managerid", net->managerid);
                xw_attr(w, "typeid", net->typeid);
                xw_attr(w, "typeidversion", net->typeidversion);
                xw_attr(w, "instanceid", net->instanceid);
                xw_attr(w, "profileid", net->profileid);
                xw_end(w);
        }
        xw_end(w);
}

static void format_one(XmlWriter *w, const DomainHostdevDef *h, unsigned flags) {
        const uint8_t *m = h->net.mac;

        xw_start(w, "interface");
        xw_attr(w, "type", "hostdev");
        xw_attr(w, "managed", tristate_word(h->managed, "yes", "no"));
        xw_start(w, "mac");
        xw_attrf(w, "address", "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
        xw_end(w);
        if (h->driver_name) {
                xw_start(w, "driver");
                xw_attr(w, "name", h->driver_name);
                xw_end(w);
        }
        xw_start(w, "source");
        xw_start(w, "address");
        xw_attr(w, "type", "pci");
        xw_attrf(w, "domain", "0x%04x", h->pci_domain);
        xw_attrf(w, "bus", "0x%02x", h->pci_bus);
        xw_attrf(w, "slot", "0x%02x", h->pci_slot);
        xw_attrf(w, "function", "0x%x", h->pci_function);
        xw_end(w);
        xw_end(w);
        format_vlan(w, &h->net);
        format_vport(w, &h->net);
        if (h->net.model) {
                xw_start(w, "model");
                xw_attr(w, "type", h->net.model);
                xw_end(w);
        }
        domain_format_hostdev_teaming(w, h->net.teaming_persistent);
        domain_format_boot_order(w, h->boot_order);
        domain_format_alias(w, h->alias, flags);
        domain_format_address(w, &h->addr);
        xw_end(w);
}

void domain_format_net_hostdevs_at(XmlWriter *w, const DomainDef *def, size_t position, unsigned flags) {
        for (size_t i = 0; i < def->n_hostdevs; i++)
                if (def->hostdevs[i].net.is_interface &&
                    (def->hostdevs[i].net.position == position ||
                     (position == def->n_nets && def->hostdevs[i].net.position > position)))
                        format_one(w, &def->hostdevs[i], flags);
}

void domain_hostdev_net_clear(DomainHostdevNet *net) {
        free(net->model);
        free(net->teaming_persistent);
        for (size_t i = 0; i < net->n_tags; i++)
                free(net->tags[i].native_mode);
        free(net->tags);
        free(net->vport_type);
        free(net->managerid);
        free(net->typeid);
        free(net->typeidversion);
        free(net->instanceid);
        free(net->profileid);
}

bool domain_hostdev_net_own(DomainHostdevNet *net) {
        bool ok = OWN_ARRAY(net->tags, net->n_tags);

        for (size_t i = 0; ok && i < net->n_tags; i++)
                ok = own_str(&net->tags[i].native_mode) && ok;
        ok = own_str(&net->model) && ok;
        ok = own_str(&net->teaming_persistent) && ok;
        ok = own_str(&net->vport_type) && ok;
        ok = own_str(&net->managerid) && ok;
        ok = own_str(&net->typeid) && ok;
        ok = own_str(&net->typeidversion) && ok;
        ok = own_str(&net->instanceid) && ok;
        ok = own_str(&net->profileid) && ok;
        return ok;
}
