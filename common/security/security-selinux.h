/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SELinux labels for guests (sVirt), computed without libselinux.
 *
 * A dynamic label puts each QEMU in svirt_t with an MCS category pair of
 * its own, "system_u:system_r:svirt_t:s0:c12,c345", and its images in
 * svirt_image_t with the same pair, so that no guest reaches another's
 * disks. The pair is unique among the running guests: the caller fills a
 * set with the pairs of the guests that run (from their live state, so a
 * restarted daemon knows them) and allocates from it. A <baselabel> gives
 * the user, role and type the pair is added to. Static labels are taken
 * as given, once checked. Whether the host can apply any of this is
 * security_model_available(SECURITY_MODEL_SELINUX). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SELINUX_MCS_MAX 1024    /* categories c0..c1023 */

typedef struct SelinuxMcsSet {
        uint32_t *pairs;        /* c1 << 16 | c2, c1 < c2, unordered */
        size_t n, allocated;
        uint64_t *bits;         /* bit c1 * SELINUX_MCS_MAX + c2: a pair's "in use" in O(1) */
} SelinuxMcsSet;

void selinux_mcs_set_done(SelinuxMcsSet *s);
/* Marks a pair used: -EEXIST if it already is, -EINVAL if no pair. */
int selinux_mcs_reserve(SelinuxMcsSet *s, unsigned c1, unsigned c2);
void selinux_mcs_release(SelinuxMcsSet *s, unsigned c1, unsigned c2);
bool selinux_mcs_used(const SelinuxMcsSet *s, unsigned c1, unsigned c2);
/* Picks an unused pair at random (c1 < c2) and reserves it; -ENOSPC when
 * every pair is taken. */
int selinux_mcs_allocate(SelinuxMcsSet *s, unsigned *ret_c1, unsigned *ret_c2);

/* "user:role:type:level": -EINVAL unless four parts, the first three
 * made of [A-Za-z0-9_] and a level of sensitivities and categories. */
int selinux_context_check(const char *context);
/* The pair of a context whose level is "s0:cA,cB": 0, or -ENOENT. */
int selinux_context_mcs(const char *context, unsigned *ret_c1, unsigned *ret_c2);
/* The process and image labels of a pair; base (a <baselabel>, may be NULL)
 * gives the process's user, role and type. */
int selinux_dynamic_labels(const char *base, unsigned c1, unsigned c2, char **ret_label, char **ret_imagelabel);
