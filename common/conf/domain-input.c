/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <input>: a mouse, keyboard or tablet on ps2, usb or virtio; a host
 * evdev device given to the guest as a virtio input (type 'passthrough',
 * <source evdev=''/>); or one QEMU reads itself and feeds to the guest's
 * keyboard and mouse (type 'evdev', <source dev='' grab='' grabToggle=''
 * repeat=''/>). A virtio input's <driver> has the transport's options. */
#include "domain-conf-internal.h"

static const char *const input_type_values[] = { "mouse", "keyboard", "tablet", "passthrough", "evdev" };
static const char *const input_bus_values[] = { "ps2", "usb", "virtio" };
static const char *const grab_toggle_values[] = {
        "ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta", "scrolllock", "ctrl-scrolllock",
};

static bool is_host_input(const DomainInputDef *in) {
        return streq(in->type, "passthrough") || streq(in->type, "evdev");
}

static int parse_evdev_source(DomainInputDef *in, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *grab = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "dev", "grab", "grabToggle", "repeat");
        if (r >= 0)
                r = xml_attr_str_required(n, path, "dev", &in->source, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "grab", &grab, err);
        if (r > 0 && !streq(grab, "all"))
                return xml_err_invalid(err, "value '%s' of attribute 'grab' of <%s> must be 'all'", grab, path);
        in->grab_all = grab;
        if (r >= 0)
                r = xml_attr_choice(n, path, "grabToggle", grab_toggle_values, ELEMENTSOF(grab_toggle_values),
                                    &in->grab_toggle, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "repeat", "on", "off", &in->repeat, err);
        return r < 0 ? r : 0;
}

static int parse_source(DomainInputDef *in, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        if (!is_host_input(in))
                return xml_err_unsupported(err, "element <%s> is only supported for input types 'passthrough' and "
                                           "'evdev', not '%s'", path, in->type);
        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (streq(in->type, "evdev"))
                r = parse_evdev_source(in, n, path, err);
        else {
                r = XML_CHECK_ATTRS(n, path, err, "evdev");
                if (r >= 0)
                        r = xml_attr_str_required(n, path, "evdev", &in->source, err);
        }
        if (r < 0)
                return r;
        return domain_check_abs_path(in->source, "the device of", path, err);
}

static int parse_driver(DomainInputDef *in, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, &in->virtio, err);
        return r < 0 ? r : 0;
}

static unsigned address_types(const DomainInputDef *in) {
        if (streq_ptr(in->bus, "usb") || (!in->bus && streq(in->type, "tablet")))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_USB);
        if (streq_ptr(in->bus, "virtio"))
                return DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI);
        /* the i8042 of a PC, and QEMU's own evdev reader: no bus address */
        return 0;
}

static int parse_children(DomainInputDef *in, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "alias"))
                        r = domain_parse_alias(c, sub, &in->alias, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, address_types(in), &in->addr, err);
                else if (xml_is(c, "source"))
                        r = parse_source(in, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_driver(in, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* libvirt's checks of what goes together (virDomainInputDefValidate). */
static int check_input(const DomainInputDef *in, const char *path, ConfError *err) {
        if (streq(in->type, "evdev") && in->bus)
                return xml_err_unsupported(err, "input evdev doesn't support bus element (<%s bus='%s'>)", path,
                                           in->bus);
        if (streq(in->type, "passthrough") && !streq_ptr(in->bus, "virtio"))
                return xml_err_unsupported(err, "only bus 'virtio' is supported for 'passthrough' input devices "
                                           "(<%s bus='%s'>)", path, in->bus ?: "");
        if (is_host_input(in) && !in->source)
                return xml_err_xml(err, "missing element <%s/source> of input type '%s'", path, in->type);
        if (domain_virtio_opts_set(&in->virtio) && !streq_ptr(in->bus, "virtio"))
                return xml_err_unsupported(err, "iommu, ats, packed and page_per_vq of <%s/driver> are only "
                                           "supported for a virtio input, not bus '%s'", path, in->bus ?: "");
        return 0;
}

int domain_parse_input(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainInputDef *in;
        int r;

        r = LIST_APPEND(def->inputs, def->n_inputs, &in, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "type", input_type_values, ELEMENTSOF(input_type_values), &in->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        r = XML_CHECK_ATTRS(n, path, err, "type", "bus");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "bus", input_bus_values, ELEMENTSOF(input_bus_values), &in->bus, err);
        if (r < 0)
                return r;
        r = parse_children(in, n, path, err);
        if (r < 0)
                return r;
        return check_input(in, path, err);
}

static void format_source(XmlWriter *w, const DomainInputDef *in) {
        if (!in->source)
                return;
        xw_start(w, "source");
        if (streq(in->type, "passthrough")) {
                xw_attr(w, "evdev", in->source);
                xw_end(w);
                return;
        }
        xw_attr(w, "dev", in->source);
        xw_attr(w, "grab", in->grab_all ? "all" : NULL);
        xw_attr(w, "grabToggle", in->grab_toggle);
        xw_attr(w, "repeat", tristate_word(in->repeat, "on", "off"));
        xw_end(w);
}

void domain_format_input(XmlWriter *w, const DomainInputDef *in, unsigned flags) {
        xw_start(w, "input");
        xw_attr(w, "type", in->type);
        xw_attr(w, "bus", in->bus);
        if (domain_virtio_opts_set(&in->virtio)) {
                xw_start(w, "driver");
                domain_format_virtio_opts(w, &in->virtio);
                xw_end(w);
        }
        format_source(w, in);
        domain_format_alias(w, in->alias, flags);
        domain_format_address(w, &in->addr);
        xw_end(w);
}

void domain_input_clear(DomainInputDef *in) {
        free(in->type);
        free(in->bus);
        free(in->source);
        free(in->grab_toggle);
        free(in->alias);
}

bool domain_input_own(DomainInputDef *in) {
        bool ok = true;

        ok = own_str(&in->type) && ok;
        ok = own_str(&in->bus) && ok;
        ok = own_str(&in->source) && ok;
        ok = own_str(&in->grab_toggle) && ok;
        ok = own_str(&in->alias) && ok;
        return ok;
}
