/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interface bandwidth: virDomainSetInterfaceParameters and
 * virDomainGetInterfaceParameters, typed parameters both ways. A Get that
 * asks for nparams == 0 gets the count only, as from libvirtd. */

#include "procedures.h"
#include "error.h"
#include "typed-params.h"
#include "util.h"

/* The `n` argument: how many parameters the client has room for. */
static int32_t room(const Call *c) {
        for (size_t i = 0; i < c->n_v; i++)
                if (c->v[i].type == 'n')
                        return c->v[i].i;
        return 0;
}

/* ret: params<max>; int nparams. */
static int reply_interface_params(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        int32_t nparams = room(c);
        uint32_t count;
        int r;

        if (nparams < 0 || (uint32_t) nparams > c->def->params_max)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "nparams too large");
        r = typed_params_read_bus(m, c->def->params_max, &tp, NULL);
        if (r == -E2BIG || r == -EINVAL)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "%s: the daemon's answer does not fit libvirt's typed parameters", c->def->api);
        if (r < 0)
                return r;
        count = tp.n;
        /* only what the client has room for goes out (none: the count) */
        while (tp.n > (size_t) nparams) {
                TypedParam *p = &tp.p[--tp.n];

                free(p->field);
                if (p->type == TYPED_PARAM_STRING)
                        free(p->v.s);
        }
        typed_params_write_xdr(&c->w, &tp, c->def->params_max);
        xdr_put_i32(&c->w, count);
        return 0;
}

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define IFACE .params_max = REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX

/* Sorted by number. */
static const ProcDef rows[] = {
        { 256, "virDomainSetInterfaceParameters", 0, "DsTu", DOMAIN, "SetInterfaceParameters", .reply = reply_void,
          IFACE },
        { 257, "virDomainGetInterfaceParameters", R, "Dsnu", DOMAIN, "GetInterfaceParameters",
          .reply = reply_interface_params, IFACE },
};

const ProcTable proc_table_interface = { rows, ELEMENTSOF(rows) };
