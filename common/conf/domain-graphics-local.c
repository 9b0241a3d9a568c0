/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <graphics type='sdl'>, 'egl-headless' and 'dbus': displays with no
 * network listen of their own; and the <gl/> and <audio id=''/> children
 * they share with spice and vnc. */
#include "domain-conf-internal.h"

/* <gl enable='' rendernode=''/>: egl-headless has only the render node,
 * sdl only enable; libvirt requires enable where the type has it. */
int domain_parse_graphics_gl(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        bool has_enable = g->type != DOMAIN_GRAPHICS_EGL_HEADLESS;
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        if (g->type == DOMAIN_GRAPHICS_EGL_HEADLESS)
                r = XML_CHECK_ATTRS(n, path, err, "rendernode");
        else if (g->type == DOMAIN_GRAPHICS_SDL)
                r = XML_CHECK_ATTRS(n, path, err, "enable");
        else
                r = XML_CHECK_ATTRS(n, path, err, "enable", "rendernode");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (has_enable && !xmlHasProp(n, BAD_CAST "enable"))
                return xml_err_xml(err, "missing attribute 'enable' of <%s>", path);
        r = domain_attr_tristate(n, path, "enable", "yes", "no", &g->gl, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "rendernode", &g->rendernode, err);
        if (r > 0)
                r = domain_check_abs_path(g->rendernode, "attribute 'rendernode' of", path, err);
        return r < 0 ? r : 0;
}

void domain_format_graphics_gl(XmlWriter *w, const DomainGraphicsDef *g) {
        if (g->gl == TRISTATE_ABSENT && !g->rendernode)
                return;
        xw_start(w, "gl");
        if (g->gl != TRISTATE_ABSENT)
                xw_attr(w, "enable", tristate_word(g->gl, "yes", "no"));
        xw_attr(w, "rendernode", g->rendernode);
        xw_end(w);
}

/* <audio id='N'/>: the <audio> backend a VNC or D-Bus display carries. */
int domain_parse_graphics_audio(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, "id");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        return domain_parse_audio_id(n, path, &g->audio_id, err);
}

void domain_format_graphics_audio(XmlWriter *w, const DomainGraphicsDef *g) {
        if (!g->audio_id)
                return;
        xw_start(w, "audio");
        xw_attrf(w, "id", "%u", g->audio_id);
        xw_end(w);
}

static int parse_sdl(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "display", "xauth", "fullscreen");
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "display", &g->display, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "xauth", &g->xauth, err);
        if (r >= 0)
                r = xml_attr_bool(n, path, "fullscreen", "yes", "no", &g->fullscreen, err);
        return r < 0 ? r : 0;
}

static int parse_dbus(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "address", "p2p");
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "address", &g->dbus_address, err);
        if (r >= 0)
                r = xml_attr_bool(n, path, "p2p", "yes", "no", &g->p2p, err);
        if (r < 0)
                return r;
        /* with p2p, clients come by fd, never through a bus */
        if (g->p2p && g->dbus_address)
                return xml_err_xml(err, "'address' and 'p2p' of <%s> are exclusive", path);
        return 0;
}

int domain_parse_graphics_local(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        g->listen_type = DOMAIN_GRAPHICS_LISTEN_LOCAL;
        if (g->type == DOMAIN_GRAPHICS_SDL)
                r = parse_sdl(g, n, path, err);
        else if (g->type == DOMAIN_GRAPHICS_DBUS)
                r = parse_dbus(g, n, path, err);
        else
                r = XML_CHECK_ATTRS(n, path, err, "type");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        XML_FOREACH_ELEMENT(c, n) {
                XML_SUBPATH(sub, path, (const char *) c->name);

                if (xml_is(c, "gl"))
                        r = domain_parse_graphics_gl(g, c, sub, err);
                else if (xml_is(c, "audio") && g->type == DOMAIN_GRAPHICS_DBUS)
                        r = domain_parse_graphics_audio(g, c, sub, err);
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_graphics_local(XmlWriter *w, const DomainGraphicsDef *g) {
        xw_attr(w, "display", g->display);
        xw_attr(w, "xauth", g->xauth);
        if (g->fullscreen)
                xw_attr(w, "fullscreen", "yes");
        xw_attr(w, "address", g->dbus_address);
        if (g->p2p)
                xw_attr(w, "p2p", "yes");
        domain_format_graphics_gl(w, g);
        domain_format_graphics_audio(w, g);
}
