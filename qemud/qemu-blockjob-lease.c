/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The leases of block jobs (lockd, as libvirt's lock manager does for a
 * copy's target): a copy takes one on its destination before QEMU opens it,
 * so a file another guest holds (on this host, through another daemon, or
 * on another host sharing the lockspace) is refused; a copy that does not
 * pivot gives it back; a pivot gives back the old image's and, after an
 * active commit, takes the base's, which the disk now is. */
#include "domain-lock.h"
#include "lockd-client.h"
#include "log.h"
#include "qemu-blockjob-internal.h"

bool blockjob_lease_no_manager(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

int blockjob_lease_take(Domain *d, const char *path, lockd_reply_fn cb, void *userdata) {
        return lockd_acquire_async(domain_lock_bus(d->manager), path, d->uuid_str, d->def->name, d->pid, 0, cb,
                                   userdata, NULL);
}

void blockjob_lease_release(Domain *d, const char *path) {
        if (path)
                (void) lockd_release_async(domain_lock_bus(d->manager), path, d->uuid_str, NULL, NULL, NULL);
}

static void on_taken(int r, const sd_bus_error *error, void *userdata) {
        char *path = userdata;

        if (r < 0 && !blockjob_lease_no_manager(error))
                log_warning("Cannot take the lease on %s after a pivot: %s", path,
                            error && error->message ? error->message : strerror(-r));
        free(path);
}

void blockjob_lease_follow_pivot(Domain *d, const char *old, const char *new, bool take_new) {
        char *p;

        if (streq_ptr(old, new))
                return;
        blockjob_lease_release(d, old);
        if (!take_new || !new || !(p = strdup(new)))
                return;
        if (blockjob_lease_take(d, p, on_taken, p) < 0)
                free(p);
}
