/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <sys/eventfd.h>

#include "job.h"
#include "log.h"
#include "util.h"

/* The workers copy and read in large buffers on the heap; their stacks only
 * hold small frames (and child processes are spawned from them). */
#define JOB_STACK_SIZE (512 * 1024)

static void job_free(Job *j) {
        free(j->object);
        free(j);
}

static void *worker(void *arg) {
        Job *j = arg;
        JobQueue *q = j->queue;
        uint64_t one = 1;

        j->result = j->work(j, j->userdata);
        pthread_mutex_lock(&q->lock);
        j->finished_next = q->finished;
        q->finished = j;
        pthread_mutex_unlock(&q->lock);
        (void) !write(q->efd, &one, sizeof(one));
        return NULL;
}

/* A job that could not start ends like any other, from the loop, so that
 * done() never runs inside job_start(). */
static void fail_early(Job *j, int r, const ConfError *err) {
        JobQueue *q = j->queue;
        uint64_t one = 1;

        j->error = *err;
        j->result = r;
        j->started = true;
        pthread_mutex_lock(&q->lock);
        j->finished_next = q->finished;
        q->finished = j;
        pthread_mutex_unlock(&q->lock);
        (void) !write(q->efd, &one, sizeof(one));
}

static int spawn_worker(Job *j) {
        pthread_attr_t attr;
        sigset_t all, old;
        int r;

        /* Signals stay with the event loop's signalfd. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, JOB_STACK_SIZE);
        r = -pthread_create(&j->thread, &attr, worker, j);
        pthread_attr_destroy(&attr);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        j->running = true;
        j->queue->n_running++;
        return 0;
}

static void unlink_job(JobQueue *q, Job *j) {
        if (j->prev)
                j->prev->next = j->next;
        else
                q->jobs = j->next;
        if (j->next)
                j->next->prev = j->prev;
        j->next = j->prev = NULL;
}

/* Waiting jobs start in order, each when a worker is free and its fds fit;
 * one that does not fit lets the next ones go first. With nothing running
 * it would wait forever: it ends with the reason. */
static void start_waiting(JobQueue *q) {
        unsigned room = UINT_MAX;
        bool counted = false;

        for (Job *j = q->jobs; j && q->n_running < JOB_MAX_RUNNING; j = j->next) {
                ConfError err = {};
                int r;

                if (j->started)
                        continue;
                /* Workers only open what they were promised: one count will do. */
                if (!counted) {
                        room = fd_budget_room();
                        counted = true;
                }
                if ((uint64_t) q->fds_running + j->fds > room) {
                        if (q->n_running > 0)
                                continue;
                        if (fd_budget_check(j->fds, &err) < 0) {
                                fail_early(j, -EMFILE, &err);
                                continue;
                        }
                }
                j->started = true;
                r = spawn_worker(j);
                if (r < 0) {
                        log_error_errno(r, "Cannot start a worker thread: %m");
                        conf_error_set(&err, "org.virtbus.Error.InternalError", "cannot start a worker thread: %s",
                                       strerror(-r));
                        fail_early(j, r, &err);
                        continue;
                }
                j->promised = true;
                q->fds_running += j->fds;
        }
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        JobQueue *q = userdata;
        uint64_t n;
        Job *done;

        (void) !read(q->efd, &n, sizeof(n));
        pthread_mutex_lock(&q->lock);
        done = TAKE_PTR(q->finished);
        pthread_mutex_unlock(&q->lock);
        while (done) {
                Job *j = done;

                done = j->finished_next;
                if (j->running) {
                        pthread_join(j->thread, NULL);
                        q->n_running--;
                }
                unlink_job(q, j);
                if (j->promised)
                        q->fds_running -= j->fds;
                j->finish(j, j->result, j->userdata);
                job_free(j);
        }
        start_waiting(q);
        /* Copies leave large freed buffers behind: give them back. */
        if (!q->jobs)
                malloc_trim(0);
        return 0;
}

int job_queue_init(JobQueue *q, sd_event *e) {
        int r;

        *q = (JobQueue) { .event = e, .efd = -1 };
        pthread_mutex_init(&q->lock, NULL);
        q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->efd < 0)
                return -errno;
        r = sd_event_add_io(e, &q->source, q->efd, EPOLLIN, on_finished, q);
        if (r < 0)
                return r;
        return 0;
}

int job_queue_done(JobQueue *q) {
        uint64_t deadline = now_usec(CLOCK_REALTIME) + JOB_EXIT_WAIT_USEC;
        int left = 0;

        for (Job *j = q->jobs; j; j = j->next)
                atomic_store(&j->cancel, true);
        /* Workers notice the cancel flag between chunks; one stuck in a read
         * from a caller's pipe that never ends is left to the exit. */
        for (Job *j = q->jobs; j; j = j->next) {
                struct timespec ts;
                uint64_t t = MAX(deadline, now_usec(CLOCK_REALTIME));

                if (!j->running)
                        continue;
                ts = (struct timespec) { .tv_sec = (time_t) (t / 1000000), .tv_nsec = (long) (t % 1000000) * 1000 };
                if (pthread_timedjoin_np(j->thread, NULL, &ts) == 0)
                        j->running = false;
                else
                        left++;
        }
        if (left > 0)
                return left; /* their queue must stay: they will write to it */
        /* Jobs hold userdata owned by their done(); at exit it is dropped. */
        q->source = sd_event_source_disable_unref(q->source);
        if (q->efd >= 0)
                close(q->efd);
        q->efd = -1;
        return 0;
}

int job_queue_check_fds(const JobQueue *q, unsigned fds, ConfError *err) {
        return fd_budget_check(MAX(q->fds_running, fds), err);
}

int job_start(JobQueue *q, const char *kind, const char *object, unsigned fds, job_work_fn work,
              job_done_fn finish, void *userdata, Job **ret) {
        Job *j;

        if (job_queue_check_fds(q, fds, NULL) < 0)
                return -EMFILE;
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->queue = q;
        j->kind = kind;
        j->object = object ? strdup(object) : NULL;
        if (object && !j->object) {
                free(j);
                return -ENOMEM;
        }
        j->work = work;
        j->finish = finish;
        j->userdata = userdata;
        j->fds = fds;
        /* Appended: waiting jobs start in the order they came. */
        if (!q->jobs)
                q->jobs = j;
        else {
                Job *last = q->jobs;
                while (last->next)
                        last = last->next;
                last->next = j;
                j->prev = last;
        }
        if (ret)
                *ret = j;
        start_waiting(q);
        return 0;
}

unsigned job_queue_count(const JobQueue *q) {
        unsigned n = 0;

        for (Job *j = q->jobs; j; j = j->next)
                n++;
        return n;
}
