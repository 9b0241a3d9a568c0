/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-util.h"
#include "def-dir.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "util.h"

static Secret *secret_free(Secret *s) {
        if (!s)
                return NULL;
        secret_def_free(s->def);
        if (s->value)
                explicit_bzero(s->value, s->value_len);
        free(s->value);
        free(s->path);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Secret *, secret_free);

static int secret_new(const SecretStore *st, SecretDef *def, Secret **ret) {
        _cleanup_(secret_freep) Secret *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        uuid_format(def->uuid, s->uuid_str);
        s->path = bus_path_from_uuid(st->root, "secret", def->uuid);
        if (!s->path)
                return -ENOMEM;
        s->def = def;
        *ret = TAKE_PTR(s);
        return 0;
}

static int store_add(SecretStore *st, Secret *s) {
        Secret **a = reallocarray(st->secrets, st->n + 1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        st->secrets = a;
        st->secrets[st->n++] = s;
        return 0;
}

static void store_remove(SecretStore *st, Secret *s) {
        for (size_t i = 0; i < st->n; i++)
                if (st->secrets[i] == s) {
                        memmove(st->secrets + i, st->secrets + i + 1, (st->n - i - 1) * sizeof(*st->secrets));
                        st->n--;
                        break;
                }
        secret_free(s);
}

static char *file_of(const SecretStore *st, const Secret *s, const char *suffix) {
        char *p = NULL;

        return asprintf(&p, "%s/%s%s", st->dir, s->uuid_str, suffix) < 0 ? NULL : p;
}

/* ---- on disk ---------------------------------------------------------------- */

static int save_def(const SecretStore *st, const Secret *s) {
        _cleanup_free_ char *xml = NULL, *path = file_of(st, s, ".xml");
        int r;

        if (!path)
                return -ENOMEM;
        r = secret_def_format(s->def, &xml);
        if (r < 0)
                return r;
        return write_file_atomic(path, xml, strlen(xml), 0600);
}

static int save_value(const SecretStore *st, const Secret *s) {
        _cleanup_free_ char *path = file_of(st, s, ".value");

        if (!path)
                return -ENOMEM;
        if (!s->value)
                return unlink_if_exists(path);
        return write_file_atomic(path, s->value, s->value_len, 0600);
}

static int delete_files(const SecretStore *st, const Secret *s) {
        _cleanup_free_ char *xml = file_of(st, s, ".xml"), *value = file_of(st, s, ".value");
        int r;

        if (!xml || !value)
                return -ENOMEM;
        /* The value first: a kill in between leaves a definition without
         * a value, never a value without its definition. */
        r = unlink_if_exists(value);
        if (r >= 0)
                r = unlink_if_exists(xml);
        if (r >= 0)
                r = fsync_directory_of(xml);
        return r;
}

static int load_value(const SecretStore *st, Secret *s) {
        _cleanup_free_ char *path = file_of(st, s, ".value"), *data = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, SECRET_VALUE_MAX, &data, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_warning_errno(r, "Cannot read %s: %m", path);
        s->value = (uint8_t *) TAKE_PTR(data);
        s->value_len = len;
        return 0;
}

static int load_one(void *userdata, const char *file) {
        SecretStore *st = userdata;
        _cleanup_free_ char *path = NULL, *xml = NULL;
        _cleanup_(secret_def_freep) SecretDef *def = NULL;
        _cleanup_(secret_freep) Secret *s = NULL;
        ConfError err = {};
        size_t len = 0;
        int r;

        r = def_dir_read(st->dir, file, &path, &xml, &len);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        r = secret_def_parse(xml, len, &def, &err);
        if (r < 0) {
                log_warning("Ignoring %s: %s", path, err.message);
                return r == -ENOMEM ? r : 0;
        }
        if (def->ephemeral || secret_store_find_uuid(st, def->uuid) ||
            (def->usage_type != SECRET_USAGE_NONE && secret_store_find_usage(st, def->usage_type, def->usage_id))) {
                log_warning("Ignoring %s: ephemeral, or a second secret with its UUID or usage", path);
                return 0;
        }
        r = secret_new(st, def, &s);
        if (r < 0)
                return r;
        TAKE_PTR(def);
        r = load_value(st, s);
        if (r >= 0)
                r = store_add(st, s);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        TAKE_PTR(s);
        return 0;
}

int secret_store_open(SecretStore *st, const char *confdir, const char *bus_root) {
        int r;

        st->root = bus_root;
        st->dir = path_join(confdir, "secrets");
        if (!st->dir)
                return log_oom();
        r = mkdir_p(st->dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", st->dir);
        /* Whatever made the folder before (an older layout, a umask), it is
         * root's alone: the values are in it. */
        if (chmod(st->dir, 0700) < 0)
                return log_error_errno(errno, "Cannot make %s private: %m", st->dir);
        (void) remove_stale_temporaries(st->dir, 0);
        r = def_dir_load(st->dir, load_one, st);
        if (r < 0)
                return log_error_errno(r, "Cannot load the secrets in %s: %m", st->dir);
        log_info("%zu secrets loaded from %s", st->n, st->dir);
        return 0;
}

void secret_store_done(SecretStore *st) {
        for (size_t i = 0; i < st->n; i++)
                secret_free(st->secrets[i]);
        free(st->secrets);
        free(st->dir);
        *st = (SecretStore) {};
}

bool secret_store_has_ephemeral(const SecretStore *st) {
        for (size_t i = 0; i < st->n; i++)
                if (st->secrets[i]->def->ephemeral)
                        return true;
        return false;
}

/* ---- lookups ---------------------------------------------------------------- */

Secret *secret_store_find_uuid(const SecretStore *st, const uint8_t uuid[16]) {
        for (size_t i = 0; i < st->n; i++)
                if (memcmp(st->secrets[i]->def->uuid, uuid, 16) == 0)
                        return st->secrets[i];
        return NULL;
}

Secret *secret_store_find_usage(const SecretStore *st, int usage_type, const char *usage_id) {
        /* As libvirt: secrets without a usage are never found by it. */
        if (usage_type == SECRET_USAGE_NONE || !usage_id)
                return NULL;
        for (size_t i = 0; i < st->n; i++) {
                const SecretDef *d = st->secrets[i]->def;

                if ((int) d->usage_type == usage_type && streq_ptr(d->usage_id, usage_id))
                        return st->secrets[i];
        }
        return NULL;
}

bool secret_matches_flags(const Secret *s, uint32_t flags) {
        bool eph = s->def->ephemeral, priv = s->def->private_;

        if ((flags & (SECRET_LIST_EPHEMERAL | SECRET_LIST_NO_EPHEMERAL)) &&
            !((flags & SECRET_LIST_EPHEMERAL && eph) || (flags & SECRET_LIST_NO_EPHEMERAL && !eph)))
                return false;
        if ((flags & (SECRET_LIST_PRIVATE | SECRET_LIST_NO_PRIVATE)) &&
            !((flags & SECRET_LIST_PRIVATE && priv) || (flags & SECRET_LIST_NO_PRIVATE && !priv)))
                return false;
        return true;
}

/* ---- changes ------------------------------------------------------------------ */

static int save_failed(sd_bus_error *error, const char *what, const Secret *s, int r) {
        return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot save the %s of secret '%s': %s", what,
                             s->uuid_str, strerror(-r));
}

/* The files for a definition that replaces old (NULL: a new secret). */
static int persist_define(SecretStore *st, Secret *s, const SecretDef *old, sd_bus_error *error) {
        int r;

        if (s->def->ephemeral) {
                /* Persistent before: forget it on disk, keep it in memory. */
                r = old && !old->ephemeral ? delete_files(st, s) : 0;
                return r < 0 ? save_failed(error, "removal", s, r) : 0;
        }
        r = save_def(st, s);
        if (r < 0)
                return save_failed(error, "definition", s, r);
        if (old && old->ephemeral) {
                r = save_value(st, s);
                if (r < 0)
                        return save_failed(error, "value", s, r);
        }
        return 0;
}

static int check_redefine(const Secret *s, const SecretDef *def, sd_bus_error *error) {
        if (!streq_ptr(s->def->usage_id, def->usage_id))
                return vb_error_setf(error, VB_ERROR_INTERNAL, "a secret with UUID %s is already defined for use with %s",
                                     s->uuid_str, s->def->usage_id ?: "(null)");
        if (s->def->private_ && !def->private_)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "cannot change private flag on existing secret");
        return 0;
}

static int define_new(SecretStore *st, SecretDef **def, Secret **ret, sd_bus_error *error) {
        _cleanup_(secret_freep) Secret *s = NULL;
        const Secret *clash = secret_store_find_usage(st, (*def)->usage_type, (*def)->usage_id);
        int r;

        if (clash)
                return vb_error_setf(error, VB_ERROR_INTERNAL, "a secret with UUID %s already defined for use with %s",
                                     clash->uuid_str, (*def)->usage_id);
        r = secret_new(st, *def, &s);
        if (r < 0)
                return r;
        *def = NULL;
        r = persist_define(st, s, NULL, error);
        if (r < 0) {
                *def = TAKE_PTR(s->def); /* the caller still owns it */
                return r;
        }
        r = store_add(st, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int secret_store_define(SecretStore *st, SecretDef **def, Secret **ret, sd_bus_error *error) {
        Secret *s = secret_store_find_uuid(st, (*def)->uuid);
        SecretDef *old;
        int r;

        if (!s)
                return define_new(st, def, ret, error);
        r = check_redefine(s, *def, error);
        if (r < 0)
                return r;
        old = s->def;
        s->def = *def;
        r = persist_define(st, s, old, error);
        if (r < 0) {
                s->def = old;
                return r;
        }
        *def = NULL;
        secret_def_free(old);
        *ret = s;
        return 0;
}

int secret_store_undefine(SecretStore *st, Secret *s, sd_bus_error *error) {
        int r = s->def->ephemeral ? 0 : delete_files(st, s);

        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot remove secret '%s': %s", s->uuid_str,
                                     strerror(-r));
        store_remove(st, s);
        return 0;
}

int secret_store_set_value(SecretStore *st, Secret *s, const void *value, size_t len, sd_bus_error *error) {
        _cleanup_free_ uint8_t *copy = malloc(len ?: 1);
        uint8_t *old = s->value;
        size_t old_len = s->value_len;
        int r;

        if (!copy)
                return -ENOMEM;
        memcpy(copy, value, len);
        s->value = copy;
        s->value_len = len;
        r = s->def->ephemeral ? 0 : save_value(st, s);
        if (r < 0) {
                s->value = old;
                s->value_len = old_len;
                return save_failed(error, "value", s, r);
        }
        TAKE_PTR(copy);
        if (old)
                explicit_bzero(old, old_len);
        free(old);
        return 0;
}

int secret_value_check(const Secret *s, sd_bus_error *error) {
        if (!s->value)
                return vb_error_setf(error, VB_ERROR_NO_SECRET, "secret '%s' does not have a value", s->uuid_str);
        return 0;
}
