/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hashmap.h"

typedef struct Entry {
        const char *key;
        void *value;
        struct Entry *next;
} Entry;

struct Hashmap {
        Entry **buckets;
        size_t n_buckets, size;
};

/* FNV-1a: keys are paths and names we chose or the caller gave; nothing
 * here needs to resist crafted collisions beyond a slower lookup. */
static size_t hash_string(const char *s) {
        uint64_t h = 1469598103934665603ULL;

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 1099511628211ULL;
        }
        return (size_t) h;
}

Hashmap *hashmap_new(void) {
        Hashmap *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        h->n_buckets = 16;
        h->buckets = calloc(h->n_buckets, sizeof(Entry *));
        if (!h->buckets)
                return mfree(h);
        return h;
}

void hashmap_free(Hashmap *h) {
        if (!h)
                return;
        for (size_t i = 0; i < h->n_buckets; i++)
                while (h->buckets[i]) {
                        Entry *e = h->buckets[i];
                        h->buckets[i] = e->next;
                        free(e);
                }
        free(h->buckets);
        free(h);
}

static void grow(Hashmap *h) {
        size_t n = h->n_buckets * 4;
        Entry **b = calloc(n, sizeof(Entry *));

        if (!b)
                return; /* stays correct, only slower */
        for (size_t i = 0; i < h->n_buckets; i++)
                while (h->buckets[i]) {
                        Entry *e = h->buckets[i];
                        size_t j = hash_string(e->key) % n;

                        h->buckets[i] = e->next;
                        e->next = b[j];
                        b[j] = e;
                }
        free(h->buckets);
        h->buckets = b;
        h->n_buckets = n;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        size_t i;
        Entry *e;

        if (hashmap_get(h, key))
                return -EEXIST;
        if (h->size >= h->n_buckets)
                grow(h);
        e = malloc(sizeof(*e));
        if (!e)
                return -ENOMEM;
        i = hash_string(key) % h->n_buckets;
        *e = (Entry) { .key = key, .value = value, .next = h->buckets[i] };
        h->buckets[i] = e;
        h->size++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        if (!h || !key)
                return NULL;
        for (Entry *e = h->buckets[hash_string(key) % h->n_buckets]; e; e = e->next)
                if (streq(e->key, key))
                        return e->value;
        return NULL;
}

void *hashmap_remove(Hashmap *h, const char *key, const void *value) {
        if (!h || !key)
                return NULL;
        for (Entry **p = &h->buckets[hash_string(key) % h->n_buckets]; *p; p = &(*p)->next) {
                Entry *e = *p;
                void *v;

                if (!streq(e->key, key) || (value && e->value != value))
                        continue;
                v = e->value;
                *p = e->next;
                free(e);
                h->size--;
                return v;
        }
        return NULL;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->size : 0;
}
