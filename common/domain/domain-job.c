/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "domain-job.h"
#include "error.h"
#include "log.h"
#include "util.h"

struct DomainJobWaiter {
        DomainJobs *jobs;
        DomainJobKind kind;
        sd_bus_message *call;
        sd_bus_message_handler_t handler;
        void *userdata;
        sd_event_source *timer;
        DomainJobWaiter *next;
};

static const char *const kind_names[_DOMAIN_JOB_MAX] = {
        [DOMAIN_JOB_NONE] = "none",         [DOMAIN_JOB_START] = "start",   [DOMAIN_JOB_SHUTDOWN] = "shutdown",
        [DOMAIN_JOB_REBOOT] = "reboot",     [DOMAIN_JOB_RESET] = "reset",   [DOMAIN_JOB_SUSPEND] = "suspend",
        [DOMAIN_JOB_RESUME] = "resume",     [DOMAIN_JOB_UNDEFINE] = "undefine",
        [DOMAIN_JOB_DEFINE] = "define",     [DOMAIN_JOB_MODIFY] = "modify", [DOMAIN_JOB_SAVE] = "save",
        [DOMAIN_JOB_DUMP] = "dump",         [DOMAIN_JOB_AGENT] = "agent",   [DOMAIN_JOB_QUERY] = "query",
        [DOMAIN_JOB_MIGRATE_OUT] = "migration-out", [DOMAIN_JOB_MIGRATE_IN] = "migration-in",
};

const char *domain_job_kind_to_string(DomainJobKind kind) {
        return (unsigned) kind < _DOMAIN_JOB_MAX ? kind_names[kind] : "unknown";
}

DomainJobKind domain_job_kind_from_string(const char *s) {
        for (unsigned i = 0; s && i < _DOMAIN_JOB_MAX; i++)
                if (streq(kind_names[i], s))
                        return (DomainJobKind) i;
        return DOMAIN_JOB_NONE;
}

uint64_t domain_job_timeout_from_env(void) {
        const char *e = getenv("VIRTBUS_JOB_TIMEOUT_MS");
        uint64_t ms;

        if (e && safe_atou64(e, &ms) >= 0 && ms > 0 && ms < UINT64_MAX / 1000)
                return ms * 1000ULL;
        return DOMAIN_JOB_DEFAULT_TIMEOUT_USEC;
}

DomainJob *domain_job_ref(DomainJob *job) {
        if (job)
                job->n_ref++;
        return job;
}

DomainJob *domain_job_unref(DomainJob *job) {
        if (!job || --job->n_ref > 0)
                return NULL;
        sd_bus_message_unref(job->call);
        free(job);
        return NULL;
}

DomainJobs *domain_jobs_new(sd_event *event, void *owner, uint64_t timeout_usec) {
        DomainJobs *jobs = calloc(1, sizeof(*jobs));

        if (!jobs)
                return NULL;
        *jobs = (DomainJobs) { .n_ref = 1, .owner = owner, .event = event, .timeout_usec = timeout_usec };
        return jobs;
}

static void jobs_unref(DomainJobs *jobs) {
        if (--jobs->n_ref == 0)
                free(jobs);
}

static void waiter_free(DomainJobWaiter *w) {
        sd_event_source_disable_unref(w->timer);
        sd_bus_message_unref(w->call);
        free(w);
}

static void waiter_unlink(DomainJobs *jobs, DomainJobWaiter *w) {
        DomainJobWaiter **p = &jobs->head, *prev = NULL;

        for (; *p && *p != w; prev = *p, p = &(*p)->next)
                ;
        if (!*p)
                return;
        *p = w->next;
        if (jobs->tail == w)
                jobs->tail = prev;
        w->next = NULL;
}

static void notify(DomainJobs *jobs) {
        if (jobs->changed && !jobs->closed)
                jobs->changed(jobs->owner);
}

static int on_next(sd_event_source *s, void *userdata);

static void schedule_next(DomainJobs *jobs) {
        if (jobs->closed || jobs->active || !jobs->head || jobs->next_source)
                return;
        if (sd_event_add_defer(jobs->event, &jobs->next_source, on_next, jobs) < 0)
                log_warning("Cannot schedule the next domain job: out of memory");
}

/* Runs a waiter's method again; it takes the job through domain_job_begin(),
 * which knows it by next_call. */
static void run_waiter(DomainJobs *jobs, DomainJobWaiter *w) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        jobs->n_ref++; /* the handler may free the owner, and close jobs */
        jobs->next_call = sd_bus_message_ref(w->call);
        r = sd_bus_message_rewind(w->call, true);
        if (r >= 0)
                r = w->handler(w->call, w->userdata, &error);
        if (r < 0) {
                if (sd_bus_error_is_set(&error))
                        (void) sd_bus_reply_method_error(w->call, &error);
                else
                        (void) sd_bus_reply_method_errno(w->call, r, NULL);
        }
        if (jobs->next_call == w->call) {
                /* It ended before taking the job (a bad argument). */
                jobs->next_call = sd_bus_message_unref(jobs->next_call);
                schedule_next(jobs);
        }
        sd_bus_error_free(&error);
        waiter_free(w);
        jobs_unref(jobs);
}

static int on_next(sd_event_source *s, void *userdata) {
        DomainJobs *jobs = userdata;
        DomainJobWaiter *w = jobs->head;

        jobs->next_source = sd_event_source_disable_unref(jobs->next_source);
        if (jobs->closed || jobs->active || !w)
                return 0;
        waiter_unlink(jobs, w);
        run_waiter(jobs, w);
        return 0;
}

static int on_waiter_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        DomainJobWaiter *w = userdata;
        DomainJobs *jobs = w->jobs;
        const char *held = jobs->active ? domain_job_kind_to_string(jobs->active->kind) : "a queued job";

        log_debug("Job %s timed out waiting for the job %s", domain_job_kind_to_string(w->kind), held);
        (void) sd_bus_reply_method_errorf(w->call, VB_ERROR_OPERATION_TIMEOUT,
                                          "Timed out during operation: cannot acquire state change lock "
                                          "(held by %s)", held);
        waiter_unlink(jobs, w);
        waiter_free(w);
        return 0;
}

static int job_queue(DomainJobs *jobs, DomainJobKind kind, sd_bus_message *call, sd_bus_message_handler_t handler,
                     void *userdata) {
        DomainJobWaiter *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        *w = (DomainJobWaiter) { .jobs = jobs, .kind = kind, .call = sd_bus_message_ref(call),
                                 .handler = handler, .userdata = userdata };
        r = sd_event_add_time_relative(jobs->event, &w->timer, CLOCK_MONOTONIC, jobs->timeout_usec, 0,
                                       on_waiter_timeout, w);
        if (r < 0) {
                waiter_free(w);
                return r;
        }
        if (jobs->tail)
                jobs->tail->next = w;
        else
                jobs->head = w;
        jobs->tail = w;
        return 0;
}

static int job_start(DomainJobs *jobs, DomainJobKind kind, sd_bus_message *call) {
        DomainJob *job = calloc(1, sizeof(*job));

        if (!job)
                return -ENOMEM;
        *job = (DomainJob) { .n_ref = 1, .kind = kind, .owner = jobs->owner, .call = sd_bus_message_ref(call) };
        (void) sd_event_now(jobs->event, CLOCK_MONOTONIC, &job->progress.started_usec);
        jobs->active = job;
        notify(jobs);
        return 1;
}

int domain_job_begin(DomainJobs *jobs, DomainJobKind kind, sd_bus_message *call, sd_bus_message_handler_t handler,
                     void *userdata, sd_bus_error *error) {
        bool my_turn = !jobs->next_call || (call && jobs->next_call == call);
        int r;

        if (jobs->closed)
                return vb_error_setf(error, VB_ERROR_NO_DOMAIN, "the domain is gone");
        if (!jobs->active && my_turn) {
                if (call && jobs->next_call == call)
                        jobs->next_call = sd_bus_message_unref(jobs->next_call);
                r = job_start(jobs, kind, call);
                return r < 0 ? vb_error_setf(error, VB_ERROR_INTERNAL, "cannot begin a job: %s", strerror(-r)) : r;
        }
        if (!call || !handler)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID,
                                     "cannot acquire state change lock (held by %s)",
                                     jobs->active ? domain_job_kind_to_string(jobs->active->kind) : "a queued job");
        r = job_queue(jobs, kind, call, handler, userdata);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot queue a job: %s", strerror(-r));
        log_debug("Job %s waits for the job %s", domain_job_kind_to_string(kind),
                  jobs->active ? domain_job_kind_to_string(jobs->active->kind) : "queued before it");
        return 0;
}

void domain_job_end(DomainJobs *jobs) {
        DomainJob *job = TAKE_PTR(jobs->active);

        if (!job)
                return;
        job->owner = NULL;
        job->call = sd_bus_message_unref(job->call);
        domain_job_unref(job);
        notify(jobs);
        schedule_next(jobs);
}

void domain_job_fail(DomainJobs *jobs, const char *error_name, const char *message) {
        if (!jobs->active)
                return;
        if (jobs->active->call)
                (void) sd_bus_reply_method_errorf(jobs->active->call, error_name, "%s", message);
        domain_job_end(jobs);
}

void domain_job_succeed(DomainJobs *jobs) {
        if (!jobs->active)
                return;
        if (jobs->active->call)
                (void) sd_bus_reply_method_return(jobs->active->call, NULL);
        domain_job_end(jobs);
}

sd_bus_message *domain_job_take_call(DomainJobs *jobs) {
        return jobs->active ? TAKE_PTR(jobs->active->call) : NULL;
}

void domain_job_set_phase(DomainJobs *jobs, const char *phase) {
        if (!jobs->active)
                return;
        jobs->active->phase = phase;
        jobs->active->progress.steps_done++;
        notify(jobs);
}

bool domain_job_is(const DomainJobs *jobs, DomainJobKind kind) {
        return jobs->active && jobs->active->kind == kind;
}

DomainJobs *domain_jobs_close(DomainJobs *jobs, const char *error_name, const char *message) {
        if (!jobs)
                return NULL;
        jobs->closed = true; /* no more notifications: the owner is being freed */
        domain_job_fail(jobs, error_name, message);
        jobs->next_source = sd_event_source_disable_unref(jobs->next_source);
        jobs->next_call = sd_bus_message_unref(jobs->next_call);
        while (jobs->head) {
                DomainJobWaiter *w = jobs->head;
                waiter_unlink(jobs, w);
                (void) sd_bus_reply_method_errorf(w->call, error_name, "%s", message);
                waiter_free(w);
        }
        jobs_unref(jobs);
        return NULL;
}
