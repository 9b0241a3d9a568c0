/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A migration's graphics relocation, as libvirt does it: the destination's
 * Prepare3 cookie says where its SPICE (or VNC) server listens; the source
 * tells its QEMU (client_migrate_info) before the memory moves, so that
 * connected SPICE clients reconnect there once the guest runs on B. VNC
 * has no such thing: its clients reconnect themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "qemu-domain.h"
#include "qemu-migrate-internal.h"
#include "qemu-monitor.h"
#include "util.h"

/* libvirt's rule: the cookie names the one <graphics> of a guest that has
 * exactly one, VNC or SPICE. */
static const DomainGraphicsDef *only_graphics(const DomainDef *def) {
        return def && def->n_graphics == 1 ? &def->graphics[0] : NULL;
}

int migration_graphics_cookie(Domain *d, MigrationCookie *c) {
        const DomainGraphicsDef *g = only_graphics(domain_current_def(d, false));

        if (!g)
                return 0;
        c->graphics_type = strdup(g->type == DOMAIN_GRAPHICS_SPICE ? "spice" : "vnc");
        c->graphics_listen = strdup(g->listen ?: "127.0.0.1");
        if (!c->graphics_type || !c->graphics_listen)
                return -ENOMEM;
        c->graphics_port = g->port;
        c->graphics_tls_port = g->tls_port > 0 ? g->tls_port : -1; /* the SPICE TLS port a client reconnects to */
        c->present |= MIGRATION_FEATURE_GRAPHICS;
        return 0;
}

static bool is_wildcard(const char *a) {
        return !a || !*a || streq(a, "0.0.0.0") || streq(a, "::") || streq(a, "[::]");
}

/* "<name>\0spice://host:port" */
static void on_relocate_reply(QemuMonitor *mon, json_object *result, const char *error_class,
                              const char *error_desc, void *userdata) {
        char *name = userdata;

        /* as libvirt: the migration goes on, the clients just will not follow */
        if (error_class)
                log_warning("Cannot tell the SPICE clients of %s where it goes: %s", name,
                            error_desc ?: error_class);
        else
                log_info("SPICE clients of %s are to reconnect to %s", name, name + strlen(name) + 1);
        free(name);
}

void migration_graphics_relocate(Domain *d, const MigrationCookie *c, const char *uri_host) {
        const DomainGraphicsDef *g = only_graphics(domain_current_def(d, false));
        QemuMonitor *mon = qemu_domain(d)->mon;
        const char *host = c->graphics_listen;
        json_object *args;
        char *what = NULL;

        if (!(c->present & MIGRATION_FEATURE_GRAPHICS) || !streq_ptr(c->graphics_type, "spice") || !g ||
            g->type != DOMAIN_GRAPHICS_SPICE || !mon || c->graphics_port <= 0)
                return;
        /* B listens everywhere: the address the stream goes to reaches it */
        if (is_wildcard(host))
                host = uri_host && *uri_host ? uri_host : c->hostname;
        if (!host || asprintf(&what, "%s%cspice://%s:%d", d->def->name, 0, host, c->graphics_port) < 0)
                return;
        args = json_object_new_object();
        json_object_object_add(args, "protocol", json_object_new_string("spice"));
        json_object_object_add(args, "hostname", json_object_new_string(host));
        json_object_object_add(args, "port", json_object_new_int(c->graphics_port));
        if (c->graphics_tls_port > 0)
                json_object_object_add(args, "tls-port", json_object_new_int(c->graphics_tls_port));
        if (qemu_monitor_command(mon, "client_migrate_info", args, on_relocate_reply, what) < 0) {
                log_warning("Cannot tell the SPICE clients of %s where it goes: no monitor", d->def->name);
                free(what);
        }
}
