/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "domain-handle.h"

DomainHandle *domain_handle_get(DomainHandle **slot, void *owner) {
        if (!*slot) {
                DomainHandle *h = calloc(1, sizeof(*h));

                if (!h)
                        return NULL;
                /* The slot's reference: dropped by domain_handle_cancel(). */
                *h = (DomainHandle) { .n_ref = 1, .owner = owner };
                *slot = h;
        }
        return domain_handle_ref(*slot);
}

DomainHandle *domain_handle_ref(DomainHandle *h) {
        if (h)
                h->n_ref++;
        return h;
}

DomainHandle *domain_handle_unref(DomainHandle *h) {
        if (h && --h->n_ref == 0)
                free(h);
        return NULL;
}

void domain_handle_cancel(DomainHandle **slot) {
        DomainHandle *h = *slot;

        *slot = NULL;
        if (!h)
                return;
        h->owner = NULL;
        domain_handle_unref(h);
}
