/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VNC's own attributes of <graphics type='vnc'>: websocket='' (a port for
 * WebSocket clients, -1 picked at start), sharePolicy='' (what a second
 * client does to the first), powerControl='' (clients may reset or power
 * off the guest), and socket='' (the older spelling of <listen
 * type='socket' socket=''/>). */
#include "domain-conf-internal.h"

static const char *const share_policy_values[] = { "allow-exclusive", "force-shared", "ignore" };

static int parse_websocket(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_int(n, path, "websocket", &g->websocket, err);
        if (r <= 0)
                return r;
        if (g->websocket < -1 || g->websocket > 65535)
                return xml_err_invalid(err, "value '%d' of attribute 'websocket' of <%s> is out of range",
                                       g->websocket, path);
        return 0;
}

/* socket='': the display listens on that unix socket, no TCP port. */
static int parse_socket(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = xml_attr_str(n, path, "socket", &g->socket, err);
        if (r <= 0)
                return r;
        r = domain_check_abs_path(g->socket, "attribute 'socket' of", path, err);
        if (r < 0)
                return r;
        if (g->listen)
                return xml_err_invalid(err, "attribute 'socket' of <%s> cannot go with the listen address '%s'",
                                       path, g->listen);
        if (g->port > 0 && !g->autoport)
                return xml_err_invalid(err, "attribute 'socket' of <%s> cannot go with port '%d'", path, g->port);
        g->listen_type = DOMAIN_GRAPHICS_LISTEN_SOCKET;
        g->port = 0;
        g->autoport = false;
        return 0;
}

int domain_parse_vnc_attrs(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        int r;

        r = parse_websocket(g, n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "sharePolicy", share_policy_values, ELEMENTSOF(share_policy_values),
                                    &g->share_policy, err);
        if (r >= 0)
                r = domain_attr_tristate(n, path, "powerControl", "yes", "no", &g->power_control, err);
        if (r >= 0)
                r = parse_socket(g, n, path, err);
        return r < 0 ? r : 0;
}
