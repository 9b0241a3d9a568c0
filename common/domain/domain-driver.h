/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a driver (QEMU in qemud, LXC in lxcd) gives the shared domain core.
 *
 * The core (common/domain/) owns the domains, their state, definitions on
 * disk, autostart, autodestroy, the jobs, the live state file and the
 * org.libvirt.Domain/Connect bus surface. It calls the driver for what only
 * the driver knows: its checks and defaults of a definition, the lifecycle
 * verbs, picking a guest up again after a restart, its own part of the live
 * state, and its capabilities. The daemon's main() hands its table to
 * manager_new(); a hook left NULL is not offered (the method fails with
 * NotSupported) or, where noted, does nothing.
 *
 * The lifecycle hooks follow the job contract of domain-job.h. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libxml/tree.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

typedef struct Domain Domain;
typedef struct Manager Manager;
typedef struct DomainStatus DomainStatus;
typedef void (*DriverDoneFn)(Manager *m, int r, void *userdata);

/* The hooks of each further group of methods, defined in the group's own
 * header (common/domain/domain-<group>.h); a NULL table or hook: the
 * group's methods answer NotSupported. */
typedef struct DomainDeviceOps DomainDeviceOps;   /* domain-device.h */
typedef struct DomainResourcesOps DomainResourcesOps; /* domain-resources.h */
typedef struct DomainTuneOps DomainTuneOps;       /* domain-tune.h */
typedef struct DomainSaveOps DomainSaveOps;       /* domain-save.h */
typedef struct DomainAgentOps DomainAgentOps;     /* domain-agent.h */
typedef struct DomainControlOps DomainControlOps; /* domain-control.h */
typedef struct DomainBlockOps DomainBlockOps;     /* domain-block.h */
typedef struct DomainSnapshotOps DomainSnapshotOps; /* domain-snapshot.h */
typedef struct DomainStatsOps DomainStatsOps;     /* domain-stats.h: also the node's figures */
typedef struct DomainPerfOps DomainPerfOps;       /* domain-perf.h */
typedef struct DomainInterfaceOps DomainInterfaceOps; /* domain-interface.h */
typedef struct DomainSecurityOps DomainSecurityOps; /* domain-security.h */
typedef struct DomainConsoleOps DomainConsoleOps; /* domain-console.h */
typedef struct DomainMigrateOps DomainMigrateOps; /* domain-migrate.h */

/* Domain.GetMessages flags (libvirt's virDomainMessageType). */
enum {
        DOMAIN_MESSAGE_DEPRECATION = 1 << 0,
        DOMAIN_MESSAGE_TAINTING = 1 << 1,
};

typedef struct DomainDriver {
        const char *name;        /* "QEMU": for messages */
        const char *dir;         /* "qemu": its folder under confdir, rundir and logdir */
        const char *bus_name;    /* "org.virtbus.qemud" */
        const char *root;        /* "/org/virtbus/qemud": Connect here, domains under <root>/domain */
        const char *os_type;     /* the OSType of a definition that names none ("hvm") */

        /* The driver's data beside the manager (m->priv), made in
         * manager_new() once the directories exist, freed in manager_free(). */
        int (*manager_init)(Manager *m);
        void (*manager_done)(Manager *m);
        /* Whether the daemon must not exit while idle, beside running
         * domains (a probe under way); NULL: never. */
        bool (*is_busy)(Manager *m);

        /* Per domain: d->priv, made by domain_new() and freed (with whatever
         * else the driver still holds for d) by domain_free(). */
        int (*domain_init)(Domain *d);
        void (*domain_done)(Domain *d);

        /* The driver's own policy on a definition, wherever the daemon takes
         * one: from a caller (DomainDefineXML, DomainCreateXML, after the
         * model's domain_def_validate()) and from confdir at start (a
         * definition refused is ignored, with a warning). err names what is
         * wrong. NULL: no more checks. */
        int (*validate)(Manager *m, const DomainDef *def, ConfError *err);
        /* Fills in what the driver decides for a definition (device
         * addresses), so the saved definition shows it: from a caller, and
         * for each definition loaded at start (one saved before). */
        int (*post_parse)(Manager *m, DomainDef *def, ConfError *err);
        /* libvirt's define-time rules, only for a definition from a caller
         * (DomainDefineXML, DomainCreateXML, a restore's XML), after
         * post_parse: definitions loaded at start skip them, as libvirt loads
         * its saved definitions unvalidated, so a definition saved before a
         * rule came is never lost to it. NULL: none. */
        int (*define_rules)(Manager *m, const DomainDef *def, ConfError *err);

        /* After Undefine removed d's definition, with its flags
         * (DOMAIN_UNDEFINE_*): the driver's own files of the domain (the
         * TPM state). NULL: none. */
        void (*undefined)(Domain *d, unsigned flags);

        /* Starts d; call (may be NULL) is answered once the guest runs or the
         * start failed. flags: DOMAIN_START_*. The caller holds d's start job,
         * or none is active (autostart): the driver takes it then. */
        int (*start)(Domain *d, unsigned flags, sd_bus_message *call, sd_bus_error *error);
        /* Stops d at once, or cancels a start; call (may be NULL) is answered
         * when it is gone. Runs without a job: it breaks in. Returns 1 when
         * call is answered later. */
        int (*destroy)(Domain *d, sd_bus_message *call, sd_bus_error *error);
        /* These run under d's job: 0 when done (the core ends the job and
         * answers), 1 when the driver ends the job and answers its call, or
         * -errno with error set. */
        int (*shutdown)(Domain *d, sd_bus_error *error);
        int (*reboot)(Domain *d, sd_bus_error *error);
        /* Shutdown/Reboot flags taken beside ACPI_POWER_BTN and GUEST_AGENT
         * (lxcd: INITCTL, SIGNAL); the hook reads them from the job's call. */
        uint32_t power_flags;
        int (*reset)(Domain *d, sd_bus_error *error);
        int (*suspend)(Domain *d, sd_bus_error *error);
        int (*resume)(Domain *d, sd_bus_error *error);

        /* After a restart, for each live state file (domain-status.h):
         * adopt the guest still running as pid; or report one that went away
         * while the daemon was down; or undo a start that was cut short (s
         * says what was recorded). lost and rollback may free d. These three
         * must be set. */
        int (*adopt)(Domain *d, pid_t pid);
        void (*lost)(Domain *d);
        int (*rollback)(Domain *d, const DomainStatus *s);
        /* The driver's own elements in the live state file: status_format
         * gives them as XML text ("" for none), status_parse reads them back
         * from its root element before anything of d changed (an error
         * leaves the file ignored). */
        int (*status_format)(Domain *d, char **ret);
        int (*status_parse)(Domain *d, xmlNodePtr root);
        /* Domain.GetMessages (libvirt's virDomainGetMessages): the messages
         * of d's run, its taint first, then its deprecations, as flags
         * (DOMAIN_MESSAGE_*, checked; 0: both) ask; none when inactive.
         * NULL: NotSupported. */
        int (*get_messages)(Domain *d, uint32_t flags, char ***ret);

        /* Connect.GetCapabilities and GetDomainCapabilities: answer msg, now
         * or later (return 1), or -errno with error set. version: the
         * hypervisor's version for Connect.Version (0 when not known yet). */
        int (*get_capabilities)(Manager *m, sd_bus_message *msg, sd_bus_error *error);
        int (*get_domain_capabilities)(Manager *m, sd_bus_message *msg, const char *emulator, const char *arch,
                                       const char *machine, const char *virttype, sd_bus_error *error);
        uint64_t (*version)(Manager *m);
        /* Runs done (r < 0: it cannot tell) once version() is known, at
         * once or after probing, never blocking; -errno when done will not
         * run. NULL: version() always knows. */
        int (*with_version)(Manager *m, DriverDoneFn done, void *userdata);

        const DomainDeviceOps *devices;
        const DomainResourcesOps *resources;
        const DomainTuneOps *tune;
        const DomainSaveOps *save;
        const DomainAgentOps *agent;
        const DomainControlOps *control;
        const DomainStatsOps *stats;
        const DomainBlockOps *block;
        const DomainSnapshotOps *snapshot;
        const DomainPerfOps *perf;
        const DomainInterfaceOps *iface;
        const DomainSecurityOps *security;
        const DomainConsoleOps *console;
        const DomainMigrateOps *migrate;
} DomainDriver;
