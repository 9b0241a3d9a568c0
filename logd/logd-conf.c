/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log-file.h"
#include "log.h"
#include "logd-conf.h"
#include "util.h"

void logd_config_defaults(LogdConfig *c) {
        *c = (LogdConfig) { .max_size = LOG_MAX_SIZE_DEFAULT, .max_backups = LOG_MAX_BACKUPS_DEFAULT };
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } units[] = {
                { "", 1 },           { "B", 1 },
                { "K", 1ULL << 10 }, { "KiB", 1ULL << 10 },
                { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
                { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
        };
        char digits[32];
        size_t n = strspn(s, "0123456789");
        uint64_t v;

        if (n == 0 || n >= sizeof(digits))
                return -EINVAL;
        memcpy(digits, s, n);
        digits[n] = 0;
        if (safe_atou64(digits, &v) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(s + n, units[i].suffix)) {
                        if (v > UINT64_MAX / units[i].factor)
                                return -ERANGE;
                        *ret = v * units[i].factor;
                        return 0;
                }
        return -EINVAL;
}

/* Like lockd.conf's splitter: key = value, value maybe "quoted", # comments. */
static int split_line(char *line, char **ret_key, char **ret_value) {
        char *p = line + strspn(line, " \t"), *eq, *v, *end;

        if (*p == 0 || *p == '#' || *p == '\r')
                return 0;
        eq = strchr(p, '=');
        if (!eq || eq == p)
                return -EINVAL;
        for (end = eq; end > p && (end[-1] == ' ' || end[-1] == '\t'); end--)
                ;
        *end = 0;
        v = eq + 1 + strspn(eq + 1, " \t");
        end = strchrnul(v, '#');
        while (end > v && strchr(" \t\r", end[-1]))
                end--;
        *end = 0;
        if (*v == '"') {
                size_t n = strlen(v);
                if (n < 2 || v[n - 1] != '"')
                        return -EINVAL;
                v[n - 1] = 0;
                v++;
        }
        if (*v == 0 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(p))
                return -EINVAL;
        *ret_key = p;
        *ret_value = v;
        return 1;
}

static int apply(LogdConfig *c, const char *key, const char *value) {
        uint64_t v;

        if (streq(key, "max_size")) {
                if (parse_size(value, &v) < 0 || (v > 0 && v < 4096))
                        return -EINVAL;
                c->max_size = v;
                return 0;
        }
        if (streq(key, "max_backups")) {
                if (safe_atou64(value, &v) < 0 || v > LOG_MAX_BACKUPS_LIMIT)
                        return -EINVAL;
                c->max_backups = (unsigned) v;
                return 0;
        }
        return -EINVAL;
}

int logd_config_parse(LogdConfig *c, const char *text, unsigned *ret_line) {
        _cleanup_free_ char *copy = strdup(text);
        unsigned n = 0;

        if (!copy)
                return -ENOMEM;
        for (char *line = copy, *next; line; line = next) {
                char *key, *value, *nl = strchr(line, '\n');
                int r;

                next = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                n++;
                r = split_line(line, &key, &value);
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

int logd_config_load(LogdConfig *c, const VbPaths *paths) {
        _cleanup_free_ char *file = path_join(paths->confdir, "logd.conf");
        _cleanup_free_ char *text = NULL;
        unsigned line = 0;
        int r;

        logd_config_defaults(c);
        if (!file)
                return -ENOMEM;
        r = read_full_file(file, 1024 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", file);
        r = logd_config_parse(c, text, &line);
        if (r == -EINVAL)
                return log_error_errno(r, "%s:%u: unknown key or bad value.", file, line);
        return r;
}
