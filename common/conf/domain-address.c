/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <address/>: where a device sits on its bus. Modelled: pci, drive,
 * virtio-serial, usb, isa and ccid; the other types of the schema (ccw,
 * spapr-vio, virtio-mmio, dimm, unassigned) are refused, naming them. */
#include <inttypes.h>

#include "domain-conf-internal.h"

/* libvirt reads PCI numbers with strtoul(base 0): "0x1f" is hex, "31"
 * decimal. A leading 0 would be octal there; the schema never needs one,
 * so only "0" itself or decimal without it, or 0x..., are taken. */
static int parse_pci_number(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        size_t n = 0;

        if ((s[0] == '0') && (s[1] == 'x' || s[1] == 'X')) {
                for (const char *p = s + 2; *p; p++, n++) {
                        int d = *p >= '0' && *p <= '9' ? *p - '0' :
                                *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
                                *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
                        if (d < 0 || n >= 8)
                                return -EINVAL;
                        v = v * 16 + (uint64_t) d;
                }
                if (n == 0)
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        if (s[0] == '0' && s[1])
                return -EINVAL;
        return parse_ullong(s, ret);
}

int domain_attr_pci_number(xmlNodePtr n, const char *path, const char *attr, uint64_t max, unsigned *ret,
                           ConfError *err) {
        _cleanup_free_ char *s = NULL;
        uint64_t v;
        int r;

        r = xml_attr_str(n, path, attr, &s, err);
        if (r <= 0)
                return r;
        r = parse_pci_number(s, &v);
        if (r == -ERANGE || (r >= 0 && v > max))
                return xml_err_invalid(err, "value '%s' of attribute '%s' of <%s> is out of range: at most 0x%" PRIx64,
                                       s, attr, path, max);
        if (r < 0)
                return xml_err_invalid(err, "value '%s' of attribute '%s' of <%s> is not a valid number "
                                       "(decimal, or hex with 0x)", s, attr, path);
        *ret = (unsigned) v;
        return 1;
}

/* Decimal numbers with a cap the schema's pattern sets ("[0-9]{1,2}"). */
static int attr_uint_max(xmlNodePtr n, const char *path, const char *attr, unsigned max, unsigned *ret,
                         ConfError *err) {
        unsigned v = 0;
        int r;

        r = xml_attr_uint(n, path, attr, &v, err);
        if (r <= 0)
                return r;
        if (v > max)
                return xml_err_invalid(err, "value '%u' of attribute '%s' of <%s> is out of range: at most %u",
                                       v, attr, path, max);
        *ret = v;
        return 1;
}

static int parse_pci(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "domain", "bus", "slot", "function", "multifunction");
        if (r < 0)
                return r;
        r = domain_attr_pci_number(n, path, "domain", UINT32_MAX, &a->domain, err);
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "bus", 0xff, &a->bus, err);
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "slot", 0x1f, &a->slot, err);
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "function", 7, &a->function, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "multifunction", "on", "off", &a->multifunction, err);
        if (r < 0)
                return r;
        /* x86 QEMU has one PCI domain (no pxb expander buses here) */
        if (a->domain != 0)
                return xml_err_unsupported(err, "PCI domain 0x%04x of <%s> is not supported, only 0",
                                           a->domain, path);
        return 0;
}

static int parse_drive(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "controller", "bus", "target", "unit");
        if (r < 0)
                return r;
        r = attr_uint_max(n, path, "controller", 99, &a->controller, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "bus", 99, &a->bus, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "target", 99, &a->target, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "unit", 99999, &a->unit, err);
        return r < 0 ? r : 0;
}

static int parse_virtio_serial(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "controller", "bus", "port");
        if (r < 0)
                return r;
        r = attr_uint_max(n, path, "controller", 99, &a->controller, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "bus", 99, &a->bus, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "port", 99, &a->port, err);
        if (r < 0)
                return r;
        a->has_port = r > 0;
        return 0;
}

/* ccid: controller='0' slot='0', the slot of a smartcard reader. */
static int parse_ccid(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "controller", "slot");
        if (r >= 0)
                r = attr_uint_max(n, path, "controller", 99, &a->controller, err);
        if (r >= 0)
                r = attr_uint_max(n, path, "slot", 99, &a->slot, err);
        return r < 0 ? r : 0;
}

/* isa: iobase='0x3f8' irq='0x4', hex or decimal as PCI numbers (the
 * schema's iobase and irq). */
static int parse_isa(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "iobase", "irq");
        if (r >= 0)
                r = domain_attr_pci_number(n, path, "iobase", 0xffff, &a->iobase, err);
        if (r < 0)
                return r;
        a->has_iobase = r > 0;
        r = domain_attr_pci_number(n, path, "irq", 0xff, &a->irq, err);
        if (r < 0)
                return r;
        a->has_irq = r > 0;
        return 0;
}

/* "1" or "1.2.3": decimal ports (as libvirt reads them), one per hub level. */
static int parse_usb_port(const char *s, DomainDeviceAddress *a) {
        const char *p = s;

        a->n_usb_port = 0;
        for (;;) {
                unsigned v = 0;
                size_t digits = 0;

                while (*p >= '0' && *p <= '9' && digits < 4) {
                        v = v * 10 + (unsigned) (*p++ - '0');
                        digits++;
                }
                if (digits == 0 || v > 999 || a->n_usb_port >= DOMAIN_USB_PORT_DEPTH)
                        return -EINVAL;
                a->usb_port[a->n_usb_port++] = v;
                if (*p == 0)
                        return 0;
                if (*p++ != '.')
                        return -EINVAL;
        }
}

static int parse_usb(xmlNodePtr n, const char *path, DomainDeviceAddress *a, ConfError *err) {
        _cleanup_free_ char *port = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "bus", "port");
        if (r < 0)
                return r;
        r = attr_uint_max(n, path, "bus", 999, &a->bus, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'bus' of <%s> of type 'usb'", path);
        r = xml_attr_str(n, path, "port", &port, err);
        if (r > 0 && parse_usb_port(port, a) < 0)
                return xml_err_invalid(err, "invalid USB port '%s' in <%s>: decimal port numbers, "
                                       "up to %d joined by '.'", port, path, DOMAIN_USB_PORT_DEPTH);
        return r < 0 ? r : 0;
}

int domain_parse_address(xmlNodePtr n, const char *path, unsigned allowed, DomainDeviceAddress *ret,
                         ConfError *err) {
        DomainDeviceAddress a = {};
        _cleanup_free_ char *type = NULL;
        int r, t;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        t = domain_address_type_from_string(type);
        if (t <= DOMAIN_ADDRESS_NONE)
                return xml_err_unsupported(err, "address type '%s' of <%s> is not supported", type, path);
        if (!(allowed & DOMAIN_ADDRESS_ALLOW(t)))
                return xml_err_unsupported(err, "address type '%s' of <%s> is not supported for this device",
                                           type, path);
        a.type = (DomainAddressType) t;
        switch (a.type) {
        case DOMAIN_ADDRESS_PCI:
                r = parse_pci(n, path, &a, err);
                break;
        case DOMAIN_ADDRESS_DRIVE:
                r = parse_drive(n, path, &a, err);
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                r = parse_virtio_serial(n, path, &a, err);
                break;
        case DOMAIN_ADDRESS_ISA:
                r = parse_isa(n, path, &a, err);
                break;
        case DOMAIN_ADDRESS_CCID:
                r = parse_ccid(n, path, &a, err);
                break;
        case DOMAIN_ADDRESS_UNASSIGNED:
                r = XML_CHECK_ATTRS(n, path, err, "type") ?: xml_check_empty(n, path, err);
                break;
        default:
                r = parse_usb(n, path, &a, err);
                break;
        }
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err); /* <zpci> is s390 */
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

void domain_format_address(XmlWriter *w, const DomainDeviceAddress *a) {
        char port[64];
        size_t len = 0;

        if (a->type == DOMAIN_ADDRESS_NONE)
                return;
        xw_start(w, "address");
        xw_attr(w, "type", domain_address_type_to_string(a->type));
        switch (a->type) {
        case DOMAIN_ADDRESS_PCI:
                xw_attrf(w, "domain", "0x%04x", a->domain);
                xw_attrf(w, "bus", "0x%02x", a->bus);
                xw_attrf(w, "slot", "0x%02x", a->slot);
                xw_attrf(w, "function", "0x%x", a->function);
                xw_attr(w, "multifunction", tristate_word(a->multifunction, "on", "off"));
                break;
        case DOMAIN_ADDRESS_DRIVE:
                xw_attrf(w, "controller", "%u", a->controller);
                xw_attrf(w, "bus", "%u", a->bus);
                xw_attrf(w, "target", "%u", a->target);
                xw_attrf(w, "unit", "%u", a->unit);
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                xw_attrf(w, "controller", "%u", a->controller);
                xw_attrf(w, "bus", "%u", a->bus);
                if (a->has_port)
                        xw_attrf(w, "port", "%u", a->port);
                break;
        case DOMAIN_ADDRESS_USB:
                xw_attrf(w, "bus", "%u", a->bus);
                for (size_t i = 0; i < a->n_usb_port && len < sizeof(port); i++)
                        len += (size_t) snprintf(port + len, sizeof(port) - len, "%s%u", i ? "." : "",
                                                 a->usb_port[i]);
                if (a->n_usb_port)
                        xw_attr(w, "port", port);
                break;
        case DOMAIN_ADDRESS_ISA:
                if (a->has_iobase)
                        xw_attrf(w, "iobase", "0x%x", a->iobase);
                if (a->has_irq)
                        xw_attrf(w, "irq", "0x%x", a->irq);
                break;
        case DOMAIN_ADDRESS_CCID:
                xw_attrf(w, "controller", "%u", a->controller);
                xw_attrf(w, "slot", "%u", a->slot);
                break;
        default:
                break;
        }
        xw_end(w);
}

bool domain_address_pci_is_empty(const DomainDeviceAddress *a) {
        return a->type == DOMAIN_ADDRESS_PCI && a->domain == 0 && a->bus == 0 && a->slot == 0 && a->function == 0;
}

void domain_address_to_string(const DomainDeviceAddress *a, char *buf, size_t size) {
        size_t len;

        switch (a->type) {
        case DOMAIN_ADDRESS_PCI:
                snprintf(buf, size, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
                break;
        case DOMAIN_ADDRESS_DRIVE:
                snprintf(buf, size, "drive %u:%u:%u:%u", a->controller, a->bus, a->target, a->unit);
                break;
        case DOMAIN_ADDRESS_VIRTIO_SERIAL:
                if (a->has_port)
                        snprintf(buf, size, "virtio-serial %u:%u:%u", a->controller, a->bus, a->port);
                else
                        snprintf(buf, size, "virtio-serial %u:%u", a->controller, a->bus);
                break;
        case DOMAIN_ADDRESS_USB:
                len = (size_t) snprintf(buf, size, "usb %u", a->bus);
                for (size_t i = 0; i < a->n_usb_port && len < size; i++)
                        len += (size_t) snprintf(buf + len, size - len, "%c%u", i ? '.' : ':', a->usb_port[i]);
                break;
        case DOMAIN_ADDRESS_ISA:
                snprintf(buf, size, "isa iobase 0x%x", a->iobase);
                break;
        case DOMAIN_ADDRESS_CCID:
                snprintf(buf, size, "ccid %u:%u", a->controller, a->slot);
                break;
        case DOMAIN_ADDRESS_UNASSIGNED:
                snprintf(buf, size, "unassigned");
                break;
        default:
                snprintf(buf, size, "none");
                break;
        }
}
