/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Perf events: libvirt's procedures on Domain.GetPerfEvents and
 * SetPerfEvents; and those on qemud's org.virtbus.Domain1 (what
 * libvirt-dbus lacks): virDomainGetVcpus from GetVcpuInfo,
 * virDomainStartDirtyRateCalc (domain-perf-dbus.c). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "procedures.h"
#include "typed-params.h"
#include "util.h"
#include "xdr.h"

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define VIRTBUS_DOMAIN "org.virtbus.Domain1"
#define PERF_EVENTS_MAX 64 /* REMOTE_DOMAIN_PERF_EVENTS_MAX */
#define VCPUINFO_MAX 16384   /* REMOTE_VCPUINFO_MAX */
#define CPUMAPS_MAX 8388608  /* REMOTE_CPUMAPS_MAX */

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

/* The which-th 'n' argument the client sent. */
static int32_t kept_n(const Call *c, int which) {
        int seen = 0;

        for (size_t i = 0; i < c->n_v; i++)
                if (c->v[i].type == 'n' && seen++ == which)
                        return c->v[i].i;
        return 0;
}

/* One vCPU of GetVcpuInfo's "a(uitiab)": remote_vcpu_info, and its
 * affinity as maplen bytes of cpumap (a bit per host CPU) at map. */
static int put_vcpu(Call *c, sd_bus_message *m, uint8_t *map, int32_t maplen) {
        uint32_t number;
        int32_t state, cpu;
        uint64_t time;
        int on, r = sd_bus_message_enter_container(m, 'r', "uitiab");

        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "uiti", &number, &state, &time, &cpu);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "b");
        for (int32_t bit = 0; r >= 0 && (r = sd_bus_message_read(m, "b", &on)) > 0; bit++)
                if (on && map && bit < maplen * 8)
                        map[bit / 8] |= (uint8_t) (1u << (bit % 8));
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        xdr_put_u32(&c->w, number);
        xdr_put_i32(&c->w, state);
        xdr_put_u64(&c->w, time);
        xdr_put_i32(&c->w, cpu);
        return 1;
}

/* remote_domain_get_vcpus_ret: info<> (at most maxinfo), then cpumaps<>
 * of maxinfo * maplen bytes, as libvirtd sends them. */
static int reply_vcpus(Call *c, sd_bus_message *m) {
        _cleanup_free_ uint8_t *maps = NULL;
        int32_t maxinfo = kept_n(c, 0), maplen = kept_n(c, 1);
        size_t count_at;
        uint32_t n = 0;
        int r;

        if (maxinfo < 0 || maxinfo > VCPUINFO_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maxinfo > REMOTE_VCPUINFO_MAX");
        if (maplen < 0 || (int64_t) maxinfo * maplen > CPUMAPS_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
        maps = calloc((size_t) maxinfo * (size_t) maplen + 1, 1);
        if (!maps)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "(uitiab)");
        if (r < 0)
                return r;
        count_at = c->w.len;
        xdr_put_u32(&c->w, 0);
        while (n < (uint32_t) maxinfo && (r = put_vcpu(c, m, maps + (size_t) n * (size_t) maplen, maplen)) > 0)
                n++;
        if (r < 0)
                return r;
        xdr_patch_u32(&c->w, count_at, n);
        xdr_put_opaque(&c->w, maps, (size_t) maxinfo * (size_t) maplen);
        return 0;
}

/* Sorted by number. */
static const ProcDef rows[] = {
        { 20, "virDomainGetVcpus", R, "Dnn", VIRTBUS_DOMAIN, "GetVcpuInfo", .append = append_u0,
          .reply = reply_vcpus },
        { 365, "virDomainGetPerfEvents", R, "Du", DOMAIN, "GetPerfEvents", .reply = reply_perf_events },
        { 366, "virDomainSetPerfEvents", 0, "DTu", DOMAIN, "SetPerfEvents", .reply = reply_void,
          .params_max = PERF_EVENTS_MAX },
        { 427, "virDomainStartDirtyRateCalc", 0, "Diu", VIRTBUS_DOMAIN, "StartDirtyRateCalc", .reply = reply_void },
};

const ProcTable proc_table_perf = { rows, ELEMENTSOF(rows) };
