/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tuning: the scheduler, vCPU and emulator pinning, block I/O throttling.
 * Typed parameters go both ways through typed-params.c; a Get* that asks
 * for nparams == 0 gets the count only, as from libvirtd. */

#include "procedures.h"
#include "error.h"
#include "util.h"

/* The `n` argument kept: the number of parameters the client has room for. */
static int32_t kept_n(const Call *c, size_t which) {
        size_t seen = 0;

        for (size_t i = 0; i < c->n_v; i++)
                if (c->v[i].type == 'n' && seen++ == which)
                        return c->v[i].i;
        return 0;
}

/* ret: params<max> only (scheduler parameters: the count came from
 * GetSchedulerType). */
static int reply_params(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        int32_t nparams = kept_n(c, 0);
        int r = check_nparams(c, nparams);

        if (r < 0)
                return r;
        r = read_reply_params(c, m, c->def->params_max, &tp);
        if (r < 0)
                return r;
        keep_first(&tp, nparams);
        typed_params_write_xdr(&c->w, &tp, c->def->params_max);
        return 0;
}

/* GetSchedulerType: the property (si) -> string type; int nparams. */
static int reply_scheduler_type(Call *c, sd_bus_message *m) {
        const char *type;
        int32_t n;
        int r = sd_bus_message_read(m, "v", "(si)", &type, &n);

        if (r < 0)
                return r;
        xdr_put_string(&c->w, type);
        xdr_put_i32(&c->w, n);
        return 0;
}

/* One `ab` into maplen bytes at out (bits past maplen * 8 are dropped, as
 * libvirt copies only what the caller has room for). */
static int read_cpumap(sd_bus_message *m, uint8_t *out, size_t maplen) {
        const void *data;
        size_t n;
        int r = sd_bus_message_read_array(m, 'b', &data, &n);

        if (r < 0)
                return r;
        n /= sizeof(int);
        for (size_t i = 0; i < n && i / 8 < maplen; i++)
                if (((const int *) data)[i])
                        out[i / 8] |= 1u << (i % 8);
        return 0;
}

#define REMOTE_CPUMAPS_MAX 8388608u

/* GetVcpuPinInfo: args int ncpumaps, int maplen; ret opaque cpumaps<>; int num. */
static int reply_vcpu_pin_info(Call *c, sd_bus_message *m) {
        int32_t ncpumaps = kept_n(c, 0), maplen = kept_n(c, 1);
        _cleanup_free_ uint8_t *maps = NULL;
        int32_t num = 0;
        int r;

        if (ncpumaps <= 0 || maplen <= 0 || (uint64_t) ncpumaps * (uint64_t) maplen > REMOTE_CPUMAPS_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
        maps = calloc((size_t) ncpumaps, (size_t) maplen);
        if (!maps)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "ab");
        if (r < 0)
                return r;
        while (num < ncpumaps && (r = sd_bus_message_at_end(m, false)) == 0) {
                r = read_cpumap(m, maps + (size_t) num * maplen, maplen);
                if (r < 0)
                        return r;
                num++;
        }
        if (r < 0)
                return r;
        xdr_put_opaque(&c->w, maps, (uint32_t) ncpumaps * (uint32_t) maplen);
        xdr_put_i32(&c->w, num);
        return 0;
}

/* GetEmulatorPinInfo: args int maplen; ret opaque cpumaps<>; int ret. */
static int reply_emulator_pin_info(Call *c, sd_bus_message *m) {
        int32_t maplen = kept_n(c, 0);
        _cleanup_free_ uint8_t *map = NULL;
        int r;

        if (maplen <= 0 || (uint32_t) maplen > REMOTE_CPUMAPS_MAX)
                return call_fail(c, VIR_ERR_RPC, LIBVIRT_FROM_RPC, "maplen > REMOTE_CPUMAPS_MAX");
        map = calloc(1, maplen);
        if (!map)
                return -ENOMEM;
        r = read_cpumap(m, map, maplen);
        if (r < 0)
                return r;
        xdr_put_opaque(&c->w, map, maplen);
        xdr_put_i32(&c->w, 1);
        return 0;
}

#define R PROC_READ
#define DOMAIN "org.libvirt.Domain"
#define SCHED .params_max = REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX
#define MEMORY .params_max = REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX
#define BLKIO .params_max = REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX
#define NUMA .params_max = REMOTE_DOMAIN_NUMA_PARAMETERS_MAX
#define IOTUNE .params_max = REMOTE_DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX

/* Sorted by number. */
static const ProcDef rows[] = {
        { 26, "virDomainPinVcpu", 0, "DuM", DOMAIN, "PinVcpu", .append = append_u0, .reply = reply_void },
        { 56, "virDomainGetSchedulerType", R, "D", DOMAIN, "Get", "SchedulerType",
          .reply = reply_scheduler_type },
        { 57, "virDomainGetSchedulerParameters", R, "Dn", DOMAIN, "GetSchedulerParameters", .append = append_u0,
          .reply = reply_params, SCHED },
        { 58, "virDomainSetSchedulerParameters", 0, "DT", DOMAIN, "SetSchedulerParameters", .append = append_u0,
          .reply = reply_void, SCHED },
        { 197, "virDomainSetMemoryParameters", 0, "DTu", DOMAIN, "SetMemoryParameters", .reply = reply_void,
          MEMORY },
        { 198, "virDomainGetMemoryParameters", R, "Dnu", DOMAIN, "GetMemoryParameters",
          .reply = reply_params_counted, MEMORY },
        { 205, "virDomainSetBlkioParameters", 0, "DTu", DOMAIN, "SetBlockIOParameters", .reply = reply_void,
          BLKIO },
        { 206, "virDomainGetBlkioParameters", R, "Dnu", DOMAIN, "GetBlockIOParameters",
          .reply = reply_params_counted, BLKIO },
        { 219, "virDomainSetSchedulerParametersFlags", 0, "DTu", DOMAIN, "SetSchedulerParameters",
          .reply = reply_void, SCHED },
        { 223, "virDomainGetSchedulerParametersFlags", R, "Dnu", DOMAIN, "GetSchedulerParameters",
          .reply = reply_params, SCHED },
        { 225, "virDomainPinVcpuFlags", 0, "DuMu", DOMAIN, "PinVcpu", .reply = reply_void },
        { 230, "virDomainGetVcpuPinInfo", R, "Dnnu", DOMAIN, "GetVcpuPinInfo", .reply = reply_vcpu_pin_info },
        { 252, "virDomainSetBlockIoTune", 0, "DsTu", DOMAIN, "SetBlockIOTune", .reply = reply_void, IOTUNE },
        { 253, "virDomainGetBlockIoTune", R, "Dznu", DOMAIN, "GetBlockIOTune", .reply = reply_params_counted,
          IOTUNE },
        { 254, "virDomainSetNumaParameters", 0, "DTu", DOMAIN, "SetNumaParameters", .reply = reply_void, NUMA },
        { 255, "virDomainGetNumaParameters", R, "Dnu", DOMAIN, "GetNumaParameters", .reply = reply_params_counted,
          NUMA },
        { 279, "virDomainPinEmulator", 0, "DMu", DOMAIN, "PinEmulator", .reply = reply_void },
        { 280, "virDomainGetEmulatorPinInfo", R, "Dnu", DOMAIN, "GetEmulatorPinInfo",
          .reply = reply_emulator_pin_info },
};

const ProcTable proc_table_tune = { rows, ELEMENTSOF(rows) };
