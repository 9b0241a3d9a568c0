/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lockd-conf.h"
#include "log.h"
#include "util.h"

static char *skip_blanks(char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static void trim_end(char *s) {
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = 0;
}

/* Unquotes in place; anything after the closing quote but a comment is an error. */
static int unquote(char *v) {
        char *r = v + 1, *w = v;

        for (; *r && *r != '"'; r++) {
                if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
                        r++;
                *w++ = *r;
        }
        if (*r != '"')
                return -EINVAL;
        r = skip_blanks(r + 1);
        if (*r && *r != '#')
                return -EINVAL;
        *w = 0;
        return 0;
}

int conf_split_line(char *line, char **ret_key, char **ret_value) {
        char *p = skip_blanks(line), *eq, *v;

        if (*p == 0 || *p == '#' || *p == '\r')
                return 0;
        eq = strchr(p, '=');
        if (!eq || eq == p)
                return -EINVAL;
        *eq = 0;
        trim_end(p);
        v = skip_blanks(eq + 1);
        if (*v == '"') {
                if (unquote(v) < 0)
                        return -EINVAL;
        } else {
                char *hash = strchr(v, '#');
                if (hash)
                        *hash = 0;
                trim_end(v);
                if (*v == 0)
                        return -EINVAL;
        }
        for (char *c = p; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                        return -EINVAL;
        *ret_key = p;
        *ret_value = v;
        return 1;
}

void lockd_config_done(LockdConfig *c) {
        free(c->lockspace_dir);
        *c = (LockdConfig) {};
}

static int apply(LockdConfig *c, const char *key, const char *value) {
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
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL, *line = copy;
        unsigned n = 0;

        if (!copy)
                return -ENOMEM;
        /* strtok_r would skip empty lines and miscount: split by hand. */
        for (; line; line = save) {
                char *key, *value, *nl = strchr(line, '\n');
                int r;

                save = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                n++;
                r = conf_split_line(line, &key, &value);
                if (r == 0)
                        continue;
                if (r > 0)
                        r = apply(c, key, value);
                if (r < 0) {
                        if (ret_line)
                                *ret_line = n;
                        return r;
                }
        }
        return 0;
}

int lockd_config_load(LockdConfig *c, const VbPaths *paths) {
        _cleanup_free_ char *file = path_join(paths->confdir, "lockd.conf");
        _cleanup_free_ char *text = NULL;
        unsigned line = 0;
        int r;

        *c = (LockdConfig) {};
        if (!file || asprintf(&c->lockspace_dir, "%s/lockd/lockspace", paths->statedir) < 0)
                return -ENOMEM;
        r = read_full_file(file, 1024 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", file);
        r = lockd_config_parse(c, text, &line);
        if (r == -EINVAL)
                return log_error_errno(r, "%s:%u: unknown key or bad value.", file, line);
        return r;
}
