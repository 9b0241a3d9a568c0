/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libvirt's typed parameters, both ways between its wire form and D-Bus.
 *
 * On the wire (remote_protocol.x) a list is `remote_typed_param
 * params<MAX>`: a count, then for each a field name (a string) and a value
 * union discriminated by libvirt's type number. On D-Bus (libvirt-dbus) the
 * same list is an `a{sv}` whose variant's type stands for libvirt's: i INT,
 * u UINT, x LLONG, t ULLONG, d DOUBLE, b BOOLEAN, s STRING.
 *
 * Every reader is bounded: the list by the procedure's REMOTE_*_MAX, a field
 * name by libvirt's VIR_TYPED_PARAM_FIELD_LENGTH, a string by REMOTE_STRING_MAX.
 * What does not fit is refused (-EBADMSG from the wire, -EINVAL/-E2BIG from
 * D-Bus) and nothing is kept. */

#include <systemd/sd-bus.h>

#include "xdr.h"

/* virTypedParameterType */
typedef enum TypedParamType {
        TYPED_PARAM_INT = 1,
        TYPED_PARAM_UINT = 2,
        TYPED_PARAM_LLONG = 3,
        TYPED_PARAM_ULLONG = 4,
        TYPED_PARAM_DOUBLE = 5,
        TYPED_PARAM_BOOLEAN = 6,
        TYPED_PARAM_STRING = 7,
} TypedParamType;

/* VIR_TYPED_PARAM_FIELD_LENGTH counts the NUL: a name has at most 79 bytes. */
#define TYPED_PARAM_FIELD_MAX 79u

/* remote_protocol.x's limits of the lists of typed parameters. */
#define REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX 32u
#define REMOTE_DOMAIN_NUMA_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_PERF_EVENTS_MAX 64u
#define REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_BLOCK_COPY_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX 16u
#define REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX 64u
#define REMOTE_DOMAIN_JOB_STATS_MAX 64u
#define REMOTE_DOMAIN_EVENT_TUNABLE_MAX 2048u
#define REMOTE_DOMAIN_GET_CPU_STATS_MAX 2048u
#define REMOTE_NODE_MEMORY_PARAMETERS_MAX 64u
#define REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX 4096u

typedef struct TypedParam {
        char *field;
        TypedParamType type;
        union {
                int32_t i;
                uint32_t ui;
                int64_t l;
                uint64_t ul;
                double d;
                bool b;
                char *s;        /* owned */
        } v;
} TypedParam;

typedef struct TypedParams {
        TypedParam *p;
        size_t n;
} TypedParams;

void typed_params_done(TypedParams *tp);
/* The parameter named field, or NULL. */
const TypedParam *typed_params_find(const TypedParams *tp, const char *field);

/* Adding one (field and s are copied); -EINVAL for a name that is empty or
 * too long. */
int typed_params_add_u64(TypedParams *tp, const char *field, TypedParamType type, uint64_t v);
int typed_params_add_double(TypedParams *tp, const char *field, double v);
int typed_params_add_string(TypedParams *tp, const char *field, const char *s);

/* Wire: a list of at most max, into ret (what it held is freed).
 * -EBADMSG on anything malformed: too many, an unknown type number, a name
 * empty, too long or with a NUL, a boolean not 0 or 1. */
int typed_params_read_xdr(XdrReader *r, uint32_t max, TypedParams *ret);
/* The count and the list; at most max of them go out (libvirt's remote side
 * refuses more), the writer's error is -E2BIG if there are more. */
void typed_params_write_xdr(XdrWriter *w, const TypedParams *tp, uint32_t max);

/* D-Bus: appends the a{sv}. */
int typed_params_append_bus(sd_bus_message *m, const TypedParams *tp);
/* Reads an a{sv} of at most max entries into ret (what it held is freed;
 * -E2BIG past max); a variant of a type
 * libvirt has no typed parameter for is -EINVAL (error names the field when
 * ret_bad is given: a pointer into the message, valid while it lives). */
int typed_params_read_bus(sd_bus_message *m, uint32_t max, TypedParams *ret, const char **ret_bad);

/* The D-Bus type letter of a libvirt type number, 0 for none. */
char typed_param_bus_type(TypedParamType type);
