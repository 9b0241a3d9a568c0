/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <video>: the guest's display adapter, its <model> (memory, heads,
 * <acceleration>, <resolution>) and its <driver> (who renders: QEMU, or a
 * vhost-user-gpu process; and the virtio transport's options). */
#include "domain-conf-internal.h"

static const char *const video_model_values[] = {
        "vga", "cirrus", "vmvga", "virtio", "qxl", "bochs", "ramfb", "none",
};

/* <acceleration accel3d='' accel2d='' rendernode=''/>: an empty one says
 * nothing and is dropped, as libvirt does. */
static int parse_acceleration(DomainVideoDef *v, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "accel3d", "accel2d", "rendernode");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "accel3d", "yes", "no", &v->accel3d, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "accel2d", "yes", "no", &v->accel2d, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "rendernode", &v->rendernode, err);
        if (r > 0)
                r = domain_check_abs_path(v->rendernode, "attribute 'rendernode' of", path, err);
        return r < 0 ? r : 0;
}

static int parse_resolution(DomainVideoDef *v, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "x", "y");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (!xmlHasProp(n, BAD_CAST "x") || !xmlHasProp(n, BAD_CAST "y"))
                return xml_err_xml(err, "missing attribute 'x' or 'y' of <%s>", path);
        r = xml_attr_uint(n, path, "x", &v->res_x, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "y", &v->res_y, err);
        if (r < 0)
                return r;
        if (v->res_x == 0 || v->res_y == 0)
                return xml_err_unsupported(err, "video resolution values must be greater than 0 (<%s x='%u' "
                                           "y='%u'>)", path, v->res_x, v->res_y);
        return 0;
}

static int parse_model_children(DomainVideoDef *v, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);
                if (xml_is(c, "acceleration"))
                        r = parse_acceleration(v, c, sub, err);
                else if (xml_is(c, "resolution"))
                        r = parse_resolution(v, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_video_model(DomainVideoDef *v, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "vram", "ram", "vgamem", "vram64", "heads", "primary");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, "type", video_model_values, ELEMENTSOF(video_model_values), &v->model, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        r = xml_attr_uint(n, path, "vram", &v->vram, err);
        if (r < 0)
                return r;
        /* the QXL device's own memory bars */
        if (!streq(v->model, "qxl") && (xmlHasProp(n, BAD_CAST "ram") || xmlHasProp(n, BAD_CAST "vgamem") ||
                                        xmlHasProp(n, BAD_CAST "vram64")))
                return xml_err_unsupported(err, "attributes 'ram', 'vram64' and 'vgamem' of <%s> are only supported "
                                           "for type 'qxl', not '%s'", path, v->model);
        r = xml_attr_uint(n, path, "ram", &v->ram, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "vgamem", &v->vgamem, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "vram64", &v->vram64, err);
        if (r >= 0)
                r = xml_attr_uint(n, path, "heads", &v->heads, err);
        if (r >= 0)
                r = xml_attr_bool(n, path, "primary", "yes", "no", &v->primary, err);
        if (r < 0)
                return r;
        return parse_model_children(v, n, path, err);
}

/* <driver name='qemu|vhostuser' iommu='' ats='' packed='' page_per_vq=''/> */
static int parse_video_driver(DomainVideoDef *v, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", DOMAIN_VIRTIO_OPTS_ATTRS);
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = domain_parse_virtio_opts(n, path, &v->virtio, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "name", &name, err);
        if (r <= 0)
                return r;
        if (streq(name, "vhostuser"))
                v->vhostuser = true;
        else if (streq(name, "qemu"))
                v->driver_qemu = true;
        else
                return xml_err_invalid(err, "value '%s' of attribute 'name' of <%s> must be 'qemu' or 'vhostuser'",
                                       name, path);
        return 0;
}

/* libvirt's checks of what goes together (virDomainVideoDefValidate). */
static int check_video(const DomainVideoDef *v, const char *path, ConfError *err) {
        const char *model = v->model ?: "";

        if (v->vhostuser && !streq(model, "virtio"))
                return xml_err_unsupported(err, "'vhostuser' driver of <%s/driver> is only supported with 'virtio' "
                                           "device, not '%s'", path, model);
        if (v->rendernode && !v->vhostuser)
                return xml_err_unsupported(err, "unsupported rendernode accel attribute of <%s/model/acceleration> "
                                           "without 'vhostuser'", path);
        if (domain_virtio_opts_set(&v->virtio) && !streq(model, "virtio"))
                return xml_err_unsupported(err, "iommu, ats, packed and page_per_vq of <%s/driver> are only "
                                           "supported for a virtio video device, not '%s'", path, model);
        return 0;
}

int domain_parse_video(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainVideoDef *v;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, NULL);
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = LIST_APPEND(def->videos, def->n_videos, &v, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                if (!xml_is(c, "model") && !xml_is(c, "driver") && !xml_is(c, "alias") && !xml_is(c, "address") &&
                    !xml_is(c, "acpi"))
                        return xml_unsupported_element(c, path, err);
                XML_SUBPATH(sub, path, (const char *) c->name);
                r = xml_check_unique(c, sub, err);
                if (r < 0)
                        return r;
                if (xml_is(c, "model"))
                        r = parse_video_model(v, c, sub, err);
                else if (xml_is(c, "driver"))
                        r = parse_video_driver(v, c, sub, err);
                else if (xml_is(c, "address"))
                        r = domain_parse_address(c, sub, DOMAIN_ADDRESS_ALLOW(DOMAIN_ADDRESS_PCI), &v->addr, err);
                else if (xml_is(c, "acpi"))
                        r = domain_parse_acpi_index(c, sub, &v->acpi_index, err);
                else
                        r = domain_parse_alias(c, sub, &v->alias, err);
                if (r < 0)
                        return r;
        }
        return check_video(v, path, err);
}

static void format_video_driver(XmlWriter *w, const DomainVideoDef *v) {
        if (!v->vhostuser && !v->driver_qemu && !domain_virtio_opts_set(&v->virtio))
                return;
        xw_start(w, "driver");
        domain_format_virtio_opts(w, &v->virtio);
        xw_attr(w, "name", v->vhostuser ? "vhostuser" : v->driver_qemu ? "qemu" : NULL);
        xw_end(w);
}

static void format_model_children(XmlWriter *w, const DomainVideoDef *v) {
        if (v->accel3d != TRISTATE_ABSENT || v->accel2d != TRISTATE_ABSENT || v->rendernode) {
                xw_start(w, "acceleration");
                xw_attr(w, "accel3d", tristate_word(v->accel3d, "yes", "no"));
                xw_attr(w, "accel2d", tristate_word(v->accel2d, "yes", "no"));
                xw_attr(w, "rendernode", v->rendernode);
                xw_end(w);
        }
        if (v->res_x) {
                xw_start(w, "resolution");
                xw_attrf(w, "x", "%u", v->res_x);
                xw_attrf(w, "y", "%u", v->res_y);
                xw_end(w);
        }
}

void domain_format_video(XmlWriter *w, const DomainVideoDef *v, unsigned flags) {
        xw_start(w, "video");
        format_video_driver(w, v);
        if (v->model) {
                xw_start(w, "model");
                xw_attr(w, "type", v->model);
                if (v->ram)
                        xw_attrf(w, "ram", "%u", v->ram);
                if (v->vram)
                        xw_attrf(w, "vram", "%u", v->vram);
                if (v->vram64)
                        xw_attrf(w, "vram64", "%u", v->vram64);
                if (v->vgamem)
                        xw_attrf(w, "vgamem", "%u", v->vgamem);
                if (v->heads)
                        xw_attrf(w, "heads", "%u", v->heads);
                if (v->primary)
                        xw_attr(w, "primary", "yes");
                format_model_children(w, v);
                xw_end(w);
        }
        domain_format_alias(w, v->alias, flags);
        domain_format_acpi_index(w, v->acpi_index);
        domain_format_address(w, &v->addr);
        xw_end(w);
}

void domain_video_clear(DomainVideoDef *v) {
        free(v->model);
        free(v->rendernode);
        free(v->alias);
}

bool domain_video_own(DomainVideoDef *v) {
        bool ok = true;

        ok = own_str(&v->model) && ok;
        ok = own_str(&v->rendernode) && ok;
        ok = own_str(&v->alias) && ok;
        return ok;
}
