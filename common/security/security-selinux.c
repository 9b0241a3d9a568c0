/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sVirt labels: MCS pairs unique among running guests, and contexts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "security-selinux.h"
#include "util.h"

#define SVIRT_PROCESS "system_u:system_r:svirt_t"
#define SVIRT_IMAGE "system_u:object_r:svirt_image_t"

static bool pair_ok(unsigned c1, unsigned c2) {
        return c1 < c2 && c2 < SELINUX_MCS_MAX;
}

static uint32_t pair_key(unsigned c1, unsigned c2) {
        return (uint32_t) c1 << 16 | c2;
}

void selinux_mcs_set_done(SelinuxMcsSet *s) {
        s->pairs = mfree(s->pairs);
        s->bits = mfree(s->bits);
        s->n = s->allocated = 0;
}

/* A set crowded with every pair (half a million) is walked in order by
 * selinux_mcs_allocate(): "in use" must not scan the list. */
static size_t bit_of(unsigned c1, unsigned c2) {
        return (size_t) c1 * SELINUX_MCS_MAX + c2;
}

bool selinux_mcs_used(const SelinuxMcsSet *s, unsigned c1, unsigned c2) {
        size_t b = bit_of(c1, c2);

        return pair_ok(c1, c2) && s->bits && (s->bits[b / 64] >> (b % 64) & 1);
}

int selinux_mcs_reserve(SelinuxMcsSet *s, unsigned c1, unsigned c2) {
        if (!pair_ok(c1, c2))
                return -EINVAL;
        if (selinux_mcs_used(s, c1, c2))
                return -EEXIST;
        if (!s->bits) {
                s->bits = calloc((size_t) SELINUX_MCS_MAX * SELINUX_MCS_MAX / 64, sizeof(uint64_t));
                if (!s->bits)
                        return -ENOMEM;
        }
        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 16;
                uint32_t *p = realloc(s->pairs, a * sizeof(uint32_t));
                if (!p)
                        return -ENOMEM;
                s->pairs = p;
                s->allocated = a;
        }
        s->pairs[s->n++] = pair_key(c1, c2);
        s->bits[bit_of(c1, c2) / 64] |= UINT64_C(1) << (bit_of(c1, c2) % 64);
        return 0;
}

void selinux_mcs_release(SelinuxMcsSet *s, unsigned c1, unsigned c2) {
        uint32_t k = pair_key(c1, c2);

        if (!selinux_mcs_used(s, c1, c2))
                return;
        s->bits[bit_of(c1, c2) / 64] &= ~(UINT64_C(1) << (bit_of(c1, c2) % 64));
        for (size_t i = 0; i < s->n; i++)
                if (s->pairs[i] == k) {
                        s->pairs[i] = s->pairs[--s->n];
                        return;
                }
}

static unsigned random_below(unsigned n) {
        uint32_t v;

        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
                v = (uint32_t) random();
        return v % n;
}

int selinux_mcs_allocate(SelinuxMcsSet *s, unsigned *ret_c1, unsigned *ret_c2) {
        const size_t total = (size_t) SELINUX_MCS_MAX * (SELINUX_MCS_MAX - 1) / 2;
        unsigned c1, c2;

        if (s->n >= total)
                return -ENOSPC;
        /* Random tries find a free pair at once while few are taken; a
         * crowded set is walked in order instead. */
        for (int tries = 0; tries < 1000; tries++) {
                c1 = random_below(SELINUX_MCS_MAX);
                c2 = random_below(SELINUX_MCS_MAX);
                if (c1 == c2)
                        continue;
                if (c1 > c2) {
                        unsigned t = c1;
                        c1 = c2;
                        c2 = t;
                }
                if (!selinux_mcs_used(s, c1, c2))
                        goto found;
        }
        for (c1 = 0; c1 < SELINUX_MCS_MAX; c1++)
                for (c2 = c1 + 1; c2 < SELINUX_MCS_MAX; c2++)
                        if (!selinux_mcs_used(s, c1, c2))
                                goto found;
        return -ENOSPC;
found:
        *ret_c1 = c1;
        *ret_c2 = c2;
        return selinux_mcs_reserve(s, c1, c2);
}

static bool is_name(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", s[i]))
                        return false;
        return true;
}

/* s0, s0:c1,c2, s0-s0:c0.c1023: sensitivities and categories. */
static bool is_level(const char *s) {
        if (!*s || s[0] != 's')
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("sc0123456789:,.-", *p))
                        return false;
        return true;
}

int selinux_context_check(const char *context) {
        const char *p = context;

        if (!context || strlen(context) >= 4096)
                return -EINVAL;
        for (int part = 0; part < 3; part++) {
                const char *colon = strchr(p, ':');
                if (!colon || !is_name(p, (size_t) (colon - p)))
                        return -EINVAL;
                p = colon + 1;
        }
        return is_level(p) ? 0 : -EINVAL;
}

int selinux_context_mcs(const char *context, unsigned *ret_c1, unsigned *ret_c2) {
        const char *p = context;
        unsigned c1, c2;
        int used = 0;

        for (int part = 0; part < 3 && p; part++) {
                p = strchr(p, ':');
                if (p)
                        p++;
        }
        if (!p || sscanf(p, "s0:c%u,c%u%n", &c1, &c2, &used) != 2 || p[used] || !pair_ok(c1, c2))
                return -ENOENT;
        *ret_c1 = c1;
        *ret_c2 = c2;
        return 0;
}

int selinux_dynamic_labels(const char *base, unsigned c1, unsigned c2, char **ret_label, char **ret_imagelabel) {
        _cleanup_free_ char *prefix = NULL, *label = NULL, *image = NULL;

        if (!pair_ok(c1, c2))
                return -EINVAL;
        if (base) {
                /* user:role:type of the base label, its level replaced */
                const char *p = base;
                for (int part = 0; part < 3 && p; part++) {
                        p = strchr(p, ':');
                        if (p)
                                p++;
                }
                if (selinux_context_check(base) < 0 || !p)
                        return -EINVAL;
                prefix = strndup(base, (size_t) (p - base - 1));
        } else
                prefix = strdup(SVIRT_PROCESS);
        if (!prefix || asprintf(&label, "%s:s0:c%u,c%u", prefix, c1, c2) < 0 ||
            asprintf(&image, "%s:s0:c%u,c%u", SVIRT_IMAGE, c1, c2) < 0)
                return -ENOMEM;
        *ret_label = TAKE_PTR(label);
        *ret_imagelabel = TAKE_PTR(image);
        return 0;
}
