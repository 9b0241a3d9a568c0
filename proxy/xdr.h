/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* XDR (RFC 4506) as libvirt's remote protocol uses it: big-endian words,
 * every item padded to 4 bytes. A reader walks a received payload and fails
 * with -EBADMSG on anything short, too long or malformed; a writer grows a
 * buffer up to a limit, and remembers its first failure so a chain of puts
 * needs one check at the end (xdr_writer_error()).
 *
 * Strings travel without their NUL; one that carries a NUL inside, or is
 * longer than the limit given, is refused, as libvirt's decoder does. */

#include "macro.h"

/* libvirt's limits (virnetprotocol.x, remote_protocol.x). */
#define XDR_STRING_MAX     4194304u   /* REMOTE_STRING_MAX */
#define XDR_MESSAGE_MAX    16777216u  /* header + payload, without the length word */
#define XDR_LIST_MAX       16384u     /* REMOTE_DOMAIN_LIST_MAX and the others */

typedef struct XdrReader {
        const uint8_t *data;
        size_t len, pos;
} XdrReader;

static inline XdrReader xdr_reader(const void *data, size_t len) {
        return (XdrReader) { .data = data, .len = len };
}
static inline size_t xdr_left(const XdrReader *r) {
        return r->len - r->pos;
}

int xdr_get_u32(XdrReader *r, uint32_t *ret);
int xdr_get_i32(XdrReader *r, int32_t *ret);
int xdr_get_u64(XdrReader *r, uint64_t *ret);
/* A bool is a word of 0 or 1; anything else is malformed. */
int xdr_get_bool(XdrReader *r, bool *ret);
/* Fixed opaque: n raw bytes (a uuid is 16), padded. */
int xdr_get_fixed(XdrReader *r, void *buf, size_t n);
/* A string of at most max bytes, newly allocated and NUL-terminated. */
int xdr_get_string(XdrReader *r, uint32_t max, char **ret);
/* An optional string (remote_string): absent gives NULL. */
int xdr_get_optional_string(XdrReader *r, uint32_t max, char **ret);
/* Variable opaque: a pointer into the payload (not copied) and its length. */
int xdr_get_opaque(XdrReader *r, uint32_t max, const uint8_t **ret, uint32_t *ret_len);

typedef struct XdrWriter {
        uint8_t *data;
        size_t len, cap, max;
        int error;              /* first failure, 0 while all went well */
} XdrWriter;

/* max: the most bytes the buffer may hold (0 = XDR_MESSAGE_MAX + 4). */
void xdr_writer_init(XdrWriter *w, size_t max);
void xdr_writer_done(XdrWriter *w);
static inline int xdr_writer_error(const XdrWriter *w) {
        return w->error;
}

void xdr_put_u32(XdrWriter *w, uint32_t v);
void xdr_put_i32(XdrWriter *w, int32_t v);
void xdr_put_u64(XdrWriter *w, uint64_t v);
void xdr_put_fixed(XdrWriter *w, const void *buf, size_t n);
/* s must not be NULL; longer than XDR_STRING_MAX sets -E2BIG. */
void xdr_put_string(XdrWriter *w, const char *s);
/* NULL goes as "absent". */
void xdr_put_optional_string(XdrWriter *w, const char *s);
void xdr_put_opaque(XdrWriter *w, const void *buf, uint32_t n);
/* Bytes as they are, not XDR (a stream packet's data): no padding. */
void xdr_put_raw(XdrWriter *w, const void *buf, size_t n);
/* Room for n bytes as they are, to be filled in place (a stream packet read
 * straight into its frame); NULL with the writer's error set. What is not
 * filled is given back with xdr_unput(). */
uint8_t *xdr_put_space(XdrWriter *w, size_t n);
void xdr_unput(XdrWriter *w, size_t n);
/* Overwrites a word already written at offset (a count or a length known
 * only later). */
void xdr_patch_u32(XdrWriter *w, size_t offset, uint32_t v);
