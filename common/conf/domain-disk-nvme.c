/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <disk type='nvme'>: a namespace of a host NVMe controller, which QEMU's
 * own userspace driver takes over through VFIO:
 *   <source type='pci' managed='yes' namespace='1'>
 *     <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
 *   </source> */
#include <inttypes.h>

#include "domain-conf-internal.h"

static int parse_address(DomainDiskNvme *v, xmlNodePtr c, const char *path, ConfError *err) {
        int r = xml_check_unique(c, path, err);

        if (r >= 0)
                r = XML_CHECK_ATTRS(c, path, err, "type", "domain", "bus", "slot", "function");
        if (r >= 0)
                r = xml_check_empty(c, path, err);
        if (r >= 0)
                r = domain_attr_pci_number(c, path, "domain", 0xffff, &v->pci_domain, err);
        if (r >= 0)
                r = domain_attr_pci_number(c, path, "bus", 0xff, &v->pci_bus, err);
        if (r >= 0)
                r = domain_attr_pci_number(c, path, "slot", 0x1f, &v->pci_slot, err);
        if (r >= 0)
                r = domain_attr_pci_number(c, path, "function", 7, &v->pci_function, err);
        if (r < 0)
                return r;
        v->has_address = true;
        return 0;
}

static int parse_attrs(DomainDiskNvme *v, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL;
        int r;

        r = xml_attr_str(n, path, "type", &type, err);
        if (r == 0)
                return xml_err_xml(err, "missing 'type' attribute to disk source <%s>", path);
        if (r > 0 && !streq(type, "pci"))
                return xml_err_xml(err, "unsupported source type '%s' of <%s>", type, path);
        if (!xmlHasProp(n, (const xmlChar *) "namespace"))
                return xml_err_xml(err, "missing 'namespace' attribute to disk source <%s>", path);
        r = xml_attr_ullong(n, path, "namespace", &v->ns, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "managed", "yes", "no", &v->managed, err);
        return r < 0 ? r : 0;
}

int domain_parse_disk_nvme_source(DomainDiskDef *d, xmlNodePtr n, const char *path, ConfError *err) {
        DomainDiskNvme *v;
        int r;

        free(d->nvme);
        d->nvme = v = calloc(1, sizeof(*v));
        if (!v)
                return xml_err_oom(err);
        r = XML_CHECK_ATTRS(n, path, err, "type", "managed", "namespace", "startupPolicy", "index");
        if (r >= 0)
                r = parse_attrs(v, n, path, err);
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                r = xml_is(c, "address")      ? parse_address(v, c, sub, err)
                    : xml_is(c, "slices")     ? domain_parse_disk_slices(&d->slice, c, sub, err)
                    : xml_is(c, "seclabel")   ? domain_parse_dev_seclabel(&d->seclabels, &d->n_seclabels, c, sub, err)
                    : xml_is(c, "encryption") ? domain_parse_disk_encryption(d, c, sub, true, err)
                                              : xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        if (!v->has_address)
                return xml_err_xml(err, "NVMe disk source is missing address <%s/address>", path);
        return 0;
}

void domain_format_disk_nvme_attrs(XmlWriter *w, const DomainDiskNvme *v) {
        xw_attr(w, "type", "pci");
        xw_attr(w, "managed", tristate_word(v->managed, "yes", "no"));
        xw_attrf(w, "namespace", "%" PRIu64, v->ns);
}

/* libvirt writes the host's address without a type */
void domain_format_disk_nvme_address(XmlWriter *w, const DomainDiskNvme *v) {
        xw_start(w, "address");
        xw_attrf(w, "domain", "0x%04x", v->pci_domain);
        xw_attrf(w, "bus", "0x%02x", v->pci_bus);
        xw_attrf(w, "slot", "0x%02x", v->pci_slot);
        xw_attrf(w, "function", "0x%x", v->pci_function);
        xw_end(w);
}

bool domain_disk_nvme_own(DomainDiskNvme **p) {
        DomainDiskNvme *v;

        if (!*p)
                return true;
        v = malloc(sizeof(*v));
        if (v)
                *v = **p;
        *p = v;
        return v != NULL;
}
