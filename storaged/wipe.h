/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Wiping a volume with libvirt's algorithms (virStorageVolWipeAlgorithm).
 * zero and random are written here; the multi-pass patterns are Debian's
 * scrub; trim punches the whole range (files) or discards it (devices). */

#include "job.h"

typedef enum WipeMethod {
        WIPE_METHOD_ZERO,
        WIPE_METHOD_RANDOM,
        WIPE_METHOD_SCRUB,
        WIPE_METHOD_TRIM,
} WipeMethod;

typedef struct WipeAlgorithm {
        unsigned id;               /* libvirt's number */
        const char *name;
        WipeMethod method;
        const char *scrub_pattern; /* for WIPE_METHOD_SCRUB */
        unsigned passes;           /* progress lines scrub prints (verify included) */
} WipeAlgorithm;

enum { WIPE_ALG_ZERO, WIPE_ALG_NNSA, WIPE_ALG_DOD, WIPE_ALG_BSI, WIPE_ALG_GUTMANN, WIPE_ALG_SCHNEIER,
       WIPE_ALG_PFITZNER7, WIPE_ALG_PFITZNER33, WIPE_ALG_RANDOM, WIPE_ALG_TRIM, _WIPE_ALG_MAX };

/* NULL for a number libvirt does not define. */
const WipeAlgorithm *wipe_algorithm(unsigned id);

/* Wipes path (a regular file or a block device) with the algorithm. */
int wipe_run(Job *j, const char *path, const WipeAlgorithm *alg, ConfError *err);

/* Pure: scrub's progress output ("|....") -> dots seen, for progress. */
size_t wipe_count_dots(const char *chunk, size_t n);
