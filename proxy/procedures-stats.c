/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Statistics, the node and the CPU models: libvirt's procedures on the
 * Connect methods of connect-node-dbus.c and on Domain.GetStats (the
 * per-disk and per-interface counters are its block and net groups). */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus-util.h"
#include "error.h"
#include "procedures.h"
#include "typed-params.h"
#include "util.h"
#include "uuid.h"
#include "xdr.h"

#define R PROC_READ
#define CONNECT "org.libvirt.Connect"
#define DOMAIN "org.libvirt.Domain"

enum {
        NODE_CPU_STATS_MAX = 16,       /* REMOTE_NODE_CPU_STATS_MAX */
        NODE_MEMORY_STATS_MAX = 16,    /* REMOTE_NODE_MEMORY_STATS_MAX */
        CPU_MODELS_MAX = 8192,         /* REMOTE_CONNECT_CPU_MODELS_MAX */
        CPUMAP_MAX = 2048,             /* the cpumap<> of NODE_GET_CPU_MAP */
        STATS_BLOCK = 1 << 5,
        STATS_INTERFACE = 1 << 4,
        STATS_PROXY_HANDLES = 1 << 28, /* domain-stats.h: records carry virtbus.uuid and virtbus.id */
};

/* ---- typed parameters from D-Bus ---- */

static int fail_bad_reply(Call *c, int r) {
        return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "cannot read the reply to %s: %s",
                         c->def->api, strerror(-r));
}

/* An "a{sv}" reply as libvirt's typed parameter list, with the count the
 * caller asked for: nparams 0 asks only how many there are. */
static int reply_typed_count(Call *c, sd_bus_message *m, int32_t nparams, uint32_t max) {
        TypedParams tp = {};
        int r = typed_params_read_bus(m, max, &tp, NULL);

        if (r < 0)
                return fail_bad_reply(c, r);
        if (nparams == 0) {
                xdr_put_u32(&c->w, 0);
                xdr_put_i32(&c->w, (int32_t) tp.n);
        } else {
                TypedParams shown = tp; /* what the caller has room for */
                if ((size_t) nparams < shown.n)
                        shown.n = (size_t) nparams;
                typed_params_write_xdr(&c->w, &shown, max);
                xdr_put_i32(&c->w, (int32_t) shown.n);
        }
        typed_params_done(&tp);
        return 0;
}

/* remote_node_get_cpu_stats_ret / memory: params<> of (field, u hyper), nparams */
static int reply_field_values(Call *c, sd_bus_message *m, int32_t nparams, uint32_t max) {
        const char *field;
        uint64_t value;
        size_t count_at = c->w.len;
        uint32_t n = 0, total = 0;
        int r = sd_bus_message_enter_container(m, 'a', "{st}");

        if (nparams < 0 || (uint32_t) nparams > max)
                return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_RPC, "nparams %d is out of range (0 to %u)",
                                 nparams, max);
        xdr_put_u32(&c->w, 0);
        while (r >= 0 && (r = sd_bus_message_read(m, "{st}", &field, &value)) > 0) {
                total++;
                if (n >= (uint32_t) nparams)
                        continue;
                xdr_put_string(&c->w, field);
                xdr_put_u64(&c->w, value);
                n++;
        }
        if (r < 0)
                return fail_bad_reply(c, r);
        xdr_patch_u32(&c->w, count_at, n); /* the count goes before the list */
        xdr_put_i32(&c->w, nparams == 0 ? (int32_t) total : (int32_t) n);
        return 0;
}

static int reply_node_cpu_stats(Call *c, sd_bus_message *m) {
        return reply_field_values(c, m, c->v[1].i, NODE_CPU_STATS_MAX); /* "inu": cpuNum, nparams, flags */
}

static int reply_node_memory_stats(Call *c, sd_bus_message *m) {
        return reply_field_values(c, m, c->v[0].i, NODE_MEMORY_STATS_MAX); /* "niu": nparams, cellNum, flags */
}

static int reply_node_memory_parameters(Call *c, sd_bus_message *m) {
        return reply_typed_count(c, m, c->v[0].i, REMOTE_NODE_MEMORY_PARAMETERS_MAX);
}

static int reply_u64(Call *c, sd_bus_message *m) {
        uint64_t v;
        int r = sd_bus_message_read(m, "t", &v);

        if (r < 0)
                return r;
        xdr_put_u64(&c->w, v);
        return 0;
}

static int reply_int(Call *c, sd_bus_message *m) {
        int32_t v;
        int r = sd_bus_message_read(m, "i", &v);

        if (r < 0)
                return r;
        xdr_put_i32(&c->w, v);
        return 0;
}

/* remote_connect_get_cpu_model_names_ret: models<> (when asked), ret */
static int reply_cpu_model_names(Call *c, sd_bus_message *m) {
        _cleanup_strv_free_ char **models = NULL;
        int r = sd_bus_message_read_strv(m, &models);
        size_t n;

        if (r < 0)
                return r;
        n = strv_length(models);
        if (n > CPU_MODELS_MAX)
                n = CPU_MODELS_MAX;
        if (c->v[1].i) { /* need_results */
                xdr_put_u32(&c->w, (uint32_t) n);
                for (size_t i = 0; i < n; i++)
                        xdr_put_string(&c->w, models[i]);
        } else
                xdr_put_u32(&c->w, 0);
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* remote_node_get_cpu_map_ret: cpumap<> (when asked), online (when
 * asked), ret: the number of CPUs */
static int reply_cpu_map(Call *c, sd_bus_message *m) {
        uint8_t map[CPUMAP_MAX / 8 + 1] = {};
        uint32_t n = 0, online = 0;
        int b, r = sd_bus_message_enter_container(m, 'a', "b");

        while (r >= 0 && (r = sd_bus_message_read(m, "b", &b)) > 0) {
                if (n < CPUMAP_MAX && b) {
                        map[n / 8] |= 1 << (n % 8);
                        online++;
                }
                n++;
        }
        if (r < 0)
                return r;
        if (c->v[0].i) /* need_map */
                xdr_put_opaque(&c->w, map, (n + 7) / 8);
        else
                xdr_put_opaque(&c->w, map, 0);
        xdr_put_u32(&c->w, c->v[1].i ? online : 0);
        xdr_put_i32(&c->w, (int32_t) n);
        return 0;
}

/* ---- virNodeGetInfo: the host as the proxy sees it (the same host) ---- */

static unsigned count_distinct_lines(const char *text, const char *key) {
        int seen[256];
        unsigned n = 0;
        size_t len = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *p = strchr(l, ':');
                bool known = false;
                int v;
                if (strncmp(l, key, len) != 0 || !p || sscanf(p + 1, "%d", &v) != 1)
                        continue;
                for (unsigned i = 0; i < n; i++)
                        known = known || seen[i] == v;
                if (!known && n < ELEMENTSOF(seen))
                        seen[n++] = v;
        }
        return n;
}

static long cpuinfo_number(const char *text, const char *key) {
        const char *p = strstr(text, key);

        p = p ? strchr(p, ':') : NULL;
        return p ? strtol(p + 1, NULL, 10) : 0;
}

static int local_node_info(Call *c) {
        _cleanup_free_ char *cpuinfo = NULL, *meminfo = NULL;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned sockets, cores, threads, nodes = 0;
        unsigned long long mem_kib = 0;
        char model[32] = "";
        const char *p;

        if (read_full_file("/proc/cpuinfo", 4U << 20, &cpuinfo, NULL) < 0 ||
            read_full_file("/proc/meminfo", 1U << 20, &meminfo, NULL) < 0)
                return call_fail(c, VIR_ERR_INTERNAL_ERROR, LIBVIRT_FROM_RPC, "cannot read the host's CPUs and memory");
        p = strstr(meminfo, "MemTotal:");
        if (p)
                mem_kib = strtoull(p + 9, NULL, 10);
        for (int i = 0; i < 1024; i++) {
                char path[64];
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", i);
                if (access(path, F_OK) < 0)
                        break;
                nodes++;
        }
        if (!nodes)
                nodes = 1;
        sockets = count_distinct_lines(cpuinfo, "physical id");
        if (!sockets)
                sockets = 1;
        cores = (unsigned) cpuinfo_number(cpuinfo, "cpu cores");
        if (!cores)
                cores = (unsigned) (cpus > 0 ? cpus : 1) / sockets;
        threads = cores ? (unsigned) cpuinfo_number(cpuinfo, "siblings") / cores : 1;
        if (!threads)
                threads = 1;
        snprintf(model, sizeof(model), "%s", "x86_64");
#if defined(__aarch64__)
        snprintf(model, sizeof(model), "%s", "aarch64");
#endif
        for (size_t i = 0; i < sizeof(model); i++) /* char model[32]: a word per char */
                xdr_put_i32(&c->w, (int32_t) (unsigned char) model[i]);
        xdr_put_u64(&c->w, mem_kib);
        xdr_put_i32(&c->w, (int32_t) (cpus > 0 ? cpus : 1));
        xdr_put_i32(&c->w, (int32_t) cpuinfo_number(cpuinfo, "cpu MHz"));
        xdr_put_i32(&c->w, (int32_t) nodes);
        xdr_put_i32(&c->w, (int32_t) (sockets / nodes ? sockets / nodes : 1));
        xdr_put_i32(&c->w, (int32_t) cores);
        xdr_put_i32(&c->w, (int32_t) threads);
        return 0;
}

/* ---- the domains' statistics ---- */

/* One record of GetAllDomainStats with our virtbus.uuid/virtbus.id: the
 * handle, and the rest as libvirt's typed parameters. */
static int read_record(sd_bus_message *m, RemoteHandle *h, TypedParams *tp) {
        _cleanup_(typed_params_done) TypedParams all = {};
        const char *name;
        int r = sd_bus_message_enter_container(m, 'r', "sa{sv}");

        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "s", &name);
        if (r >= 0)
                r = typed_params_read_bus(m, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX + 2, &all, NULL);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        h->name = strdup(name);
        if (!h->name)
                return -ENOMEM;
        h->id = -1;
        for (size_t i = 0; i < all.n; i++) {
                TypedParam *p = &all.p[i];
                if (streq(p->field, "virtbus.uuid") && p->type == TYPED_PARAM_STRING)
                        r = uuid_parse(p->v.s, h->uuid);
                else if (streq(p->field, "virtbus.id") && p->type == TYPED_PARAM_INT)
                        h->id = p->v.i;
                else if (p->type == TYPED_PARAM_STRING)
                        r = typed_params_add_string(tp, p->field, p->v.s);
                else if (p->type == TYPED_PARAM_DOUBLE)
                        r = typed_params_add_double(tp, p->field, p->v.d);
                else
                        r = typed_params_add_u64(tp, p->field, p->type,
                                                 p->type == TYPED_PARAM_INT ? (uint64_t) (int64_t) p->v.i
                                                 : p->type == TYPED_PARAM_UINT ? p->v.ui
                                                 : p->type == TYPED_PARAM_BOOLEAN ? p->v.b
                                                                                   : p->v.ul);
                if (r < 0)
                        return r;
        }
        return 1;
}

static bool wanted(const CallValue *doms, const RemoteHandle *h) {
        if (doms->n_doms == 0)
                return true;
        for (uint32_t i = 0; i < doms->n_doms; i++)
                if (memcmp(doms->doms[i].uuid, h->uuid, 16) == 0)
                        return true;
        return false;
}

/* remote_connect_get_all_domain_stats_ret: retStats<> of (dom, params<>) */
static int reply_all_domain_stats(Call *c, sd_bus_message *m) {
        size_t count_at = c->w.len;
        uint32_t n = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(sa{sv})");

        xdr_put_u32(&c->w, 0);
        while (r >= 0) {
                RemoteHandle h = {};
                TypedParams tp = {};
                r = read_record(m, &h, &tp);
                if (r > 0 && wanted(&c->v[0], &h) && n < REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX) {
                        remote_put_handle(&c->w, HANDLE_DOMAIN, &h);
                        typed_params_write_xdr(&c->w, &tp, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX);
                        n++;
                }
                remote_handle_done(&h);
                typed_params_done(&tp);
                if (r == 0)
                        break;
        }
        if (r < 0)
                return fail_bad_reply(c, r);
        xdr_patch_u32(&c->w, count_at, n);
        return 0;
}

/* "Luu": the domains (none: all), stats, flags */
static int local_all_domain_stats(Call *c) {
        call_use_service(c, SERVICE_DRIVER);
        return call_chain(c, NULL, CONNECT, "GetAllDomainStats", reply_all_domain_stats, "uu", c->v[1].u,
                          c->v[2].u | STATS_PROXY_HANDLES);
}

/* Domain.GetStats of one group of the call's domain, then next. */
static int chain_domain_stats(Call *c, uint32_t group, CallReplyFn next) {
        _cleanup_free_ char *path = NULL;

        call_use_service(c, SERVICE_DRIVER);
        path = call_target_path(c);
        if (!path)
                return -ENOMEM;
        return call_chain(c, path, DOMAIN, "GetStats", next, "uu", group, 0);
}

/* The index of the disk or interface the caller named (its target or
 * source path; an interface by its tap's name), -1 if none. */
static int find_device(const TypedParams *tp, const char *prefix, const char *name) {
        char key[TYPED_PARAM_FIELD_MAX + 1];
        const TypedParam *count;

        snprintf(key, sizeof(key), "%s.count", prefix);
        count = typed_params_find(tp, key);
        for (uint32_t i = 0; count && i < count->v.ui; i++) {
                static const char *const what[] = { "name", "path" };
                for (size_t k = 0; k < ELEMENTSOF(what); k++) {
                        const TypedParam *p;
                        snprintf(key, sizeof(key), "%s.%u.%s", prefix, i, what[k]);
                        p = typed_params_find(tp, key);
                        if (p && p->type == TYPED_PARAM_STRING && streq(p->v.s, name))
                                return (int) i;
                }
        }
        return -1;
}

static int64_t stat_of(const TypedParams *tp, const char *prefix, int i, const char *what) {
        char key[TYPED_PARAM_FIELD_MAX + 1];
        const TypedParam *p;

        snprintf(key, sizeof(key), "%s.%d.%s", prefix, i, what);
        p = typed_params_find(tp, key);
        return p ? (int64_t) p->v.ul : -1;
}

static int read_device_stats(Call *c, sd_bus_message *m, const char *prefix, TypedParams *tp, int *index) {
        const char *name = c->v[0].s;
        int r = typed_params_read_bus(m, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX, tp, NULL);

        if (r < 0)
                return fail_bad_reply(c, r);
        *index = find_device(tp, prefix, name);
        if (*index < 0)
                return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_QEMU, "invalid argument: invalid path: %s",
                                 name);
        return 0;
}

/* remote_domain_block_stats_ret: rd_req, rd_bytes, wr_req, wr_bytes, errs */
static int reply_block_stats(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        static const char *const rows[] = { "rd.reqs", "rd.bytes", "wr.reqs", "wr.bytes" };
        int i, r = read_device_stats(c, m, "block", &tp, &i);

        if (r < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(rows); k++)
                xdr_put_u64(&c->w, (uint64_t) stat_of(&tp, "block", i, rows[k]));
        xdr_put_u64(&c->w, (uint64_t) -1); /* errs: Xen's only */
        return 0;
}

static int local_block_stats(Call *c) {
        return chain_domain_stats(c, STATS_BLOCK, reply_block_stats);
}

/* remote_domain_block_stats_flags_ret: params<> (LLONG), nparams */
static int reply_block_stats_flags(Call *c, sd_bus_message *m) {
        static const struct {
                const char *field, *stat;
        } rows[] = {
                { "rd_bytes", "rd.bytes" },           { "rd_operations", "rd.reqs" },
                { "rd_total_times", "rd.times" },     { "wr_bytes", "wr.bytes" },
                { "wr_operations", "wr.reqs" },       { "wr_total_times", "wr.times" },
                { "flush_operations", "fl.reqs" },    { "flush_total_times", "fl.times" },
        };
        _cleanup_(typed_params_done) TypedParams tp = {}, out = {};
        int32_t nparams = c->v[1].i;
        int i, r = read_device_stats(c, m, "block", &tp, &i);

        if (r < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(rows) && r >= 0; k++) {
                int64_t v = stat_of(&tp, "block", i, rows[k].stat);
                if (v >= 0)
                        r = typed_params_add_u64(&out, rows[k].field, TYPED_PARAM_LLONG, (uint64_t) v);
        }
        if (r < 0)
                return r;
        if (nparams == 0) {
                xdr_put_u32(&c->w, 0);
                xdr_put_i32(&c->w, (int32_t) out.n);
                return 0;
        }
        TypedParams shown = out;
        if ((size_t) nparams < shown.n)
                shown.n = (size_t) nparams;
        typed_params_write_xdr(&c->w, &shown, REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX);
        xdr_put_i32(&c->w, (int32_t) shown.n);
        return 0;
}

static int local_block_stats_flags(Call *c) {
        if (c->v[1].i < 0 || (uint32_t) c->v[1].i > REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX)
                return call_fail(c, VIR_ERR_INVALID_ARG, LIBVIRT_FROM_RPC, "nparams too large");
        return chain_domain_stats(c, STATS_BLOCK, reply_block_stats_flags);
}

/* remote_domain_interface_stats_ret: rx bytes, packets, errs, drop; tx the same */
static int reply_interface_stats(Call *c, sd_bus_message *m) {
        _cleanup_(typed_params_done) TypedParams tp = {};
        static const char *const rows[] = { "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                                            "tx.bytes", "tx.pkts", "tx.errs", "tx.drop" };
        int i, r = read_device_stats(c, m, "net", &tp, &i);

        if (r < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(rows); k++)
                xdr_put_u64(&c->w, (uint64_t) stat_of(&tp, "net", i, rows[k]));
        return 0;
}

static int local_interface_stats(Call *c) {
        return chain_domain_stats(c, STATS_INTERFACE, reply_interface_stats);
}

static const ProcDef rows[] = {
        { 6, "virNodeGetInfo", R, "", .local = local_node_info },
        { 64, "virDomainBlockStats", R, "Ds", .local = local_block_stats },
        { 65, "virDomainInterfaceStats", R, "Ds", .local = local_interface_stats },
        { 102, "virNodeGetFreeMemory", R, "", CONNECT, "NodeGetFreeMemory", .reply = reply_u64 },
        { 158, "virConnectCompareCPU", R, "su", CONNECT, "CompareCPU", .reply = reply_int },
        { 162, "virConnectBaselineCPU", R, "Su", CONNECT, "BaselineCPU", .reply = reply_string },
        { 203, "virConnectGetSysinfo", R, "u", CONNECT, "GetSysinfo", .reply = reply_string },
        { 227, "virNodeGetCPUStats", R, "inu", CONNECT, "NodeGetCPUStats", .reply = reply_node_cpu_stats },
        { 228, "virNodeGetMemoryStats", R, "niu", CONNECT, "NodeGetMemoryStats", .reply = reply_node_memory_stats },
        { 243, "virDomainBlockStatsFlags", R, "Dsnu", .local = local_block_stats_flags },
        { 288, "virNodeSetMemoryParameters", 0, "Tu", CONNECT, "NodeSetMemoryParameters", .reply = reply_void },
        { 289, "virNodeGetMemoryParameters", R, "nu", CONNECT, "NodeGetMemoryParameters",
          .reply = reply_node_memory_parameters },
        { 293, "virNodeGetCPUMap", R, "nnu", CONNECT, "NodeGetCPUMap", .reply = reply_cpu_map },
        { 312, "virConnectGetCPUModelNames", R, "snu", CONNECT, "GetCPUModelNames", .reply = reply_cpu_model_names },
        { 344, "virConnectGetAllDomainStats", R, "Luu", .local = local_all_domain_stats },
};

const ProcTable proc_table_stats = { rows, ELEMENTSOF(rows) };
