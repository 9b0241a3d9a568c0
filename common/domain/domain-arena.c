/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "domain-arena.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

int domain_arena_reserve(DomainArena *a, size_t size) {
        void *p;

        if (a->base || size == 0)
                return -EBUSY;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return -errno;
        /* all its pages in one call; an older kernel faults them one by one */
        (void) madvise(p, size, MADV_POPULATE_WRITE);
        *a = (DomainArena) { .base = p, .size = size };
        return 0;
}

void *domain_arena_alloc(DomainArena *a, size_t size, size_t align) {
        size_t at = (a->used + align - 1) & ~(align - 1);

        if (!a->base || at > a->size || size > a->size - at)
                return NULL;
        a->used = at + size;
        return a->base + at; /* zero: the block is never reused */
}

bool domain_arena_owns(const DomainArena *a, const void *p) {
        return a->base && (const char *) p >= a->base && (const char *) p < a->base + a->size;
}

void domain_arena_done(DomainArena *a) {
        if (a->base)
                (void) munmap(a->base, a->size);
        *a = (DomainArena) {};
}
