/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Perf events: libvirt's procedures on Domain.GetPerfEvents and
 * SetPerfEvents (domain-perf-dbus.c). */
#include <string.h>

#include "error.h"
#include "procedures.h"
#include "typed-params.h"
#include "util.h"
#include "xdr.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define PERF_EVENTS_MAX 64 /* REMOTE_DOMAIN_PERF_EVENTS_MAX */

/* remote_domain_get_perf_events_ret: params<> (no count: every event) */
static int reply_perf_events(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        int r = typed_params_read_bus(m, PERF_EVENTS_MAX, &tp, NULL);

        if (r < 0)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC,
                                 "%s: the daemon's answer does not fit libvirt's typed parameters: %s", c->def->api,
                                 strerror(-r));
        typed_params_write_xdr(&c->w, &tp, PERF_EVENTS_MAX);
        return 0;
}

/* Sorted by number. */
static const ProcDef rows[] = {
        { 365, "virDomainGetPerfEvents", R, "Du", DOMAIN, "GetPerfEvents", .reply = reply_perf_events },
        { 366, "virDomainSetPerfEvents", 0, "DTu", DOMAIN, "SetPerfEvents", .reply = reply_void,
          .params_max = PERF_EVENTS_MAX },
};

const ProcTable proc_table_perf = { rows, ELEMENTSOF(rows) };
