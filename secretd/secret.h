/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The secrets and their values, with libvirt's rules (secret_driver.c):
 * a usage ID belongs to one secret per usage type; a secret defined again
 * under its UUID keeps its value but may not change its usage or drop its
 * private flag; an ephemeral secret and its value live in this process only.
 *
 * On disk, root's only: <confdir>/secrets/ (0700) holds <uuid>.xml and
 * <uuid>.value (0600, the raw bytes), each written atomically, so a daemon
 * killed at any point comes back with every persistent secret and value. */

#include <systemd/sd-bus.h>

#include "secret-conf.h"
#include "uuid.h"

/* remote_protocol.x's REMOTE_SECRET_VALUE_MAX. */
#define SECRET_VALUE_MAX 65536u

typedef struct Secret {
        SecretDef *def;
        uint8_t *value;        /* NULL: no value set yet */
        size_t value_len;
        char uuid_str[UUID_STRING_MAX];
        char *path;            /* the bus object */
} Secret;

typedef struct SecretStore {
        char *dir;             /* <confdir>/secrets */
        const char *root;      /* the bus root, for the objects' paths */
        Secret **secrets;
        size_t n;
} SecretStore;

/* Creates the folder and loads what it holds; a file that cannot be read
 * is logged and skipped. */
int secret_store_open(SecretStore *st, const char *confdir, const char *bus_root);
void secret_store_done(SecretStore *st);
bool secret_store_has_ephemeral(const SecretStore *st);

Secret *secret_store_find_uuid(const SecretStore *st, const uint8_t uuid[16]);
Secret *secret_store_find_usage(const SecretStore *st, int usage_type, const char *usage_id);

/* Defines def (taken on success) and gives the secret. Errors name what
 * was wrong (InternalError as libvirt for a usage clash). */
int secret_store_define(SecretStore *st, SecretDef **def, Secret **ret, sd_bus_error *error);
int secret_store_undefine(SecretStore *st, Secret *s, sd_bus_error *error);
int secret_store_set_value(SecretStore *st, Secret *s, const void *value, size_t len, sd_bus_error *error);
/* NoSecret "secret '<uuid>' does not have a value" when none is set. */
int secret_value_check(const Secret *s, sd_bus_error *error);

/* virConnectListAllSecrets' flags. */
enum {
        SECRET_LIST_EPHEMERAL = 1 << 0,
        SECRET_LIST_NO_EPHEMERAL = 1 << 1,
        SECRET_LIST_PRIVATE = 1 << 2,
        SECRET_LIST_NO_PRIVATE = 1 << 3,
        SECRET_LIST_ALL = (1 << 4) - 1,
};
bool secret_matches_flags(const Secret *s, uint32_t flags);
