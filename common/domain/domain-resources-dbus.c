/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vCPUs, the memory balloon and IOThreads on org.libvirt.Domain: the
 * arguments and flags are checked here, the persistent definition's change
 * is made on a copy, and the running guest's part is the driver's
 * (domain-resources.h). The copy is committed only once the live part
 * succeeded, so a refused call leaves both definitions as they were. */
#include <sys/sysinfo.h>

#include "bus-util.h"
#include "cpuset.h"
#include "domain-affect.h"
#include "domain-dbus.h"
#include "domain-resources.h"
#include "error.h"
#include "log.h"
#include "util.h"

static const DomainResourcesOps *ops_of(const Domain *d) {
        return d->manager->driver->resources;
}

/* libvirt-dbus's Tunable(a{sv}) with one string: "cputune.iothreadpin1" = "0-1". */
static void emit_tunable(Domain *d, const char *key, const char *value) {
        int r = sd_bus_emit_signal(d->manager->bus, d->path, "org.libvirt.Domain", "Tunable", "a{sv}", 1, key, "s",
                                   value);
        if (r < 0)
                log_warning_errno(r, "Cannot emit Tunable for %s: %m", d->def->name);
}

/* ---- a change: the live part (the driver's), then the persistent one ---- */

typedef struct Change {
        DomainDef *config;      /* the persistent definition to commit, NULL: none */
        char *tunable_key;      /* a Tunable signal to emit once done */
        char *tunable_value;
} Change;

static void change_free(Change *c) {
        if (!c)
                return;
        domain_def_free(c->config);
        free(c->tunable_key);
        free(c->tunable_value);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Change *, change_free);

static void change_done(Domain *d, int r, const sd_bus_error *lerror, void *userdata) {
        _cleanup_(change_freep) Change *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!d)
                return; /* the guest went away: its job was answered */
        if (r < 0) {
                domain_job_fail(d->jobs, lerror && lerror->name ? lerror->name : VB_ERROR_OPERATION_FAILED,
                                lerror && lerror->message ? lerror->message : strerror(-r));
                return;
        }
        if (c->config) {
                r = domain_config_commit(d, c->config, &e);
                if (r < 0) {
                        domain_job_fail(d->jobs, e.name, e.message);
                        sd_bus_error_free(&e);
                        return;
                }
                c->config = NULL;
        }
        if (c->tunable_key)
                emit_tunable(d, c->tunable_key, c->tunable_value);
        domain_job_succeed(d->jobs);
}

typedef int (*LiveFn)(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error);

/* Under the domain's job (taken by the caller): the live part when live,
 * then change_done(). Returns 1: the job answers the call. */
static int change_run(Domain *d, Change *c, bool live, LiveFn fn, const void *args, sd_bus_error *error) {
        int r;

        if (!live) {
                change_done(d, 0, NULL, c);
                return 1;
        }
        r = fn(d, args, change_done, c, error);
        if (r < 0) {
                change_free(c);
                domain_job_end(d->jobs);
                return r;
        }
        return 1;
}

static int begin_job(sd_bus_message *msg, Domain *d, DomainJobKind kind, sd_bus_message_handler_t self,
                     sd_bus_error *error) {
        return domain_job_begin(d->jobs, kind, msg, self, d, error);
}

typedef int (*ConfigFn)(Domain *d, DomainDef *config, const void *args, sd_bus_error *error);

/* Takes the domain's job for msg (self: the method, run again when a queued
 * job starts) and, when conf, makes the persistent change on a copy of the
 * definition. Returns 1 with *ret ready for change_run(), 0 when the job was
 * queued, < 0 with the job ended. */
static int change_begin(sd_bus_message *msg, Domain *d, sd_bus_message_handler_t self, bool conf, ConfigFn edit,
                        const void *args, Change **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *config = NULL;
        Change *c;
        int r;

        r = begin_job(msg, d, DOMAIN_JOB_MODIFY, self, error);
        if (r <= 0)
                return r;
        if (conf) {
                r = domain_config_copy(d, &config, error);
                if (r >= 0)
                        r = edit(d, config, args, error);
                if (r < 0) {
                        domain_job_end(d->jobs);
                        return r;
                }
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                domain_job_end(d->jobs);
                return -ENOMEM;
        }
        c->config = TAKE_PTR(config);
        *ret = c;
        return 1;
}

/* ---- vCPUs ---------------------------------------------------------------- */

static unsigned vcpus_current(const DomainDef *def) {
        return def->vcpus_current ? def->vcpus_current : def->vcpus;
}

typedef struct CountArgs {
        uint64_t n;             /* vCPUs, or KiB of memory */
        bool maximum;
        bool hotpluggable;      /* vCPUs: those enabled in the config can be unplugged */
} CountArgs;

static int set_vcpus_config(Domain *d, DomainDef *def, const void *args, sd_bus_error *error) {
        const CountArgs *a = args;
        unsigned n = (unsigned) a->n;

        if (a->maximum) {
                const DomainCpuDef *cpu = &def->cpu;
                unsigned cur = MIN(vcpus_current(def), n);
                size_t k = 0;

                if (cpu->sockets > 0 &&
                    (uint64_t) cpu->sockets * (cpu->dies ?: 1) * (cpu->cores ?: 1) * (cpu->threads ?: 1) != n)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "CPU topology doesn't match the desired vcpu count %u", n);
                if (domain_vcpus_set_max(def, n) < 0)
                        return -ENOMEM;
                if (!def->n_vcpu_states)
                        def->vcpus_current = cur == n ? 0 : cur;
                /* pins of vCPUs that no longer exist go */
                for (size_t i = 0; i < def->cputune.n_vcpupin; i++) {
                        if (def->cputune.vcpupin[i].vcpu < n)
                                def->cputune.vcpupin[k++] = def->cputune.vcpupin[i];
                        else
                                free(def->cputune.vcpupin[i].cpuset);
                }
                def->cputune.n_vcpupin = k;
                return 0;
        }
        if (n > def->vcpus)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "requested vcpus is greater than max allowable vcpus for the persistent domain: "
                                     "%u > %u", n, def->vcpus);
        return domain_vcpus_set_count(def, n, a->hotpluggable);
}

static int live_set_vcpus(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        return ops_of(d)->set_vcpus(d, (unsigned) ((const CountArgs *) args)->n, done, userdata, error);
}

static int method_set_vcpus(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t n, flags;
        bool live, conf;
        Change *c;
        int r;

        r = sd_bus_message_read(msg, "u", &n);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | DOMAIN_VCPU_MAXIMUM | DOMAIN_VCPU_GUEST |
                                        DOMAIN_VCPU_HOTPLUGGABLE,
                           &flags, error);
        if (r < 0)
                return r;
        if (n == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: the number of vCPUs must be at least 1");
        if (flags & DOMAIN_VCPU_GUEST)
                return domain_not_supported(d, "SetVcpus with the GUEST flag (use the guest agent's SetGuestVcpus)",
                                            error);
        r = domain_affect(d, flags, &live, &conf, error);
        if (r < 0)
                return r;
        if (live && (flags & DOMAIN_VCPU_MAXIMUM))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "maximum vcpu count of a live domain can't be modified");
        if (live && n > d->live->vcpus)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "requested vcpus is greater than max allowable vcpus for the live domain: %u > %u",
                                     n, d->live->vcpus);
        if (live && !(ops_of(d) && ops_of(d)->set_vcpus))
                return domain_not_supported(d, "SetVcpus", error);
        CountArgs a = { .n = n, .maximum = flags & DOMAIN_VCPU_MAXIMUM, .hotpluggable = flags & DOMAIN_VCPU_HOTPLUGGABLE };
        r = change_begin(msg, d, method_set_vcpus, conf, set_vcpus_config, &a, &c, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return change_run(d, c, live, live_set_vcpus, &a, error);
}

/* ---- one vCPU on or off (virDomainSetVcpu) ----------------------------- */

typedef struct VcpuArgs {
        cpu_set_t map;
        unsigned first, last;
        bool state;
} VcpuArgs;

/* libvirt's qemuDomainVcpuValidateConfig: vCPU 0 stays, and the fixed
 * vCPUs stay together from vCPU 0 on. */
static int check_vcpu_config(const DomainDef *def, const VcpuArgs *a, sd_bus_error *error) {
        if (CPU_ISSET(0, &a->map))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "vCPU '0' can't be modified");
        for (size_t i = a->first + 1; i < def->n_vcpu_states; i++) {
                const DomainVcpuState *s = &def->vcpu_states[i];

                if (!CPU_ISSET(i, &a->map) && s->enabled && s->hotpluggable == TRISTATE_OFF)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "vcpu '%u' can't be modified as it is followed by non-hotpluggable "
                                             "online vcpus", a->first);
        }
        return 0;
}

static int set_vcpu_config(Domain *d, DomainDef *def, const void *args, sd_bus_error *error) {
        const VcpuArgs *a = args;
        bool map[CPU_SETSIZE] = {};
        int r;

        if (a->last >= def->vcpus)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "vcpu %u is not present in persistent config",
                                     a->last);
        /* a definition without <vcpus> gets one, as in libvirt */
        r = domain_vcpus_set_enabled(def, map, 0, false);
        if (r >= 0)
                r = check_vcpu_config(def, a, error);
        if (r < 0)
                return r;
        for (unsigned i = 0; i <= a->last; i++)
                map[i] = CPU_ISSET(i, &a->map);
        return domain_vcpus_set_enabled(def, map, a->last + 1, a->state);
}

static int live_set_vcpu(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        const VcpuArgs *a = args;

        return ops_of(d)->set_vcpu(d, a->first, a->state, done, userdata, error);
}

static int read_vcpu_map(const char *cpumap, VcpuArgs *a, sd_bus_error *error) {
        int first = -1, last = -1;

        if (cpuset_parse(cpumap, &a->map) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Failed to parse bitmap '%s'", cpumap);
        for (int i = 0; i < CPU_SETSIZE; i++)
                if (CPU_ISSET(i, &a->map)) {
                        if (first < 0)
                                first = i;
                        last = i;
                }
        if (last < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "no vcpus selected for modification");
        a->first = (unsigned) first;
        a->last = (unsigned) last;
        return 0;
}

/* The live part plugs or unplugs one vCPU, as libvirt allows (on x86 a
 * vCPU is a hot-pluggable entity of its own). */
static int check_vcpu_live(Domain *d, const VcpuArgs *a, sd_bus_error *error) {
        if (a->last >= d->live->vcpus)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "vcpu %u is not present in live config", a->last);
        if (CPU_COUNT(&a->map) != 1)
                return vb_error_setf(error, VB_ERROR_OPERATION_UNSUPPORTED,
                                     "only one hotpluggable entity can be selected");
        if (!(ops_of(d) && ops_of(d)->set_vcpu))
                return domain_not_supported(d, "SetVcpu", error);
        return 0;
}

static int method_set_vcpu(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        VcpuArgs a = {};
        const char *cpumap;
        int32_t state;
        uint32_t flags;
        bool live, conf;
        Change *c;
        int r;

        r = sd_bus_message_read(msg, "si", &cpumap, &state);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        if (state != 0 && state != 1)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unsupported state value: %d", (int) state);
        a.state = state;
        r = read_vcpu_map(cpumap, &a, error);
        if (r >= 0)
                r = domain_affect(d, flags, &live, &conf, error);
        if (r >= 0 && live)
                r = check_vcpu_live(d, &a, error);
        if (r < 0)
                return r;
        r = change_begin(msg, d, method_set_vcpu, conf, set_vcpu_config, &a, &c, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return change_run(d, c, live, live_set_vcpu, &a, error);
}

static int method_get_vcpus(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        bool live;
        int r;

        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | DOMAIN_VCPU_MAXIMUM | DOMAIN_VCPU_GUEST,
                           &flags, error);
        if (r < 0)
                return r;
        if (flags & DOMAIN_VCPU_GUEST)
                return domain_not_supported(d, "GetVcpus with the GUEST flag (use the guest agent's GetGuestVcpus)",
                                            error);
        r = domain_affect_one(d, flags, &live, error);
        if (r < 0)
                return r;
        def = live ? d->live : *domain_persistent_def(d);
        return sd_bus_reply_method_return(msg, "u",
                                          (uint32_t) (flags & DOMAIN_VCPU_MAXIMUM ? def->vcpus : vcpus_current(def)));
}

/* ---- the memory balloon ------------------------------------------------- */

static bool has_balloon(const DomainDef *def) {
        return def->memballoon.present && !streq_ptr(def->memballoon.model, "none");
}

static int set_memory_config(Domain *d, DomainDef *def, const void *args, sd_bus_error *error) {
        const CountArgs *a = args;
        uint64_t kib = a->n;

        if (a->maximum) {
                if (def->max_memory_kib && kib > def->max_memory_kib)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "cannot set memory of '%s' above <maxMemory> (%" PRIu64 " KiB)",
                                             d->def->name, def->max_memory_kib);
                def->memory_kib = kib;
                if (def->current_memory_kib > kib)
                        def->current_memory_kib = kib;
                return 0;
        }
        if (kib > def->memory_kib)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "cannot set memory higher than max memory: %" PRIu64 " KiB > %" PRIu64 " KiB",
                                     kib, def->memory_kib);
        def->current_memory_kib = kib;
        return 0;
}

static int live_set_memory(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        return ops_of(d)->set_memory(d, ((const CountArgs *) args)->n, done, userdata, error);
}

static int method_set_memory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint64_t kib;
        uint32_t flags;
        bool live, conf;
        Change *c;
        int r;

        r = sd_bus_message_read(msg, "t", &kib);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | DOMAIN_MEM_MAXIMUM, &flags, error);
        if (r < 0)
                return r;
        if (kib == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: memory must not be 0");
        r = domain_affect(d, flags, &live, &conf, error);
        if (r < 0)
                return r;
        if (live && (flags & DOMAIN_MEM_MAXIMUM))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot resize the maximum memory on an active domain");
        if (live && kib > d->live->memory_kib)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "cannot set memory higher than max memory: %" PRIu64 " KiB > %" PRIu64 " KiB",
                                     kib, d->live->memory_kib);
        if (live && !has_balloon(d->live))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "Unable to change memory of active domain without the balloon device and guest "
                                     "OS balloon driver");
        if (live && !(ops_of(d) && ops_of(d)->set_memory))
                return domain_not_supported(d, "SetMemory", error);
        CountArgs a = { .n = kib, .maximum = flags & DOMAIN_MEM_MAXIMUM };
        r = change_begin(msg, d, method_set_memory, conf, set_memory_config, &a, &c, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return change_run(d, c, live, live_set_memory, &a, error);
}

static int no_balloon_error(sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                             "No memory balloon device configured, can not set the collection period");
}

static int live_set_period(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        return ops_of(d)->set_memory_stats_period(d, *(const int32_t *) args, done, userdata, error);
}

static int set_period_config(Domain *d, DomainDef *def, const void *args, sd_bus_error *error) {
        def->memballoon.stats_period = (unsigned) *(const int32_t *) args;
        return 0;
}

static int method_set_memory_stats_period(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int32_t period;
        uint32_t flags;
        bool live, conf;
        Change *c;
        int r;

        r = sd_bus_message_read(msg, "i", &period);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        if (period < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "invalid argument: the statistics period must not be negative (%d)", period);
        r = domain_affect(d, flags, &live, &conf, error);
        if (r < 0)
                return r;
        if ((live && !has_balloon(d->live)) || (conf && !has_balloon(*domain_persistent_def(d))))
                return no_balloon_error(error);
        if (live && !(ops_of(d) && ops_of(d)->set_memory_stats_period))
                return domain_not_supported(d, "SetMemoryStatsPeriod", error);
        r = change_begin(msg, d, method_set_memory_stats_period, conf, set_period_config, &period, &c, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return change_run(d, c, live, live_set_period, &period, error);
}

static void memory_stats_done(Domain *d, int r, const sd_bus_error *lerror, const DomainMemoryStat *stats, size_t n,
                              void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *call = NULL;

        if (!d)
                return;
        if (r < 0) {
                domain_job_fail(d->jobs, lerror && lerror->name ? lerror->name : VB_ERROR_OPERATION_FAILED,
                                lerror && lerror->message ? lerror->message : strerror(-r));
                return;
        }
        call = domain_job_take_call(d->jobs);
        domain_job_end(d->jobs);
        if (!call)
                return;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{it}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "{it}", stats[i].tag, stats[i].value);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errorf(call, VB_ERROR_INTERNAL, "cannot reply: %s", strerror(-r));
}

static int method_memory_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r;

        r = bus_read_flags(msg, 0, &flags, error);
        if (r < 0)
                return r;
        if (!domain_is_active(d))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", d->def->name);
        if (!(ops_of(d) && ops_of(d)->memory_stats))
                return domain_not_supported(d, "MemoryStats", error);
        r = begin_job(msg, d, DOMAIN_JOB_QUERY, method_memory_stats, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = ops_of(d)->memory_stats(d, memory_stats_done, NULL, error);
        if (r < 0) {
                domain_job_end(d->jobs);
                return r;
        }
        return 1;
}

/* ---- IOThreads ------------------------------------------------------------- */

static int check_iothread_id(uint32_t id, sd_bus_error *error) {
        if (id == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid value of 0 for iothread_id");
        return 0;
}

static int iothread_exists_error(uint32_t id, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "an IOThread is already using iothread_id '%u'", id);
}

static int iothread_missing_error(uint32_t id, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "cannot find IOThread '%u' in iothreadids list", id);
}

/* An IOThread a disk uses stays. */
static int check_iothread_unused(const DomainDef *def, uint32_t id, sd_bus_error *error) {
        for (size_t i = 0; i < def->n_disks; i++)
                if (def->disks[i].iothread == id)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "cannot remove IOThread %u since it is being used by disk '%s'", id,
                                             def->disks[i].dst ?: "");
        return 0;
}

typedef enum IOThreadOp { IOTHREAD_ADD, IOTHREAD_DEL, IOTHREAD_PIN } IOThreadOp;

typedef struct IOThreadArgs {
        IOThreadOp op;
        uint32_t id;
        const char *cpuset;
} IOThreadArgs;

static int check_iothread_op(const DomainDef *def, const IOThreadArgs *a, sd_bus_error *error) {
        bool exists = domain_def_find_iothread(def, a->id) != NULL;

        if (a->op == IOTHREAD_ADD)
                return exists ? iothread_exists_error(a->id, error) : 0;
        if (!exists)
                return iothread_missing_error(a->id, error);
        return a->op == IOTHREAD_DEL ? check_iothread_unused(def, a->id, error) : 0;
}

static int apply_iothread_op(Domain *d, DomainDef *def, const void *args, sd_bus_error *error) {
        const IOThreadArgs *a = args;
        int r;

        if (a->op == IOTHREAD_ADD)
                r = domain_def_add_iothread(def, a->id);
        else if (a->op == IOTHREAD_DEL)
                r = domain_def_del_iothread(def, a->id);
        else
                r = domain_def_pin_iothread(def, a->id, a->cpuset);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot change IOThread %u of '%s': %s", a->id,
                                     d->def->name, strerror(-r));
        return 0;
}

static int live_iothread(Domain *d, const void *args, DomainLiveDoneFn done, void *userdata, sd_bus_error *error) {
        const IOThreadArgs *a = args;

        if (a->op == IOTHREAD_ADD)
                return ops_of(d)->add_iothread(d, a->id, done, userdata, error);
        if (a->op == IOTHREAD_DEL)
                return ops_of(d)->del_iothread(d, a->id, done, userdata, error);
        return ops_of(d)->pin_iothread(d, a->id, a->cpuset, done, userdata, error);
}

static bool has_live_op(const Domain *d, IOThreadOp op) {
        const DomainResourcesOps *o = ops_of(d);

        return o && (op == IOTHREAD_ADD ? o->add_iothread != NULL
                     : op == IOTHREAD_DEL ? o->del_iothread != NULL
                                          : o->pin_iothread != NULL);
}

static int iothread_change(sd_bus_message *msg, Domain *d, const IOThreadArgs *a, uint32_t flags,
                           sd_bus_message_handler_t self, sd_bus_error *error) {
        bool live, conf;
        Change *c;
        int r;

        r = check_iothread_id(a->id, error);
        if (r >= 0)
                r = domain_affect(d, flags, &live, &conf, error);
        if (r >= 0 && live)
                r = check_iothread_op(d->live, a, error);
        if (r >= 0 && conf)
                r = check_iothread_op(*domain_persistent_def(d), a, error);
        if (r < 0)
                return r;
        if (live && !has_live_op(d, a->op))
                return domain_not_supported(d, sd_bus_message_get_member(msg), error);
        r = change_begin(msg, d, self, conf, apply_iothread_op, a, &c, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* libvirt tells of a new pin of the running guest */
        if (a->op == IOTHREAD_PIN && live &&
            (asprintf(&c->tunable_key, "cputune.iothreadpin%u", a->id) < 0 || !(c->tunable_value = strdup(a->cpuset)))) {
                change_free(c);
                domain_job_end(d->jobs);
                return -ENOMEM;
        }
        return change_run(d, c, live, live_iothread, a, error);
}

static int method_add_iothread(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        IOThreadArgs a = { .op = IOTHREAD_ADD };
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &a.id);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        return iothread_change(msg, userdata, &a, flags, method_add_iothread, error);
}

static int method_del_iothread(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        IOThreadArgs a = { .op = IOTHREAD_DEL };
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &a.id);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        return iothread_change(msg, userdata, &a, flags, method_del_iothread, error);
}

/* libvirt-dbus's cpumap: one boolean per host CPU, as libvirt's cpuset
 * syntax ("0-2,5"); NULL (and *empty) when no CPU is set. */
static int cpumap_to_cpuset(const int *map, size_t n, char **ret) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                size_t j = i;
                char buf[48];
                char *t;
                int k;

                if (!map[i])
                        continue;
                while (j + 1 < n && map[j + 1])
                        j++;
                k = j > i ? snprintf(buf, sizeof(buf), "%s%zu-%zu", len ? "," : "", i, j)
                          : snprintf(buf, sizeof(buf), "%s%zu", len ? "," : "", i);
                t = realloc(s, len + (size_t) k + 1);
                if (!t)
                        return -ENOMEM;
                s = t;
                memcpy(s + len, buf, (size_t) k + 1);
                len += (size_t) k;
                i = j;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

static int method_pin_iothread(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        IOThreadArgs a = { .op = IOTHREAD_PIN };
        _cleanup_free_ char *cpuset = NULL;
        const int *map;
        size_t size;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &a.id);
        if (r >= 0)
                r = sd_bus_message_read_array(msg, 'b', (const void **) &map, &size);
        if (r < 0)
                return r;
        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r < 0)
                return r;
        r = cpumap_to_cpuset(map, size / sizeof(int), &cpuset);
        if (r < 0)
                return r;
        if (!cpuset)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Empty iothread cpumap list for pinning");
        a.cpuset = cpuset;
        return iothread_change(msg, userdata, &a, flags, method_pin_iothread, error);
}

/* The host CPUs a cpumap has room for: every CPU the host may have. */
static size_t host_cpus(void) {
        int n = get_nprocs_conf();
        return n > 0 ? (size_t) n : 1;
}

static int append_cpumap(sd_bus_message *reply, unsigned id, const char *cpuset) {
        size_t n = host_cpus();
        cpu_set_t set;
        int r;

        if (!cpuset || cpuset_parse(cpuset, &set) < 0) {
                CPU_ZERO(&set);
                for (size_t i = 0; i < n && i < CPU_SETSIZE; i++)
                        CPU_SET(i, &set);
        }
        r = sd_bus_message_open_container(reply, 'r', "uab");
        if (r >= 0)
                r = sd_bus_message_append(reply, "u", id);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "b");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "b", i < CPU_SETSIZE && CPU_ISSET(i, &set));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int reply_iothread_info(sd_bus_message *call, const DomainIOThreadInfo *info, size_t n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(uab)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_cpumap(reply, info[i].id, info[i].cpuset);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static void iothread_info_done(Domain *d, int r, const sd_bus_error *lerror, const DomainIOThreadInfo *info, size_t n,
                               void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;

        if (!d)
                return;
        if (r < 0) {
                domain_job_fail(d->jobs, lerror && lerror->name ? lerror->name : VB_ERROR_OPERATION_FAILED,
                                lerror && lerror->message ? lerror->message : strerror(-r));
                return;
        }
        call = domain_job_take_call(d->jobs);
        domain_job_end(d->jobs);
        if (call && (r = reply_iothread_info(call, info, n)) < 0)
                (void) sd_bus_reply_method_errorf(call, VB_ERROR_INTERNAL, "cannot reply: %s", strerror(-r));
}

/* The persistent definition's IOThreads: each one's pin, else <vcpu
 * cpuset>, else every host CPU. */
static int reply_config_iothreads(sd_bus_message *msg, const DomainDef *def) {
        _cleanup_free_ DomainIOThreadInfo *info = calloc(def->n_iothreadids + 1, sizeof(*info));

        if (!info)
                return -ENOMEM;
        for (size_t i = 0; i < def->n_iothreadids; i++) {
                const char *pin = domain_def_iothread_pin(def, def->iothreadids[i].id);
                info[i] = (DomainIOThreadInfo) { .id = def->iothreadids[i].id,
                                                 .cpuset = (char *) (pin ? pin : def->vcpu_cpuset) };
        }
        return reply_iothread_info(msg, info, def->n_iothreadids);
}

static int method_get_iothread_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        bool live;
        int r;

        r = bus_read_flags(msg, DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG, &flags, error);
        if (r >= 0)
                r = domain_affect_one(d, flags, &live, error);
        if (r < 0)
                return r;
        if (!live)
                return reply_config_iothreads(msg, *domain_persistent_def(d));
        if (!(ops_of(d) && ops_of(d)->iothread_info))
                return domain_not_supported(d, "GetIOThreadInfo", error);
        r = begin_job(msg, d, DOMAIN_JOB_QUERY, method_get_iothread_info, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = ops_of(d)->iothread_info(d, iothread_info_done, NULL, error);
        if (r < 0) {
                domain_job_end(d->jobs);
                return r;
        }
        return 1;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_resources_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("AddIOThread", "uu", SD_BUS_PARAM(iothreadId) SD_BUS_PARAM(flags), NULL, ,
                                 method_add_iothread, 0),
        SD_BUS_METHOD_WITH_NAMES("DelIOThread", "uu", SD_BUS_PARAM(iothreadId) SD_BUS_PARAM(flags), NULL, ,
                                 method_del_iothread, 0),
        SD_BUS_METHOD_WITH_NAMES("GetIOThreadInfo", "u", SD_BUS_PARAM(flags), "a(uab)", SD_BUS_PARAM(ioThreadInfo),
                                 method_get_iothread_info, READ),
        SD_BUS_METHOD_WITH_NAMES("GetVcpus", "u", SD_BUS_PARAM(flags), "u", SD_BUS_PARAM(vcpus), method_get_vcpus,
                                 READ),
        SD_BUS_METHOD_WITH_NAMES("MemoryStats", "u", SD_BUS_PARAM(flags), "a{it}", SD_BUS_PARAM(stats),
                                 method_memory_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("PinIOThread", "uabu", SD_BUS_PARAM(iothreadId) SD_BUS_PARAM(cpumap)
                                 SD_BUS_PARAM(flags), NULL, , method_pin_iothread, 0),
        SD_BUS_METHOD_WITH_NAMES("SetMemory", "tu", SD_BUS_PARAM(memory) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_memory, 0),
        SD_BUS_METHOD_WITH_NAMES("SetMemoryStatsPeriod", "iu", SD_BUS_PARAM(period) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_memory_stats_period, 0),
        SD_BUS_METHOD_WITH_NAMES("SetVcpu", "siu", SD_BUS_PARAM(cpumap) SD_BUS_PARAM(state) SD_BUS_PARAM(flags),
                                 NULL, , method_set_vcpu, 0),
        SD_BUS_METHOD_WITH_NAMES("SetVcpus", "uu", SD_BUS_PARAM(vcpus) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_vcpus, 0),
        /* libvirt-dbus's Tunable: this group emits it for PinIOThread. */
        SD_BUS_SIGNAL_WITH_NAMES("Tunable", "a{sv}", SD_BUS_PARAM(params), 0),
        SD_BUS_VTABLE_END,
};
