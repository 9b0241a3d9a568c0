/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "auth.h"
#include "log.h"
#include "polkit.h"

/* remote_auth_type; libvirt's error codes and domain of a polkit refusal */
enum { AUTH_NONE = 0, AUTH_POLKIT = 2 };
enum { VIR_ERR_AUTH_FAILED = 45, LIBVIRT_FROM_POLKIT = 60 };

static bool needs_polkit(const Client *c) {
        return !c->ro_socket && c->uid != 0 && !c->authenticated;
}

bool auth_may_open(const Client *c) {
        return !needs_polkit(c);
}

int auth_list(Call *c) {
        xdr_put_u32(&c->w, 1);
        xdr_put_u32(&c->w, needs_polkit(c->client) ? AUTH_POLKIT : AUTH_NONE);
        return 0;
}

static void on_polkit(int r, void *userdata) {
        Call *c = userdata;
        Client *cl = c->client;

        client_call_finished(cl);
        if (r > 0) {
                log_debug("Client %llu (pid %d, uid %u): polkit allows %s.", (unsigned long long) cl->id,
                          (int) cl->pid, (unsigned) cl->uid, POLKIT_ACTION_LIBVIRT_MANAGE);
                cl->authenticated = true;
                xdr_put_i32(&c->w, 1); /* complete */
                call_finish(c, 0);
                return;
        }
        log_info("Client %llu (pid %d, uid %u): polkit %s %s.", (unsigned long long) cl->id, (int) cl->pid,
                 (unsigned) cl->uid, r == 0 ? "refuses" : "cannot be asked about", POLKIT_ACTION_LIBVIRT_MANAGE);
        if (r == 0)
                (void) call_fail(c, VIR_ERR_AUTH_FAILED, LIBVIRT_FROM_POLKIT,
                                 "authentication failed: access denied by policy");
        else
                (void) call_fail(c, VIR_ERR_AUTH_FAILED, LIBVIRT_FROM_POLKIT,
                                 "authentication failed: access denied: polkit cannot be asked about %s: %s",
                                 POLKIT_ACTION_LIBVIRT_MANAGE, strerror(-r));
}

int auth_polkit(Call *c) {
        Client *cl = c->client;
        PolkitSubject subject = { .pid = cl->pid, .uid = cl->uid };
        int r;

        if (!needs_polkit(cl)) {
                xdr_put_i32(&c->w, 1);
                return 0;
        }
        r = polkit_check_async(cl->server->bus, POLKIT_ACTION_LIBVIRT_MANAGE, &subject, on_polkit, c, NULL);
        if (r < 0) {
                on_polkit(r, c);
                return 1;
        }
        client_call_started(cl);
        return 1;
}
