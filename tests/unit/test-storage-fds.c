/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fd budget: work is refused, with the numbers and the limit, before it
 * eats into the fds kept free for the bus connection; a job's fds are
 * promised from its start to its end. */

#include <fcntl.h>
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

        CHECK_INTEQ(fd_budget_check(0, 10, &err), 0);
        CHECK_INTEQ(fd_budget_check(4, 6, &err), 0);
        CHECK_INTEQ(fd_budget_check(0, 11, &err), -EMFILE);
        CHECK_STREQ(err.name, VB_ERROR_RESOURCE_BUSY);
        CHECK(strstr(err.message, "too many open files") != NULL);
        snprintf(want, sizeof(want), "limit of %u", limit);
        CHECK(strstr(err.message, want) != NULL);
        err = (ConfError) {};
        CHECK_INTEQ(fd_budget_check(5, 6, &err), -EMFILE);
        CHECK(strstr(err.message, "5 more are promised") != NULL);
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
        CHECK_INTEQ(fd_budget_check(0, 1, &err), -EMFILE);
        CHECK(strstr(err.message, "too many open files") != NULL);
        while (n > 0)
                close(fds[--n]);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}

static int work_nothing(Job *j, void *userdata) {
        return 0;
}

static void done_count(Job *j, int r, void *userdata) {
        (*(int *) userdata)++;
}

static void test_job_promise(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        JobQueue q;
        ConfError err = {};
        int done = 0;

        CHECK(sd_event_new(&e) >= 0);
        CHECK(job_queue_init(&q, e) == 0);
        set_room(FD_RESERVE + 10);
        CHECK_INTEQ(job_start(&q, "a", NULL, 6, work_nothing, done_count, &done, NULL), 0);
        CHECK_INTEQ(q.fds_promised, 6);
        /* 6 promised, and 4 + 1 more would eat into the reserve */
        CHECK_INTEQ(job_queue_check_fds(&q, 5, &err), -EMFILE);
        CHECK_INTEQ(job_start(&q, "b", NULL, 5, work_nothing, done_count, &done, NULL), -EMFILE);
        CHECK_INTEQ(q.fds_promised, 6);
        while (done < 1)
                CHECK(sd_event_run(e, 5 * 1000000ULL) >= 0);
        CHECK_INTEQ(q.fds_promised, 0);
        /* the first has ended: its fds are free again */
        CHECK_INTEQ(job_queue_check_fds(&q, 5, &err), 0);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
        CHECK_INTEQ(job_queue_done(&q), 0);
}

static void test_setup(void) {
        CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
}

UNIT_TESTS(test_setup, test_count, test_check, test_check_when_full, test_job_promise)
