/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ptr-array.h"

int ptr_array_grow(void ***items, size_t n, size_t *n_allocated) {
        size_t want;
        void **a;

        if (n < *n_allocated)
                return 0;
        want = *n_allocated ? *n_allocated * 2 : 16;
        a = realloc(*items, want * sizeof(void *));
        if (!a)
                return -ENOMEM;
        *items = a;
        *n_allocated = want;
        return 0;
}

bool ptr_array_remove(void **items, size_t *n, const void *item) {
        for (size_t i = 0; i < *n; i++)
                if (items[i] == item) {
                        memmove(items + i, items + i + 1, (*n - i - 1) * sizeof(void *));
                        (*n)--;
                        return true;
                }
        return false;
}
