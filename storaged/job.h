/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Long work off the event loop. A job's work() runs in a worker thread and
 * must touch nothing but what its userdata holds (a request copied from the
 * manager's state, and room for the result) and the job's own progress and
 * error. When it returns, done() runs on the event loop with its result, and
 * that is where the state is changed and the D-Bus reply sent.
 *
 * At most JOB_MAX_RUNNING workers run at once; later jobs wait their turn in
 * order (but for fds, below). Blocking calls (a child process such as
 * qemu-img or lvcreate, a copy, fsync) are fine in work().
 *
 * Each job is promised the fds its work() may hold at once, while it runs.
 * It is refused when it would eat into the reserve kept for the bus
 * connection, and waits (others may start before it) until its promise
 * fits beside the running jobs' (fd-budget.h). */

#include <pthread.h>
#include <stdatomic.h>

#include <systemd/sd-event.h>

#include "domain-conf.h" /* ConfError */
#include "fd-budget.h"
#include "xml-util.h"    /* conf_fail() */
#include "macro.h"

#define JOB_MAX_RUNNING 8
/* How long the exit waits for workers to notice they are cancelled. */
#define JOB_EXIT_WAIT_USEC (2 * 1000000ULL)

typedef struct Job Job;
typedef struct JobQueue JobQueue;

typedef int (*job_work_fn)(Job *j, void *userdata);
typedef void (*job_done_fn)(Job *j, int r, void *userdata);

struct Job {
        JobQueue *queue;
        const char *kind;       /* "upload", "wipe", "refresh"...: a static string */
        char *object;           /* bus path of what it works on */
        _Atomic uint64_t done, total; /* progress, bytes (or steps) */
        atomic_bool cancel;     /* set on the loop, polled by work() */
        ConfError error;        /* work() fills it when it fails */

        job_work_fn work;
        job_done_fn finish;
        void *userdata;
        int result;
        unsigned fds;           /* promised to it while it runs: fd-budget.h */
        bool promised;          /* fds counted in the queue's fds_running */
        bool started;           /* given to a worker (or failed to be) */
        bool running;           /* has a thread (to join) */
        pthread_t thread;
        Job *next, *prev;       /* the queue's list: loop only */
        Job *finished_next;     /* the finished list: under the lock */
};

struct JobQueue {
        sd_event *event;
        int efd;                /* written by a worker that finished */
        sd_event_source *source;
        pthread_mutex_t lock;   /* protects finished only */
        Job *finished;
        Job *jobs;              /* running and waiting, oldest first; loop only */
        unsigned n_running;
        unsigned fds_running;   /* sum of the running jobs' fds */
};

int job_queue_init(JobQueue *q, sd_event *e);
/* Cancels the jobs and waits (a little) for the running workers; their
 * done() is not called. Returns how many workers are still running: then
 * the queue (and what they use) must not be freed. */
int job_queue_done(JobQueue *q);

/* Whether a job holding `fds` fds would be admitted now: 0, or -EMFILE
 * with err saying why (too many open files, and the limit). */
int job_queue_check_fds(const JobQueue *q, unsigned fds, ConfError *err);
/* -EMFILE when job_queue_check_fds() refuses: check that first, for the
 * message. */
int job_start(JobQueue *q, const char *kind, const char *object, unsigned fds, job_work_fn work,
              job_done_fn finish, void *userdata, Job **ret);
unsigned job_queue_count(const JobQueue *q);

/* From work(): progress, and whether to stop. */
static inline void job_set_total(Job *j, uint64_t total) {
        if (j)
                atomic_store(&j->total, total);
}
static inline void job_add_done(Job *j, uint64_t n) {
        if (j)
                atomic_fetch_add(&j->done, n);
}
static inline bool job_cancelled(Job *j) {
        return j && atomic_load(&j->cancel);
}
