/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SHA-256 (FIPS 180-4), small and dependency-free: lockd names lease files
 * by the hash of the resource path, so every host sharing a lockspace
 * directory derives the same file name for the same disk. */

#include "macro.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (SHA256_DIGEST_SIZE * 2 + 1)

typedef struct Sha256 {
        uint32_t h[8];
        uint64_t length;     /* bytes fed so far */
        uint8_t block[64];
        size_t fill;         /* bytes waiting in block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t len);
void sha256_final(Sha256 *s, uint8_t digest[SHA256_DIGEST_SIZE]);

/* One-shot helpers. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);
/* Lowercase hex of the digest of a string; returns buf. */
char *sha256_hex(const char *s, char buf[SHA256_HEX_SIZE]);
