/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "cpuset.h"

static int parse_cpu(const char **p, unsigned *ret) {
        char *end;
        unsigned long v;

        if (**p < '0' || **p > '9')
                return -EINVAL;
        errno = 0;
        v = strtoul(*p, &end, 10);
        if (errno || v >= CPU_SETSIZE)
                return -ERANGE;
        *p = end;
        *ret = (unsigned) v;
        return 0;
}

int cpuset_parse(const char *s, cpu_set_t *ret) {
        cpu_set_t set, excluded;
        const char *p = s;

        CPU_ZERO(&set);
        CPU_ZERO(&excluded);
        if (!s || !*s)
                return -EINVAL;
        for (;;) {
                bool exclude = *p == '^';
                unsigned a, b;
                int r;

                p += exclude;
                r = parse_cpu(&p, &a);
                if (r < 0)
                        return r;
                b = a;
                if (!exclude && *p == '-') {
                        p++;
                        r = parse_cpu(&p, &b);
                        if (r < 0)
                                return r;
                        if (b < a)
                                return -EINVAL;
                }
                for (unsigned c = a; c <= b; c++)
                        CPU_SET(c, exclude ? &excluded : &set);
                if (*p == 0)
                        break;
                if (*p++ != ',')
                        return -EINVAL;
        }
        /* Exclusions apply to the whole list, wherever they stand. */
        for (unsigned c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &excluded))
                        CPU_CLR(c, &set);
        if (CPU_COUNT(&set) == 0)
                return -EINVAL;
        *ret = set;
        return 0;
}
