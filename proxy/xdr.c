/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xdr.h"

static size_t pad4(size_t n) {
        return (n + 3) & ~(size_t) 3;
}

static int take(XdrReader *r, size_t n, const uint8_t **ret) {
        if (n > xdr_left(r))
                return -EBADMSG;
        *ret = r->data + r->pos;
        r->pos += n;
        return 0;
}

int xdr_get_u32(XdrReader *r, uint32_t *ret) {
        const uint8_t *p;

        if (take(r, 4, &p) < 0)
                return -EBADMSG;
        *ret = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
        return 0;
}

int xdr_get_i32(XdrReader *r, int32_t *ret) {
        uint32_t v;
        int e = xdr_get_u32(r, &v);

        if (e >= 0)
                *ret = (int32_t) v;
        return e;
}

int xdr_get_u64(XdrReader *r, uint64_t *ret) {
        uint32_t hi, lo;

        if (xdr_get_u32(r, &hi) < 0 || xdr_get_u32(r, &lo) < 0)
                return -EBADMSG;
        *ret = (uint64_t) hi << 32 | lo;
        return 0;
}

int xdr_get_bool(XdrReader *r, bool *ret) {
        uint32_t v;

        if (xdr_get_u32(r, &v) < 0 || v > 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* n bytes and their padding, which must be zero. */
static int take_padded(XdrReader *r, size_t n, const uint8_t **ret) {
        const uint8_t *p, *pad;

        if (take(r, n, &p) < 0 || take(r, pad4(n) - n, &pad) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < pad4(n) - n; i++)
                if (pad[i])
                        return -EBADMSG;
        *ret = p;
        return 0;
}

int xdr_get_fixed(XdrReader *r, void *buf, size_t n) {
        const uint8_t *p;

        if (take_padded(r, n, &p) < 0)
                return -EBADMSG;
        memcpy(buf, p, n);
        return 0;
}

int xdr_get_opaque(XdrReader *r, uint32_t max, const uint8_t **ret, uint32_t *ret_len) {
        uint32_t n;

        if (xdr_get_u32(r, &n) < 0 || n > max || take_padded(r, n, ret) < 0)
                return -EBADMSG;
        *ret_len = n;
        return 0;
}

int xdr_get_string(XdrReader *r, uint32_t max, char **ret) {
        const uint8_t *p;
        uint32_t n;
        char *s;

        if (xdr_get_opaque(r, max, &p, &n) < 0 || memchr(p, 0, n))
                return -EBADMSG;
        s = malloc(n + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, p, n);
        s[n] = 0;
        *ret = s;
        return 0;
}

int xdr_get_optional_string(XdrReader *r, uint32_t max, char **ret) {
        bool present;

        if (xdr_get_bool(r, &present) < 0)
                return -EBADMSG;
        if (!present) {
                *ret = NULL;
                return 0;
        }
        return xdr_get_string(r, max, ret);
}

void xdr_writer_init(XdrWriter *w, size_t max) {
        *w = (XdrWriter) { .max = max ? max : XDR_MESSAGE_MAX + 4 };
}

void xdr_writer_done(XdrWriter *w) {
        free(w->data);
        *w = (XdrWriter) {};
}

/* Room for n more bytes, or the writer's error set. */
static uint8_t *grow(XdrWriter *w, size_t n) {
        size_t cap;
        uint8_t *p;

        if (w->error)
                return NULL;
        if (n > w->max - w->len) {
                w->error = -E2BIG;
                return NULL;
        }
        if (w->len + n > w->cap) {
                cap = MAX(w->cap * 2, (size_t) 256);
                while (cap < w->len + n)
                        cap *= 2;
                p = realloc(w->data, cap);
                if (!p) {
                        w->error = -ENOMEM;
                        return NULL;
                }
                w->data = p;
                w->cap = cap;
        }
        p = w->data + w->len;
        w->len += n;
        return p;
}

static void store_u32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

void xdr_put_u32(XdrWriter *w, uint32_t v) {
        uint8_t *p = grow(w, 4);

        if (p)
                store_u32(p, v);
}

void xdr_put_i32(XdrWriter *w, int32_t v) {
        xdr_put_u32(w, (uint32_t) v);
}

void xdr_put_u64(XdrWriter *w, uint64_t v) {
        xdr_put_u32(w, v >> 32);
        xdr_put_u32(w, (uint32_t) v);
}

void xdr_put_fixed(XdrWriter *w, const void *buf, size_t n) {
        uint8_t *p = grow(w, pad4(n));

        if (!p)
                return;
        if (n)
                memcpy(p, buf, n);
        memset(p + n, 0, pad4(n) - n);
}

void xdr_put_raw(XdrWriter *w, const void *buf, size_t n) {
        uint8_t *p = grow(w, n);

        if (p && n)
                memcpy(p, buf, n);
}

uint8_t *xdr_put_space(XdrWriter *w, size_t n) {
        return grow(w, n);
}

void xdr_unput(XdrWriter *w, size_t n) {
        w->len -= MIN(n, w->len);
}

void xdr_put_opaque(XdrWriter *w, const void *buf, uint32_t n) {
        xdr_put_u32(w, n);
        xdr_put_fixed(w, buf, n);
}

void xdr_put_string(XdrWriter *w, const char *s) {
        size_t n = strlen(s);

        if (n > XDR_STRING_MAX) {
                if (!w->error)
                        w->error = -E2BIG;
                return;
        }
        xdr_put_opaque(w, s, n);
}

void xdr_put_optional_string(XdrWriter *w, const char *s) {
        xdr_put_u32(w, s != NULL);
        if (s)
                xdr_put_string(w, s);
}

void xdr_patch_u32(XdrWriter *w, size_t offset, uint32_t v) {
        if (!w->error && offset + 4 <= w->len)
                store_u32(w->data + offset, v);
}
