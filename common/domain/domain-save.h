/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Save, restore, managed save, core dump and the progress of those jobs:
 * the driver's hooks (DomainDriver.save) and what the domain core does
 * with them (domain-save.c: the managed save image, Create restoring it,
 * Undefine's rule, DomainRestore's lookup).
 *
 * A save or a dump is an asynchronous job in libvirt's sense: it holds the
 * domain's job (DOMAIN_JOB_SAVE, DOMAIN_JOB_DUMP) until it ends, while
 * queries (GetJobInfo, GetJobStats, GetXMLDesc...) go on beside it and
 * AbortJob breaks in. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "domain.h"

/* libvirt's numbers that domain-state.h does not have yet. */
enum {
        DOMAIN_RUNNING_RESTORED = 3,
        DOMAIN_SHUTOFF_SAVED = 5,
        DOMAIN_EVENT_STARTED_RESTORED = 2,
        DOMAIN_EVENT_STOPPED_SAVED = 4,

        /* virDomainSaveRestoreFlags */
        DOMAIN_SAVE_BYPASS_CACHE = 1 << 0,
        DOMAIN_SAVE_RUNNING = 1 << 1,
        DOMAIN_SAVE_PAUSED = 1 << 2,
        DOMAIN_SAVE_RESET_NVRAM = 1 << 3,

        /* virDomainSaveImageXMLFlags */
        DOMAIN_SAVE_IMAGE_XML_SECURE = 1 << 0,

        /* virDomainCoreDumpFlags and virDomainCoreDumpFormat */
        DOMAIN_DUMP_CRASH = 1 << 0,
        DOMAIN_DUMP_LIVE = 1 << 1,
        DOMAIN_DUMP_BYPASS_CACHE = 1 << 2,
        DOMAIN_DUMP_RESET = 1 << 3,
        DOMAIN_DUMP_MEMORY_ONLY = 1 << 4,
        DOMAIN_DUMP_FORMAT_RAW = 0,
        DOMAIN_DUMP_FORMAT_KDUMP_ZLIB = 1,
        DOMAIN_DUMP_FORMAT_KDUMP_LZO = 2,
        DOMAIN_DUMP_FORMAT_KDUMP_SNAPPY = 3,
        DOMAIN_DUMP_FORMAT_WIN_DMP = 4,

        /* virDomainUndefineFlagsValues */
        DOMAIN_UNDEFINE_MANAGED_SAVE = 1 << 0,

        /* virDomainGetJobStatsFlags */
        DOMAIN_JOB_STATS_COMPLETED = 1 << 0,
        DOMAIN_JOB_STATS_KEEP_COMPLETED = 1 << 1,
};

/* virDomainJobType */
typedef enum DomainJobType {
        DOMAIN_JOB_TYPE_NONE = 0,
        DOMAIN_JOB_TYPE_BOUNDED = 1,
        DOMAIN_JOB_TYPE_UNBOUNDED = 2,
        DOMAIN_JOB_TYPE_COMPLETED = 3,
        DOMAIN_JOB_TYPE_FAILED = 4,
        DOMAIN_JOB_TYPE_CANCELLED = 5,
} DomainJobType;

/* virDomainJobOperation */
enum {
        DOMAIN_JOB_OPERATION_UNKNOWN = 0,
        DOMAIN_JOB_OPERATION_START = 1,
        DOMAIN_JOB_OPERATION_SAVE = 2,
        DOMAIN_JOB_OPERATION_RESTORE = 3,
        DOMAIN_JOB_OPERATION_DUMP = 8,
};

/* What GetJobInfo and GetJobStats tell (libvirt's VIR_DOMAIN_JOB_* fields). */
typedef struct DomainJobStats {
        DomainJobType type;
        int operation;
        uint64_t time_elapsed_ms;
        uint64_t data_total, data_processed, data_remaining;
        bool has_memory;
        uint64_t memory_total, memory_processed, memory_remaining;
        uint64_t memory_constant, memory_normal, memory_normal_bytes, memory_bps, memory_iteration;
        uint64_t memory_dirty_rate;
        uint64_t downtime_ms, setup_time_ms;
        bool has_disk;           /* a migration copying its disks: their mirrors' figures */
        uint64_t disk_total, disk_processed, disk_remaining;
        char *error;             /* a failed job: why (GetJobStats "errmsg") */
} DomainJobStats;

void domain_job_stats_done(DomainJobStats *s);

struct DomainSaveOps {
        /* Under d's job (SAVE or DUMP): 0 done (the core answers), 1 the
         * driver ends the job and answers its call, -errno with error set.
         * xml: "" or a replacement for the image's XML. managed: the image
         * goes to domain_managed_save_path(). */
        int (*save)(Domain *d, const char *path, const char *xml, unsigned flags, bool managed,
                    sd_bus_error *error);
        int (*core_dump)(Domain *d, const char *path, unsigned format, unsigned flags, sd_bus_error *error);
        /* Starts d from the image at path, d->start_def being its XML; like
         * DomainDriver.start (call answered once it runs). */
        int (*restore)(Domain *d, const char *path, unsigned flags, bool managed, sd_bus_message *call,
                       sd_bus_error *error);
        /* The image's XML (with secrets) and whether the guest ran. */
        int (*image_read)(Manager *m, const char *path, char **ret_xml, bool *ret_running, sd_bus_error *error);
        /* Replaces the image's XML; running: 1, 0, or -1 to keep. */
        int (*image_update)(Manager *m, const char *path, const char *xml, int running, sd_bus_error *error);
        /* Breaks in: no job is taken. */
        int (*abort_job)(Domain *d, sd_bus_error *error);
        /* The job under way (or, completed, the last one that ended). */
        int (*job_stats)(Domain *d, bool completed, DomainJobStats *ret);
};

/* <statedir>/<driver dir>/save/<name>.save */
int domain_managed_save_path(const Domain *d, char **ret);
bool domain_has_managed_save(const Domain *d);
int domain_managed_save_remove(Domain *d, sd_bus_error *error);

/* For Create (and autostart): restores d from its managed save image when
 * there is one and FORCE_BOOT is not asked. Returns 0 when there is none
 * (start as usual), 1 when the restore is under way (call answered later),
 * or -errno. The caller holds d's start job. */
int domain_start_managed_save(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error);
/* Undefine's rule (libvirt's): a domain with a managed save image is
 * undefined only with DOMAIN_UNDEFINE_MANAGED_SAVE, which removes it. */
int domain_undefine_check_managed_save(Domain *d, unsigned flags, sd_bus_error *error);
int domain_undefine_managed_save(Domain *d, unsigned flags);

/* The stats as libvirt's typed parameters, an a{sv} (domain-save-dbus.c). */
int domain_job_stats_append(sd_bus_message *m, const DomainJobStats *s);
/* The JobCompleted signal of a save or dump that ended well. */
void domain_emit_job_completed(Domain *d, const DomainJobStats *s);
