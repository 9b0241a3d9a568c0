/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <graphics>: what a desktop guest is shown on (<video>: domain-video.c,
 * <input>: domain-input.c). */
#include "domain-conf-internal.h"

/* ---- graphics -------------------------------------------------------------- */

static int parse_listen_attr(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_str(n, path, "listen", &g->listen, err);
        if (r > 0 && !str_is_host_address(g->listen))
                return xml_err_invalid(err, "invalid listen address '%s' in <%s>", g->listen, path);
        return r < 0 ? r : 0;
}

/* <listen type='none'/> and <listen type='socket' socket=''/>: no TCP
 * port at all, so no listen address beside them. */
static int parse_listen_local(DomainGraphicsDef *g, xmlNodePtr n, const char *type, const char *path,
                              ConfError *err) {
        int r;

        if (g->listen)
                return xml_err_invalid(err, "<%s type='%s'> cannot go with the graphics listen attribute '%s'",
                                       path, type, g->listen);
        if (g->port > 0 && !g->autoport)
                return xml_err_invalid(err, "<%s type='%s'> cannot go with port '%d'", path, type, g->port);
        g->port = 0;
        g->autoport = false;
        g->listen_type = streq(type, "none") ? DOMAIN_GRAPHICS_LISTEN_NONE : DOMAIN_GRAPHICS_LISTEN_SOCKET;
        if (g->listen_type == DOMAIN_GRAPHICS_LISTEN_NONE)
                r = XML_CHECK_ATTRS(n, path, err, "type");
        else
                r = XML_CHECK_ATTRS(n, path, err, "type", "socket");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (g->socket && xmlHasProp(n, BAD_CAST "socket"))
                return xml_err_invalid(err, "<%s> cannot go with the graphics socket attribute '%s'", path,
                                       g->socket);
        r = xml_attr_str(n, path, "socket", &g->socket, err);
        if (r > 0)
                r = domain_check_abs_path(g->socket, "attribute 'socket' of", path, err);
        /* without a path the driver places one in the guest's run directory */
        return r < 0 ? r : 0;
}

/* <listen type='address'/>: its address and the older listen='' attribute
 * must agree, as libvirt requires. */
static int parse_listen(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *type = NULL, *address = NULL;
        int r;

        r = xml_attr_str_required(n, path, "type", &type, err);
        if (r < 0)
                return r;
        if (g->socket && !streq(type, "socket"))
                return xml_err_invalid(err, "<%s type='%s'> cannot go with the graphics socket attribute '%s'",
                                       path, type, g->socket);
        if (streq(type, "none") || streq(type, "socket"))
                return parse_listen_local(g, n, type, path, err);
        if (streq(type, "network"))
                return domain_graphics_parse_listen_network(g, n, path, err);
        if (!streq(type, "address"))
                return xml_err_unsupported(err, "listen type '%s' of <%s> is not supported, only 'address', "
                                           "'network', 'none' and 'socket'", type, path);
        r = XML_CHECK_ATTRS(n, path, err, "type", "address");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "address", &address, err);
        if (r <= 0)
                return r;
        if (!str_is_host_address(address))
                return xml_err_invalid(err, "invalid listen address '%s' in <%s>", address, path);
        if (g->listen && !streq(g->listen, address))
                return xml_err_invalid(err, "listen address '%s' of <%s> does not match the graphics "
                                       "listen attribute '%s'", address, path, g->listen);
        free_and_replace_str(&g->listen, TAKE_PTR(address));
        return 0;
}

static int parse_port(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        bool autoport = false;
        int r, r_auto;

        g->port = -1;
        r = xml_attr_int(n, path, "port", &g->port, err);
        if (r < 0)
                return r;
        if (g->port < -1 || g->port > 65535)
                return xml_err_invalid(err, "value '%d' of attribute 'port' of <%s> is out of range", g->port, path);
        r_auto = xml_attr_bool(n, path, "autoport", "yes", "no", &autoport, err);
        if (r_auto < 0)
                return r_auto;
        /* No port (or -1) means "pick one"; a port with autoport='yes' is the
         * one picked for the running guest. */
        g->autoport = g->port == -1 || (r_auto > 0 && autoport);
        return 0;
}

/* SPICE's tlsPort='' (-1: picked at start with autoport) and defaultMode=''. */
static int parse_spice_tls(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_int(n, path, "tlsPort", &g->tls_port, err);
        if (r < 0)
                return r;
        if (g->tls_port < -1 || g->tls_port > 65535)
                return xml_err_invalid(err, "value '%d' of attribute 'tlsPort' of <%s> is out of range",
                                       g->tls_port, path);
        /* As libvirt's define: with autoport, tlsPort='-1' (virt-install
         * writes it) asks for nothing; a TLS port is picked at start when a
         * channel is secure, or spice_tls is on and the default mode any. */
        if (g->autoport && g->tls_port == -1)
                g->tls_port = 0;
        r = DOMAIN_ATTR_ENUM(n, path, "defaultMode", domain_spice_mode, &g->default_mode, err);
        return r < 0 ? r : 0;
}

/* ---- SPICE's own children: each an empty element with one attribute ---- */

static const char *const image_compression_values[] = { "auto_glz", "auto_lz", "quic", "glz", "lz", "off" };
static const char *const wan_compression_values[] = { "auto", "never", "always" };
static const char *const streaming_mode_values[] = { "filter", "all", "off" };
static const char *const mouse_mode_values[] = { "server", "client" };

static int spice_child_start(xmlNodePtr n, const char *path, const char *attr, ConfError *err) {
        int r;

        r = xml_check_unique(n, path, err);
        if (r < 0)
                return r;
        r = XML_CHECK_ATTRS(n, path, err, attr);
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        if (!xmlHasProp(n, BAD_CAST attr))
                return xml_err_xml(err, "missing attribute '%s' of <%s>", attr, path);
        return 0;
}

static int spice_child_choice(xmlNodePtr n, const char *path, const char *attr, const char *const *values,
                              size_t n_values, char **ret, ConfError *err) {
        int r;

        r = spice_child_start(n, path, attr, err);
        if (r < 0)
                return r;
        r = xml_attr_choice(n, path, attr, values, n_values, ret, err);
        return r < 0 ? r : 0;
}

static int spice_child_tristate(xmlNodePtr n, const char *path, const char *attr, const char *on,
                                const char *off, Tristate *ret, ConfError *err) {
        int r;

        r = spice_child_start(n, path, attr, err);
        if (r < 0)
                return r;
        r = domain_attr_tristate(n, path, attr, on, off, ret, err);
        return r < 0 ? r : 0;
}

/* <channel name='main' mode='secure'/>: which port a channel is served on.
 * A name given twice: the last mode counts, as in libvirt. */
static int parse_spice_channel(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        DomainSpiceChannel ch = 0;
        DomainSpiceMode mode = 0;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "name", "mode");
        if (r < 0)
                return r;
        r = xml_check_empty(n, path, err);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "name", domain_spice_channel, &ch, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'name' of <%s>", path);
        if (r < 0)
                return r;
        r = DOMAIN_ATTR_ENUM(n, path, "mode", domain_spice_mode, &mode, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'mode' of <%s>", path);
        if (r < 0)
                return r;
        g->channel_modes[ch] = mode;
        return 0;
}

static int parse_spice_child(DomainGraphicsDef *g, xmlNodePtr c, const char *path, ConfError *err) {
        XML_SUBPATH(sub, path, (const char *) c->name);

        if (xml_is(c, "channel"))
                return parse_spice_channel(g, c, sub, err);

        if (xml_is(c, "image"))
                return spice_child_choice(c, sub, "compression", image_compression_values,
                                          ELEMENTSOF(image_compression_values), &g->image_compression, err);
        if (xml_is(c, "jpeg"))
                return spice_child_choice(c, sub, "compression", wan_compression_values,
                                          ELEMENTSOF(wan_compression_values), &g->jpeg_compression, err);
        if (xml_is(c, "zlib"))
                return spice_child_choice(c, sub, "compression", wan_compression_values,
                                          ELEMENTSOF(wan_compression_values), &g->zlib_compression, err);
        if (xml_is(c, "playback"))
                return spice_child_tristate(c, sub, "compression", "on", "off", &g->playback_compression, err);
        if (xml_is(c, "streaming"))
                return spice_child_choice(c, sub, "mode", streaming_mode_values, ELEMENTSOF(streaming_mode_values),
                                          &g->streaming_mode, err);
        if (xml_is(c, "clipboard"))
                return spice_child_tristate(c, sub, "copypaste", "yes", "no", &g->clipboard_copypaste, err);
        if (xml_is(c, "mouse"))
                return spice_child_choice(c, sub, "mode", mouse_mode_values, ELEMENTSOF(mouse_mode_values),
                                          &g->mouse_mode, err);
        if (xml_is(c, "filetransfer"))
                return spice_child_tristate(c, sub, "enable", "yes", "no", &g->filetransfer, err);
        /* OpenGL on a host GPU: the start looks for its render node */
        if (xml_is(c, "gl"))
                return domain_parse_graphics_gl(g, c, sub, err);
        return xml_unsupported_element(c, path, err);
}

static void format_spice_children(XmlWriter *w, const DomainGraphicsDef *g) {
        for (DomainSpiceChannel ch = 0; ch < _DOMAIN_SPICE_CHANNEL_MAX; ch++) {
                if (g->channel_modes[ch] == DOMAIN_SPICE_MODE_ANY)
                        continue;
                xw_start(w, "channel");
                xw_attr(w, "name", domain_spice_channel_to_string(ch));
                xw_attr(w, "mode", domain_spice_mode_to_string(g->channel_modes[ch]));
                xw_end(w);
        }
        if (g->image_compression) {
                xw_start(w, "image");
                xw_attr(w, "compression", g->image_compression);
                xw_end(w);
        }
        if (g->jpeg_compression) {
                xw_start(w, "jpeg");
                xw_attr(w, "compression", g->jpeg_compression);
                xw_end(w);
        }
        if (g->zlib_compression) {
                xw_start(w, "zlib");
                xw_attr(w, "compression", g->zlib_compression);
                xw_end(w);
        }
        if (g->playback_compression != TRISTATE_ABSENT) {
                xw_start(w, "playback");
                xw_attr(w, "compression", tristate_word(g->playback_compression, "on", "off"));
                xw_end(w);
        }
        if (g->streaming_mode) {
                xw_start(w, "streaming");
                xw_attr(w, "mode", g->streaming_mode);
                xw_end(w);
        }
        if (g->mouse_mode) {
                xw_start(w, "mouse");
                xw_attr(w, "mode", g->mouse_mode);
                xw_end(w);
        }
        if (g->clipboard_copypaste != TRISTATE_ABSENT) {
                xw_start(w, "clipboard");
                xw_attr(w, "copypaste", tristate_word(g->clipboard_copypaste, "yes", "no"));
                xw_end(w);
        }
        if (g->filetransfer != TRISTATE_ABSENT) {
                xw_start(w, "filetransfer");
                xw_attr(w, "enable", tristate_word(g->filetransfer, "yes", "no"));
                xw_end(w);
        }
        domain_format_graphics_gl(w, g);
}

int domain_parse_graphics(DomainDef *def, xmlNodePtr n, const char *path, ConfError *err) {
        DomainGraphicsDef *g;
        bool seen_listen = false;
        int r;

        r = LIST_APPEND(def->graphics, def->n_graphics, &g, path, err);
        if (r < 0)
                return r;
        /* the type first: it decides which attributes make sense */
        r = DOMAIN_ATTR_ENUM(n, path, "type", domain_graphics_type, &g->type, err);
        if (r < 0)
                return r;
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (g->type != DOMAIN_GRAPHICS_VNC && g->type != DOMAIN_GRAPHICS_SPICE)
                return domain_parse_graphics_local(g, n, path, err);
        if (g->type == DOMAIN_GRAPHICS_SPICE)
                r = XML_CHECK_ATTRS(n, path, err, "type", "port", "autoport", "listen", "passwd", "keymap",
                                    "tlsPort", "defaultMode", "passwdValidTo", "connected");
        else
                r = XML_CHECK_ATTRS(n, path, err, "type", "port", "autoport", "listen", "passwd", "keymap",
                                    "websocket", "sharePolicy", "powerControl", "socket", "passwdValidTo",
                                    "connected");
        if (r < 0)
                return r;
        r = xml_check_no_text(n, path, err);
        if (r < 0)
                return r;
        r = parse_port(g, n, path, err);
        if (r < 0)
                return r;
        r = parse_spice_tls(g, n, path, err);
        if (r < 0)
                return r;
        r = parse_listen_attr(g, n, path, err);
        if (r < 0)
                return r;
        if (g->type == DOMAIN_GRAPHICS_VNC)
                r = domain_parse_vnc_attrs(g, n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "passwd", &g->passwd, err);
        if (r >= 0)
                r = domain_parse_graphics_auth(g, n, path, err);
        if (r < 0)
                return r;
        r = xml_attr_str(n, path, "keymap", &g->keymap, err);
        if (r < 0)
                return r;

        XML_FOREACH_ELEMENT(c, n) {
                if (xml_is(c, "listen")) {
                        XML_SUBPATH(sub, path, "listen");
                        /* the first is the display's; the others are kept */
                        r = seen_listen ? domain_graphics_parse_extra_listen(g, c, sub, err)
                                        : parse_listen(g, c, sub, err);
                        seen_listen = true;
                } else if (g->type == DOMAIN_GRAPHICS_SPICE)
                        r = parse_spice_child(g, c, path, err);
                else if (xml_is(c, "audio")) {
                        XML_SUBPATH(sub, path, "audio");
                        r = domain_parse_graphics_audio(g, c, sub, err);
                }
                else
                        r = xml_unsupported_element(c, path, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void domain_format_graphics(XmlWriter *w, const DomainGraphicsDef *g, unsigned flags) {
        bool live = !(flags & DOMAIN_FORMAT_INACTIVE);

        xw_start(w, "graphics");
        xw_attr(w, "type", domain_graphics_type_to_string(g->type));
        if (g->listen_type == DOMAIN_GRAPHICS_LISTEN_LOCAL) {
                domain_format_graphics_local(w, g);
                xw_end(w);
                return;
        }
        if (g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                ;       /* no port */
        else if (g->autoport)
                /* the port picked at start belongs to the running guest only */
                xw_attrf(w, "port", "%d", live && g->port > 0 ? g->port : -1);
        else
                xw_attrf(w, "port", "%d", g->port);
        if (g->tls_port != 0)
                xw_attrf(w, "tlsPort", "%d", g->autoport && !(live && g->tls_port > 0) ? -1 : g->tls_port);
        if (g->listen_type == DOMAIN_GRAPHICS_LISTEN_ADDRESS)
                xw_attr(w, "autoport", g->autoport ? "yes" : "no");
        if (g->websocket)
                xw_attrf(w, "websocket", "%d", g->websocket);
        /* a network's address belongs to the running guest only */
        if (!g->listen_network || live)
                xw_attr(w, "listen", g->listen);
        xw_attr(w, "keymap", g->keymap);
        xw_attr(w, "sharePolicy", g->share_policy);
        if (flags & DOMAIN_FORMAT_SECURE)
                xw_attr(w, "passwd", g->passwd);
        domain_format_graphics_auth(w, g);
        xw_attr(w, "powerControl", tristate_word(g->power_control, "yes", "no"));
        if (g->default_mode != DOMAIN_SPICE_MODE_ANY)
                xw_attr(w, "defaultMode", domain_spice_mode_to_string(g->default_mode));
        if (g->listen_network) {
                domain_graphics_format_listen_network(w, g, live);
        } else if (g->listen) {
                xw_start(w, "listen");
                xw_attr(w, "type", "address");
                xw_attr(w, "address", g->listen);
                xw_end(w);
        } else if (g->listen_type != DOMAIN_GRAPHICS_LISTEN_ADDRESS) {
                xw_start(w, "listen");
                xw_attr(w, "type", g->listen_type == DOMAIN_GRAPHICS_LISTEN_NONE ? "none" : "socket");
                /* the one the driver placed belongs to the running guest only */
                if (!(g->socket_auto && !live))
                        xw_attr(w, "socket", g->socket);
                xw_end(w);
        } else if (g->n_extra_listens) {
                /* the first stays first */
                xw_start(w, "listen");
                xw_attr(w, "type", "address");
                xw_end(w);
        }
        domain_graphics_format_extra_listens(w, g);
        if (g->type == DOMAIN_GRAPHICS_SPICE)
                format_spice_children(w, g);
        domain_format_graphics_audio(w, g);
        xw_end(w);
}

void domain_graphics_clear(DomainGraphicsDef *g) {
        free(g->listen);
        free(g->listen_network);
        free(g->socket);
        free(g->share_policy);
        /* the password must not linger in freed memory */
        if (g->passwd)
                explicit_bzero(g->passwd, strlen(g->passwd));
        free(g->passwd);
        free(g->connected);
        domain_graphics_extra_listens_clear(g);
        free(g->keymap);
        free(g->image_compression);
        free(g->jpeg_compression);
        free(g->zlib_compression);
        free(g->streaming_mode);
        free(g->mouse_mode);
        free(g->rendernode);
        free(g->display);
        free(g->xauth);
        free(g->dbus_address);
}

bool domain_graphics_own(DomainGraphicsDef *g) {
        bool ok = true;

        ok = own_str(&g->listen) && ok;
        ok = own_str(&g->listen_network) && ok;
        ok = own_str(&g->socket) && ok;
        ok = own_str(&g->share_policy) && ok;
        ok = own_str(&g->passwd) && ok;
        ok = own_str(&g->connected) && ok;
        ok = domain_graphics_extra_listens_own(g) && ok;
        ok = own_str(&g->keymap) && ok;
        ok = own_str(&g->image_compression) && ok;
        ok = own_str(&g->jpeg_compression) && ok;
        ok = own_str(&g->zlib_compression) && ok;
        ok = own_str(&g->streaming_mode) && ok;
        ok = own_str(&g->mouse_mode) && ok;
        ok = own_str(&g->rendernode) && ok;
        ok = own_str(&g->display) && ok;
        ok = own_str(&g->xauth) && ok;
        ok = own_str(&g->dbus_address) && ok;
        return ok;
}
