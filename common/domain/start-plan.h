/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A start as data: a plan is a list of steps run in order, then a
 * "finisher" list the caller picks (for qemud, qemu-start.c: "cont" for
 * a normal start, only marking the guest paused for DOMAIN_START_PAUSED;
 * later a restore, an incoming migration or a snapshot revert bring their
 * own).
 *
 * A step's run(ctx) returns 0 when done, 1 when it completes later (its
 * callback then calls start_plan_step_done(), possibly before run even
 * returned: after returning 1 the runner touches nothing), or -errno when
 * it failed, having noted why (the plan's failed() answers). Before a step
 * runs, its phase (when it has one) is recorded through set_phase(): the
 * job phase that the live state names.
 *
 * The cursor (steps begun) lives with the owner, so the runner holds no
 * memory of its own. A failure ends the run: failed() settles it (kills
 * the guest process, waits for it) and then calls start_plan_undo(), which
 * undoes every step begun, the failing one included, in reverse: an undo
 * copes with a step that ran only in part. failed() and succeeded() may
 * free ctx.
 *
 * Nothing here knows a driver or the bus: tests/unit/test-start-plan.c. */

#include <stddef.h>

typedef struct StartStep {
        const char *name;
        const char *phase;         /* job phase recorded before it runs, NULL: keeps the last one */
        int (*run)(void *ctx);
        void (*undo)(void *ctx);   /* NULL: nothing to undo */
} StartStep;

typedef struct StartPlan {
        const StartStep *steps;
        size_t n_steps;
        const StartStep *finish;   /* the finisher, run after steps */
        size_t n_finish;
        void (*set_phase)(void *ctx, const char *phase);
        void (*succeeded)(void *ctx);
        void (*failed)(void *ctx, int r);
} StartPlan;

/* Runs the plan from its first step; *begun counts the steps begun. */
void start_plan_run(const StartPlan *p, void *ctx, unsigned *begun);
/* A step that returned 1 is done (r >= 0) or failed (r < 0). */
void start_plan_step_done(const StartPlan *p, void *ctx, unsigned *begun, int r);
/* The step under way (begun, not known done), NULL when none. */
const StartStep *start_plan_current(const StartPlan *p, unsigned begun);
/* Undoes the steps begun, last first; *begun becomes 0. */
void start_plan_undo(const StartPlan *p, void *ctx, unsigned *begun);
/* Phases in the plan, for the job's progress. */
unsigned start_plan_n_phases(const StartPlan *p);
