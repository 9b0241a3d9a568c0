/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Domain jobs, as libvirt has them.
 *
 * A bus call that changes a domain (start, shutdown, suspend, undefine...)
 * runs as the domain's one job. While it runs, other such calls wait their
 * turn in a FIFO queue; one still waiting after the timeout (30 s, as
 * libvirt; VIRTBUS_JOB_TIMEOUT_MS for tests) fails with OperationTimeout
 * naming the job that holds the lock. Queries (GetXMLDesc, GetState,
 * GetStats, properties) never wait. Destroy never waits either: it breaks
 * in, and the job it interrupts ends with an error when the guest is gone.
 *
 * A job owns the bus call it answers: domain_job_fail() answers it with an
 * error when the guest goes away under it. Asynchronous steps hold a
 * reference to the DomainJob, not to the domain: once the job ended,
 * job->owner is NULL and a late callback must do nothing.
 *
 * A queued call runs again, from the event loop, through the method
 * handler that queued it (its message rewound): the handler calls
 * domain_job_begin() again and this time gets the job.
 *
 * Nothing here knows QEMU: the owner is an opaque pointer. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define DOMAIN_JOB_DEFAULT_TIMEOUT_USEC (30ULL * 1000000ULL)

typedef enum DomainJobKind {
        DOMAIN_JOB_NONE,
        DOMAIN_JOB_START,
        DOMAIN_JOB_SHUTDOWN,
        DOMAIN_JOB_REBOOT,
        DOMAIN_JOB_RESET,
        DOMAIN_JOB_SUSPEND,
        DOMAIN_JOB_RESUME,
        DOMAIN_JOB_UNDEFINE,
        DOMAIN_JOB_DEFINE,
        DOMAIN_JOB_MODIFY,        /* hot-plug, tuning, vCPUs, memory, metadata, rename */
        DOMAIN_JOB_SAVE,          /* Save, ManagedSave */
        DOMAIN_JOB_DUMP,          /* CoreDump */
        DOMAIN_JOB_AGENT,         /* a guest agent command */
        DOMAIN_JOB_QUERY,         /* a read that needs QEMU's answer (stats, peeks) */
        DOMAIN_JOB_MIGRATE_OUT,   /* MigratePerform3, MigrateConfirm3 (domain-migrate.h) */
        DOMAIN_JOB_MIGRATE_IN,    /* DomainMigrateFinish3 */
        _DOMAIN_JOB_MAX,
} DomainJobKind;

/* For GetJobInfo later: plain counters the job's steps update. */
typedef struct DomainJobProgress {
        uint64_t started_usec;  /* CLOCK_MONOTONIC */
        unsigned steps_done;    /* phases begun (domain_job_set_phase) */
        unsigned steps_total;   /* phases in all, when known */
} DomainJobProgress;

typedef struct DomainJob {
        unsigned n_ref;
        DomainJobKind kind;
        const char *phase;        /* a static string, NULL when none */
        void *owner;              /* NULL once the job ended */
        sd_bus_message *call;     /* answered by the job, or taken by its code */
        /* The job stops its own guest (a revert to a shut-off snapshot):
         * QEMU's exit does not end it. Its code clears this once the
         * guest is gone. */
        bool stops_guest;
        /* What GetJobInfo/GetJobStats say the job does: libvirt's
         * virDomainJobOperation, 0 (unknown) when it reports nothing. */
        int operation;
        DomainJobProgress progress;
} DomainJob;

typedef struct DomainJobWaiter DomainJobWaiter;
typedef void (*domain_job_changed_fn)(void *owner);

typedef struct DomainJobs {
        unsigned n_ref;
        bool closed;              /* the owner is gone */
        void *owner;
        sd_event *event;
        uint64_t timeout_usec;
        DomainJob *active;
        DomainJobWaiter *head, *tail;
        sd_bus_message *next_call;    /* the waiter whose turn it is */
        sd_event_source *next_source; /* runs the next waiter */
        domain_job_changed_fn changed; /* the job or its phase changed */
} DomainJobs;

DomainJobs *domain_jobs_new(sd_event *event, void *owner, uint64_t timeout_usec);
/* The owner goes away: waiters get error_name/message, the active job ends
 * (its call answered the same way). Drops the owner's reference. */
DomainJobs *domain_jobs_close(DomainJobs *jobs, const char *error_name, const char *message);

/* Begins a job of kind for call (NULL for an internal job, which never
 * waits). Returns 1 when the job is ours now, 0 when call waits its turn
 * (the method then returns 1: handler(call, userdata) runs again later),
 * or a negative errno with error set. */
int domain_job_begin(DomainJobs *jobs, DomainJobKind kind, sd_bus_message *call, sd_bus_message_handler_t handler,
                     void *userdata, sd_bus_error *error);
/* Ends the active job (its call, if still held, is dropped unanswered:
 * the job's code answered it); the next waiter gets its turn. */
void domain_job_end(DomainJobs *jobs);
/* Ends the active job, answering its call with an error if it holds one. */
void domain_job_fail(DomainJobs *jobs, const char *error_name, const char *message);
/* Answers the active job's call with success (no arguments) and ends it. */
void domain_job_succeed(DomainJobs *jobs);
/* Takes the active job's call: the caller answers it. */
sd_bus_message *domain_job_take_call(DomainJobs *jobs);
void domain_job_set_phase(DomainJobs *jobs, const char *phase);
bool domain_job_is(const DomainJobs *jobs, DomainJobKind kind);

DomainJob *domain_job_ref(DomainJob *job);
DomainJob *domain_job_unref(DomainJob *job);

const char *domain_job_kind_to_string(DomainJobKind kind);
DomainJobKind domain_job_kind_from_string(const char *s);
/* VIRTBUS_JOB_TIMEOUT_MS, else the default. */
uint64_t domain_job_timeout_from_env(void);
