/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AttachDevice and DetachDevice of a <lease> (qemu-lease.h), as libvirt's
 * qemuDomainAttachLease/DetachLease: nothing of QEMU's changes; a live
 * attach takes the lease from lockd for the guest's process first (a
 * lease another guest holds is refused naming it, the guest unchanged), a
 * live detach gives it back. The start takes a guest's leases with its
 * disks' (domain-lock.c); lockd drops them when QEMU ends. */
#include <errno.h>

#include "domain-affect.h"
#include "domain-job.h"
#include "domain-lock.h"
#include "domain-status.h"
#include "error.h"
#include "lockd-client.h"
#include "qemu-domain.h"
#include "qemu-hotplug-internal.h"
#include "qemu-lease.h"
#include "util.h"

typedef struct LeaseJob {
        DomainHandle *handle;
        DomainDef *live;           /* the live definition once the lease is held */
        DomainDef *config;         /* CONFIG too: the persistent one, or NULL */
        char *what;                /* "lockspace 'a' key 'k'" */
} LeaseJob;

static void lease_job_free(LeaseJob *j) {
        domain_handle_unref(j->handle);
        domain_def_free(j->live);
        domain_def_free(j->config);
        free(j->what);
        free(j);
}

/* libvirt's virDomainLeaseIndex: the same key in the same lockspace. */
static ssize_t find_lease(const DomainDef *def, const DomainLeaseDef *want) {
        for (size_t i = 0; def && i < def->n_leases; i++)
                if (streq_ptr(def->leases[i].lockspace, want->lockspace) && streq_ptr(def->leases[i].key, want->key))
                        return (ssize_t) i;
        return -1;
}

/* def with holder's lease added (a copy), or the error naming it. */
static int with_lease(const DomainDef *def, const DomainLeaseDef *l, DomainDef **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *copy = NULL, *one = NULL;
        DomainDef holder = { .leases = (DomainLeaseDef *) l, .n_leases = 1 };
        int r;

        if (find_lease(def, l) >= 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "Requested operation is not valid: Lease "
                                     "%s in lockspace %s already exists", l->key, l->lockspace);
        r = domain_def_copy(def, &copy);
        if (r >= 0)
                r = domain_def_copy(&holder, &one); /* the lease's own strings */
        if (r >= 0)
                r = domain_def_take_devices(copy, one);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(copy);
        return 0;
}

static int commit(Domain *d, LeaseJob *j, sd_bus_error *error) {
        domain_def_free(d->live);
        d->live = TAKE_PTR(j->live);
        (void) domain_status_save(d);
        if (!j->config)
                return 0;
        int r = domain_config_commit(d, j->config, error);
        if (r >= 0)
                j->config = NULL;
        return r;
}

static bool no_lock_manager(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

static void on_acquired(int r, const sd_bus_error *error, void *userdata) {
        LeaseJob *j = userdata;
        Domain *d = j->handle->owner;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!d) {
                lease_job_free(j);
                return;
        }
        if (r < 0 && !no_lock_manager(error)) {
                domain_job_fail(d->jobs, error && error->name ? error->name : VB_ERROR_OPERATION_FAILED,
                                error && error->message ? error->message : strerror(-r));
                lease_job_free(j);
                return;
        }
        if (commit(d, j, &e) < 0)
                domain_job_fail(d->jobs, e.name, e.message);
        else
                domain_job_succeed(d->jobs);
        sd_bus_error_free(&e);
        lease_job_free(j);
}

static int attach_live(Domain *d, const DomainLeaseDef *l, DomainDef **config, sd_bus_error *error) {
        _cleanup_free_ char *path = domain_lease_resource(l);
        char what[512];
        LeaseJob *j;
        int r;

        if (!d->live || d->pid <= 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
        domain_lease_describe(l, what, sizeof(what));
        if (!path)
                return vb_error_setf(error, VB_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration: <lease> %s with "
                                     "target '%s' cannot be held by lockd: no normalized absolute path", what,
                                     l->path);
        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->handle = domain_handle_get(&d->handle, d);
        j->what = strdup(what);
        r = j->handle && j->what ? with_lease(d->live, l, &j->live, error) : -ENOMEM;
        if (r >= 0)
                r = lockd_acquire_async(domain_lock_bus(d->manager), path, d->uuid_str, d->def->name, d->pid, 0,
                                        on_acquired, j, NULL);
        if (r < 0) {
                lease_job_free(j);
                return r;
        }
        j->config = TAKE_PTR(*config);
        return 1;
}

static int lease_attach(Domain *d, const DomainDef *holder, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *config = NULL;
        const DomainLeaseDef *l = &holder->leases[0];
        int r;

        if (flags & DOMAIN_AFFECT_CONFIG) {
                r = with_lease(hotplug_config_def(d), l, &config, error);
                if (r < 0)
                        return r;
        }
        if (flags & DOMAIN_AFFECT_LIVE)
                return attach_live(d, l, &config, error);
        r = domain_config_commit(d, config, error);
        if (r >= 0)
                TAKE_PTR(config);
        return r;
}

static int without_lease(const DomainDef *def, const DomainLeaseDef *l, DomainDef **ret, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *copy = NULL;
        ssize_t i = find_lease(def, l);
        int r;

        if (i < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid argument: Lease %s in lockspace %s does "
                                     "not exist", l->key, l->lockspace);
        r = domain_def_copy(def, &copy);
        if (r >= 0)
                r = domain_def_remove_device(copy, "lease", (size_t) i);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(copy);
        return 0;
}

/* lockd answers in order: a start or attach that asks for the lease after
 * this returns finds it free. */
static int lease_detach(Domain *d, const DomainDef *holder, unsigned flags, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *config = NULL, *live = NULL;
        const DomainLeaseDef *l = &holder->leases[0];
        int r;

        if (flags & DOMAIN_AFFECT_CONFIG) {
                r = without_lease(hotplug_config_def(d), l, &config, error);
                if (r < 0)
                        return r;
        }
        if (flags & DOMAIN_AFFECT_LIVE) {
                ssize_t i = find_lease(d->live, l);
                _cleanup_free_ char *path = NULL;

                if (!d->live || d->pid <= 0)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "domain is not running");
                r = without_lease(d->live, l, &live, error);
                if (r < 0)
                        return r;
                path = domain_lease_resource(&d->live->leases[i]);
                if (path)
                        (void) lockd_release_async(domain_lock_bus(d->manager), path, d->uuid_str, NULL, NULL, NULL);
                domain_def_free(d->live);
                d->live = TAKE_PTR(live);
                (void) domain_status_save(d);
        }
        if (!config)
                return 0;
        r = domain_config_commit(d, config, error);
        if (r >= 0)
                TAKE_PTR(config);
        return r;
}

int qemu_lease_device_op(Domain *d, const char *xml, unsigned flags, bool attach, sd_bus_error *error) {
        _cleanup_(domain_def_freep) DomainDef *holder = NULL;
        const char *kind = NULL;
        ConfError e = {};

        /* not a lease, or not even a device: the general path says so */
        if (domain_def_parse_device(xml, 0, &holder, &kind, &e) < 0 || !streq_ptr(kind, "lease"))
                return -ENOTTY;
        return attach ? lease_attach(d, holder, flags, error) : lease_detach(d, holder, flags, error);
}
