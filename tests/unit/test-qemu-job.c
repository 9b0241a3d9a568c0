/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain jobs (common/domain/domain-job.c) over a real sd-bus connection
 * pair (a socketpair, no bus daemon): one job at a time, calls waiting in
 * order and run again through their handler, a waiter timing out with the
 * name of the job that holds the lock, internal jobs, and closing (the owner
 * gone). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "domain-job.h"
#include "unit.h"
#include "util.h"

typedef struct Pair {
        sd_event *event;
        sd_bus *client, *server;
        DomainJobs *jobs;
        char ran[256];      /* the handlers that got the job, in order */
        char answered[512]; /* replies the client saw, in order */
        unsigned n_answered;
} Pair;

static Pair pair;

static DomainJobKind kind_of(const char *member) {
        return streq(member, "Start") ? DOMAIN_JOB_START : DOMAIN_JOB_SUSPEND;
}

/* A method: takes the job; "Start" and "Hold" keep it, the others end at once. */
static int handler(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(msg);
        int r = domain_job_begin(pair.jobs, kind_of(member), msg, handler, NULL, error);

        if (r <= 0)
                return r < 0 ? r : 1;
        strcat(pair.ran, member);
        strcat(pair.ran, " ");
        if (streq(member, "Start") || streq(member, "Hold"))
                return 1;
        domain_job_succeed(pair.jobs);
        return 1;
}

static int filter(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        if (!sd_bus_message_is_method_call(msg, NULL, NULL))
                return 0;
        r = handler(msg, NULL, &e);
        if (r < 0)
                (void) sd_bus_reply_method_error(msg, &e);
        sd_bus_error_free(&e);
        return 1;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        char line[256];

        snprintf(line, sizeof(line), "%s=%s%s%s;", (const char *) userdata, e ? e->name : "ok", e ? ":" : "",
                 e ? e->message : "");
        strncat(pair.answered, line, sizeof(pair.answered) - strlen(pair.answered) - 1);
        pair.n_answered++;
        return 0;
}

static void call(const char *member) {
        int r = sd_bus_call_method_async(pair.client, NULL, NULL, "/t", "t.T", member, on_reply, (void *) member, "");
        CHECK(r >= 0);
}

/* Runs the loop until n_answered replies came (0: for max_usec). */
static void run_until(unsigned n_answered, uint64_t max_usec) {
        uint64_t start, now;

        (void) sd_event_now(pair.event, CLOCK_MONOTONIC, &start);
        do {
                (void) sd_event_run(pair.event, 10 * 1000);
                (void) sd_event_now(pair.event, CLOCK_MONOTONIC, &now);
        } while ((n_answered == 0 || pair.n_answered < n_answered) && now - start < max_usec);
}

static int pair_open(uint64_t timeout_usec) {
        sd_id128_t id;
        int fds[2];

        memset(&pair, 0, sizeof(pair));
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 || sd_event_new(&pair.event) < 0 ||
            sd_id128_randomize(&id) < 0 || sd_bus_new(&pair.client) < 0 || sd_bus_new(&pair.server) < 0)
                return -1;
        if (sd_bus_set_fd(pair.client, fds[0], fds[0]) < 0 || sd_bus_set_fd(pair.server, fds[1], fds[1]) < 0 ||
            sd_bus_set_server(pair.server, 1, id) < 0 || sd_bus_set_anonymous(pair.server, 1) < 0 ||
            sd_bus_set_anonymous(pair.client, 1) < 0 || sd_bus_add_filter(pair.server, NULL, filter, NULL) < 0)
                return -1;
        if (sd_bus_attach_event(pair.client, pair.event, 0) < 0 || sd_bus_attach_event(pair.server, pair.event, 0) < 0 ||
            sd_bus_start(pair.server) < 0 || sd_bus_start(pair.client) < 0)
                return -1;
        pair.jobs = domain_jobs_new(pair.event, &pair, timeout_usec);
        return pair.jobs ? 0 : -1;
}

static void pair_close(void) {
        pair.jobs = domain_jobs_close(pair.jobs, "t.Gone", "the owner is gone");
        sd_bus_flush_close_unref(pair.client);
        sd_bus_flush_close_unref(pair.server);
        sd_event_unref(pair.event);
}

static void test_kinds(void) {
        for (int k = DOMAIN_JOB_START; k < _DOMAIN_JOB_MAX; k++)
                CHECK_INTEQ(domain_job_kind_from_string(domain_job_kind_to_string(k)), k);
        CHECK_STREQ(domain_job_kind_to_string(DOMAIN_JOB_START), "start");
        CHECK_INTEQ(domain_job_kind_from_string("bogus"), DOMAIN_JOB_NONE);
        setenv("VIRTBUS_JOB_TIMEOUT_MS", "1500", 1);
        CHECK(domain_job_timeout_from_env() == 1500ULL * 1000);
        setenv("VIRTBUS_JOB_TIMEOUT_MS", "nonsense", 1);
        CHECK(domain_job_timeout_from_env() == DOMAIN_JOB_DEFAULT_TIMEOUT_USEC);
        unsetenv("VIRTBUS_JOB_TIMEOUT_MS");
        CHECK(domain_job_timeout_from_env() == DOMAIN_JOB_DEFAULT_TIMEOUT_USEC);
}

/* Internal jobs (no call) never wait; the reference an asynchronous step
 * holds tells it the job ended. */
static void test_internal_jobs(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int owner;
        DomainJobs *jobs = domain_jobs_new(NULL, &owner, DOMAIN_JOB_DEFAULT_TIMEOUT_USEC);
        DomainJob *job;

        CHECK(jobs);
        CHECK_INTEQ(domain_job_begin(jobs, DOMAIN_JOB_START, NULL, NULL, NULL, &e), 1);
        job = domain_job_ref(jobs->active);
        CHECK(job->owner == &owner);
        domain_job_set_phase(jobs, "storage");
        CHECK_STREQ(job->phase, "storage");
        CHECK(domain_job_is(jobs, DOMAIN_JOB_START) && !domain_job_is(jobs, DOMAIN_JOB_SUSPEND));
        CHECK(domain_job_begin(jobs, DOMAIN_JOB_SUSPEND, NULL, NULL, NULL, &e) < 0);
        CHECK_STREQ(e.name, "org.virtbus.Error.OperationInvalid");
        CHECK(strstr(e.message, "held by start") != NULL);
        sd_bus_error_free(&e);
        domain_job_end(jobs);
        CHECK(job->owner == NULL);
        CHECK(!jobs->active);
        domain_job_unref(job);
        CHECK_INTEQ(domain_job_begin(jobs, DOMAIN_JOB_RESET, NULL, NULL, NULL, &e), 1);
        domain_jobs_close(jobs, "t.Gone", "gone");
}

/* One job at a time; the others run in the order they came. */
static void test_queue_in_order(void) {
        if (pair_open(5ULL * 1000000) < 0) {
                UNIT_SKIP("cannot make an sd-bus connection pair");
                return;
        }
        call("Start");
        call("A");
        call("B");
        run_until(0, 200 * 1000);
        CHECK_STREQ(pair.ran, "Start ");
        CHECK_INTEQ(pair.n_answered, 0);
        domain_job_succeed(pair.jobs);
        run_until(3, 2 * 1000000);
        CHECK_STREQ(pair.ran, "Start A B ");
        CHECK_STREQ(pair.answered, "Start=ok;A=ok;B=ok;");
        pair_close();
}

/* A waiter past the timeout fails naming the job that holds the lock; the
 * owner going away answers the job and every waiter. */
static void test_timeout_and_close(void) {
        if (pair_open(200 * 1000) < 0) {
                UNIT_SKIP("cannot make an sd-bus connection pair");
                return;
        }
        call("Start");
        call("A");
        run_until(1, 2 * 1000000);
        CHECK_STREQ(pair.answered, "A=org.virtbus.Error.OperationTimeout:Timed out during operation: "
                                   "cannot acquire state change lock (held by start);");
        CHECK_STREQ(pair.ran, "Start ");
        call("B");
        run_until(0, 50 * 1000);
        pair.jobs = domain_jobs_close(pair.jobs, "t.Gone", "the owner is gone");
        run_until(3, 2 * 1000000);
        CHECK(strstr(pair.answered, "Start=t.Gone:the owner is gone;") != NULL);
        CHECK(strstr(pair.answered, "B=t.Gone:the owner is gone;") != NULL);
        CHECK_INTEQ(pair.n_answered, 3);
        pair_close();
}

UNIT_TESTS(test_kinds, test_internal_jobs, test_queue_in_order, test_timeout_and_close)
