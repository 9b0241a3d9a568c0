/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: perf events (Get/SetPerfEvents), domain-perf.h. */
#include <stdio.h>

#include "bus-util.h"
#include "domain-affect.h"
#include "domain-dbus.h"
#include "domain-manager.h"
#include "domain-perf.h"
#include "domain-status.h"
#include "error.h"
#include "util.h"

#define AFFECT_FLAGS (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG)
#define TYPED_PARAM_STRING_OKAY (1u << 2)

static const DomainPerfOps *ops_of(const Domain *d) {
        return d->manager->driver->perf;
}

static int method_get_perf_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        bool live;
        int r = sd_bus_message_read(msg, "u", &flags);

        if (r < 0)
                return r;
        /* libvirt's clients add VIR_TYPED_PARAM_STRING_OKAY to every Get */
        if ((r = bus_check_flags(flags, AFFECT_FLAGS | TYPED_PARAM_STRING_OKAY, error)) < 0 ||
            (r = domain_affect_one(d, flags & AFFECT_FLAGS, &live, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->set)
                return domain_not_supported(d, "GetPerfEvents", error);
        def = live && d->live ? d->live : *domain_persistent_def(d);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        /* every event, on or off, as libvirt lists them */
        for (int i = 0; r >= 0 && i < _DOMAIN_PERF_MAX; i++)
                r = sd_bus_message_append(reply, "{sv}", domain_perf_event_to_string((DomainPerfEvent) i), "b",
                                          def->perf[i] == TRISTATE_ON);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* What a SetPerfEvents asks: per event, absent (not named), on or off. */
typedef Tristate PerfRequest[_DOMAIN_PERF_MAX];

static int read_request(sd_bus_message *msg, PerfRequest req, sd_bus_error *error) {
        const char *name, *contents;
        char type;
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");

        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                int event, on;
                r = sd_bus_message_read_basic(msg, 's', &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(msg, &type, &contents);
                if (r < 0)
                        return r;
                event = domain_perf_event_from_string(name);
                if (event < 0)
                        return vb_error_setf(error, VB_ERROR_ARGUMENT_UNSUPPORTED, "parameter '%s' not supported", name);
                if (!contents || !streq(contents, "b"))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "invalid type '%s' for parameter '%s', expected 'boolean'",
                                             contents ? contents : "?", name);
                if (req[event] != TRISTATE_ABSENT)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "parameter '%s' given twice", name);
                r = sd_bus_message_read(msg, "v", "b", &on);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                req[event] = on ? TRISTATE_ON : TRISTATE_OFF;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static void apply_request(DomainDef *def, const PerfRequest req) {
        for (int i = 0; i < _DOMAIN_PERF_MAX; i++)
                if (req[i] != TRISTATE_ABSENT)
                        def->perf[i] = req[i];
}

/* The guest's counters as asked; on a failure, those this call started
 * are stopped again, so that the guest counts what it counted before. */
static int set_live_counters(Domain *d, const PerfRequest req, sd_bus_error *error) {
        const DomainPerfOps *ops = ops_of(d);
        bool started[_DOMAIN_PERF_MAX] = {};
        int r = 0;

        for (int i = 0; r >= 0 && i < _DOMAIN_PERF_MAX; i++) {
                bool was = d->live->perf[i] == TRISTATE_ON;
                if (req[i] == TRISTATE_ABSENT || (req[i] == TRISTATE_ON) == was)
                        continue;
                r = ops->set(d, (DomainPerfEvent) i, req[i] == TRISTATE_ON, error);
                started[i] = r >= 0 && req[i] == TRISTATE_ON;
        }
        if (r < 0)
                for (int i = 0; i < _DOMAIN_PERF_MAX; i++)
                        if (started[i])
                                (void) ops->set(d, (DomainPerfEvent) i, false, NULL);
        return r;
}

static int set_perf_events(Domain *d, const PerfRequest req, bool live, bool config, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *new_conf = NULL;
        int r;

        if (live && (!d->live || d->starting))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is still starting",
                                     d->def->name);
        if (config) {
                r = domain_config_copy(d, &new_conf, error);
                if (r < 0)
                        return r;
                apply_request(new_conf, req);
        }
        if (live) {
                r = set_live_counters(d, req, error);
                if (r < 0)
                        return r;
                apply_request(d->live, req);
                (void) domain_status_save(d);
        }
        if (new_conf) {
                r = domain_config_commit(d, new_conf, error);
                if (r < 0)
                        return r;
                TAKE_PTR(new_conf);
        }
        return 0;
}

static int method_set_perf_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        PerfRequest req = {};
        uint32_t flags;
        bool live, config;
        int r = read_request(msg, req, error);

        if (r >= 0)
                r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        if ((r = bus_check_flags(flags, AFFECT_FLAGS, error)) < 0 ||
            (r = domain_affect(d, flags, &live, &config, error)) < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->set)
                return domain_not_supported(d, "SetPerfEvents", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_perf_events, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* again: the domain may have stopped while the call waited */
        r = domain_affect(d, flags, &live, &config, error);
        if (r >= 0)
                r = set_perf_events(d, req, live, config, error);
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

const sd_bus_vtable domain_perf_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetPerfEvents", "u", SD_BUS_PARAM(flags), "a{sv}", SD_BUS_PARAM(perfEvents),
                                 method_get_perf_events, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetPerfEvents", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_perf_events, 0),
        SD_BUS_VTABLE_END,
};

/* ---- org.virtbus.Domain1 ---- */

static int method_get_vcpu_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        if (!ops_of(d) || !ops_of(d)->vcpu_info)
                return domain_not_supported(d, "GetVcpuInfo", error);
        /* libvirt: the host side of vCPUs exists only while they run */
        if (!domain_is_active(d) || !d->live || d->starting)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot list vcpu pinning for an inactive domain '%s'", d->def->name);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = ops_of(d)->vcpu_info(d, reply, error);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

#define DIRTYRATE_MODES (DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP | DOMAIN_DIRTYRATE_MODE_DIRTY_RING)

static int method_start_dirty_rate_calc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int32_t seconds;
        uint32_t flags;
        int r = sd_bus_message_read(msg, "iu", &seconds, &flags);

        if (r < 0)
                return r;
        r = bus_check_flags(flags, DIRTYRATE_MODES, error);
        if (r < 0)
                return r;
        if ((flags & DIRTYRATE_MODES) == DIRTYRATE_MODES)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "flags 'dirty-bitmap' and 'dirty-ring' are mutually exclusive");
        if (seconds < 1 || seconds > 60)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "seconds=%d is invalid, please choose value within [1, 60]", seconds);
        if (!ops_of(d) || !ops_of(d)->start_dirty_rate)
                return domain_not_supported(d, "StartDirtyRateCalc", error);
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_start_dirty_rate_calc, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!domain_is_active(d) || d->starting)
                r = vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        else
                r = ops_of(d)->start_dirty_rate(d, seconds, flags, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static const sd_bus_vtable domain_virtbus_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetVcpuInfo", "u", SD_BUS_PARAM(flags), "a(uitiab)", SD_BUS_PARAM(vcpus),
                                 method_get_vcpu_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StartDirtyRateCalc", "iu", SD_BUS_PARAM(seconds) SD_BUS_PARAM(flags), NULL, ,
                                 method_start_dirty_rate_calc, 0),
        SD_BUS_VTABLE_END,
};

static int find_domain(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                       sd_bus_error *error) {
        Manager *m = userdata;
        uint8_t uuid[16];
        Domain *d;

        if (bus_path_to_uuid(path, m->domain_root, uuid) < 0)
                return 0;
        d = manager_find_by_uuid(m, uuid);
        if (!d)
                return 0;
        *found = d;
        return 1;
}

int domain_perf_dbus_register(Manager *m) {
        _cleanup_free_ char *prefix = NULL;

        if (!m->bus)
                return 0;
        if (asprintf(&prefix, "%s/domain", m->driver->root) < 0)
                return -ENOMEM;
        return sd_bus_add_fallback_vtable(m->bus, NULL, prefix, DOMAIN_VIRTBUS_INTERFACE, domain_virtbus_vtable,
                                          find_domain, m);
}
