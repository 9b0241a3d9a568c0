/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.libvirt.Domain: Save, ManagedSave and its image, CoreDump, and the
 * progress of those jobs (GetJobInfo, GetJobStats, AbortJob, the
 * JobCompleted signal). The work is the driver's (domain-save.h). */
#include "bus-util.h"
#include "domain-dbus.h"
#include "domain-driver.h"
#include "domain-save.h"
#include "error.h"
#include "log.h"
#include "util.h"

static const DomainSaveOps *save_ops(const Domain *d) {
        return d->manager->driver->save;
}

static int check_save_flags(uint32_t flags, sd_bus_error *error) {
        if ((flags & DOMAIN_SAVE_RUNNING) && (flags & DOMAIN_SAVE_PAUSED))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "the flags RUNNING and PAUSED are mutually exclusive");
        return 0;
}

static int check_path(const char *what, const char *path, sd_bus_error *error) {
        if (!path_is_normalized_absolute(path) || streq(path, "/"))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "%s '%s' is not an absolute path to a file", what,
                                     path);
        return 0;
}

/* Runs a save or a dump as the domain's job: the driver answers. */
static int run_async(sd_bus_message *msg, Domain *d, DomainJobKind kind, sd_bus_message_handler_t self,
                     const char *what, sd_bus_error *error) {
        int r;

        bool have = save_ops(d) && (kind == DOMAIN_JOB_DUMP ? save_ops(d)->core_dump != NULL : save_ops(d)->save != NULL);

        if (!have)
                return domain_not_supported(d, what, error);
        r = domain_job_begin(d->jobs, kind, msg, self, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return 0;
}

static int method_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const char *to, *xml;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssu", &to, &xml, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags, DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, error);
        if (r >= 0)
                r = check_save_flags(flags, error);
        if (r >= 0)
                r = check_path("save file", to, error);
        if (r < 0)
                return r;
        r = run_async(msg, d, DOMAIN_JOB_SAVE, method_save, "Save", error);
        if (r != 0)
                return r;
        r = save_ops(d)->save(d, to, xml, flags, false, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int method_managed_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        _cleanup_free_ char *path = NULL;
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, &flags,
                               error);

        if (r >= 0)
                r = check_save_flags(flags, error);
        if (r < 0)
                return r;
        if (!d->persistent)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot do managed save for transient domain '%s'", d->def->name);
        r = run_async(msg, d, DOMAIN_JOB_SAVE, method_managed_save, "ManagedSave", error);
        if (r != 0)
                return r;
        r = domain_managed_save_path(d, &path);
        if (r >= 0)
                r = save_ops(d)->save(d, path, "", flags, true, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int method_has_managed_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "b", domain_has_managed_save(userdata));
}

static int method_managed_save_remove(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        uint32_t flags;
        int r = bus_read_flags(msg, 0, &flags, error);

        if (r < 0)
                return r;
        /* Not while a save writes it or a restore reads it. */
        r = domain_job_begin(d->jobs, DOMAIN_JOB_MODIFY, msg, method_managed_save_remove, d, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = domain_managed_save_remove(d, error);
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int method_core_dump(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        const char *to;
        uint32_t format, flags;
        int r;

        r = sd_bus_message_read(msg, "suu", &to, &format, &flags);
        if (r < 0)
                return r;
        r = bus_check_flags(flags,
                            DOMAIN_DUMP_CRASH | DOMAIN_DUMP_LIVE | DOMAIN_DUMP_BYPASS_CACHE | DOMAIN_DUMP_RESET |
                                    DOMAIN_DUMP_MEMORY_ONLY,
                            error);
        if (r >= 0)
                r = check_path("dump file", to, error);
        if (r < 0)
                return r;
        if ((flags & DOMAIN_DUMP_CRASH) && (flags & DOMAIN_DUMP_RESET))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the flags CRASH and RESET are mutually exclusive");
        if ((flags & DOMAIN_DUMP_CRASH) && (flags & DOMAIN_DUMP_LIVE))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "the flags CRASH and LIVE are mutually exclusive");
        if (format > DOMAIN_DUMP_FORMAT_WIN_DMP)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "unknown core dump format %u", format);
        if (format != DOMAIN_DUMP_FORMAT_RAW && !(flags & DOMAIN_DUMP_MEMORY_ONLY))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "dump format %u needs the MEMORY_ONLY flag", format);
        r = run_async(msg, d, DOMAIN_JOB_DUMP, method_core_dump, "CoreDump", error);
        if (r != 0)
                return r;
        r = save_ops(d)->core_dump(d, to, format, flags, error);
        if (r > 0)
                return 1;
        domain_job_end(d->jobs);
        return domain_reply_done(msg, r);
}

static int job_stats(Domain *d, bool completed, DomainJobStats *s) {
        *s = (DomainJobStats) {};
        if (!save_ops(d) || !save_ops(d)->job_stats)
                return 0;
        return save_ops(d)->job_stats(d, completed, s);
}

static int method_get_job_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(domain_job_stats_done) DomainJobStats s = {};
        int r = job_stats(userdata, false, &s);

        if (r < 0)
                return r;
        /* timeRemaining, and the file fields, are not known (0), as for
         * libvirt's QEMU driver. */
        return sd_bus_reply_method_return(msg, "(ittttttttttt)", (int32_t) s.type, s.time_elapsed_ms, (uint64_t) 0,
                                          s.data_total, s.data_processed, s.data_remaining, s.memory_total,
                                          s.memory_processed, s.memory_remaining, (uint64_t) 0, (uint64_t) 0,
                                          (uint64_t) 0);
}

static int append_entry(sd_bus_message *m, const char *key, char type, const void *value) {
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

/* libvirt's VIR_DOMAIN_JOB_* typed parameter names and types. */
int domain_job_stats_append(sd_bus_message *m, const DomainJobStats *s) {
        const struct {
                const char *key;
                uint64_t value;
                bool memory;
                bool disk;
        } fields[] = {
                { "time_elapsed", s->time_elapsed_ms, false },
                { "data_total", s->data_total, false },
                { "data_processed", s->data_processed, false },
                { "data_remaining", s->data_remaining, false },
                { "disk_total", s->disk_total, false, true },
                { "disk_processed", s->disk_processed, false, true },
                { "disk_remaining", s->disk_remaining, false, true },
                { "memory_total", s->memory_total, true },
                { "memory_processed", s->memory_processed, true },
                { "memory_remaining", s->memory_remaining, true },
                { "memory_constant", s->memory_constant, true },
                { "memory_normal", s->memory_normal, true },
                { "memory_normal_bytes", s->memory_normal_bytes, true },
                { "memory_bps", s->memory_bps, true },
                { "memory_dirty_rate", s->memory_dirty_rate, true },
                { "memory_iteration", s->memory_iteration, true },
                { "setup_time", s->setup_time_ms, true },
                { "downtime", s->downtime_ms, true },
        };
        int32_t op = s->operation;
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        if (r < 0)
                return r;
        if (s->type != DOMAIN_JOB_TYPE_NONE) {
                r = append_entry(m, "operation", 'i', &op);
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fields); i++)
                        if ((!fields[i].memory || s->has_memory) && (!fields[i].disk || s->has_disk))
                                r = append_entry(m, fields[i].key, 't', &fields[i].value);
                if (r >= 0 && s->error)
                        r = append_entry(m, "errmsg", 's', s->error);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int method_get_job_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(domain_job_stats_done) DomainJobStats s = {};
        uint32_t flags;
        int r = bus_read_flags(msg, DOMAIN_JOB_STATS_COMPLETED | DOMAIN_JOB_STATS_KEEP_COMPLETED, &flags, error);

        if (r < 0)
                return r;
        r = job_stats(userdata, flags & DOMAIN_JOB_STATS_COMPLETED, &s);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'r', "ia{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "i", (int32_t) s.type);
        if (r >= 0)
                r = domain_job_stats_append(reply, &s);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_abort_job(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Domain *d = userdata;
        int r;

        if (!save_ops(d) || !save_ops(d)->abort_job)
                return domain_not_supported(d, "AbortJob", error);
        /* No job: AbortJob breaks in, as libvirt's does. */
        r = save_ops(d)->abort_job(d, error);
        return domain_reply_done(msg, r);
}

void domain_emit_job_completed(Domain *d, const DomainJobStats *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_signal(d->manager->bus, &m, d->path, "org.libvirt.Domain", "JobCompleted");

        if (r >= 0)
                r = domain_job_stats_append(m, s);
        if (r >= 0)
                r = sd_bus_send(NULL, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit JobCompleted for %s: %m", d->def->name);
}

#define READ SD_BUS_VTABLE_UNPRIVILEGED

const sd_bus_vtable domain_save_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("AbortJob", NULL, NULL, method_abort_job, 0),
        SD_BUS_METHOD_WITH_NAMES("CoreDump", "suu", SD_BUS_PARAM(to) SD_BUS_PARAM(dumpformat) SD_BUS_PARAM(flags),
                                 NULL, , method_core_dump, 0),
        SD_BUS_METHOD_WITH_NAMES("GetJobInfo", NULL, , "(ittttttttttt)", SD_BUS_PARAM(jobInfo),
                                 method_get_job_info, READ),
        SD_BUS_METHOD_WITH_NAMES("GetJobStats", "u", SD_BUS_PARAM(flags), "(ia{sv})", SD_BUS_PARAM(stats),
                                 method_get_job_stats, READ),
        SD_BUS_METHOD_WITH_NAMES("HasManagedSaveImage", "u", SD_BUS_PARAM(flags), "b",
                                 SD_BUS_PARAM(managedSaveImage), method_has_managed_save, READ),
        SD_BUS_METHOD_WITH_NAMES("ManagedSave", "u", SD_BUS_PARAM(flags), NULL, , method_managed_save, 0),
        SD_BUS_METHOD_WITH_NAMES("ManagedSaveRemove", "u", SD_BUS_PARAM(flags), NULL, , method_managed_save_remove,
                                 0),
        SD_BUS_METHOD_WITH_NAMES("Save", "ssu", SD_BUS_PARAM(to) SD_BUS_PARAM(xml) SD_BUS_PARAM(flags), NULL, ,
                                 method_save, 0),
        SD_BUS_SIGNAL_WITH_NAMES("JobCompleted", "a{sv}", SD_BUS_PARAM(params), 0),
        SD_BUS_VTABLE_END,
};
