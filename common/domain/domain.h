/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One domain: its definition(s), lifecycle state, jobs and, while it runs,
 * its process. What only the driver knows of it is in priv (for QEMU:
 * qemud/qemu-domain.h). */

#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain-conf.h"
#include "domain-handle.h"
#include "domain-job.h"
#include "domain-state.h"

typedef struct Manager Manager;

/* What identifies one version of a definition file (domain-index.h). */
typedef struct DefFileStat {
        uint64_t ino, size;
        int64_t mtime_ns;
} DefFileStat;

typedef struct Domain {
        Manager *manager;
        void *priv;          /* the driver's (DomainDriver.domain_init) */
        DomainDef *def;      /* the definition (persistent, or the transient one); NULL
                              * until first use for one known from the index (stub_name) */
        DomainDef *newdef;   /* redefined while running: becomes def when it stops */
        DomainDef *live;     /* while active: what runs */
        DomainDef *start_def; /* DomainCreateXML of a defined domain: run this instead, once */
        char *path;          /* bus object path */
        char uuid_str[37];
        uint8_t uuid[16];

        /* Definitions parsed on first use (manager_load_def()): until then
         * only the name is known, from the index of definitions. */
        char *stub_name;
        bool unverified;     /* its file not asked yet since the start (inode alone) */
        bool broken;         /* its file failed to parse on first use: calls say why */
        char *broken_error;  /* what was wrong, as every call on it is answered */
        const char *broken_name; /* the error's name (error.h) */
        DefFileStat conf_stat; /* of <confdir>/<name>.xml as last read or written (ino 0: unknown) */

        bool persistent;
        bool autostart;
        DomainState state;
        int reason;
        int id;              /* -1 when inactive */

        /* The guest's process (QEMU's, or LXC's controller). */
        pid_t pid;
        uint64_t pid_starttime;
        sd_event_source *pid_watch;

        /* What is going on. */
        DomainJobs *jobs;         /* the one modify job and the calls waiting for it (domain-job.h) */
        bool starting;            /* from the start until the guest runs */
        bool start_paused;
        bool destroying;          /* we asked it to die */
        bool rolling_back;        /* after a restart: undoing a start that was cut short */
        bool leases_moving;       /* a migration hands its disk leases over: its job takes or drops them */
        sd_event_source *kill_timer;
        sd_bus_message *start_call;   /* answered when the guest runs (or failed) */
        char *start_error_name;       /* a failed start, answered once its process is gone */
        char *start_error;
        unsigned start_gate;          /* start steps begun (start-plan.h) */
        DomainHandle *handle;         /* held by pending requests of this run (domain-handle.h) */
        int *tap_fds;                 /* per live->nets[i], -1 for none, until its process has them */
        size_t n_tap_fds;
        /* a multiqueue tap's other queues, in interface order, until its
         * process has them (qemud opens them: qemu-net-queues.h) */
        int *tap_queue_fds;
        size_t n_tap_queue_fds;
        sd_bus_message **stop_calls;  /* Destroy() calls answered when the process is gone */
        size_t n_stop_calls;

        /* Autodestroy: the bus client that started it. */
        char *autodestroy_owner;
        sd_bus_slot *autodestroy_slot;
        sd_bus_slot *owner_lookup_slot; /* after a restart: is the owner still there? */
} Domain;

int domain_new(Manager *m, DomainDef *def, Domain **ret);
/* A defined domain whose definition is parsed on first use (its name:
 * name_len bytes of name). */
int domain_new_stub(Manager *m, const char *name, size_t name_len, const uint8_t uuid[16], Domain **ret);
/* Its name from the index, once its definition has it. */
void domain_drop_stub_name(Domain *d);
/* What a stub lacks besides its definition (its jobs, the driver's part). */
int domain_complete(Domain *d);
Domain *domain_free(Domain *d);

bool domain_is_active(const Domain *d);
/* Its name, whether its definition is parsed yet or not. */
const char *domain_name(const Domain *d);
/* The definition to show: live when running (unless inactive is asked). */
const DomainDef *domain_current_def(const Domain *d, bool inactive);

/* Persistent configuration: <confdir>/<driver dir>/<name>.xml and the
 * autostart link. */
int domain_save_config(Domain *d);
/* Writes the definition whole but leaves it to the caller to make it durable
 * (sync-batch.h); its path in *ret_path. */
int domain_write_config_unsynced(Domain *d, char **ret_path);
int domain_remove_config(Domain *d);
int domain_set_autostart(Domain *d, bool autostart);

void domain_set_state(Domain *d, DomainState state, int reason);
void domain_emit_event(Domain *d, int event, int detail);
