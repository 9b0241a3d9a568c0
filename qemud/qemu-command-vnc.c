/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What -vnc and -spice get beyond their listen address: VNC's websocket
 * port, share policy and power control, and the unix socket the driver
 * places in the run directory for <listen type='socket'/> without a path
 * (RUN_DIR/NAME.vnc.sock or NAME.spice.sock, as libvirt's vnc.sock and
 * spice.sock in the guest's directory). */
#include "qemu-command-internal.h"
#include "util.h"

int qemu_graphics_socket_path(const DomainDef *def, size_t i, const char *run_dir, char **ret) {
        const DomainGraphicsDef *g = &def->graphics[i];

        if (g->socket)
                return (*ret = strdup(g->socket)) ? 0 : -ENOMEM;
        if (!run_dir || !def->name)
                return -EINVAL;
        if (asprintf(ret, "%s/%s.%s.sock", run_dir, def->name, domain_graphics_type_to_string(g->type)) < 0)
                return -ENOMEM;
        return 0;
}

int qemu_graphics_socket_opt(QemuCmd *c, size_t i, OptBuf *b, const char *key) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = qemu_graphics_socket_path(c->def, i, c->params->run_dir, &path);
        if (r < 0) {
                opt_done(b);
                return cmd_fail(c, r, "graphics %zu: a socket without a path needs a run directory", i);
        }
        if (strlen(path) >= 108) {
                opt_done(b);
                return cmd_fail(c, -EINVAL, "graphics %zu: socket path %s is too long for a unix socket", i, path);
        }
        opt_add_str(b, key, path);
        return 0;
}

int qemu_vnc_extra_opts(QemuCmd *c, size_t i, OptBuf *b) {
        const DomainGraphicsDef *g = &c->def->graphics[i];

        if (g->websocket == -1) {
                opt_done(b);
                return cmd_fail(c, -EOPNOTSUPP, "graphics %zu: websocket='-1' (a port picked at start) is not "
                                "supported, give the port", i);
        }
        if (g->websocket > 0)
                opt_add(b, "websocket=%d", g->websocket);
        if (g->share_policy)
                opt_add_str(b, "share", g->share_policy);
        if (g->power_control != TRISTATE_ABSENT)
                opt_add_bool(b, "power-control", g->power_control == TRISTATE_ON);
        return 0;
}

int qemu_graphics_assign_paths(DomainDef *def, const char *run_dir) {
        for (size_t i = 0; i < def->n_graphics; i++) {
                DomainGraphicsDef *g = &def->graphics[i];
                char *s;
                int r;

                if (g->listen_type != DOMAIN_GRAPHICS_LISTEN_SOCKET || (g->socket && !g->socket_auto))
                        continue;
                free(g->socket);
                g->socket = NULL;
                r = qemu_graphics_socket_path(def, i, run_dir, &s);
                if (r < 0)
                        return r;
                if (strlen(s) >= 108) {
                        free(s);
                        return -ENAMETOOLONG;
                }
                g->socket = s;
                g->socket_auto = true;
        }
        return 0;
}
