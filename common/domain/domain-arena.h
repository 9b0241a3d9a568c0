/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One block for the many small objects a start makes at once (the domains
 * known from the index of definitions, their object paths and names),
 * instead of three allocations each. On this kind of host a fresh page
 * costs 10-25 us (page fault, zeroing): the block is packed (no allocator
 * header nor rounding per object) and its pages are asked for in one call
 * (MADV_POPULATE_WRITE) instead of one fault each. What is carved from it
 * is not freed alone: domain_arena_owns() tells the callers of free() to
 * leave it; the block goes at domain_arena_done(). */

#include <stdbool.h>
#include <stddef.h>

typedef struct DomainArena {
        char *base;
        size_t size, used;
} DomainArena;

/* A block of size bytes (zeroed): 0, or -errno (then nothing is carved and
 * the callers allocate as before). */
int domain_arena_reserve(DomainArena *a, size_t size);
/* size bytes aligned to align (a power of two), zeroed; NULL when full. */
void *domain_arena_alloc(DomainArena *a, size_t size, size_t align);
bool domain_arena_owns(const DomainArena *a, const void *p);
void domain_arena_done(DomainArena *a);
