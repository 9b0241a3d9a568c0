/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-file.h"
#include "log-file.h"
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

static int apply(void *userdata, const char *key, const char *value) {
        LogdConfig *c = userdata;
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
        return conf_parse_text(text, apply, c, ret_line);
}

int logd_config_load(LogdConfig *c, const VbPaths *paths) {
        logd_config_defaults(c);
        return conf_load_file(paths->confdir, "logd.conf", apply, c);
}
