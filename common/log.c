/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <time.h>

#include "log.h"

static int max_level = LOG_LEVEL_INFO;
static const char *ident = "virtbus";

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_ident(const char *s) {
        ident = s;
}

void log_parse_environment(void) {
        static const char *const names[] = {
                [LOG_LEVEL_ERR] = "err",       [LOG_LEVEL_WARNING] = "warning",
                [LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
                [LOG_LEVEL_DEBUG] = "debug",
        };
        const char *e = getenv("VIRTBUS_LOG_LEVEL");

        if (!e)
                return;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i] && streq(e, names[i])) {
                        max_level = (int) i;
                        return;
                }
        if (e[0] >= '0' && e[0] <= '7' && e[1] == 0)
                max_level = e[0] - '0';
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;
        /* %m in the format refers to the error passed in, not to whatever errno is now. */
        errno = error;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);

        if (level >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "<%d>%s: %s (%s:%d)\n", level, ident, buf, file, line);
        else
                fprintf(stderr, "<%d>%s: %s\n", level, ident, buf);
        errno = saved;
        return -error;
}
