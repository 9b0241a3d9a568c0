/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <controller>, <memballoon>, <rng>. */
#include <inttypes.h>

#include "domain-conf-internal.h"

/* ---- controller ---------------------------------------------------------- */

/* The models the schema allows for each controller type (sata has none). */
static const char *const pci_models[] = {
        "pci-root", "pcie-root", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge",
        "pcie-root-port", "pcie-switch-upstream-port", "pcie-switch-downstream-port",
        "pci-expander-bus", "pcie-expander-bus",
};
static const char *const usb_models[] = {
        "piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3",
        "vt82c686b-uhci", "pci-ohci", "nec-xhci", "none", "qusb1", "qusb2", "qemu-xhci",
};
static const char *const scsi_models[] = {
        "auto", "buslogic", "lsilogic", "lsisas1068", "vmpvscsi", "ibmvscsi", "virtio-scsi",
        "lsisas1078", "virtio-transitional", "virtio-non-transitional", "ncr53c90", "dc390", "am53c974",
};
static const char *const ide_models[] = { "piix3", "piix4", "ich6" };
static const char *const virtio_serial_models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };

static const struct {
        const char *const *values;
        size_t n;
} controller_models[_DOMAIN_CONTROLLER_MAX] = {
        [DOMAIN_CONTROLLER_PCI] = { pci_models, ELEMENTSOF(pci_models) },
        [DOMAIN_CONTROLLER_USB] = { usb_models, ELEMENTSOF(usb_models) },
        [DOMAIN_CONTROLLER_SCSI] = { scsi_models, ELEMENTSOF(scsi_models) },
        [DOMAIN_CONTROLLER_IDE] = { ide_models, ELEMENTSOF(ide_models) },
        [DOMAIN_CONTROLLER_VIRTIO_SERIAL] = { virtio_serial_models, ELEMENTSOF(virtio_serial_models) },
};

/* A root bus is the machine's own: it has no address; a ccid controller
 * is a USB device. */
static unsigned controller_address_types(const DomainControllerDef *c, bool root) {
        if (root)
                return 0;
        if (c->type == DOMAIN_CONTROLLER_CCID)
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB);
        return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI);
}

static bool controller_has_ports(DomainControllerType t) {
        return t == DOMAIN_CONTROLLER_USB || t == DOMAIN_CONTROLLER_VIRTIO_SERIAL;
}

static int parse_controller_attrs(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err) {
        const char *type;
        int r;

        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_controller_type, &c->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        type = domain_controller_type_to_string(c->type);

        if (controller_models[c->type].n == 0 && xmlHasProp(n, BAD_CAST "model"))
                return xml_err_unsupported(err, "attribute 'model' of <%s> is not supported for type '%s'",
                                           path, type);
        r = xml_attr_choice(n, path, "model", controller_models[c->type].values, controller_models[c->type].n,
                            &c->model, err);
        if (r < 0)
                return r;
        if (r == 0 && c->type == DOMAIN_CONTROLLER_PCI)
                return xml_err_xml(err, "missing attribute 'model' of <%s> of type 'pci'", path);

        if (!controller_has_ports(c->type) && xmlHasProp(n, BAD_CAST "ports"))
                return xml_err_unsupported(err, "attribute 'ports' of <%s> is not supported for type '%s'",
                                           path, type);
        r = xml_attr_uint(n, path, "ports", &c->ports, err);
        if (r < 0)
                return r;
        if (c->type != DOMAIN_CONTROLLER_VIRTIO_SERIAL && xmlHasProp(n, BAD_CAST "vectors"))
                return xml_err_unsupported(err, "attribute 'vectors' of <%s> is only supported for type "
                                           "'virtio-serial', not '%s'", path, type);
        r = xml_attr_uint(n, path, "vectors", &c->vectors, err);
        return r < 0 ? r : 0;
}

static bool controller_is_virtio(const DomainControllerDef *c) {
        return c->type == DOMAIN_CONTROLLER_VIRTIO_SERIAL ||
               (c->type == DOMAIN_CONTROLLER_SCSI && c->model && strncmp(c->model, "virtio", 6) == 0);
}

static int parse_controller_driver(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "queues", "cmd_per_lun", "max_sectors", "iothread", "ioeventfd",
                            DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = domain_parse_virtio_opts(n, path, &c->virtio, err);
        if (r < 0)
                return r;
        if (domain_virtio_opts_set(&c->virtio) && !controller_is_virtio(c))
                return xml_err_unsupported(err, "iommu, ats, packed and page_per_vq of <%s> are only supported "
                                           "for virtio controllers, not type '%s' model '%s'", path,
                                           domain_controller_type_to_string(c->type), c->model ?: "");
        r = xml_attr_uint(n, path, "queues", &c->queues, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "cmd_per_lun", &c->cmd_per_lun, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "max_sectors", &c->max_sectors, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "ioeventfd", "on", "off", &c->ioeventfd, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "iothread", &c->iothread, err);
        if (r > 0 && c->iothread == 0)
                return xml_err_invalid(err, "invalid iothread id '0' in <%s>", path);
        return r < 0 ? r : 0;
}

/* <pcihole64 unit=''>: the 64-bit PCI hole of the root bus, as QEMU's
 * i440FX/q35 host bridge property. */
static int parse_controller_pcihole64(DomainControllerDef *c, bool root, xmlNodePtr n, const char *path,
                                      ConfError *err) {
        int r;

        if (!root)
                return xml_err_unsupported(err, "<%s> is only supported for a PCI controller of model 'pci-root' "
                                           "or 'pcie-root', not '%s'", path, c->model ?: "");
        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "unit");
        if (r >= 0)
                r = xml_text_scaled_kib(n, path, &c->pcihole64_kib, err);
        if (r < 0)
                return r;
        c->has_pcihole64 = true;
        return 0;
}

/* <master startport=''/>: a UHCI companion whose ports join the EHCI
 * controller of the same index, from startport on. */
static int parse_controller_master(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "startport");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "startport", &c->master_startport, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'startport' of <%s>", path);
        c->has_master = true;
        return 0;
}

/* Without an index a controller takes the lowest one its type has free,
 * as libvirt does. The controller being parsed is the last one. */
static int next_controller_index(const DomainDef *def, DomainControllerType type, unsigned *ret, ConfError *err) {
        size_t n = def->n_controllers - 1;
        _cleanup_free_ bool *used = calloc(n + 1, sizeof(bool));

        if (!used)
                return xml_err_oom(err);
        /* among n controllers, one of 0..n is free */
        for (size_t i = 0; i < n; i++)
                if (def->controllers[i].type == type && def->controllers[i].index <= n)
                        used[def->controllers[i].index] = true;
        for (size_t idx = 0; idx <= n; idx++)
                if (!used[idx]) {
                        *ret = (unsigned) idx;
                        break;
                }
        return 0;
}

int domain_parse_controller(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainControllerDef *c;
        int r;

        r = LIST_APPEND(def->controllers, def->n_controllers, &c, path, err);
        if (r < 0)
                return r;
        r = parse_controller_attrs(c, n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "type", "index", "model", "ports", "vectors");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "index", &c->index, err);
        if (r < 0)
                return r;
        if (r == 0) {
                r = next_controller_index(def, c->type, &c->index, err);
                if (r < 0)
                        return r;
        }

        XML_FOREACH_ELEMENT(ch, n) {
                bool pci = c->type == DOMAIN_CONTROLLER_PCI;
                bool root = pci && (streq_ptr(c->model, "pci-root") || streq_ptr(c->model, "pcie-root"));

                /* <model> and <target> belong to pci controllers only */
                if (!xml_is(ch, "driver") && !xml_is(ch, "alias") && !xml_is(ch, "address") &&
                    !(pci && (xml_is(ch, "model") || xml_is(ch, "target") || xml_is(ch, "pcihole64"))) &&
                    !(c->type == DOMAIN_CONTROLLER_USB && xml_is(ch, "master")))
                        return xml_unsupported_element(ch, path, err);
                XML_SUBPATH(sub, path, (const char *) ch->name);
                if (xml_is(ch, "driver"))
                        r = parse_controller_driver(c, ch, sub, err);
                else if (xml_is(ch, "model"))
                        r = domain_parse_pci_controller_model(c, ch, sub, err);
                else if (xml_is(ch, "target"))
                        r = domain_parse_pci_controller_target(c, ch, sub, err);
                else if (xml_is(ch, "master"))
                        r = parse_controller_master(c, ch, sub, err);
                else if (xml_is(ch, "pcihole64"))
                        r = parse_controller_pcihole64(c, root, ch, sub, err);
                else if (xml_is(ch, "address"))
                        r = domain_parse_address(ch, sub, controller_address_types(c, root), &c->addr, err);
                else
                        r = domain_parse_alias(ch, sub, &c->alias, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_controller(XmlWriter *w, const DomainControllerDef *c, unsigned flags) {
        xw_start(w, "controller");
        xw_attr(w, "type", domain_controller_type_to_string(c->type));
        xw_attrf(w, "index", "%u", c->index);
        xw_attr(w, "model", c->model);
        if (c->ports && controller_has_ports(c->type))
                xw_attrf(w, "ports", "%u", c->ports);
        if (c->vectors)
                xw_attrf(w, "vectors", "%u", c->vectors);
        if (c->queues || c->cmd_per_lun || c->max_sectors || c->ioeventfd != TRISTATE_ABSENT || c->iothread ||
            domain_virtio_opts_set(&c->virtio)) {
                xw_start(w, "driver");
                if (c->queues)
                        xw_attrf(w, "queues", "%u", c->queues);
                if (c->cmd_per_lun)
                        xw_attrf(w, "cmd_per_lun", "%u", c->cmd_per_lun);
                if (c->max_sectors)
                        xw_attrf(w, "max_sectors", "%u", c->max_sectors);
                xw_attr(w, "ioeventfd", tristate_word(c->ioeventfd, "on", "off"));
                if (c->iothread)
                        xw_attrf(w, "iothread", "%u", c->iothread);
                domain_format_virtio_opts(w, &c->virtio);
                xw_end(w);
        }
        if (c->model_name) {
                xw_start(w, "model");
                xw_attr(w, "name", c->model_name);
                xw_end(w);
        }
        domain_format_pci_controller_target(w, c);
        if (c->has_pcihole64) {
                xw_start(w, "pcihole64");
                xw_attr(w, "unit", "KiB");
                xw_textf(w, "%" PRIu64, c->pcihole64_kib);
                xw_end(w);
        }
        domain_format_alias(w, c->alias, flags);
        if (c->has_master) {
                xw_start(w, "master");
                xw_attrf(w, "startport", "%u", c->master_startport);
                xw_end(w);
        }
        domain_format_address(w, &c->addr);
        xw_end(w);
}

void domain_controller_clear(DomainControllerDef *c) {
        free(c->model);
        free(c->model_name);
        free(c->alias);
}

bool domain_controller_own(DomainControllerDef *c) {
        bool ok = true;

        ok = own_str(&c->model) && ok;
        ok = own_str(&c->model_name) && ok;
        ok = own_str(&c->alias) && ok;
        return ok;
}

/* ---- memballoon ---------------------------------------------------------- */

/* A <driver> holding nothing but the virtio options (memballoon, rng). */
static int parse_virtio_driver(xmlNodePtr n, const char *path, DomainVirtioOpts *v, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, v, err);
        return r;
}

static void format_virtio_driver(XmlWriter *w, const DomainVirtioOpts *v) {
        if (!domain_virtio_opts_set(v))
                return;
        xw_start(w, "driver");
        domain_format_virtio_opts(w, v);
        xw_end(w);
}

static const char *const memballoon_models[] = { "virtio", "none", "virtio-transitional",
                                                 "virtio-non-transitional" };

static int parse_stats(DomainMemballoonDef *m, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "period");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "period", &m->stats_period, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'period' of <%s>", path);
        if (m->stats_period == 0)
                return xml_err_invalid(err, "value '0' of attribute 'period' of <%s> must be 1 or more", path);
        return 0;
}

int domain_parse_memballoon(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainMemballoonDef *m = &def->memballoon;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "model", "autodeflate", "freePageReporting");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        m->present = true;
        r = domain_attr_tristate(n, path, "autodeflate", "on", "off", &m->autodeflate, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "freePageReporting", "on", "off", &m->free_page_reporting, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "model", memballoon_models, ELEMENTSOF(memballoon_models), &m->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "stats") && !xml_is(c, "alias") && !xml_is(c, "address") && !xml_is(c, "driver"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "stats"))
                        r = parse_stats(m, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_virtio_driver(c, sub, &m->virtio, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &m->addr, err);
                else
                        r = domain_parse_alias(c, sub, &m->alias, err);
                if (r < 0)
                        return r;
        }
        if (streq(m->model, "none") && (m->autodeflate || m->free_page_reporting || domain_virtio_opts_set(&m->virtio)))
                return xml_err_unsupported(err, "autodeflate, freePageReporting and <%s/driver> are only supported "
                                           "for memballoon model 'virtio', not 'none'", path);
        return 0;
}

void domain_format_memballoon(XmlWriter *w, const DomainMemballoonDef *m, unsigned flags) {
        if (!m->present)
                return;
        xw_start(w, "memballoon");
        xw_attr(w, "model", m->model ?: "virtio");
        xw_attr(w, "autodeflate", tristate_word(m->autodeflate, "on", "off"));
        xw_attr(w, "freePageReporting", tristate_word(m->free_page_reporting, "on", "off"));
        if (m->stats_period) {
                xw_start(w, "stats");
                xw_attrf(w, "period", "%u", m->stats_period);
                xw_end(w);
        }
        domain_format_alias(w, m->alias, flags);
        domain_format_address(w, &m->addr);
        format_virtio_driver(w, &m->virtio);
        xw_end(w);
}

void domain_memballoon_clear(DomainMemballoonDef *m) {
        free(m->model);
        free(m->alias);
}

bool domain_memballoon_own(DomainMemballoonDef *m) {
        bool ok = true;

        ok = own_str(&m->model) && ok;
        ok = own_str(&m->alias) && ok;
        return ok;
}

/* ---- rng ----------------------------------------------------------------- */

static const char *const rng_models[] = { "virtio", "virtio-transitional", "virtio-non-transitional" };
static const char *const rng_backend_models[] = { "random", "builtin", "egd" };

static int parse_backend(DomainRngDef *rng, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "model", rng_backend_models, ELEMENTSOF(rng_backend_models),
                            &rng->backend_model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);
        /* egd: a daemon speaking the EGD protocol on a chardev */
        if (streq(rng->backend_model, "egd")) {
                r = XML_CHECK_ATTRS(n, path, err, "model", "type");
                if (r >= 0)
                        r = xml_check_no_text(n, path, err);
                return r < 0 ? r : domain_chr_backend_parse(&rng->backend_chr, n, path, err);
        }
        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        r = xml_text(n, path, &rng->backend_path, err);
        if (r < 0)
                return r;
        if (!*rng->backend_path) {
                rng->backend_path = (free(rng->backend_path), NULL);
                return 0;
        }
        /* QEMU's builtin backend has no device to read */
        if (streq(rng->backend_model, "builtin"))
                return xml_err_invalid(err, "<%s> with model 'builtin' takes no path", path);
        return domain_check_abs_path(rng->backend_path, "", path, err);
}

static int parse_rate(DomainRngDef *rng, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "bytes", "period");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_uint(n, path, "bytes", &rng->rate_bytes, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'bytes' of <%s>", path);
        if (rng->rate_bytes == 0)
                return xml_err_invalid(err, "value '0' of attribute 'bytes' of <%s> must be 1 or more", path);
        r = xml_attr_uint(n, path, "period", &rng->rate_period, err);
        if (r > 0 && rng->rate_period == 0)
                return xml_err_invalid(err, "value '0' of attribute 'period' of <%s> must be 1 or more", path);
        return r < 0 ? r : 0;
}

int domain_parse_rng(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainRngDef *rng;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "model");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = LIST_APPEND(def->rngs, def->n_rngs, &rng, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "model", rng_models, ELEMENTSOF(rng_models), &rng->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'model' of <%s>", path);

        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "backend") && !xml_is(c, "rate") && !xml_is(c, "alias") && !xml_is(c, "address") &&
                    !xml_is(c, "driver"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "backend"))
                        r = parse_backend(rng, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_virtio_driver(c, sub, &rng->virtio, err);
                else if (xml_is(c, "rate"))
                        r = parse_rate(rng, c, sub, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &rng->addr, err);
                else
                        r = domain_parse_alias(c, sub, &rng->alias, err);
                if (r < 0)
                        return r;
        }
        if (!rng->backend_model)
                return xml_err_xml(err, "missing element <%s/backend>", path);
        return 0;
}

void domain_format_rng(XmlWriter *w, const DomainRngDef *rng, unsigned flags) {
        xw_start(w, "rng");
        xw_attr(w, "model", rng->model ?: "virtio");
        if (rng->rate_bytes) {
                xw_start(w, "rate");
                xw_attrf(w, "bytes", "%u", rng->rate_bytes);
                if (rng->rate_period)
                        xw_attrf(w, "period", "%u", rng->rate_period);
                xw_end(w);
        }
        xw_start(w, "backend");
        xw_attr(w, "model", rng->backend_model ?: "random");
        if (rng->backend_chr) {
                xw_attr(w, "type", domain_chr_type_to_string(rng->backend_chr->type));
                domain_chr_backend_format(w, rng->backend_chr);
        }
        if (rng->backend_path)
                xw_text(w, rng->backend_path);
        xw_end(w);
        format_virtio_driver(w, &rng->virtio);
        domain_format_alias(w, rng->alias, flags);
        domain_format_address(w, &rng->addr);
        xw_end(w);
}

void domain_rng_clear(DomainRngDef *rng) {
        free(rng->model);
        free(rng->backend_model);
        free(rng->backend_path);
        rng->backend_chr = domain_chr_backend_free(rng->backend_chr);
        free(rng->alias);
}

bool domain_rng_own(DomainRngDef *rng) {
        bool ok = true;

        ok = own_str(&rng->model) && ok;
        ok = own_str(&rng->backend_model) && ok;
        ok = own_str(&rng->backend_path) && ok;
        ok = domain_chr_backend_own(&rng->backend_chr) && ok;
        ok = own_str(&rng->alias) && ok;
        return ok;
}
