/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <hostdev>: every form of libvirt's schema, parsed and formatted back
 * (domain-hostdev.h). Children and attributes the model does not hold
 * (<acpi>, an adapter by parent address, writeFiltering) are refused naming them, as everywhere. */
#include <inttypes.h>

#include "domain-conf-internal.h"
#include "util.h"
#include "uuid.h"

static const char *const mode_table[_DOMAIN_HOSTDEV_MODE_MAX] = {
        [DOMAIN_HOSTDEV_MODE_SUBSYSTEM] = "subsystem",
        [DOMAIN_HOSTDEV_MODE_CAPABILITIES] = "capabilities",
};

static const char *const type_table[_DOMAIN_HOSTDEV_TYPE_MAX] = {
        [DOMAIN_HOSTDEV_PCI] = "pci",
        [DOMAIN_HOSTDEV_USB] = "usb",
        [DOMAIN_HOSTDEV_SCSI] = "scsi",
        [DOMAIN_HOSTDEV_SCSI_HOST] = "scsi_host",
        [DOMAIN_HOSTDEV_MDEV] = "mdev",
        [DOMAIN_HOSTDEV_STORAGE] = "storage",
        [DOMAIN_HOSTDEV_MISC] = "misc",
        [DOMAIN_HOSTDEV_NET] = "net",
};

const char *domain_hostdev_mode_to_string(DomainHostdevMode m) {
        return (size_t) m < ELEMENTSOF(mode_table) ? mode_table[m] : NULL;
}

const char *domain_hostdev_type_to_string(DomainHostdevType t) {
        return (size_t) t < ELEMENTSOF(type_table) ? type_table[t] : NULL;
}

static bool type_is_caps(DomainHostdevType t) {
        return t >= DOMAIN_HOSTDEV_STORAGE;
}

static const char *const startup_values[] = { "mandatory", "requisite", "optional" };
static const char *const guest_reset_values[] = { "off", "uninitialized", "on" };
static const char *const sgio_values[] = { "filtered", "unfiltered" };
static const char *const driver_values[] = { "kvm", "vfio", "xen" };
static const char *const scsi_host_models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };
static const char *const mdev_models[] = { "vfio-pci", "vfio-ccw", "vfio-ap" };

/* The attributes of <hostdev> itself each type may have. */
static int check_attrs(xmlNodePtr n, const char *path, DomainHostdevType t, ConfError *err) {
        switch (t) {
        case DOMAIN_HOSTDEV_PCI:
        case DOMAIN_HOSTDEV_USB:
                return XML_CHECK_ATTRS(n, path, err, "mode", "type", "managed");
        case DOMAIN_HOSTDEV_SCSI:
                return XML_CHECK_ATTRS(n, path, err, "mode", "type", "managed", "sgio", "rawio");
        case DOMAIN_HOSTDEV_SCSI_HOST:
                return XML_CHECK_ATTRS(n, path, err, "mode", "type", "managed", "model");
        case DOMAIN_HOSTDEV_MDEV:
                return XML_CHECK_ATTRS(n, path, err, "mode", "type", "managed", "model", "display", "ramfb");
        default:
                return XML_CHECK_ATTRS(n, path, err, "mode", "type");
        }
}

static int attr_tristate(xmlNodePtr n, const char *path, const char *attr, const char *on, const char *off,
                         int *ret, ConfError *err) {
        Tristate t = TRISTATE_ABSENT;
        int r = domain_attr_tristate(n, path, attr, on, off, &t, err);

        *ret = t;
        return r;
}

static int parse_head(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        int mode = DOMAIN_HOSTDEV_MODE_SUBSYSTEM, type = 0, r;

        r = xml_attr_enum(n, path, "mode", mode_table, ELEMENTSOF(mode_table), &mode, err);
        if (r < 0)
                return r;
        r = xml_attr_enum(n, path, "type", type_table, ELEMENTSOF(type_table), &type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (type_is_caps(type) != (mode == DOMAIN_HOSTDEV_MODE_CAPABILITIES))
                return xml_err_xml(err, "<%s> of type '%s' cannot have mode '%s'", path, type_table[type],
                                   mode_table[mode]);
        h->mode = mode;
        h->type = type;
        r = check_attrs(n, path, h->type, err);
        if (r < 0)
                return r;
        r = attr_tristate(n, path, "managed", "yes", "no", &h->managed, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "sgio", sgio_values, ELEMENTSOF(sgio_values), &h->sgio, err);
        if (r >= 0)
                r = attr_tristate(n, path, "rawio", "yes", "no", &h->rawio, err);
        if (r >= 0 && h->type == DOMAIN_HOSTDEV_SCSI_HOST)
                r = xml_attr_choice(n, path, "model", scsi_host_models, ELEMENTSOF(scsi_host_models), &h->model, err);
        if (r >= 0 && h->type == DOMAIN_HOSTDEV_MDEV) {
                r = xml_attr_choice(n, path, "model", mdev_models, ELEMENTSOF(mdev_models), &h->model, err);
                if (r == 0)
                        return xml_err_xml(err, "missing attribute 'model' of <%s> of type 'mdev'", path);
        }
        if (r >= 0)
                r = attr_tristate(n, path, "display", "on", "off", &h->display, err);
        if (r >= 0)
                r = attr_tristate(n, path, "ramfb", "on", "off", &h->ramfb, err);
        return r < 0 ? r : 0;
}

/* ---- <source> of each type ------------------------------------------------ */

/* The host's PCI address of the device: <address domain bus slot function/>. */
int domain_hostdev_parse_pci_numbers(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        int r = domain_attr_pci_number(n, path, "domain", 0xffff, &h->pci_domain, err);

        if (r >= 0)
                r = domain_attr_pci_number(n, path, "bus", 0xff, &h->pci_bus, err);
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "slot", 0x1f, &h->pci_slot, err);
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "function", 7, &h->pci_function, err);
        return r;
}

static int parse_pci_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        bool has_address = false;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "startupPolicy");
        if (r >= 0)
                r = xml_attr_choice(n, path, "startupPolicy", startup_values, ELEMENTSOF(startup_values),
                                    &h->startup_policy, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (!xml_is(c, "address"))
                        return xml_unsupported_element(c, path, err);
                has_address = true;
                r = xml_check_unique(c, sub, err);
                if (r >= 0)
                        r = XML_CHECK_ATTRS(c, sub, err, "domain", "bus", "slot", "function");
                if (r >= 0)
                        r = xml_check_empty(c, sub, err);
                if (r >= 0)
                        r = domain_hostdev_parse_pci_numbers(h, c, sub, err);
                if (r < 0)
                        return r;
        }
        if (!has_address)
                return xml_err_xml(err, "missing element <%s/address> of a PCI hostdev", path);
        return 0;
}

static int parse_usb_id(xmlNodePtr c, const char *path, unsigned *ret, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "id");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0)
                r = domain_attr_pci_number(c, path, "id", 0xffff, ret, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'id' of <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_usb_address(DomainHostdevDef *h, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "bus", "device");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0 && (r = domain_attr_pci_number(c, path, "bus", 0xfff, &h->usb_bus, err)) == 0)
                return xml_err_xml(err, "missing attribute 'bus' of <%s>", path);
        if (r >= 0 && (r = domain_attr_pci_number(c, path, "device", 0xfff, &h->usb_device, err)) == 0)
                return xml_err_xml(err, "missing attribute 'device' of <%s>", path);
        h->has_usb_address = r > 0;
        return r < 0 ? r : 0;
}

static int parse_usb_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        bool vendor = false, product = false;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "startupPolicy", "guestReset");
        if (r >= 0)
                r = xml_attr_choice(n, path, "startupPolicy", startup_values, ELEMENTSOF(startup_values),
                                    &h->startup_policy, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "guestReset", guest_reset_values, ELEMENTSOF(guest_reset_values),
                                    &h->guest_reset, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "vendor")) {
                        r = parse_usb_id(c, sub, &h->usb_vendor, err);
                        vendor = true;
                } else if (xml_is(c, "product")) {
                        r = parse_usb_id(c, sub, &h->usb_product, err);
                        product = true;
                } else if (xml_is(c, "address"))
                        r = parse_usb_address(h, c, sub, err);
                else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (vendor != product)
                return xml_err_xml(err, "<%s> of a USB hostdev needs both <vendor> and <product>", path);
        h->has_usb_product = vendor;
        if (!vendor && !h->has_usb_address)
                return xml_err_xml(err, "<%s> of a USB hostdev needs <vendor> and <product>, or <address>", path);
        return 0;
}

static int parse_scsi_adapter(DomainHostdevDef *h, xmlNodePtr c, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "type", "name");
        if (r >= 0)
                r = xml_check_empty(c, path, err); /* <parentaddr>: refused naming it */
        if (r >= 0)
                r = xml_attr_str(c, path, "type", &type, err);
        if (r > 0 && !streq(type, "scsi_host"))
                return xml_err_unsupported(err, "adapter type '%s' of <%s> is not supported, only 'scsi_host'",
                                           type, path);
        if (r >= 0)
                r = xml_attr_str_required(c, path, "name", &h->scsi_adapter, err);
        return r < 0 ? r : 0;
}

static int parse_scsi_address(DomainHostdevDef *h, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "bus", "target", "unit");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0 && (r = xml_attr_uint(c, path, "bus", &h->scsi_bus, err)) == 0)
                r = xml_err_xml(err, "missing attribute 'bus' of <%s>", path);
        if (r >= 0 && (r = xml_attr_uint(c, path, "target", &h->scsi_target, err)) == 0)
                r = xml_err_xml(err, "missing attribute 'target' of <%s>", path);
        if (r >= 0 && (r = xml_attr_uint(c, path, "unit", &h->scsi_unit, err)) == 0)
                r = xml_err_xml(err, "missing attribute 'unit' of <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_scsi_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const adapter_only[] = { "adapter" };
        _cleanup_free_ char *protocol = NULL;
        bool address = false;
        int r;

        if (domain_hostdev_source_is_iscsi(n))
                return domain_hostdev_parse_iscsi(h, n, path, err);
        /* the protocol first: an unknown one is refused naming it */
        r = xml_attr_choice(n, path, "protocol", adapter_only, ELEMENTSOF(adapter_only), &protocol, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "protocol");
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "adapter"))
                        r = parse_scsi_adapter(h, c, sub, err);
                else if (xml_is(c, "address")) {
                        r = parse_scsi_address(h, c, sub, err);
                        address = true;
                } else
                        return xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!h->scsi_adapter || !address)
                return xml_err_xml(err, "<%s> of a SCSI hostdev needs <adapter> and <address>", path);
        return 0;
}

static bool is_wwpn(const char *s) {
        if (strncmp(s, "naa.", 4) != 0 || strlen(s) != 20)
                return false;
        for (const char *p = s + 4; *p; p++)
                if (!strchr("0123456789abcdefABCDEF", *p))
                        return false;
        return true;
}

static int parse_scsi_host_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const vhost_only[] = { "vhost" };
        _cleanup_free_ char *protocol = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "protocol", "wwpn");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0 && (r = xml_attr_choice(n, path, "protocol", vhost_only, ELEMENTSOF(vhost_only), &protocol,
                                           err)) == 0)
                return xml_err_xml(err, "missing attribute 'protocol' of <%s>", path);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "wwpn", &h->wwpn, err);
        if (r >= 0 && !is_wwpn(h->wwpn))
                return xml_err_invalid(err, "invalid wwpn '%s' of <%s>: 'naa.' and 16 hex digits", h->wwpn, path);
        return r < 0 ? r : 0;
}

static int parse_mdev_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        xmlNodePtr c = xml_first_element(n);
        uint8_t u[16];
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        if (!c)
                return xml_err_xml(err, "missing element <%s/address> of an mdev hostdev", path);
        /* every child, not only the first: an unknown one is refused by name */
        XML_FOREACH_ELEMENT(other, n)
                if (!xml_is(other, "address"))
                        return xml_unsupported_element(other, path, err);
        XML_SUBPATH(sub, path, "address");
        r = xml_check_unique(c, sub, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(c, sub, err, "uuid");
        if (r >= 0)
                r = xml_check_empty(c, sub, err);
        if (r >= 0)
                r = xml_attr_str_required(c, sub, "uuid", &h->mdev_uuid, err);
        if (r >= 0 && uuid_parse(h->mdev_uuid, u) < 0)
                return xml_err_invalid(err, "invalid uuid '%s' of <%s>", h->mdev_uuid, sub);
        return r < 0 ? r : 0;
}

/* <source><block>/dev/sdb</block>, <char>, <interface>: one element of text. */
static int parse_caps_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        const char *want = h->type == DOMAIN_HOSTDEV_STORAGE ? "block" :
                           h->type == DOMAIN_HOSTDEV_MISC ? "char" : "interface";
        char **field = h->type == DOMAIN_HOSTDEV_NET ? &h->caps_ifname : &h->caps_path;
        xmlNodePtr c = xml_first_element(n);
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        if (!c)
                return xml_err_xml(err, "missing element <%s/%s> of a hostdev of type '%s'", path, want,
                                   type_table[h->type]);
        if (!xml_is(c, want))
                return xml_unsupported_element(c, path, err);
        XML_SUBPATH(sub, path, want);
        r = xml_check_unique(c, sub, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(c, sub, err, NULL);
        if (r >= 0)
                r = xml_text(c, sub, field, err);
        if (r == 0 || (r > 0 && !**field))
                return xml_err_xml(err, "empty <%s>", sub);
        if (r < 0)
                return r;
        str_strip(*field);
        if (h->type != DOMAIN_HOSTDEV_NET)
                return domain_check_abs_path(*field, "the device of", sub, err);
        if (strlen(*field) > 15 || strchr(*field, '/') || str_has_newline(*field) || strchr(*field, ' '))
                return xml_err_invalid(err, "invalid interface name '%s' in <%s>: 1 to 15 characters, "
                                       "no '/' or space", *field, sub);
        return 0;
}

static int parse_source(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                return parse_pci_source(h, n, path, err);
        case DOMAIN_HOSTDEV_USB:
                return parse_usb_source(h, n, path, err);
        case DOMAIN_HOSTDEV_SCSI:
                return parse_scsi_source(h, n, path, err);
        case DOMAIN_HOSTDEV_SCSI_HOST:
                return parse_scsi_host_source(h, n, path, err);
        case DOMAIN_HOSTDEV_MDEV:
                return parse_mdev_source(h, n, path, err);
        default:
                return parse_caps_source(h, n, path, err);
        }
}

/* ---- the other children ----------------------------------------------------- */

static int parse_driver(DomainHostdevDef *h, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0 && (r = xml_attr_choice(n, path, "name", driver_values, ELEMENTSOF(driver_values),
                                           &h->driver_name, err)) == 0)
                return xml_err_xml(err, "missing attribute 'name' of <%s>", path);
        return r < 0 ? r : 0;
}

static int parse_flag(bool *flag, xmlNodePtr n, const char *path, ConfError *err) {
        int r = xml_check_unique(n, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                *flag = true;
        return r < 0 ? r : 0;
}

static int parse_child(DomainHostdevDef *h, xmlNodePtr c, const char *path, ConfError *err) {
        const unsigned addresses = DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI) |
                                   DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_DRIVE) |
                                   DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB) |
                                   DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_UNASSIGNED);
        XML_SUBPATH(sub, path, (const char *) c->name);

        if (xml_is(c, "source"))
                return parse_source(h, c, sub, err);
        if (xml_is(c, "driver") && h->type == DOMAIN_HOSTDEV_PCI)
                return parse_driver(h, c, sub, err);
        if (xml_is(c, "ip") && h->type == DOMAIN_HOSTDEV_NET)
                return domain_parse_net_ip(&h->ips, &h->n_ips, c, sub, err);
        if (xml_is(c, "route") && h->type == DOMAIN_HOSTDEV_NET)
                return domain_parse_net_route(&h->routes, &h->n_routes, c, sub, err);
        if (xml_is(c, "readonly"))
                return parse_flag(&h->readonly, c, sub, err);
        if (xml_is(c, "shareable"))
                return parse_flag(&h->shareable, c, sub, err);
        if (xml_is(c, "teaming") && h->type == DOMAIN_HOSTDEV_PCI)
                return domain_parse_hostdev_teaming(&h->net.teaming_persistent, c, sub, err);
        if (xml_is(c, "boot"))
                return domain_parse_boot_order(c, sub, &h->boot_order, err);
        /* a PCI function's option ROM (the guest's boot code of a NIC, a GPU) */
        if (xml_is(c, "rom") && h->type == DOMAIN_HOSTDEV_PCI)
                return xml_check_unique(c, sub, err) ?: domain_parse_rom(c, sub, &h->rom, err);
        if (xml_is(c, "alias"))
                return domain_parse_alias(c, sub, &h->alias, err);
        if (xml_is(c, "address"))
                return domain_parse_address(c, sub, addresses, &h->addr, err);
        return xml_unsupported_element(c, path, err);
}

int domain_parse_hostdev(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainHostdevDef *h;
        bool has_source = false;
        int r;

        r = LIST_APPEND(def->hostdevs, def->n_hostdevs, &h, path, err);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = parse_head(h, n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                has_source = has_source || xml_is(c, "source");
                r = parse_child(h, c, path, err);
                if (r < 0)
                        return r;
        }
        if (!has_source)
                return xml_err_xml(err, "missing element <%s/source> of a hostdev of type '%s'", path,
                                   type_table[h->type]);
        return 0;
}

/* ---- format ------------------------------------------------------------------ */

static void format_source(XmlWriter *w, const DomainHostdevDef *h) {
        if (h->iscsi) {
                domain_hostdev_format_iscsi(w, h);
                return;
        }
        xw_start(w, "source");
        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                xw_attr(w, "startupPolicy", h->startup_policy);
                xw_start(w, "address");
                xw_attrf(w, "domain", "0x%04x", h->pci_domain);
                xw_attrf(w, "bus", "0x%02x", h->pci_bus);
                xw_attrf(w, "slot", "0x%02x", h->pci_slot);
                xw_attrf(w, "function", "0x%x", h->pci_function);
                xw_end(w);
                break;
        case DOMAIN_HOSTDEV_USB:
                xw_attr(w, "startupPolicy", h->startup_policy);
                xw_attr(w, "guestReset", h->guest_reset);
                if (h->has_usb_product) {
                        xw_start(w, "vendor");
                        xw_attrf(w, "id", "0x%04x", h->usb_vendor);
                        xw_end(w);
                        xw_start(w, "product");
                        xw_attrf(w, "id", "0x%04x", h->usb_product);
                        xw_end(w);
                }
                if (h->has_usb_address) {
                        xw_start(w, "address");
                        xw_attrf(w, "bus", "%u", h->usb_bus);
                        xw_attrf(w, "device", "%u", h->usb_device);
                        xw_end(w);
                }
                break;
        case DOMAIN_HOSTDEV_SCSI:
                xw_start(w, "adapter");
                xw_attr(w, "name", h->scsi_adapter);
                xw_end(w);
                xw_start(w, "address");
                xw_attrf(w, "bus", "%u", h->scsi_bus);
                xw_attrf(w, "target", "%u", h->scsi_target);
                xw_attrf(w, "unit", "%u", h->scsi_unit);
                xw_end(w);
                break;
        case DOMAIN_HOSTDEV_SCSI_HOST:
                xw_attr(w, "protocol", "vhost");
                xw_attr(w, "wwpn", h->wwpn);
                break;
        case DOMAIN_HOSTDEV_MDEV:
                xw_start(w, "address");
                xw_attr(w, "uuid", h->mdev_uuid);
                xw_end(w);
                break;
        case DOMAIN_HOSTDEV_STORAGE:
                xw_element(w, "block", h->caps_path);
                break;
        case DOMAIN_HOSTDEV_MISC:
                xw_element(w, "char", h->caps_path);
                break;
        default:
                xw_element(w, "interface", h->caps_ifname);
                break;
        }
        xw_end(w);
}

void domain_format_hostdev(XmlWriter *w, const DomainHostdevDef *h, unsigned flags) {
        if (h->net.is_interface)
                return; /* among the interfaces (domain-net-hostdev.c) */
        xw_start(w, "hostdev");
        xw_attr(w, "mode", mode_table[h->mode]);
        xw_attr(w, "type", type_table[h->type]);
        xw_attr(w, "managed", tristate_word(h->managed, "yes", "no"));
        xw_attr(w, "sgio", h->sgio);
        xw_attr(w, "rawio", tristate_word(h->rawio, "yes", "no"));
        xw_attr(w, "model", h->model);
        xw_attr(w, "display", tristate_word(h->display, "on", "off"));
        xw_attr(w, "ramfb", tristate_word(h->ramfb, "on", "off"));
        if (h->driver_name) {
                xw_start(w, "driver");
                xw_attr(w, "name", h->driver_name);
                xw_end(w);
        }
        format_source(w, h);
        domain_format_net_ips(w, h->ips, h->n_ips, h->routes, h->n_routes);
        domain_format_hostdev_teaming(w, h->net.teaming_persistent);
        domain_format_boot_order(w, h->boot_order);
        if (h->readonly)
                xw_empty(w, "readonly");
        if (h->shareable)
                xw_empty(w, "shareable");
        domain_format_alias(w, h->alias, flags);
        domain_format_rom(w, &h->rom);
        domain_format_address(w, &h->addr);
        xw_end(w);
}

void domain_hostdev_describe(const DomainHostdevDef *h, char *buf, size_t size) {
        const char *type = type_table[h->type];

        switch (h->type) {
        case DOMAIN_HOSTDEV_PCI:
                snprintf(buf, size, "pci %04x:%02x:%02x.%x", h->pci_domain, h->pci_bus, h->pci_slot, h->pci_function);
                break;
        case DOMAIN_HOSTDEV_USB:
                if (h->has_usb_product)
                        snprintf(buf, size, "usb %04x:%04x", h->usb_vendor, h->usb_product);
                else
                        snprintf(buf, size, "usb bus %u device %u", h->usb_bus, h->usb_device);
                break;
        case DOMAIN_HOSTDEV_SCSI:
                if (h->iscsi) {
                        domain_hostdev_describe_iscsi(h, buf, size);
                        break;
                }
                snprintf(buf, size, "scsi %s:%u:%u:%u", h->scsi_adapter ?: "", h->scsi_bus, h->scsi_target,
                         h->scsi_unit);
                break;
        case DOMAIN_HOSTDEV_SCSI_HOST:
                snprintf(buf, size, "scsi_host %s", h->wwpn ?: "");
                break;
        case DOMAIN_HOSTDEV_MDEV:
                snprintf(buf, size, "mdev %s", h->mdev_uuid ?: "");
                break;
        case DOMAIN_HOSTDEV_NET:
                snprintf(buf, size, "net %s", h->caps_ifname ?: "");
                break;
        default:
                snprintf(buf, size, "%s %s", type, h->caps_path ?: "");
                break;
        }
}

/* The same host device twice: libvirt refuses it too. */
int domain_validate_hostdevs(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_hostdevs; i++)
                for (size_t j = 0; j < i; j++) {
                        char a[128], b[128];

                        if (def->hostdevs[i].type != def->hostdevs[j].type)
                                continue;
                        domain_hostdev_describe(&def->hostdevs[i], a, sizeof(a));
                        domain_hostdev_describe(&def->hostdevs[j], b, sizeof(b));
                        if (streq(a, b))
                                return xml_err_invalid(err, "the host device '%s' is given twice in <devices/hostdev>",
                                                       a);
                }
        return 0;
}

void domain_hostdev_clear(DomainHostdevDef *h) {
        free(h->rom.file);
        free(h->driver_name);
        free(h->startup_policy);
        free(h->guest_reset);
        free(h->scsi_adapter);
        free(h->sgio);
        free(h->wwpn);
        free(h->model);
        free(h->mdev_uuid);
        free(h->caps_path);
        free(h->caps_ifname);
        domain_net_ips_clear(h->ips, h->n_ips, h->routes, h->n_routes);
        free(h->alias);
        domain_hostdev_net_clear(&h->net);
        domain_hostdev_iscsi_clear(h);
}

bool domain_hostdev_own(DomainHostdevDef *h) {
        bool ok = true;

        ok = own_str(&h->driver_name) && ok;
        ok = own_str(&h->rom.file) && ok;
        ok = own_str(&h->startup_policy) && ok;
        ok = own_str(&h->guest_reset) && ok;
        ok = own_str(&h->scsi_adapter) && ok;
        ok = own_str(&h->sgio) && ok;
        ok = own_str(&h->wwpn) && ok;
        ok = own_str(&h->model) && ok;
        ok = own_str(&h->mdev_uuid) && ok;
        ok = own_str(&h->caps_path) && ok;
        ok = own_str(&h->caps_ifname) && ok;
        ok = domain_net_ips_own(&h->ips, &h->n_ips, &h->routes, &h->n_routes) && ok;
        ok = own_str(&h->alias) && ok;
        ok = domain_hostdev_net_own(&h->net) && ok;
        ok = domain_hostdev_iscsi_own(h) && ok;
        return ok;
}
