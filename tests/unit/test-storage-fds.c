/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fd budget: work is refused, with the numbers and the limit, before it
 * eats into the fds kept free for the bus connection; a job's fds are
 * promised from its start to its end. */

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "error.h"
#include "fd-budget.h"
#include "job.h"
#include "unit.h"

static struct rlimit saved;

/* The soft limit set so that exactly `room` fds can still be opened. Only
 * the fds numbered below the limit take its slots (the test may inherit one
 * far above): lowering it may count fewer, hence the loop. */
static unsigned set_room(unsigned room) {
        struct rlimit rl = saved;
        unsigned open = 0;

        for (int i = 0; i < 16; i++) {
                CHECK(fd_count_open(&open) == 0);
                if (rl.rlim_cur == open + room)
                        break;
                rl.rlim_cur = open + room;
                CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
        }
        return (unsigned) rl.rlim_cur;
}

static void test_count(void) {
        unsigned before = 0, after = 0;
        int fds[2];

        CHECK(fd_count_open(&before) == 0);
        CHECK(pipe(fds) == 0);
        CHECK(fd_count_open(&after) == 0);
        CHECK_INTEQ(after, before + 2);
        close(fds[0]);
        close(fds[1]);
}

static void test_check(void) {
        char want[64];
        ConfError err = {};
        unsigned limit = set_room(FD_RESERVE + 10);

        CHECK_INTEQ(fd_budget_check(10, &err), 0);
        CHECK_INTEQ(fd_budget_check(11, &err), -EMFILE);
        CHECK_STREQ(err.name, VB_ERROR_RESOURCE_BUSY);
        CHECK(strstr(err.message, "too many open files") != NULL);
        CHECK(strstr(err.message, "11 more are promised") != NULL);
        snprintf(want, sizeof(want), "limit of %u", limit);
        CHECK(strstr(err.message, want) != NULL);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

/* Not one fd free: /proc/self/fd cannot be read, and that is a refusal. */
static void test_check_when_full(void) {
        ConfError err = {};
        int fds[8], n = 0;

        set_room(4);
        while (n < (int) ELEMENTSOF(fds) && (fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
                n++;
        CHECK_INTEQ(n, 4);
        CHECK_INTEQ(fd_budget_check(1, &err), -EMFILE);
        CHECK(strstr(err.message, "too many open files") != NULL);
        while (n > 0)
                close(fds[--n]);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

static atomic_bool release;

static int work_wait(Job *j, void *userdata) {
        while (!atomic_load(&release))
                usleep(1000);
        return 0;
}

static void done_count(Job *j, int r, void *userdata) {
        (*(int *) userdata)++;
}

static int last_result;
static char last_message[512];

static void done_keep(Job *j, int r, void *userdata) {
        last_result = r;
        snprintf(last_message, sizeof(last_message), "%s", j->error.message);
        (*(int *) userdata)++;
}

static void run_until(sd_event *e, int *done, int n) {
        for (int i = 0; i < 500 && *done < n; i++)
                CHECK(sd_event_run(e, 10 * 1000) >= 0);
        CHECK_INTEQ(*done, n);
}

/* A job is promised its fds while it runs; one whose fds do not fit beside
 * the running ones waits for them, one that would never fit is refused. */
static void test_job_promise(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Job *a = NULL, *b = NULL;
        JobQueue q;
        ConfError err = {};
        int done = 0;

        CHECK(sd_event_new(&e) >= 0);
        CHECK(job_queue_init(&q, e) == 0);
        set_room(FD_RESERVE + 10);
        atomic_store(&release, false);
        CHECK_INTEQ(job_start(&q, "a", NULL, 6, work_wait, done_count, &done, &a), 0);
        CHECK(a->running);
        CHECK_INTEQ(q.fds_running, 6);
        /* 6 running and 5 more do not fit in 10: b waits */
        CHECK_INTEQ(job_start(&q, "b", NULL, 5, work_wait, done_count, &done, &b), 0);
        CHECK(!b->started);
        CHECK_INTEQ(q.fds_running, 6);
        /* 11 never fit */
        CHECK_INTEQ(job_queue_check_fds(&q, 11, &err), -EMFILE);
        CHECK(strstr(err.message, "too many open files") != NULL);
        CHECK_INTEQ(job_start(&q, "c", NULL, 11, work_wait, done_count, &done, NULL), -EMFILE);
        atomic_store(&release, true);
        run_until(e, &done, 2);
        CHECK_INTEQ(q.fds_running, 0);
        CHECK_INTEQ(job_queue_count(&q), 0);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
        CHECK_INTEQ(job_queue_done(&q), 0);
}

/* A waiting job whose fds were taken meanwhile by something else, with
 * nothing running that could give them back: it ends with the reason
 * instead of waiting forever. */
static void test_job_never_fits(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        JobQueue q;
        int done = 0, fds[8], n = 0;

        CHECK(sd_event_new(&e) >= 0);
        CHECK(job_queue_init(&q, e) == 0);
        set_room(FD_RESERVE + 10);
        atomic_store(&release, false);
        CHECK_INTEQ(job_start(&q, "a", NULL, 6, work_wait, done_count, &done, NULL), 0);
        CHECK_INTEQ(job_start(&q, "b", NULL, 5, work_wait, done_keep, &done, NULL), 0);
        while (n < (int) ELEMENTSOF(fds) && (fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
                n++;
        CHECK_INTEQ(n, 8);
        atomic_store(&release, true);
        run_until(e, &done, 2);
        CHECK_INTEQ(last_result, -EMFILE);
        CHECK(strstr(last_message, "too many open files") != NULL);
        while (n > 0)
                close(fds[--n]);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
        CHECK_INTEQ(job_queue_done(&q), 0);
}

static void test_setup(void) {
        CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
}

UNIT_TESTS(test_setup, test_count, test_check, test_check_when_full, test_job_promise, test_job_never_fits)
