/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-file.h"
#include "log.h"
#include "util.h"

#define CONF_FILE_MAX (1024 * 1024)

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

/* Unquotes in place; anything after the closing quote but blanks and a
 * comment is an error. */
static int unquote(char *v) {
        char *r = v + 1, *w = v;

        for (; *r && *r != '"'; r++) {
                if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
                        r++;
                *w++ = *r;
        }
        if (*r != '"')
                return -EINVAL;
        r++;
        r += strspn(r, " \t\r");
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

int conf_parse_text(const char *text, conf_apply_fn apply, void *userdata, unsigned *ret_line) {
        _cleanup_free_ char *copy = strdup(text);
        unsigned n = 0;

        if (!copy)
                return -ENOMEM;
        /* strtok_r would skip empty lines and miscount: split by hand. */
        for (char *line = copy, *next; line; line = next) {
                char *key, *value, *nl = strchr(line, '\n');
                int r;

                next = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                n++;
                r = conf_split_line(line, &key, &value);
                if (r > 0)
                        r = apply(userdata, key, value);
                if (r < 0) {
                        if (ret_line)
                                *ret_line = n;
                        return r;
                }
        }
        return 0;
}

int conf_load_file(const char *dir, const char *name, conf_apply_fn apply, void *userdata) {
        _cleanup_free_ char *file = path_join(dir, name);
        _cleanup_free_ char *text = NULL;
        unsigned line = 0;
        int r;

        if (!file)
                return -ENOMEM;
        r = read_full_file(file, CONF_FILE_MAX, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", file);
        r = conf_parse_text(text, apply, userdata, &line);
        if (r == -EINVAL)
                return log_error_errno(r, "%s:%u: unknown key or bad value.", file, line);
        return r;
}
