/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A first <listen type='network'/>, and the <listen>s of a VNC or SPICE
 * display after the first: libvirt keeps them all and uses the first (its
 * QEMU driver refuses to start a display with more than one, as qemud's
 * builder does); they are kept and formatted back as given. */
#include "domain-conf-internal.h"

/* <listen type='network' network=''/>: the start looks the network's
 * address up (qemud/qemu-graphics-network.c). An address='' beside it is
 * the running guest's (its live XML read back); the graphics listen=''
 * attribute is ignored for it, as libvirt ignores it at define. */
int domain_graphics_parse_listen_network(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        _cleanup_free_ char *address = NULL;
        int r;

        r = XML_CHECK_ATTRS(n, path, err, "type", "address", "network");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "network", &g->listen_network, err);
        if (r == 0)
                return xml_err_xml(err, "'network' attribute is required for listen type 'network' (<%s>)", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "address", &address, err);
        if (r < 0)
                return r;
        if (address && !str_is_host_address(address))
                return xml_err_invalid(err, "invalid listen address '%s' in <%s>", address, path);
        if (address)
                free_and_replace_str(&g->listen, TAKE_PTR(address));
        return 0;
}

void domain_graphics_format_listen_network(XmlWriter *w, const DomainGraphicsDef *g, bool live) {
        xw_start(w, "listen");
        xw_attr(w, "type", "network");
        if (live)
                xw_attr(w, "address", g->listen);
        xw_attr(w, "network", g->listen_network);
        xw_end(w);
}

static const char *const listen_types[] = { "address", "network", "socket", "none" };

int domain_graphics_parse_extra_listen(DomainGraphicsDef *g, xmlNodePtr n, const char *path, ConfError *err) {
        DomainGraphicsListenExtra *l;
        int r;

        r = domain_list_append((void **) &g->extra_listens, &g->n_extra_listens, sizeof(*l), (void **) &l, path,
                               err);
        if (r >= 0)
                r = XML_CHECK_ATTRS(n, path, err, "type", "address", "network", "socket");
        if (r >= 0)
                r = xml_check_empty(n, path, err);
        if (r >= 0)
                r = xml_attr_choice(n, path, "type", listen_types, ELEMENTSOF(listen_types), &l->type, err);
        if (r == 0)
                return xml_err_xml(err, "missing attribute 'type' of <%s>", path);
        if (r >= 0)
                r = xml_attr_str(n, path, "address", &l->address, err);
        if (r > 0 && !str_is_host_address(l->address))
                return xml_err_invalid(err, "invalid listen address '%s' in <%s>", l->address, path);
        if (r >= 0)
                r = xml_attr_str(n, path, "network", &l->network, err);
        if (r >= 0)
                r = xml_attr_str(n, path, "socket", &l->socket, err);
        if (r > 0)
                r = domain_check_abs_path(l->socket, "attribute 'socket' of", path, err);
        if (r < 0)
                return r;
        if (streq(l->type, "network") && !l->network)
                return xml_err_xml(err, "'network' attribute is required for listen type 'network' (<%s>)", path);
        return 0;
}

void domain_graphics_format_extra_listens(XmlWriter *w, const DomainGraphicsDef *g) {
        for (size_t i = 0; i < g->n_extra_listens; i++) {
                const DomainGraphicsListenExtra *l = &g->extra_listens[i];

                xw_start(w, "listen");
                xw_attr(w, "type", l->type);
                xw_attr(w, "address", l->address);
                xw_attr(w, "network", l->network);
                xw_attr(w, "socket", l->socket);
                xw_end(w);
        }
}

void domain_graphics_extra_listens_clear(DomainGraphicsDef *g) {
        for (size_t i = 0; i < g->n_extra_listens; i++) {
                free(g->extra_listens[i].type);
                free(g->extra_listens[i].address);
                free(g->extra_listens[i].network);
                free(g->extra_listens[i].socket);
        }
        free(g->extra_listens);
}

bool domain_graphics_extra_listens_own(DomainGraphicsDef *g) {
        bool ok = OWN_ARRAY(g->extra_listens, g->n_extra_listens);

        for (size_t i = 0; ok && i < g->n_extra_listens; i++) {
                DomainGraphicsListenExtra *l = &g->extra_listens[i];

                ok = own_str(&l->type) && ok;
                ok = own_str(&l->address) && ok;
                ok = own_str(&l->network) && ok;
                ok = own_str(&l->socket) && ok;
        }
        return ok;
}
