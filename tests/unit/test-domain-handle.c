/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The handle a domain's pending requests hold (common/domain/domain-handle.c):
 * a request made before the domain stopped finds it gone, the next run gets a
 * new handle, and the last reference frees it (run under ASan: no leak, no
 * use after free). */
#include "domain-handle.h"
#include "unit.h"

typedef struct Owner {
        DomainHandle *handle;
} Owner;

static void test_requests_share_one_handle(void) {
        Owner o = {};
        DomainHandle *a = domain_handle_get(&o.handle, &o), *b = domain_handle_get(&o.handle, &o);

        CHECK(a && a == b && a == o.handle);
        CHECK(a->owner == &o);
        CHECK_INTEQ(a->n_ref, 3); /* the domain's and two requests' */
        domain_handle_unref(b);
        domain_handle_unref(a);
        CHECK_INTEQ(o.handle->n_ref, 1);
        domain_handle_cancel(&o.handle);
        CHECK(o.handle == NULL);
}

static void test_cancel_outlives_the_owner(void) {
        Owner *o = calloc(1, sizeof(*o));
        DomainHandle *pending = domain_handle_get(&o->handle, o);

        /* The domain stops and is freed while a reply is still to come. */
        domain_handle_cancel(&o->handle);
        domain_handle_cancel(&o->handle); /* idempotent */
        free(o);
        CHECK(pending->owner == NULL);
        CHECK_INTEQ(pending->n_ref, 1);
        domain_handle_unref(pending); /* the reply came: the last reference */
}

static void test_next_run_gets_a_new_handle(void) {
        Owner o = {};
        DomainHandle *old = domain_handle_get(&o.handle, &o), *next;

        domain_handle_cancel(&o.handle);
        next = domain_handle_get(&o.handle, &o);
        CHECK(next && next->owner == &o);
        CHECK(old->owner == NULL);
        domain_handle_unref(old);
        domain_handle_unref(next);
        domain_handle_cancel(&o.handle);
        CHECK(domain_handle_ref(NULL) == NULL);
        CHECK(domain_handle_unref(NULL) == NULL);
}

UNIT_TESTS(test_requests_share_one_handle, test_cancel_outlives_the_owner, test_next_run_gets_a_new_handle)
