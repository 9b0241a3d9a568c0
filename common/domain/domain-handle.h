/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How an asynchronous request finds its domain again, or learns that the
 * domain is gone.
 *
 * Requests to storaged, networkd, lockd and logd (domain-prepare.h,
 * domain-lock.h, domain-log.h) and the driver's own (qemud's tuning) never
 * keep a Domain pointer: each holds a reference on the domain's handle of
 * the moment and reads handle->owner when its reply comes. The domain
 * cancels its handle when the run the requests belong to ends (the guest
 * stopped, its start was undone) and when it is freed: owner becomes NULL,
 * the domain forgets the handle, and the next request gets a new one.
 *
 * A reply that finds owner NULL frees what is its own (a tap or log fd it
 * was given, its request) and drops its reference; the last reference frees
 * the handle. So no callback touches a freed domain, and nothing leaks as
 * long as every request gets its reply (a bus call always does; the driver
 * makes sure of it for its process's monitor).
 *
 * Nothing here knows Domain: the owner is an opaque pointer. */

typedef struct DomainHandle {
        unsigned n_ref;
        void *owner;            /* NULL once cancelled */
} DomainHandle;

/* A new reference on *slot, made (for owner) when there is none yet. NULL
 * when out of memory. */
DomainHandle *domain_handle_get(DomainHandle **slot, void *owner);
DomainHandle *domain_handle_ref(DomainHandle *h);
DomainHandle *domain_handle_unref(DomainHandle *h);
/* The requests of *slot belong to nothing any more: their replies find
 * owner NULL. *slot becomes NULL. Idempotent. */
void domain_handle_cancel(DomainHandle **slot);
