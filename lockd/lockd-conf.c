/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-file.h"
#include "lockd-conf.h"
#include "util.h"

void lockd_config_done(LockdConfig *c) {
        free(c->lockspace_dir);
        *c = (LockdConfig) {};
}

static int apply(void *userdata, const char *key, const char *value) {
        LockdConfig *c = userdata;

        if (streq(key, "lockspace_dir")) {
                char *d;

                if (!path_is_normalized_absolute(value))
                        return -EINVAL;
                d = strdup(value);
                if (!d)
                        return -ENOMEM;
                free_and_replace_str(&c->lockspace_dir, d);
                return 0;
        }
        return -EINVAL;
}

int lockd_config_parse(LockdConfig *c, const char *text, unsigned *ret_line) {
        return conf_parse_text(text, apply, c, ret_line);
}

int lockd_config_load(LockdConfig *c, const VbPaths *paths) {
        *c = (LockdConfig) {};
        if (asprintf(&c->lockspace_dir, "%s/lockd/lockspace", paths->statedir) < 0)
                return -ENOMEM;
        return conf_load_file(paths->confdir, "lockd.conf", apply, c);
}
