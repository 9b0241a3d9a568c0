/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "error.h"
#include "domain-prepare.h"

PrepareJob *prepare_job_new(Domain *d, domain_prepare_fn done) {
        PrepareJob *job = calloc(1, sizeof(*job));

        if (!job)
                return NULL;
        *job = (PrepareJob) { .handle = domain_handle_get(&d->handle, d), .done = done, .pending = 1,
                              .error = SD_BUS_ERROR_NULL };
        if (!job->handle)
                return mfree(job);
        return job;
}

Domain *prepare_job_domain(const PrepareJob *job) {
        return job->handle->owner;
}

void prepare_job_hold(PrepareJob *job) {
        job->pending++;
}

void prepare_job_release(PrepareJob *job, int r, const sd_bus_error *error) {
        if (r < 0 && job->r >= 0) {
                job->r = r;
                if (error && sd_bus_error_is_set(error))
                        sd_bus_error_copy(&job->error, error);
                else
                        (void) vb_error_setf(&job->error, VB_ERROR_OPERATION_FAILED, "%s", strerror(-r));
        }
        if (--job->pending > 0)
                return;
        if (prepare_job_domain(job))
                job->done(prepare_job_domain(job), job->r, &job->error);
        domain_handle_unref(job->handle);
        sd_bus_error_free(&job->error);
        free(job);
}

void prepare_job_fail(PrepareJob *job, int r, const char *name, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        if (job->r < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        job->r = r;
        (void) vb_error_setf(&job->error, name, "%s", msg);
}
