/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small devices of the platform: <watchdog>, <panic>, <iommu>, <vsock>. What
 * libvirt 9.0 allows on x86 is modelled; the models of other
 * architectures (diag288, pseries, s390) are refused, naming them (smmuv3
 * too: it is ARM's). */
#include "domain-conf-internal.h"

/* alias and address, the children every one of these may have */
static int parse_common_child(xmlNodePtr c, const char *path, unsigned addr_types, DomainDeviceAddress *addr,
                              char **alias, ConfError *err) {
        int r;

        if (xml_is(c, "alias"))
                return domain_parse_alias(c, path, alias, err);
        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        if (!addr_types)
                return xml_err_unsupported(err, "<%s> is not supported for this device", path);
        return domain_parse_address(c, path, addr_types, addr, err);
}

/* other, when not NULL, parses the children named other_name */
static int parse_children(xmlNodePtr n, const char *path, unsigned addr_types, DomainDeviceAddress *addr,
                          char **alias, const char *other_name,
                          int (*other)(void *dev, xmlNodePtr c, const char *sub, ConfError *err),
                          void *dev, ConfError *err) {
        int r;

        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "alias") || xml_is(c, "address"))
                        r = parse_common_child(c, sub, addr_types, addr, alias, err);
                else if (other && xml_is(c, other_name))
                        r = other(dev, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- watchdog ------------------------------------------------------------- */

int domain_parse_watchdog(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainWatchdogDef *wd = &def->watchdog;
        unsigned addr_types;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "model", "action");
        if (r < 0)
                return r;
        wd->present = true;
        r = DOMAIN_ATTR_ENUM(n, path, "model", domain_watchdog_model, &wd->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);
        wd->action = DOMAIN_WATCHDOG_ACTION_RESET;
        r = DOMAIN_ATTR_ENUM(n, path, "action", domain_watchdog_action, &wd->action, err);
        if (r < 0)
                return r;
        addr_types = wd->model == DOMAIN_WATCHDOG_MODEL_I6300ESB ? DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI) : 0;
        return parse_children(n, path, addr_types, &wd->addr, &wd->alias, NULL, NULL, NULL, err);
}

void domain_format_watchdog(XmlWriter *w, const DomainWatchdogDef *wd, unsigned flags) {
        if (!wd->present)
                return;
        xw_start(w, "watchdog");
        xw_attr(w, "model", domain_watchdog_model_to_string(wd->model));
        xw_attr(w, "action", domain_watchdog_action_to_string(wd->action));
        domain_format_alias(w, wd->alias, flags);
        domain_format_address(w, &wd->addr);
        xw_end(w);
}

/* ---- panic ---------------------------------------------------------------- */

int domain_parse_panic(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainPanicDef *p;
        int r;

        r = LIST_APPEND(def->panics, def->n_panics, &p, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        p->model = DOMAIN_PANIC_ISA;
        r = DOMAIN_ATTR_ENUM(n, path, "model", domain_panic_model, &p->model, err);
        if (r < 0)
                return r;
        /* pvpanic's I/O port; hyperv has no address at all */
        return parse_children(n, path, p->model == DOMAIN_PANIC_ISA ? DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_ISA) : 0,
                              &p->addr, &p->alias, NULL, NULL, NULL, err);
}

static void format_panic(XmlWriter *w, const DomainPanicDef *p, unsigned flags) {
        xw_start(w, "panic");
        xw_attr(w, "model", domain_panic_model_to_string(p->model));
        domain_format_alias(w, p->alias, flags);
        domain_format_address(w, &p->addr);
        xw_end(w);
}

/* ---- iommu ---------------------------------------------------------------- */

static int parse_iommu_driver(void *dev, xmlNodePtr c, const char *path, ConfError *err) {
        DomainIommuDef *io = dev;
        int r;

        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(c, path, err, "intremap", "caching_mode", "eim", "iotlb", "aw_bits");
        if (r < 0)
                return r;
        r = xml_check_empty(c, path, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(c, path, "intremap", "on", "off", &io->intremap, err);
        if (r >= 0)
                r = domain_attr_tristate(c, path, "caching_mode", "on", "off", &io->caching_mode, err);
        if (r >= 0)
                r = domain_attr_tristate(c, path, "eim", "on", "off", &io->eim, err);
        if (r >= 0)
                r = domain_attr_tristate(c, path, "iotlb", "on", "off", &io->iotlb, err);
        if (r >= 0)
                r = xml_attr_uint(c, path, "aw_bits", &io->aw_bits, err);
        if (r < 0)
                return r;
        /* the address widths QEMU's intel-iommu has */
        if (r > 0 && io->aw_bits != 39 && io->aw_bits != 48)
                return xml_err_unsupported(err, "value '%u' of attribute 'aw_bits' of <%s>: only 39 and 48 "
                                           "are supported", io->aw_bits, path);
        return 0;
}

int domain_parse_iommu(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainIommuDef *io = &def->iommu;
        unsigned addr_types;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        io->present = true;
        r = DOMAIN_ATTR_ENUM(n, path, "model", domain_iommu_model, &io->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);
        /* intel-iommu is the machine's, no PCI device */
        addr_types = io->model == DOMAIN_IOMMU_VIRTIO ? DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI) : 0;
        return parse_children(n, path, addr_types, &io->addr, &io->alias, "driver", parse_iommu_driver, io,
                              err);
}

static bool iommu_has_driver(const DomainIommuDef *io) {
        return io->intremap != TRISTATE_ABSENT || io->caching_mode != TRISTATE_ABSENT ||
               io->eim != TRISTATE_ABSENT || io->iotlb != TRISTATE_ABSENT || io->aw_bits;
}

static void format_iommu(XmlWriter *w, const DomainIommuDef *io, unsigned flags) {
        if (!io->present)
                return;
        xw_start(w, "iommu");
        xw_attr(w, "model", domain_iommu_model_to_string(io->model));
        if (iommu_has_driver(io)) {
                xw_start(w, "driver");
                xw_attr(w, "intremap", tristate_word(io->intremap, "on", "off"));
                xw_attr(w, "caching_mode", tristate_word(io->caching_mode, "on", "off"));
                xw_attr(w, "eim", tristate_word(io->eim, "on", "off"));
                xw_attr(w, "iotlb", tristate_word(io->iotlb, "on", "off"));
                if (io->aw_bits)
                        xw_attrf(w, "aw_bits", "%u", io->aw_bits);
                xw_end(w);
        }
        domain_format_alias(w, io->alias, flags);
        domain_format_address(w, &io->addr);
        xw_end(w);
}

/* libvirt's rules: interrupt remapping needs the split I/O APIC, the
 * extended interrupt mode needs remapping, virtio has no driver options. */
static int validate_iommu(const DomainDef *def, ConfError *err) {
        const DomainIommuDef *io = &def->iommu;

        if (!io->present)
                return 0;
        if (io->model == DOMAIN_IOMMU_VIRTIO && iommu_has_driver(io))
                return xml_err_unsupported(err, "<devices/iommu/driver> options are not supported for "
                                           "iommu model 'virtio'");
        if (io->intremap == TRISTATE_ON && !streq_ptr(def->features.ioapic_driver, "qemu"))
                return xml_err_unsupported(err, "<devices/iommu/driver intremap='on'/> needs the split I/O APIC: "
                                           "<features><ioapic driver='qemu'/>");
        if (io->eim == TRISTATE_ON && io->intremap != TRISTATE_ON)
                return xml_err_unsupported(err, "<devices/iommu/driver eim='on'/> needs intremap='on'");
        return 0;
}

/* ---- vsock ---------------------------------------------------------------- */

static int parse_cid(void *dev, xmlNodePtr c, const char *path, ConfError *err) {
        DomainVsockDef *v = dev;
        int r;

        r = xml_check_unique(c, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(c, path, err, "auto", "address");
        if (r < 0)
                return r;
        r = xml_check_empty(c, path, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(c, path, "auto", "yes", "no", &v->cid_auto, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(c, path, "address", &v->cid, err);
        if (r < 0)
                return r;
        /* 0, 1 and 2 are the hypervisor, the loopback and the host; ~0 is "any" */
        if (r > 0 && (v->cid < 3 || v->cid == UINT32_MAX))
                return xml_err_invalid(err, "value '%u' of attribute 'address' of <%s> is reserved: "
                                       "a guest's CID is 3 to 4294967294", v->cid, path);
        return 0;
}

int domain_parse_vsock(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        static const char *const models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };
        DomainVsockDef *v = &def->vsock;
        _cleanup_free_ char *model = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        v->present = true;
        r = xml_attr_choice(n, path, "model", models, ELEMENTSOF(models), &model, err);
        if (r < 0)
                return r;
        if (model && !streq(model, "virtio"))
                v->model = TAKE_PTR(model);
        return parse_children(n, path, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &v->addr, &v->alias,
                              "cid", parse_cid, v, err);
}

static void format_vsock(XmlWriter *w, const DomainVsockDef *v, unsigned flags) {
        if (!v->present)
                return;
        xw_start(w, "vsock");
        xw_attr(w, "model", v->model ?: "virtio");
        if (v->cid_auto != TRISTATE_ABSENT || v->cid) {
                xw_start(w, "cid");
                xw_attr(w, "auto", tristate_word(v->cid_auto, "yes", "no"));
                if (v->cid)
                        xw_attrf(w, "address", "%u", v->cid);
                xw_end(w);
        }
        domain_format_alias(w, v->alias, flags);
        domain_format_address(w, &v->addr);
        xw_end(w);
}

/* ---- all of them ---------------------------------------------------------- */

void domain_format_platform_devs(XmlWriter *w, const DomainDef *def, unsigned flags) {
        for (size_t i = 0; i < def->n_panics; i++)
                format_panic(w, &def->panics[i], flags);
        format_iommu(w, &def->iommu, flags);
        format_vsock(w, &def->vsock, flags);
}

void domain_platform_devs_clear(DomainDef *def) {
        free(def->watchdog.alias);
        for (size_t i = 0; i < def->n_panics; i++)
                free(def->panics[i].alias);
        free(def->panics);
        free(def->vsock.alias);
        free(def->vsock.model);
        free(def->iommu.alias);
}

bool domain_platform_devs_own(DomainDef *def) {
        bool ok = true;

        ok = own_str(&def->watchdog.alias) && ok;
        ok = OWN_ARRAY(def->panics, def->n_panics) && ok;
        for (size_t i = 0; i < def->n_panics; i++)
                ok = own_str(&def->panics[i].alias) && ok;
        ok = own_str(&def->vsock.alias) && ok;
        ok = own_str(&def->vsock.model) && ok;
        ok = own_str(&def->iommu.alias) && ok;
        return ok;
}

/* libvirt's rules: one panic device of each model; a CID given with
 * auto='yes' is only where to start looking, auto='no' needs one. */
int domain_validate_platform_devs(const DomainDef *def, ConfError *err) {
        for (size_t i = 0; i < def->n_panics; i++)
                for (size_t j = 0; j < i; j++)
                        if (def->panics[i].model == def->panics[j].model)
                                return xml_err_invalid(err, "more than one <devices/panic> of model '%s'",
                                                       domain_panic_model_to_string(def->panics[i].model));
        if (def->vsock.present && def->vsock.cid_auto == TRISTATE_OFF && !def->vsock.cid)
                return xml_err_invalid(err, "<devices/vsock/cid auto='no'/> needs an address");
        return validate_iommu(def, err);
}
