/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "typed-params.h"
#include "util.h"

void typed_params_done(TypedParams *tp) {
        for (size_t i = 0; i < tp->n; i++) {
                free(tp->p[i].field);
                if (tp->p[i].type == TYPED_PARAM_STRING)
                        free(tp->p[i].v.s);
        }
        free(tp->p);
        *tp = (TypedParams) {};
}

const TypedParam *typed_params_find(const TypedParams *tp, const char *field) {
        for (size_t i = 0; i < tp->n; i++)
                if (strcmp(tp->p[i].field, field) == 0)
                        return &tp->p[i];
        return NULL;
}

char typed_param_bus_type(TypedParamType type) {
        switch (type) {
        case TYPED_PARAM_INT: return 'i';
        case TYPED_PARAM_UINT: return 'u';
        case TYPED_PARAM_LLONG: return 'x';
        case TYPED_PARAM_ULLONG: return 't';
        case TYPED_PARAM_DOUBLE: return 'd';
        case TYPED_PARAM_BOOLEAN: return 'b';
        case TYPED_PARAM_STRING: return 's';
        }
        return 0;
}

static TypedParamType type_of_bus(char c) {
        switch (c) {
        case 'i': return TYPED_PARAM_INT;
        case 'u': return TYPED_PARAM_UINT;
        case 'x': return TYPED_PARAM_LLONG;
        case 't': return TYPED_PARAM_ULLONG;
        case 'd': return TYPED_PARAM_DOUBLE;
        case 'b': return TYPED_PARAM_BOOLEAN;
        case 's': return TYPED_PARAM_STRING;
        }
        return 0;
}

static bool field_ok(const char *field) {
        size_t n = strlen(field);

        return n > 0 && n <= TYPED_PARAM_FIELD_MAX;
}

/* A new slot whose name is a copy of field; NULL on ENOMEM. */
static TypedParam *add_slot(TypedParams *tp, const char *field, TypedParamType type) {
        TypedParam *p = realloc(tp->p, (tp->n + 1) * sizeof(*p));

        if (!p)
                return NULL;
        tp->p = p;
        p = &tp->p[tp->n];
        *p = (TypedParam) { .field = strdup(field), .type = type };
        if (!p->field)
                return NULL;
        tp->n++;
        return p;
}

int typed_params_add_u64(TypedParams *tp, const char *field, TypedParamType type, uint64_t v) {
        TypedParam *p;

        if (!field_ok(field) || type == TYPED_PARAM_DOUBLE || type == TYPED_PARAM_STRING || !typed_param_bus_type(type))
                return -EINVAL;
        p = add_slot(tp, field, type);
        if (!p)
                return -ENOMEM;
        switch (type) {
        case TYPED_PARAM_INT: p->v.i = (int32_t) v; break;
        case TYPED_PARAM_UINT: p->v.ui = (uint32_t) v; break;
        case TYPED_PARAM_LLONG: p->v.l = (int64_t) v; break;
        case TYPED_PARAM_BOOLEAN: p->v.b = v != 0; break;
        default: p->v.ul = v; break;
        }
        return 0;
}

int typed_params_add_double(TypedParams *tp, const char *field, double v) {
        TypedParam *p;

        if (!field_ok(field))
                return -EINVAL;
        p = add_slot(tp, field, TYPED_PARAM_DOUBLE);
        if (!p)
                return -ENOMEM;
        p->v.d = v;
        return 0;
}

int typed_params_add_string(TypedParams *tp, const char *field, const char *s) {
        char *copy;
        TypedParam *p;

        if (!field_ok(field) || strlen(s) > XDR_STRING_MAX)
                return -EINVAL;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        p = add_slot(tp, field, TYPED_PARAM_STRING);
        if (!p) {
                free(copy);
                return -ENOMEM;
        }
        p->v.s = copy;
        return 0;
}

/* --- wire ------------------------------------------------------------------ */

static int read_one(XdrReader *r, TypedParams *tp) {
        char *field = NULL, *s = NULL;
        int32_t type;
        uint64_t u64 = 0;
        uint32_t u32;
        double d = 0;
        int e;

        e = xdr_get_string(r, TYPED_PARAM_FIELD_MAX, &field);
        if (e < 0)
                return e;
        if (!field[0] || xdr_get_i32(r, &type) < 0) {
                free(field);
                return -EBADMSG;
        }
        switch (type) {
        case TYPED_PARAM_INT:
        case TYPED_PARAM_UINT:
                e = xdr_get_u32(r, &u32);
                u64 = type == TYPED_PARAM_INT ? (uint64_t) (int64_t) (int32_t) u32 : u32;
                break;
        case TYPED_PARAM_BOOLEAN:
                /* an int on the wire; libvirt's own encoder only sends 0 or 1 */
                e = xdr_get_u32(r, &u32);
                if (e >= 0 && u32 > 1)
                        e = -EBADMSG;
                u64 = u32;
                break;
        case TYPED_PARAM_LLONG:
        case TYPED_PARAM_ULLONG:
                e = xdr_get_u64(r, &u64);
                break;
        case TYPED_PARAM_DOUBLE:
                /* XDR's double is IEEE 754 binary64, big-endian like every word */
                e = xdr_get_u64(r, &u64);
                memcpy(&d, &u64, sizeof(d));
                break;
        case TYPED_PARAM_STRING:
                e = xdr_get_string(r, XDR_STRING_MAX, &s);
                break;
        default:
                e = -EBADMSG;
        }
        if (e >= 0) {
                if (type == TYPED_PARAM_STRING)
                        e = typed_params_add_string(tp, field, s);
                else if (type == TYPED_PARAM_DOUBLE)
                        e = typed_params_add_double(tp, field, d);
                else
                        e = typed_params_add_u64(tp, field, type, u64);
        }
        free(field);
        free(s);
        return e == -ENOMEM ? e : e < 0 ? -EBADMSG : 0;
}

int typed_params_read_xdr(XdrReader *r, uint32_t max, TypedParams *ret) {
        TypedParams tp = {};
        uint32_t n;
        int e;

        if (xdr_get_u32(r, &n) < 0 || n > max)
                return -EBADMSG;
        /* each one takes 12 bytes at least: refuse a count the payload cannot hold */
        if (n > xdr_left(r) / 12)
                return -EBADMSG;
        for (uint32_t i = 0; i < n; i++) {
                e = read_one(r, &tp);
                if (e < 0) {
                        typed_params_done(&tp);
                        return e;
                }
        }
        typed_params_done(ret);
        *ret = tp;
        return 0;
}

void typed_params_write_xdr(XdrWriter *w, const TypedParams *tp, uint32_t max) {
        uint64_t u64;

        if (tp->n > max) {
                if (!w->error)
                        w->error = -E2BIG;
                return;
        }
        xdr_put_u32(w, tp->n);
        for (size_t i = 0; i < tp->n; i++) {
                const TypedParam *p = &tp->p[i];
                xdr_put_string(w, p->field);
                xdr_put_i32(w, p->type);
                switch (p->type) {
                case TYPED_PARAM_INT: xdr_put_i32(w, p->v.i); break;
                case TYPED_PARAM_UINT: xdr_put_u32(w, p->v.ui); break;
                case TYPED_PARAM_LLONG: xdr_put_u64(w, (uint64_t) p->v.l); break;
                case TYPED_PARAM_ULLONG: xdr_put_u64(w, p->v.ul); break;
                case TYPED_PARAM_BOOLEAN: xdr_put_u32(w, p->v.b); break;
                case TYPED_PARAM_DOUBLE:
                        memcpy(&u64, &p->v.d, sizeof(u64));
                        xdr_put_u64(w, u64);
                        break;
                case TYPED_PARAM_STRING: xdr_put_string(w, p->v.s); break;
                }
        }
}

/* --- D-Bus ----------------------------------------------------------------- */

static int append_one(sd_bus_message *m, const TypedParam *p) {
        char sig[2] = { typed_param_bus_type(p->type), 0 };
        int b = p->v.b;
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', p->field);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', sig);
        if (r < 0)
                return r;
        switch (p->type) {
        case TYPED_PARAM_INT: r = sd_bus_message_append_basic(m, 'i', &p->v.i); break;
        case TYPED_PARAM_UINT: r = sd_bus_message_append_basic(m, 'u', &p->v.ui); break;
        case TYPED_PARAM_LLONG: r = sd_bus_message_append_basic(m, 'x', &p->v.l); break;
        case TYPED_PARAM_ULLONG: r = sd_bus_message_append_basic(m, 't', &p->v.ul); break;
        case TYPED_PARAM_DOUBLE: r = sd_bus_message_append_basic(m, 'd', &p->v.d); break;
        case TYPED_PARAM_BOOLEAN: r = sd_bus_message_append_basic(m, 'b', &b); break;
        case TYPED_PARAM_STRING: r = sd_bus_message_append_basic(m, 's', p->v.s); break;
        default: r = -EINVAL;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int typed_params_append_bus(sd_bus_message *m, const TypedParams *tp) {
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        for (size_t i = 0; i < tp->n && r >= 0; i++)
                r = append_one(m, &tp->p[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* The variant's value, entered already. */
static int read_value(sd_bus_message *m, const char *field, char type, TypedParams *tp) {
        union {
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                int b;
                const char *s;
        } v;
        int r = sd_bus_message_read_basic(m, type, &v);

        if (r < 0)
                return r;
        switch (type) {
        case 'i': return typed_params_add_u64(tp, field, TYPED_PARAM_INT, (uint64_t) (int64_t) v.i);
        case 'u': return typed_params_add_u64(tp, field, TYPED_PARAM_UINT, v.u);
        case 'x': return typed_params_add_u64(tp, field, TYPED_PARAM_LLONG, (uint64_t) v.x);
        case 't': return typed_params_add_u64(tp, field, TYPED_PARAM_ULLONG, v.t);
        case 'b': return typed_params_add_u64(tp, field, TYPED_PARAM_BOOLEAN, v.b != 0);
        case 'd': return typed_params_add_double(tp, field, v.d);
        default: return typed_params_add_string(tp, field, v.s);
        }
}

int typed_params_read_bus(sd_bus_message *m, uint32_t max, TypedParams *ret, const char **ret_bad) {
        TypedParams tp = {};
        const char *field, *contents;
        char type;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                unsigned depth = 1;

                r = sd_bus_message_read_basic(m, 's', &field);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, &type, &contents);
                /* libvirt-dbus wraps its results' values in a second variant */
                if (r >= 0 && contents && streq(contents, "v")) {
                        r = sd_bus_message_enter_container(m, 'v', "v");
                        if (r >= 0)
                                r = sd_bus_message_peek_type(m, &type, &contents);
                        depth++;
                }
                if (r < 0)
                        break;
                if (ret_bad)
                        *ret_bad = field;
                if (tp.n >= max) {
                        r = -E2BIG;
                        break;
                }
                if (!contents || strlen(contents) != 1 || !type_of_bus(contents[0]) || !field_ok(field)) {
                        r = -EINVAL;
                        break;
                }
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r >= 0)
                        r = read_value(m, field, contents[0], &tp);
                for (unsigned i = 0; i < depth + 1 && r >= 0; i++)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                typed_params_done(&tp);
                return r;
        }
        if (ret_bad)
                *ret_bad = NULL;
        typed_params_done(ret);
        *ret = tp;
        return 0;
}
