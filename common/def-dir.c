/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>

#include "def-dir.h"
#include "log.h"
#include "util.h"

static bool is_xml_file(const struct dirent *de) {
        return strlen(de->d_name) > 4 && endswith(de->d_name, ".xml") && de->d_type != DT_DIR;
}

int def_dir_load(const char *dir, def_dir_load_fn load, void *userdata) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (is_xml_file(de) && load(userdata, de->d_name) == -ENOMEM)
                        return log_oom();
        return 0;
}

int def_dir_load_ino(const char *dir, def_dir_load_ino_fn load, void *userdata) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                /* a temporary ("<file>.tmp.<pid>") never ends in .xml */
                if (!is_xml_file(de))
                        n += remove_stale_temporary_at(dirfd(d), dir, de, DEF_DIR_TEMPORARIES_DEPTH);
                else if (load(userdata, de->d_name, de->d_ino) == -ENOMEM)
                        return log_oom();
        }
        if (n > 0)
                log_info("Removed %d temporary file(s) in %s left by a writer that was killed.", n, dir);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int def_dir_list_names(const char *dir, char ***ret) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (len <= 4 || !endswith(de->d_name, ".xml"))
                        continue;
                if (n + 2 > allocated) {
                        size_t a = MAX(allocated * 2, (size_t) 16);
                        char **nl = reallocarray(names, a, sizeof(char *));

                        if (!nl)
                                return -ENOMEM;
                        names = nl;
                        allocated = a;
                }
                names[n] = strndup(de->d_name, len - 4);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        else if (!names && !(names = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(names);
        return 0;
}

bool def_dir_listed(char *const *names, size_t n, const char *name) {
        return n > 0 && bsearch(&name, names, n, sizeof(char *), cmp_names);
}

int def_dir_read(const char *dir, const char *file, char **ret_path, char **ret_xml, size_t *ret_len) {
        return def_dir_read_at(-1, dir, file, ret_path, ret_xml, ret_len);
}

int def_dir_read_at(int dfd, const char *dir, const char *file, char **ret_path, char **ret_xml,
                    size_t *ret_len) {
        int r;

        *ret_path = path_join(dir, file);
        if (!*ret_path)
                return -ENOMEM;
        if (dfd >= 0)
                r = read_full_file_at(dfd, file, 0, ret_xml, ret_len);
        else
                r = read_full_file(*ret_path, 0, ret_xml, ret_len);
        if (r < 0)
                return log_warning_errno(r, "Cannot read %s: %m", *ret_path);
        return 0;
}

int def_dir_has(const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s.xml", dir, name) < 0)
                return -ENOMEM;
        return access(path, F_OK) == 0;
}
