/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The start runner (common/domain/start-plan.c) without QEMU: steps run in order
 * with their phases, one may complete later (even from inside its run),
 * a failure undoes the steps begun in reverse, the finisher is swapped. */
#include <errno.h>
#include <string.h>

#include "start-plan.h"
#include "unit.h"

typedef struct Ctx {
        char log[512];      /* what happened, in order */
        unsigned begun;
        int fail_at;        /* the step (by number) whose run fails, -1 none */
        int later;          /* the step that completes later, -1 none */
        int later_inline;   /* ...and calls done from inside its run */
        int succeeded, failed, failed_r;
} Ctx;

static const StartPlan *current_plan;

static void note(Ctx *c, const char *what, const char *name) {
        strcat(c->log, what);
        strcat(c->log, name);
        strcat(c->log, " ");
}

static int run_n(Ctx *c, int n, const char *name) {
        note(c, "run:", name);
        if (n == c->fail_at)
                return -EIO;
        if (n == c->later && c->later_inline) {
                start_plan_step_done(current_plan, c, &c->begun, 0);
                return 1;
        }
        return n == c->later ? 1 : 0;
}

#define STEP_FNS(n, name)                                                 \
        static int run_##name(void *ctx) { return run_n(ctx, n, #name); } \
        static void undo_##name(void *ctx) { note(ctx, "undo:", #name); }
STEP_FNS(0, caps)
STEP_FNS(1, storage)
STEP_FNS(2, spawn)
STEP_FNS(3, cont)
STEP_FNS(4, paused)

static const StartStep steps[] = {
        { "caps", "capabilities", run_caps, NULL },
        { "storage", "storage", run_storage, undo_storage },
        { "spawn", NULL, run_spawn, undo_spawn },
};
static const StartStep finish_cont[] = { { "cont", "boot", run_cont, undo_cont } };
static const StartStep finish_paused[] = { { "paused", NULL, run_paused, undo_paused } };

static void set_phase(void *ctx, const char *phase) {
        note(ctx, "phase:", phase);
}

static void succeeded(void *ctx) {
        ((Ctx *) ctx)->succeeded++;
}

static void failed(void *ctx, int r) {
        Ctx *c = ctx;

        c->failed++;
        c->failed_r = r;
        /* As qemu-process.c does once the failure is settled. */
        start_plan_undo(current_plan, c, &c->begun);
}

static const StartPlan plan_cont = { steps, 3, finish_cont, 1, set_phase, succeeded, failed };
static const StartPlan plan_paused = { steps, 3, finish_paused, 1, set_phase, succeeded, failed };

static Ctx run(const StartPlan *p, int fail_at, int later, int inline_done) {
        Ctx c = { .fail_at = fail_at, .later = later, .later_inline = inline_done };

        current_plan = p;
        start_plan_run(p, &c, &c.begun);
        return c;
}

static void test_order(void) {
        Ctx c = run(&plan_cont, -1, -1, 0);

        (void) undo_caps; /* the caps step has nothing to undo: NULL */
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn phase:boot run:cont ");
        CHECK_INTEQ(c.succeeded, 1);
        CHECK_INTEQ(c.failed, 0);
        CHECK_INTEQ(start_plan_n_phases(&plan_cont), 3);
        CHECK_INTEQ(start_plan_n_phases(&plan_paused), 2);
}

static void test_later(void) {
        Ctx c = run(&plan_cont, -1, 1, 0);

        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage ");
        CHECK(start_plan_current(&plan_cont, c.begun) == &steps[1]);
        CHECK_INTEQ(c.succeeded, 0);
        start_plan_step_done(&plan_cont, &c, &c.begun, 0);
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn phase:boot run:cont ");
        CHECK_INTEQ(c.succeeded, 1);

        /* Done from inside its own run: the runner goes on once, not twice. */
        c = run(&plan_cont, -1, 2, 1);
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn phase:boot run:cont ");
        CHECK_INTEQ(c.succeeded, 1);
}

static void test_failure_undoes_in_reverse(void) {
        /* The failing step is undone too: it may have run in part. */
        Ctx c = run(&plan_cont, 3, -1, 0);

        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn phase:boot run:cont "
                           "undo:cont undo:spawn undo:storage ");
        CHECK_INTEQ(c.failed, 1);
        CHECK_INTEQ(c.failed_r, -EIO);
        CHECK_INTEQ(c.succeeded, 0);
        CHECK_INTEQ(c.begun, 0);

        /* A step that completes later with an error. */
        c = run(&plan_cont, -1, 2, 0);
        start_plan_step_done(&plan_cont, &c, &c.begun, -ENOENT);
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn undo:spawn undo:storage ");
        CHECK_INTEQ(c.failed_r, -ENOENT);

        /* Steps never begun are not undone. */
        c = run(&plan_cont, 1, -1, 0);
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage undo:storage ");
        CHECK(start_plan_current(&plan_cont, c.begun) == NULL);
}

static void test_finisher_swap(void) {
        Ctx c = run(&plan_paused, -1, -1, 0);

        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn run:paused ");
        CHECK_INTEQ(c.succeeded, 1);

        c = run(&plan_paused, 4, -1, 0);
        CHECK_STREQ(c.log, "phase:capabilities run:caps phase:storage run:storage run:spawn run:paused "
                           "undo:paused undo:spawn undo:storage ");
        CHECK_INTEQ(c.failed, 1);
}

UNIT_TESTS(test_order, test_later, test_failure_undoes_in_reverse, test_finisher_swap)
