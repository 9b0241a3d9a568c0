/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain's tuning methods (domain-tune.h says how a change is
 * made): scheduler, pinning, block I/O throttling, memory limits, block I/O
 * weights and device limits, NUMA placement. */
#include <inttypes.h>
#include <sched.h>
#include <unistd.h>

#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-status.h"
#include "domain-tune.h"
#include "domain.h"
#include "error.h"
#include "domain-manager.h"
#include "cpuset.h"
#include "bus-util.h"
#include "util.h"

#define AFFECT_FLAGS (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG)
#define TUNE_PARAMS_MAX 64
#define TYPED_PARAM_STRING_OKAY (1u << 2)

static const DomainTuneOps *ops_of(const Domain *d) {
        return d->manager->driver->tune;
}

/* Which definitions a Set changes (domain-affect.h); a guest still
 * starting has nothing to tune yet. */
static int resolve_set(Domain *d, uint32_t flags, bool *live, bool *config, sd_bus_error *error) {
        int r = domain_affect(d, flags, live, config, error);

        if (r >= 0 && *live && (!d->live || d->starting))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain '%s' is still starting",
                                     d->def->name);
        return r;
}

/* The definition a Get reads. */
static int resolve_get(Domain *d, uint32_t flags, const DomainDef **ret, sd_bus_error *error) {
        /* libvirt's clients add VIR_TYPED_PARAM_STRING_OKAY to every Get */
        int r = bus_check_flags(flags, AFFECT_FLAGS | TYPED_PARAM_STRING_OKAY, error);
        bool live;

        if (r >= 0)
                r = domain_affect_one(d, flags & AFFECT_FLAGS, &live, error);
        if (r < 0)
                return r;
        *ret = live && d->live ? d->live : *domain_persistent_def(d);
        return 0;
}

/* --- reading and writing a{sv} ---------------------------------------------- */

typedef struct ParamList {
        TuneParam p[TUNE_PARAMS_MAX];
        size_t n;
} ParamList;

static int read_params(sd_bus_message *msg, ParamList *l, sd_bus_error *error) {
        const char *contents;
        char type;
        int r;

        l->n = 0;
        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                TuneParam *p = &l->p[l->n];
                if (l->n >= TUNE_PARAMS_MAX)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "too many parameters (at most %d)",
                                             TUNE_PARAMS_MAX);
                r = sd_bus_message_read_basic(msg, 's', &p->field);
                if (r >= 0)
                        r = sd_bus_message_peek_type(msg, &type, &contents);
                if (r < 0)
                        return r;
                if (!contents || strlen(contents) != 1 || !strchr("iuxtdbs", contents[0]))
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "parameter '%s' has type '%s', which is no typed parameter", p->field,
                                             contents ? contents : "?");
                for (size_t i = 0; i < l->n; i++)
                        if (streq(l->p[i].field, p->field))
                                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "parameter '%s' given twice",
                                                     p->field);
                p->type = contents[0];
                r = sd_bus_message_enter_container(msg, 'v', contents);
                if (r >= 0)
                        r = sd_bus_message_read_basic(msg, p->type, &p->v);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
                l->n++;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int append_param(sd_bus_message *m, const char *key, char type, const void *value) {
        char sig[2] = { type, 0 };
        int r = sd_bus_message_open_container(m, 'e', "sv");

        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', sig);
        if (r >= 0)
                r = sd_bus_message_append_basic(m, type, value);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_scheduler(sd_bus_message *m, const DomainDef *def, const char *prefix) {
        const DomainCputuneDef *ct = &def->cputune;
        char key[64];
        int r;

        snprintf(key, sizeof(key), "%scpu_shares", prefix);
        r = append_param(m, key, 't', &ct->shares);
        snprintf(key, sizeof(key), "%svcpu_period", prefix);
        if (r >= 0)
                r = append_param(m, key, 't', &ct->period);
        snprintf(key, sizeof(key), "%svcpu_quota", prefix);
        if (r >= 0)
                r = append_param(m, key, 'x', &ct->quota);
        /* libvirt's order: emulator, global, iothread */
        const struct { const char *name; char type; const void *v; } more[] = {
                { "emulator_period", 't', &ct->emulator_period }, { "emulator_quota", 'x', &ct->emulator_quota },
                { "global_period", 't', &ct->global_period },     { "global_quota", 'x', &ct->global_quota },
                { "iothread_period", 't', &ct->iothread_period }, { "iothread_quota", 'x', &ct->iothread_quota },
        };
        for (size_t i = 0; r >= 0 && def->virt_type != DOMAIN_VIRT_LXC && i < ELEMENTSOF(more); i++) {
                snprintf(key, sizeof(key), "%s%s", prefix, more[i].name);
                r = append_param(m, key, more[i].type, more[i].v);
        }
        return r;
}

static const char *const iotune_names[] = {
        "total_bytes_sec",     "read_bytes_sec",     "write_bytes_sec",     "total_iops_sec",
        "read_iops_sec",       "write_iops_sec",     "total_bytes_sec_max", "read_bytes_sec_max",
        "write_bytes_sec_max", "total_iops_sec_max", "read_iops_sec_max",   "write_iops_sec_max",
        "size_iops_sec",
};

static int append_iotune(sd_bus_message *m, const DomainDiskDef *disk, const char *prefix) {
        const DomainDiskIotune *t = &disk->iotune;
        const uint64_t v[] = {
                t->total_bytes_sec,     t->read_bytes_sec,     t->write_bytes_sec,     t->total_iops_sec,
                t->read_iops_sec,       t->write_iops_sec,     t->total_bytes_sec_max, t->read_bytes_sec_max,
                t->write_bytes_sec_max, t->total_iops_sec_max, t->read_iops_sec_max,   t->write_iops_sec_max,
                t->size_iops_sec,
        };
        char key[80];
        int r = 0;

        if (*prefix) {
                snprintf(key, sizeof(key), "%sdisk", prefix);
                r = append_param(m, key, 's', disk->dst);
        }
        for (size_t i = 0; i < ELEMENTSOF(v) && r >= 0; i++) {
                snprintf(key, sizeof(key), "%s%s", prefix, iotune_names[i]);
                r = append_param(m, key, 't', &v[i]);
        }
        snprintf(key, sizeof(key), "%sgroup_name", prefix);
        if (r >= 0 && (t->group_name || !*prefix))
                r = append_param(m, key, 's', t->group_name ? t->group_name : "");
        return r;
}

/* --- the change itself ------------------------------------------------------ */

typedef struct TuneChange {
        DomainTuneWhat what;
        size_t index;           /* the vCPU or the disk */
        DomainDef *newlive;     /* NULL: live not changed */
        DomainDef *newconf;     /* NULL: config not changed */
        sd_bus_message *signal; /* Tunable, sent once everything is kept */
} TuneChange;

static void change_free(TuneChange *c) {
        if (!c)
                return;
        domain_def_free(c->newlive);
        domain_def_free(c->newconf);
        sd_bus_message_unref(c->signal);
        free(c);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(TuneChange *, change_free);

/* The new definitions become the domain's, the job's call is answered. */
static void change_keep(Domain *d, TuneChange *c) {
        int r = 0;

        if (c->newlive) {
                domain_def_free(d->live);
                d->live = TAKE_PTR(c->newlive);
                (void) domain_status_save(d);
        }
        if (c->newconf) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                r = domain_config_commit(d, c->newconf, &e);
                if (r < 0) {
                        domain_job_fail(d->jobs, e.name, e.message);
                        return;
                }
                c->newconf = NULL;
        }
        (void) sd_bus_send(NULL, c->signal, NULL);
        domain_job_succeed(d->jobs);
}

static void on_applied(Domain *d, int r, const char *error_name, const char *message, void *userdata) {
        _cleanup_(change_freep) TuneChange *c = userdata;

        if (!d)
                return; /* its job ended with it */
        if (r >= 0 && !d->live) {
                r = -ESRCH;
                error_name = VB_ERROR_OPERATION_INVALID;
                message = "the domain stopped while it was being tuned";
        }
        if (r < 0) {
                domain_job_fail(d->jobs, error_name ? error_name : VB_ERROR_OPERATION_FAILED,
                                message ? message : strerror(-r));
                return;
        }
        change_keep(d, c);
}

/* Runs c under the job held: returns 1 (the call is answered) or -errno
 * with error set (the caller ends the job). */
static int change_run(Domain *d, TuneChange **cp, sd_bus_error *error) {
        TuneChange *c = *cp;
        int r;

        if (c->newlive) {
                if (!ops_of(d) || !ops_of(d)->apply)
                        return domain_not_supported(d, "changing a running guest's tuning", error);
                r = ops_of(d)->apply(d, c->what, d->live, c->newlive, c->index, on_applied, c, error);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *cp = NULL; /* on_applied() has it now */
                        return 1;
                }
        }
        change_keep(d, c);
        return 1;
}

/* The copies a Set works on, and its signal. */
static int change_new(Domain *d, DomainTuneWhat what, bool live, bool config, TuneChange **ret) {
        _cleanup_(change_freep) TuneChange *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->what = what;
        if (live && (r = domain_def_copy(d->live, &c->newlive)) < 0)
                return r;
        if (config && (r = domain_def_copy(*domain_persistent_def(d), &c->newconf)) < 0)
                return r;
        r = sd_bus_message_new_signal(d->manager->bus, &c->signal, d->path, "org.libvirt.Domain", "Tunable");
        if (r >= 0)
                r = sd_bus_message_open_container(c->signal, 'a', "{sv}");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static int change_close_signal(TuneChange *c) {
        return sd_bus_message_close_container(c->signal);
}

/* Ends the job after a failure before the change ran. */
static int job_abort(Domain *d, int r) {
        domain_job_end(d->jobs);
        return r;
}

/* --- scheduler -------------------------------------------------------------- */

static int method_get_scheduler(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_scheduler(reply, def, "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_set_scheduler(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        Domain *d = userdata;
        ParamList l;
        bool live, config;
        uint32_t flags;
        int r;

        r = read_params(msg, &l, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_scheduler, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_SCHEDULER, live, config, &c);
        if (r >= 0 && c->newlive)
                r = domain_tune_set_scheduler(c->newlive, l.p, l.n, error);
        if (r >= 0 && c->newconf)
                r = domain_tune_set_scheduler(c->newconf, l.p, l.n, error);
        if (r >= 0)
                r = append_scheduler(c->signal, c->newlive ? c->newlive : c->newconf, "cputune.");
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

/* --- pinning ---------------------------------------------------------------- */

static unsigned host_cpus(void) {
        long n = sysconf(_SC_NPROCESSORS_CONF);
        return n > 0 ? (unsigned) n : 1;
}

/* An `ab` cpumap as libvirt's cpuset syntax ("0,2-3"). */
static int read_cpumap(sd_bus_message *msg, char **ret, sd_bus_error *error) {
        const void *data;
        size_t n;
        unsigned ncpus = host_cpus();
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        int r;

        r = sd_bus_message_read_array(msg, 'b', &data, &n);
        if (r < 0)
                return r;
        n /= sizeof(int);
        s = calloc(1, n * 8 + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!((const int *) data)[i])
                        continue;
                if (i >= ncpus)
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "CPU %zu in the cpumap is not on this host (it has %u CPUs)", i, ncpus);
                len += sprintf(s + len, "%s%zu", len ? "," : "", i);
        }
        if (len == 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Empty cpu list for pinning");
        *ret = TAKE_PTR(s);
        return 0;
}

static int append_cpumap(sd_bus_message *m, const char *cpuset) {
        unsigned n = host_cpus();
        cpu_set_t set;
        int r;

        CPU_ZERO(&set);
        if (!cpuset || cpuset_parse(cpuset, &set) < 0)
                for (unsigned i = 0; i < n && i < CPU_SETSIZE; i++)
                        CPU_SET(i, &set);
        r = sd_bus_message_open_container(m, 'a', "b");
        for (unsigned i = 0; i < n && r >= 0; i++) {
                int b = i < CPU_SETSIZE && CPU_ISSET(i, &set);
                r = sd_bus_message_append_basic(m, 'b', &b);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int method_pin_vcpu(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        _cleanup_free_ char *cpuset = NULL;
        Domain *d = userdata;
        bool live, config;
        uint32_t vcpu, flags;
        char key[48];
        int r;

        r = sd_bus_message_read(msg, "u", &vcpu);
        if (r >= 0)
                r = read_cpumap(msg, &cpuset, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_pin_vcpu, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0 && vcpu >= (live ? d->live : *domain_persistent_def(d))->vcpus)
                r = vb_error_setf(error, VB_ERROR_INVALID_ARG, "vcpu %u is out of range of the vcpu count %u", vcpu,
                                  (live ? d->live : *domain_persistent_def(d))->vcpus);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_VCPUPIN, live, config, &c);
        if (r >= 0) {
                c->index = vcpu;
                if (c->newlive)
                        r = domain_tune_set_vcpupin(c->newlive, vcpu, cpuset);
                if (r >= 0 && c->newconf)
                        r = domain_tune_set_vcpupin(c->newconf, vcpu, cpuset);
        }
        snprintf(key, sizeof(key), "cputune.vcpupin%u", vcpu);
        if (r >= 0)
                r = append_param(c->signal, key, 's', cpuset);
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

static int method_pin_emulator(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        _cleanup_free_ char *cpuset = NULL;
        Domain *d = userdata;
        bool live, config;
        uint32_t flags;
        int r;

        r = read_cpumap(msg, &cpuset, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_pin_emulator, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_EMULATORPIN, live, config, &c);
        if (r >= 0 && c->newlive)
                r = domain_tune_set_emulatorpin(c->newlive, cpuset);
        if (r >= 0 && c->newconf)
                r = domain_tune_set_emulatorpin(c->newconf, cpuset);
        if (r >= 0)
                r = append_param(c->signal, "cputune.emulatorpin", 's', cpuset);
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

static int method_get_vcpu_pin_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "ab");
        for (unsigned v = 0; v < def->vcpus && r >= 0; v++)
                r = append_cpumap(reply, domain_tune_vcpu_cpuset(def, v));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_emulator_pin_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_cpumap(reply, domain_tune_emulator_cpuset(def));
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* --- block I/O throttling --------------------------------------------------- */

static int no_disk(Domain *d, const char *disk, sd_bus_error *error) {
        return vb_error_setf(error, VB_ERROR_INVALID_ARG, "disk '%s' was not found in the domain '%s'", disk,
                             d->def->name);
}

static int method_get_block_iotune(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        const char *disk;
        uint32_t flags;
        ssize_t i;
        int r;

        r = sd_bus_message_read(msg, "su", &disk, &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        /* no disk: the parameters there are (libvirt's NULL disk, which its
         * clients send to learn their number) */
        i = *disk ? domain_tune_find_disk(def, disk) : -1;
        if (*disk && i < 0)
                return no_disk(d, disk, error);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_iotune(reply, i >= 0 ? &def->disks[i] : &(const DomainDiskDef) {}, "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* The disk in one definition copy, with the change applied to it. */
static int set_iotune_in(Domain *d, DomainDef *def, const char *disk, const ParamList *l, size_t *ret,
                         sd_bus_error *error) {
        ssize_t i = domain_tune_find_disk(def, disk);

        if (i < 0)
                return no_disk(d, disk, error);
        if (def->disks[i].device == DOMAIN_DISK_DEVICE_CDROM && !def->disks[i].src)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "disk '%s' has no media to throttle", disk);
        *ret = i;
        return domain_tune_set_iotune(def, i, l->p, l->n, error);
}

static int method_set_block_iotune(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        Domain *d = userdata;
        const char *disk;
        ParamList l;
        bool live, config;
        uint32_t flags;
        size_t index = 0;
        int r;

        r = sd_bus_message_read(msg, "s", &disk);
        if (r >= 0)
                r = read_params(msg, &l, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_block_iotune, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_IOTUNE, live, config, &c);
        if (r >= 0 && c->newconf)
                r = set_iotune_in(d, c->newconf, disk, &l, &index, error);
        if (r >= 0 && c->newlive)
                r = set_iotune_in(d, c->newlive, disk, &l, &index, error);
        if (r >= 0) {
                const DomainDef *def = c->newlive ? c->newlive : c->newconf;
                c->index = index;
                r = append_iotune(c->signal, &def->disks[index], "blkdeviotune.");
        }
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

/* --- NUMA ------------------------------------------------------------------ */

static int append_numa(sd_bus_message *m, const DomainDef *def, const char *prefix) {
        int32_t mode = domain_tune_numa_mode(def);
        char key[64];
        int r;

        snprintf(key, sizeof(key), "%snuma_mode", prefix);
        r = append_param(m, key, 'i', &mode);
        snprintf(key, sizeof(key), "%snuma_nodeset", prefix);
        if (r >= 0)
                r = append_param(m, key, 's', def->numatune.nodeset ? def->numatune.nodeset : "");
        return r;
}

static int method_get_numa(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_numa(reply, def, "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* What of a running guest's NUMA placement can change (libvirt's rules):
 * never its mode; its nodes only in strict mode, through cpuset.mems. */
static int numa_live_refused(Domain *d, const DomainDef *newlive, const ParamList *l, sd_bus_error *error) {
        for (size_t i = 0; i < l->n; i++) {
                if (streq(l->p[i].field, "numa_mode") && l->p[i].type == 'i' &&
                    l->p[i].v.i != domain_tune_numa_mode(d->live))
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "can't change numatune mode for running domain");
                if (streq(l->p[i].field, "numa_nodeset") && domain_tune_numa_mode(newlive) != 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                             "change of nodeset for running domain requires strict numa mode");
        }
        return 0;
}

static int method_set_numa(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        Domain *d = userdata;
        ParamList l;
        bool live, config;
        uint32_t flags;
        int r;

        r = read_params(msg, &l, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_numa, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        /* the checks of the values first, then what a running guest cannot do */
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_NUMA, live, config, &c);
        if (r >= 0 && c->newconf)
                r = domain_tune_set_numa(c->newconf, l.p, l.n, error);
        if (r >= 0 && c->newlive)
                r = domain_tune_set_numa(c->newlive, l.p, l.n, error);
        if (r >= 0 && live)
                r = numa_live_refused(d, c->newlive, &l, error);
        if (r >= 0)
                r = append_numa(c->signal, c->newlive ? c->newlive : c->newconf, "numatune.");
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

/* --- memory ---------------------------------------------------------------- */

static const char *const memory_names[] = { "hard_limit", "soft_limit", "swap_hard_limit" };

/* KiB; a limit not set is libvirt's "unlimited" */
static int append_memory(sd_bus_message *m, const DomainDef *def, const char *prefix) {
        const uint64_t v[] = { def->memtune.hard_limit, def->memtune.soft_limit, def->memtune.swap_hard_limit };
        char key[64];
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(memory_names) && r >= 0; i++) {
                uint64_t value = v[i] ? v[i] : DOMAIN_TUNE_MEMORY_UNLIMITED;

                snprintf(key, sizeof(key), "%s%s", prefix, memory_names[i]);
                r = append_param(m, key, 't', &value);
        }
        return r;
}

static int method_get_memory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_memory(reply, def, "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_set_memory(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        Domain *d = userdata;
        ParamList l;
        bool live, config;
        uint32_t flags;
        int r;

        r = read_params(msg, &l, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_memory, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_MEMORY, live, config, &c);
        if (r >= 0 && c->newconf)
                r = domain_tune_set_memory(c->newconf, l.p, l.n, error);
        if (r >= 0 && c->newlive)
                r = domain_tune_set_memory(c->newlive, l.p, l.n, error);
        if (r >= 0)
                r = append_memory(c->signal, c->newlive ? c->newlive : c->newconf, "memtune.");
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

/* --- block I/O weights and device limits ------------------------------------ */

/* One device list as libvirt's string: "path,value,path,value" of the
 * devices that have that value. */
static char *device_list(const DomainBlkiotuneDef *bt, unsigned field) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        bool first = true;

        if (!f)
                return NULL;
        for (size_t i = 0; i < bt->n_devices; i++) {
                uint64_t v = domain_tune_blkio_device_value(&bt->devices[i], field);

                if (!v)
                        continue;
                fprintf(f, "%s%s,%" PRIu64, first ? "" : ",", bt->devices[i].path, v);
                first = false;
        }
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static int append_blkio(sd_bus_message *m, const DomainDef *def, const char *prefix) {
        const DomainBlkiotuneDef *bt = &def->blkiotune;
        char key[64];
        int r;

        snprintf(key, sizeof(key), "%sweight", prefix);
        r = append_param(m, key, 'u', &bt->weight);
        for (size_t f = 0; f < ELEMENTSOF(domain_tune_blkio_device_params) && r >= 0; f++) {
                _cleanup_free_ char *list = device_list(bt, f);

                if (!list)
                        return -ENOMEM;
                snprintf(key, sizeof(key), "%s%s", prefix, domain_tune_blkio_device_params[f]);
                r = append_param(m, key, 's', list);
        }
        return r;
}

static int method_get_blkio(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Domain *d = userdata;
        const DomainDef *def;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0 || (r = resolve_get(d, flags, &def, error)) < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_blkio(reply, def, "");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_set_blkio(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_freep) TuneChange *c = NULL;
        Domain *d = userdata;
        ParamList l;
        bool live, config;
        uint32_t flags;
        int r;

        r = read_params(msg, &l, error);
        if (r >= 0)
                r = bus_read_flags(msg, AFFECT_FLAGS, &flags, error);
        if (r < 0)
                return r;
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_set_blkio, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = resolve_set(d, flags, &live, &config, error);
        if (r >= 0)
                r = change_new(d, DOMAIN_TUNE_BLKIO, live, config, &c);
        if (r >= 0 && c->newconf)
                r = domain_tune_set_blkio(c->newconf, l.p, l.n, error);
        if (r >= 0 && c->newlive)
                r = domain_tune_set_blkio(c->newlive, l.p, l.n, error);
        if (r >= 0)
                r = append_blkio(c->signal, c->newlive ? c->newlive : c->newconf, "blkiotune.");
        if (r >= 0)
                r = change_close_signal(c);
        if (r >= 0)
                r = change_run(d, &c, error);
        return r < 0 ? job_abort(d, r) : 1;
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_tune_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetSchedulerParameters", "u", SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(SchedulerParameters), method_get_scheduler, READ),
        SD_BUS_METHOD_WITH_NAMES("SetSchedulerParameters", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL,
                                 , method_set_scheduler, 0),
        SD_BUS_METHOD_WITH_NAMES("PinVcpu", "uabu", SD_BUS_PARAM(vcpu) SD_BUS_PARAM(cpumap) SD_BUS_PARAM(flags), NULL,
                                 , method_pin_vcpu, 0),
        SD_BUS_METHOD_WITH_NAMES("PinEmulator", "abu", SD_BUS_PARAM(cpumap) SD_BUS_PARAM(flags), NULL, ,
                                 method_pin_emulator, 0),
        SD_BUS_METHOD_WITH_NAMES("GetVcpuPinInfo", "u", SD_BUS_PARAM(flags), "aab", SD_BUS_PARAM(vcpuPinInfo),
                                 method_get_vcpu_pin_info, READ),
        SD_BUS_METHOD_WITH_NAMES("GetEmulatorPinInfo", "u", SD_BUS_PARAM(flags), "ab", SD_BUS_PARAM(cpumap),
                                 method_get_emulator_pin_info, READ),
        SD_BUS_METHOD_WITH_NAMES("GetBlockIOTune", "su", SD_BUS_PARAM(disk) SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(blockIOTune), method_get_block_iotune, READ),
        SD_BUS_METHOD_WITH_NAMES("SetBlockIOTune", "sa{sv}u",
                                 SD_BUS_PARAM(disk) SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_block_iotune, 0),
        SD_BUS_METHOD_WITH_NAMES("GetNumaParameters", "u", SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(numaParameters), method_get_numa, READ),
        SD_BUS_METHOD_WITH_NAMES("SetNumaParameters", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_numa, 0),
        SD_BUS_METHOD_WITH_NAMES("GetMemoryParameters", "u", SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(memoryParameters), method_get_memory, READ),
        SD_BUS_METHOD_WITH_NAMES("SetMemoryParameters", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL, ,
                                 method_set_memory, 0),
        SD_BUS_METHOD_WITH_NAMES("GetBlockIOParameters", "u", SD_BUS_PARAM(flags), "a{sv}",
                                 SD_BUS_PARAM(BlkioParameters), method_get_blkio, READ),
        SD_BUS_METHOD_WITH_NAMES("SetBlockIOParameters", "a{sv}u", SD_BUS_PARAM(params) SD_BUS_PARAM(flags), NULL,
                                 , method_set_blkio, 0),
        SD_BUS_SIGNAL_WITH_NAMES("Tunable", "a{sv}", SD_BUS_PARAM(params), 0),
        SD_BUS_VTABLE_END,
};
