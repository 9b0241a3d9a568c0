/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A string-keyed hash table for the volume indexes (by key, by path, by name
 * within a pool): lookups stay O(1) with tens of thousands of volumes.
 * Keys are not copied: they must live as long as their entry. */

#include "macro.h"

typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
void hashmap_free(Hashmap *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* -EEXIST when the key is there already. */
int hashmap_put(Hashmap *h, const char *key, void *value);
void *hashmap_get(const Hashmap *h, const char *key);
/* Removes the entry if it maps key to value (or any value when value is
 * NULL); returns the value removed, or NULL. */
void *hashmap_remove(Hashmap *h, const char *key, const void *value);
size_t hashmap_size(const Hashmap *h);
