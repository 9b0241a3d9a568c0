/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "start-plan.h"

static size_t plan_length(const StartPlan *p) {
        return p->n_steps + p->n_finish;
}

static const StartStep *plan_step(const StartPlan *p, size_t i) {
        if (i < p->n_steps)
                return &p->steps[i];
        if (i < plan_length(p))
                return &p->finish[i - p->n_steps];
        return NULL;
}

/* Runs steps from *begun on until one completes later, fails, or all are
 * done. After run() returned 1 or a callback ended the plan, the owner's
 * memory (begun included) may be gone: nothing is touched any more. */
static void run_from(const StartPlan *p, void *ctx, unsigned *begun) {
        for (;;) {
                const StartStep *s = plan_step(p, *begun);
                int r;

                if (!s) {
                        p->succeeded(ctx);
                        return;
                }
                if (s->phase && p->set_phase)
                        p->set_phase(ctx, s->phase);
                (*begun)++;
                r = s->run(ctx);
                if (r < 0) {
                        p->failed(ctx, r);
                        return;
                }
                if (r > 0)
                        return;
        }
}

void start_plan_run(const StartPlan *p, void *ctx, unsigned *begun) {
        *begun = 0;
        run_from(p, ctx, begun);
}

void start_plan_step_done(const StartPlan *p, void *ctx, unsigned *begun, int r) {
        if (r < 0) {
                p->failed(ctx, r);
                return;
        }
        run_from(p, ctx, begun);
}

const StartStep *start_plan_current(const StartPlan *p, unsigned begun) {
        return begun > 0 ? plan_step(p, begun - 1) : NULL;
}

void start_plan_undo(const StartPlan *p, void *ctx, unsigned *begun) {
        while (*begun > 0) {
                const StartStep *s = plan_step(p, --*begun);

                if (s && s->undo)
                        s->undo(ctx);
        }
}

unsigned start_plan_n_phases(const StartPlan *p) {
        unsigned n = 0;

        for (size_t i = 0; i < plan_length(p); i++)
                if (plan_step(p, i)->phase)
                        n++;
        return n;
}
