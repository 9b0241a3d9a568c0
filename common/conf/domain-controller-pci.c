/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PCI controller's <model name=''/> and <target .../>: the QEMU device
 * implementing its model, and the options each model takes (libvirt's
 * qemuValidateDomainDeviceDefControllerPCI: an option a model does not
 * have is refused, naming the ones it has). */

#include "domain-conf-internal.h"

/* The QEMU device implementing each model (libvirt's modelName). */
static const struct {
        const char *model, *name;
} pci_model_names[] = {
        { "pcie-root-port", "pcie-root-port" },
        { "pcie-root-port", "ioh3420" },
        { "pci-bridge", "pci-bridge" },
        { "dmi-to-pci-bridge", "i82801b11-bridge" },
        { "pcie-to-pci-bridge", "pcie-pci-bridge" },
        { "pcie-switch-upstream-port", "x3130-upstream" },
        { "pcie-switch-downstream-port", "xio3130-downstream" },
        { "pci-expander-bus", "pxb" },
        { "pcie-expander-bus", "pxb-pcie" },
};

/* The <target> options of each model; the root buses and the bridges
 * without one take none (pci-root: hotplug, as PIIX4's ACPI hot-plug of the
 * root bus). */
typedef enum PciOpt {
        OPT_CHASSIS_NR = 1 << 0,
        OPT_CHASSIS = 1 << 1,
        OPT_PORT = 1 << 2,
        OPT_BUS_NR = 1 << 3,
        OPT_HOTPLUG = 1 << 4,
        OPT_NODE = 1 << 5,
} PciOpt;

static const struct {
        const char *model;
        unsigned opts;
} pci_model_opts[] = {
        { "pci-root", OPT_HOTPLUG },
        { "pci-bridge", OPT_CHASSIS_NR },
        { "pcie-root-port", OPT_CHASSIS | OPT_PORT | OPT_HOTPLUG },
        { "pcie-switch-downstream-port", OPT_CHASSIS | OPT_PORT | OPT_HOTPLUG },
        { "pci-expander-bus", OPT_BUS_NR | OPT_NODE },
        { "pcie-expander-bus", OPT_BUS_NR | OPT_NODE },
};

static const char *const opt_names[] = { "chassisNr", "chassis", "port", "busNr", "hotplug", "node" };

const char *domain_pci_model_default_name(const char *model) {
        for (size_t i = 0; i < ELEMENTSOF(pci_model_names); i++)
                if (streq_ptr(model, pci_model_names[i].model))
                        return pci_model_names[i].name;
        return NULL;
}

int domain_parse_pci_controller_model(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "name");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str_required(n, path, "name", &name, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(pci_model_names); i++)
                if (streq(name, pci_model_names[i].name)) {
                        if (!streq_ptr(c->model, pci_model_names[i].model))
                                return xml_err_invalid(err, "<%s> name '%s' does not implement a PCI controller "
                                                       "of model '%s'", path, name, c->model ?: "");
                        c->model_name = TAKE_PTR(name);
                        return 0;
                }
        return xml_err_unsupported(err, "value '%s' of attribute 'name' of <%s> is not supported", name, path);
}

static int parse_uint8(xmlNodePtr n, const char *path, const char *attr, unsigned *ret, bool *has,
                       ConfError *err) {
        _cleanup_free_ char *s = NULL;
        unsigned long v;
        char *end;
        int r;

        r = xml_attr_str(n, path, attr, &s, err);
        if (r <= 0)
                return r;
        /* the schema's uint8: 0x.. or decimal */
        errno = 0;
        v = strtoul(s, &end, strncmp(s, "0x", 2) == 0 ? 16 : 10);
        if (!*s || *end || errno || v > 255 || *s == '-' || *s == '+' || *s == ' ')
                return xml_err_invalid(err, "value '%s' of attribute '%s' of <%s> must be 0 to 255", s, attr, path);
        *ret = (unsigned) v;
        *has = true;
        return 1;
}

/* <node>N</node>: the guest NUMA node of an expander bus. */
static int parse_target_node(DomainControllerDef *c, xmlNodePtr target, const char *path, ConfError *err) {
        XML_FOREACH_ELEMENT(ch, target) {
                int r;

                if (!xml_is(ch, "node"))
                        return xml_unsupported_element(ch, path, err);
                XML_SUBPATH(sub, path, "node");
                r = xml_check_unique(ch, sub, err);
                if (r >= 0)
                        r = xml_check_attrs(ch, sub, (const char *const[]) { NULL }, err);
                if (r >= 0)
                        r = xml_text_uint(ch, sub, &c->target_node, err);
                if (r < 0)
                        return r;
                c->has_target_node = true;
        }
        return 0;
}

static unsigned target_opts_given(const DomainControllerDef *c) {
        return (c->has_target_chassis_nr ? OPT_CHASSIS_NR : 0) | (c->has_target_chassis ? OPT_CHASSIS : 0) |
               (c->has_target_port ? OPT_PORT : 0) | (c->has_target_bus_nr ? OPT_BUS_NR : 0) |
               (c->target_hotplug != TRISTATE_ABSENT ? OPT_HOTPLUG : 0) | (c->has_target_node ? OPT_NODE : 0);
}

/* An option the model does not have is refused, naming the ones it has. */
static int check_target_opts(const DomainControllerDef *c, const char *path, ConfError *err) {
        unsigned allowed = 0, bad;
        char have[64] = "";

        for (size_t i = 0; i < ELEMENTSOF(pci_model_opts); i++)
                if (streq_ptr(c->model, pci_model_opts[i].model))
                        allowed = pci_model_opts[i].opts;
        bad = target_opts_given(c) & ~allowed;
        if (!bad)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(opt_names); i++)
                if (allowed & (1u << i))
                        snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s", *have ? ", " : "",
                                 opt_names[i]);
        for (size_t i = 0; i < ELEMENTSOF(opt_names); i++)
                if (bad & (1u << i))
                        return xml_err_unsupported(err, "%s '%s' of <%s> is not valid for a PCI controller of "
                                                   "model '%s' (index %u), which takes %s",
                                                   (1u << i) == OPT_NODE ? "element" : "attribute", opt_names[i],
                                                   path, c->model ?: "", c->index, *have ? have : "none");
        return 0;
}

int domain_parse_pci_controller_target(DomainControllerDef *c, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "chassisNr", "chassis", "port", "busNr", "hotplug");
        if (r >= 0)
                r = xml_check_no_text(n, path, err);
        if (r >= 0)
                r = parse_uint8(n, path, "chassisNr", &c->target_chassis_nr, &c->has_target_chassis_nr, err);
        if (r >= 0)
                r = parse_uint8(n, path, "chassis", &c->target_chassis, &c->has_target_chassis, err);
        if (r >= 0)
                r = parse_uint8(n, path, "port", &c->target_port, &c->has_target_port, err);
        if (r >= 0)
                r = parse_uint8(n, path, "busNr", &c->target_bus_nr, &c->has_target_bus_nr, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "hotplug", "on", "off", &c->target_hotplug, err);
        if (r >= 0)
                r = parse_target_node(c, n, path, err);
        if (r < 0)
                return r;
        return check_target_opts(c, path, err);
}

void domain_format_pci_controller_target(XmlWriter *w, const DomainControllerDef *c) {
        if (!target_opts_given(c))
                return;
        xw_start(w, "target");
        if (c->has_target_chassis_nr)
                xw_attrf(w, "chassisNr", "%u", c->target_chassis_nr);
        if (c->has_target_chassis)
                xw_attrf(w, "chassis", "%u", c->target_chassis);
        if (c->has_target_port)
                xw_attrf(w, "port", "0x%x", c->target_port);
        if (c->has_target_bus_nr)
                xw_attrf(w, "busNr", "%u", c->target_bus_nr);
        xw_attr(w, "hotplug", tristate_word(c->target_hotplug, "on", "off"));
        if (c->has_target_node) {
                xw_start(w, "node");
                xw_textf(w, "%u", c->target_node);
                xw_end(w);
        }
        xw_end(w);
}
