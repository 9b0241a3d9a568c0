/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdlib.h>

#include "chains.h"
#include "error.h"
#include "log.h"
#include "util.h"

char *chains_key(const char *path) {
        char buf[PATH_MAX];

        return strdup(realpath(path, buf) ? buf : path);
}

int chains_set(Manager *m, const char *owner, const char *name, char **paths, sd_bus_error *error) {
        _cleanup_strv_free_ char **keys = NULL;
        size_t n = strv_length(paths);
        int r;

        if (!inuse_owner_is_valid(owner))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid owner '%s'", owner);
        if (!inuse_owner_is_valid(name))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "invalid guest name '%s'", name);
        keys = calloc(n + 1, sizeof(char *));
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (paths[i][0] != '/')
                        return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                             "the files of guest '%s' must be absolute paths, not '%s'", name,
                                             paths[i]);
                keys[i] = chains_key(paths[i]);
                if (!keys[i])
                        return -ENOMEM;
        }
        r = inuse_replace_owner(&m->chains, owner, name, keys, n);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_OPERATION_FAILED, "cannot record the files guest '%s' reads: %s",
                                     name, strerror(-r));
        if (r > 0)
                log_debug("Guest %s (%s) reads %zu files now.", name, owner, n);
        return 0;
}

const InUseEntry *chains_user_of(Manager *m, const char *path) {
        _cleanup_free_ char *key = chains_key(path);

        return key ? inuse_entry_of(&m->chains, key) : NULL;
}
