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

int def_dir_read(const char *dir, const char *file, char **ret_path, char **ret_xml, size_t *ret_len) {
        int r;

        *ret_path = path_join(dir, file);
        if (!*ret_path)
                return -ENOMEM;
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
