/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The growing arrays of object pointers the managers keep (domains, pools,
 * networks, ports): T **items, with a count and a capacity beside it.
 *
 *   r = ptr_array_grow((void ***) &m->pools, m->n_pools, &m->n_allocated);
 *   if (r < 0)
 *           return r;
 *   m->pools[m->n_pools++] = p;
 *   ...
 *   ptr_array_remove((void **) m->pools, &m->n_pools, p); */

#include "macro.h"

/* Makes room for one more item after the n there are (doubling the
 * capacity, kept in *n_allocated, when full): 0 or -ENOMEM. */
int ptr_array_grow(void ***items, size_t n, size_t *n_allocated);

/* Removes item, keeping the order of the others; false if it was not there. */
bool ptr_array_remove(void **items, size_t *n, const void *item);
