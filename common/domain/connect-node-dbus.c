/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "connect-dbus.h"
#include "domain-load.h"
#include "domain-manager.h"
#include "domain-stats.h"
#include "error.h"
#include "util.h"

/* org.libvirt.Connect: the statistics of all domains, the node's figures
 * and the CPU models. The work is the driver's (DomainStatsOps). */

static const DomainStatsOps *ops_of(Manager *m) {
        return m->driver->stats;
}

static int not_supported(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED, "this function is not supported by the %s driver: %s",
                             m->driver->name, sd_bus_message_get_member(msg));
}

/* stats 0 is every group known; ENFORCE_STATS refuses a group we do not
 * collect, as libvirt does. */
int domain_stats_check(Manager *m, uint32_t *stats, uint32_t flags, sd_bus_error *error) {
        if (flags & STATS_ENFORCE_STATS && *stats & ~(uint32_t) DOMAIN_STATS_KNOWN)
                return vb_error_setf(error, VB_ERROR_NOT_SUPPORTED,
                                     "Stats types bits 0x%x are not supported by this daemon",
                                     *stats & ~(uint32_t) DOMAIN_STATS_KNOWN);
        if (*stats == 0)
                *stats = DOMAIN_STATS_KNOWN;
        *stats &= DOMAIN_STATS_KNOWN;
        return 0;
}

static int method_get_all_domain_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ Domain **doms = NULL;
        uint32_t stats, flags;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(msg, "uu", &stats, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_STATS_ALL_FLAGS | STATS_PROXY_HANDLES, error);
        if (r < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->get_stats)
                return not_supported(m, msg, error);
        r = domain_stats_check(m, &stats, flags, error);
        if (r < 0)
                return r;
        doms = calloc(m->n_domains + 1, sizeof(Domain *));
        if (!doms)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_domains; i++)
                if (domain_stats_flags_match(m->domains[i], flags) &&
                    manager_load_def(m, m->domains[i], NULL) >= 0) /* one that cannot be parsed is left out */
                        doms[n++] = m->domains[i];
        return ops_of(m)->get_stats(m, doms, n, stats, flags, false, msg, error);
}

/* The methods that answer at once: a return message, the hook fills it. */
typedef int (*NodeFillFn)(Manager *m, sd_bus_message *reply, sd_bus_error *error);

static int reply_filled(sd_bus_message *msg, Manager *m, NodeFillFn fill, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (!fill)
                return not_supported(m, msg, error);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = fill(m, reply, error);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_node_get_cpu_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        uint32_t flags;
        int32_t cpu;
        int r = sd_bus_message_read(msg, "iu", &cpu, &flags);

        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->node_cpu_stats)
                return not_supported(m, msg, error);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = ops_of(m)->node_cpu_stats(m, cpu, reply, error);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_node_get_memory_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        uint32_t flags;
        int32_t cell;
        int r = sd_bus_message_read(msg, "iu", &cell, &flags);

        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->node_memory_stats)
                return not_supported(m, msg, error);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = ops_of(m)->node_memory_stats(m, cell, reply, error);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_node_get_free_memory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return reply_filled(msg, m, ops_of(m) ? ops_of(m)->node_free_memory : NULL, error);
}

static int method_node_get_cpu_map(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return reply_filled(msg, m, ops_of(m) ? ops_of(m)->node_cpu_map : NULL, error);
}

static int method_get_sysinfo(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return reply_filled(msg, m, ops_of(m) ? ops_of(m)->sysinfo : NULL, error);
}

static int method_node_get_memory_parameters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 1 << 2 /* VIR_TYPED_PARAM_STRING_OKAY */, &flags, error);

        if (r < 0)
                return r;
        return reply_filled(msg, m, ops_of(m) ? ops_of(m)->node_memory_parameters : NULL, error);
}

static int method_node_set_memory_parameters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint32_t flags;
        int r;

        if (!ops_of(m) || !ops_of(m)->node_set_memory_parameters)
                return not_supported(m, msg, error);
        /* the flags come after the dictionary: read them first */
        r = sd_bus_message_skip(msg, "a{sv}");
        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r >= 0)
                r = sd_bus_message_rewind(msg, true);
        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        r = ops_of(m)->node_set_memory_parameters(m, msg, error);
        return r < 0 ? r : sd_bus_reply_method_return(msg, NULL);
}

static int method_get_cpu_model_names(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *arch;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &arch, &flags);

        if (r < 0 || (r = bus_check_flags(flags, 0, error)) < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->cpu_model_names)
                return not_supported(m, msg, error);
        if (!*arch)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no architecture given");
        return ops_of(m)->cpu_model_names(m, arch, msg, error);
}

/* virConnectCompareCPUFlags: FAIL_INCOMPATIBLE, VALIDATE_XML */
static int method_compare_cpu(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *xml;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "su", &xml, &flags);

        if (r < 0 || (r = bus_check_flags(flags, 0x3, error)) < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->compare_cpu)
                return not_supported(m, msg, error);
        return ops_of(m)->compare_cpu(m, xml, flags, msg, error);
}

/* virConnectBaselineCPUFlags: EXPAND_FEATURES, MIGRATABLE */
static int method_baseline_cpu(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **xmls = NULL;
        uint32_t flags;
        int r = sd_bus_message_read_strv(msg, &xmls);

        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = bus_check_flags(flags, 0x3, error)) < 0)
                return r;
        if (!ops_of(m) || !ops_of(m)->baseline_cpu)
                return not_supported(m, msg, error);
        if (!xmls || !xmls[0])
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no CPU definitions were given");
        return ops_of(m)->baseline_cpu(m, xmls, flags, msg, error);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable connect_node_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("BaselineCPU", "asu", SD_BUS_PARAM(xmlCPUs) SD_BUS_PARAM(flags), "s",
                                 SD_BUS_PARAM(cpu), method_baseline_cpu, READ),
        SD_BUS_METHOD_WITH_NAMES("CompareCPU", "su", SD_BUS_PARAM(xmlDesc) SD_BUS_PARAM(flags), "i",
                                 SD_BUS_PARAM(compareResult), method_compare_cpu, READ),
        SD_BUS_METHOD_WITH_NAMES("GetAllDomainStats", "uu", SD_BUS_PARAM(stats) SD_BUS_PARAM(flags), "a(sa{sv})",
                                 SD_BUS_PARAM(records), method_get_all_domain_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("GetCPUModelNames", "su", SD_BUS_PARAM(arch) SD_BUS_PARAM(flags), "as",
                                 SD_BUS_PARAM(models), method_get_cpu_model_names, READ),
        SD_BUS_METHOD_WITH_NAMES("GetSysinfo", "u", SD_BUS_PARAM(flags), "s", SD_BUS_PARAM(sysinfo),
                                 method_get_sysinfo, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeGetCPUMap", "u", SD_BUS_PARAM(flags), "ab", SD_BUS_PARAM(res),
                                 method_node_get_cpu_map, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeGetCPUStats", "iu", SD_BUS_PARAM(cpuNum) SD_BUS_PARAM(flags), "a{st}",
                                 SD_BUS_PARAM(cpuStats), method_node_get_cpu_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeGetFreeMemory", NULL, , "t", SD_BUS_PARAM(freemem),
                                 method_node_get_free_memory, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeGetMemoryParameters", "u", SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(memoryParameters), method_node_get_memory_parameters, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeGetMemoryStats", "iu", SD_BUS_PARAM(cellNum) SD_BUS_PARAM(flags), "a{st}",
                                 SD_BUS_PARAM(stats), method_node_get_memory_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("NodeSetMemoryParameters", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL,
                                 , method_node_set_memory_parameters, 0),
        SD_BUS_VTABLE_END,
};
