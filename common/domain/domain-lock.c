/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-client.h"
#include "bus-peer.h"
#include "error.h"
#include "lockd-client.h"
#include "log.h"
#include "domain-manager.h"
#include "domain-lock.h"

/* The leases asked for one domain in one call: a start's (done is set), or
 * those taken again after lockd came back (done is NULL). */
typedef struct LockJob {
        DomainHandle *handle;   /* its owner is NULL once the domain stopped or went away */
        char name[256];
        domain_lock_fn done;
        unsigned pending;
        int r;
        sd_bus_error error;
} LockJob;

static bool disk_needs_lease(const DomainDiskDef *disk) {
        return !disk->readonly && disk->src && disk->device == DOMAIN_DISK_DEVICE_DISK;
}

/* No lock manager on this bus: guests run without leases, as with libvirt's
 * default "nop" lock driver. */
static bool no_lock_manager(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

/* A lease pair costs four messages; through the broker each is routed
 * twice, and lockd's throughput halves. Root's private socket skips the
 * broker; it is opened again after lockd restarted or re-executed. */
sd_bus *domain_lock_bus(Manager *m) {
        sd_bus *peer = NULL;

        if (m->lockd_peer && sd_bus_is_open(m->lockd_peer) > 0)
                return m->lockd_peer;
        m->lockd_peer = sd_bus_flush_close_unref(m->lockd_peer);
        if (bus_peer_connect(m->paths.rundir, "lockd", &peer) < 0)
                return m->bus;
        if (sd_bus_attach_event(peer, m->event, SD_EVENT_PRIORITY_NORMAL) < 0) {
                sd_bus_flush_close_unref(peer);
                return m->bus;
        }
        m->lockd_peer = peer;
        m->lockd_old = false; /* a new connection: lockd may have been upgraded meanwhile */
        return peer;
}

static void job_finish(LockJob *job) {
        Domain *d = job->handle->owner;

        if (d && job->done)
                job->done(d, job->r, &job->error);
        else if (job->r < 0)
                log_warning("Cannot take the leases of %s: %s", job->name,
                            job->error.message ? job->error.message : strerror(-job->r));
        domain_handle_unref(job->handle);
        sd_bus_error_free(&job->error);
        free(job);
}

static void on_acquired(int r, const sd_bus_error *error, void *userdata) {
        LockJob *job = userdata;

        if (r < 0 && no_lock_manager(error))
                r = 0;
        if (r < 0 && job->r >= 0) {
                job->r = r;
                sd_bus_error_copy(&job->error, error);
        }
        if (--job->pending == 0)
                job_finish(job);
}

/* The guest's <lease>s (domain-lease.h): each a resource of its own,
 * "<target>/<lockspace>/<key>", held exclusively. paths gets what was
 * allocated, for the caller to free once the call is sent. */
static int add_leases(const DomainDef *def, LockdLease *leases, size_t *n, char **paths, LockJob *job) {
        for (size_t i = 0; i < def->n_leases; i++) {
                char what[512];

                paths[i] = domain_lease_resource(&def->leases[i]);
                if (paths[i]) {
                        leases[(*n)++] = (LockdLease) { paths[i], 0 };
                        continue;
                }
                domain_lease_describe(&def->leases[i], what, sizeof(what));
                (void) vb_error_setf(&job->error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: "
                                     "<lease> %s with target '%s' cannot be held by lockd: '%s/%s/%s' is no "
                                     "normalized absolute path", what, def->leases[i].path,
                                     def->leases[i].path, def->leases[i].lockspace, def->leases[i].key);
                return -EINVAL;
        }
        return 0;
}

static void free_paths(char **paths, size_t n) {
        for (size_t i = 0; paths && i < n; i++)
                free(paths[i]);
        free(paths);
}

/* The writable disks' leases and the <lease>s, in one AcquireMany: one
 * message for the guest's leases instead of one per disk. */
static int ask_leases(Domain *d, LockJob *job) {
        const DomainDef *def = d->live;
        _cleanup_free_ LockdLease *leases = calloc(def->n_disks + def->n_leases + 1, sizeof(*leases));
        char **paths = calloc(def->n_leases + 1, sizeof(char *));
        size_t n = 0;
        int r;

        if (!leases || !paths) {
                free(paths);
                return -ENOMEM;
        }
        for (size_t i = 0; i < def->n_disks; i++)
                if (disk_needs_lease(&def->disks[i]))
                        leases[n++] = (LockdLease) { def->disks[i].src,
                                                     def->disks[i].shareable ? LOCKD_LEASE_SHARED : 0 };
        r = add_leases(def, leases, &n, paths, job);
        if (r < 0 || n == 0) {
                free_paths(paths, def->n_leases);
                return r;
        }
        r = lockd_acquire_many_async(domain_lock_bus(d->manager), leases, n, d->uuid_str, def->name, d->pid,
                                     &d->manager->lockd_old, on_acquired, job, NULL);
        free_paths(paths, def->n_leases);
        if (r < 0)
                return r;
        job->pending++;
        return 0;
}

static int acquire_all(Domain *d, domain_lock_fn done) {
        LockJob *job = calloc(1, sizeof(*job));
        int r;

        if (!job)
                return -ENOMEM;
        *job = (LockJob) { .handle = domain_handle_get(&d->handle, d), .done = done, .pending = 1,
                           .error = SD_BUS_ERROR_NULL };
        if (!job->handle) {
                free(job);
                return -ENOMEM;
        }
        snprintf(job->name, sizeof(job->name), "%s", d->live->name);
        r = ask_leases(d, job);
        if (r < 0)
                job->r = r;
        if (r < 0 && !job->error.name)
                (void) vb_error_setf(&job->error, VB_ERROR_OPERATION_FAILED, "cannot ask for the leases of %s: %s",
                                     job->name, strerror(-r));
        on_acquired(0, NULL, job); /* the initial reference */
        return 0;
}

int domain_lock_acquire(Domain *d, domain_lock_fn done) {
        return acquire_all(d, done);
}

void domain_lock_release(Domain *d) {
        bool any = d->live && d->live->n_leases > 0;

        for (size_t i = 0; d->live && i < d->live->n_disks; i++)
                any = any || disk_needs_lease(&d->live->disks[i]);
        if (any)
                (void) lockd_release_owner_async(domain_lock_bus(d->manager), d->uuid_str, NULL, NULL, NULL);
}

/* Not a guest whose leases a migration hands over: the source let them go
 * for the destination to take, the destination takes them in Finish3 once
 * the source let go; taken here they would be held twice, or stop Finish3. */
void domain_lock_reacquire_all(Manager *m) {
        for (size_t i = 0; i < m->n_domains; i++) {
                Domain *d = m->domains[i];
                if (d->live && d->pid > 0 && !d->starting && !d->rolling_back && !d->leases_moving)
                        (void) acquire_all(d, NULL); /* failures are logged */
        }
}

static void on_lockd_owner(void *userdata, const char *owner) {
        Manager *m = userdata;

        m->lockd_old = false; /* whoever comes next may know AcquireMany */
        if (!*owner)
                return;
        log_info("lockd is (back) on the bus: taking the leases of running guests again.");
        domain_lock_reacquire_all(userdata);
}

int domain_lock_watch_lockd(Manager *m) {
        return bus_watch_name_owner(m->bus, LOCKD_SERVICE, on_lockd_owner, m, &m->lockd_watch);
}
