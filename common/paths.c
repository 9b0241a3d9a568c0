/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "paths.h"
#include "util.h"

static int root_dir(const char *root, const char *sub, char **ret) {
        if (asprintf(ret, "%s%s", root ? root : "", sub) < 0)
                return -ENOMEM;
        return 0;
}

int vb_paths_init(VbPaths *p, const char *root) {
        int r;

        *p = (VbPaths) {};
        if (!root)
                root = getenv("VIRTBUS_ROOT");
        if (root && (!*root || streq(root, "/")))
                root = NULL;
        if (root) {
                if (root[0] != '/')
                        return -EINVAL;
                p->root = strdup(root);
                if (!p->root)
                        return -ENOMEM;
        }
        if ((r = root_dir(p->root, "/etc/virtbus", &p->confdir)) < 0 ||
            (r = root_dir(p->root, "/run/virtbus", &p->rundir)) < 0 ||
            (r = root_dir(p->root, "/var/lib/virtbus", &p->statedir)) < 0 ||
            (r = root_dir(p->root, "/var/log/virtbus", &p->logdir)) < 0) {
                vb_paths_done(p);
                return r;
        }
        return 0;
}

void vb_paths_done(VbPaths *p) {
        free(p->root);
        free(p->confdir);
        free(p->rundir);
        free(p->statedir);
        free(p->logdir);
        *p = (VbPaths) {};
}

int vb_paths_make_dir(const char *base, const char *sub, char **ret) {
        _cleanup_free_ char *d = path_join(base, sub);
        int r;

        *ret = NULL;
        if (!d)
                return -ENOMEM;
        r = mkdir_p(d, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", d);
        *ret = TAKE_PTR(d);
        return 0;
}
