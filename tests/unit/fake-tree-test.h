/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A made-up host tree (a sysfs, a /dev, a run dir) below a temporary
 * directory root, for the tests of code that reads the host's files. */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "unit.h"

/* root/rel with its parents: a file holding text, or a directory when text
 * is NULL. */
static inline int fake_tree_put(const char *root, const char *rel, const char *text) {
        _cleanup_free_ char *path = NULL;
        FILE *f;

        if (asprintf(&path, "%s/%s", root, rel) < 0)
                return -ENOMEM;
        for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                (void) mkdir(path, 0755);
                *s = '/';
        }
        if (!text)
                return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        fclose(f);
        return 0;
}

/* root/from, a symlink to to. */
static inline void fake_tree_link(const char *root, const char *from, const char *to) {
        _cleanup_free_ char *f = NULL;

        CHECK(asprintf(&f, "%s/%s", root, from) > 0);
        CHECK(f && symlink(to, f) == 0);
}

static inline int fake_tree_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

/* The tree and root itself removed. */
static inline int fake_tree_remove(const char *root) {
        return nftw(root, fake_tree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
