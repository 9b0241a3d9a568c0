/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Could move to common/ (beside fd-limit.c): nothing here is storaged's. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/resource.h>

#include "error.h"
#include "fd-budget.h"
#include "xml-util.h"

uint64_t fd_limit_get(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return UINT64_MAX;
        return (uint64_t) rl.rlim_cur;
}

/* Without /proc: one fcntl() per possible fd, for a limit small enough. */
static int count_by_probing(unsigned *ret) {
        uint64_t limit = fd_limit_get();
        unsigned n = 0;

        if (limit > 65536)
                return -ENOSYS;
        for (int fd = 0; fd < (int) limit; fd++)
                n += fcntl(fd, F_GETFD) >= 0;
        *ret = n;
        return 0;
}

int fd_count_open(unsigned *ret) {
        uint64_t limit = fd_limit_get();
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        unsigned n = 0;

        if (!d)
                return errno == EMFILE || errno == ENFILE ? -EMFILE : count_by_probing(ret);
        while ((e = readdir(d))) {
                char *end;
                unsigned long fd = strtoul(e->d_name, &end, 10);

                if (e->d_name[0] != '.' && !*end && fd < limit && (int) fd != dirfd(d))
                        n++;
        }
        closedir(d);
        *ret = n;
        return 0;
}

unsigned fd_budget_room(void) {
        uint64_t limit = fd_limit_get();
        unsigned open = 0;
        int r;

        if (limit == UINT64_MAX)
                return UINT_MAX;
        r = fd_count_open(&open);
        if (r == -EMFILE)
                return 0;
        if (r < 0)
                return UINT_MAX; /* cannot tell: the kernel's EMFILE will say it */
        return open + FD_RESERVE < limit ? (unsigned) MIN(limit - open - FD_RESERVE, (uint64_t) UINT_MAX) : 0;
}

int fd_budget_check(unsigned more, ConfError *err) {
        uint64_t limit = fd_limit_get(), used;
        unsigned open = 0;
        int r;

        if (limit == UINT64_MAX)
                return 0;
        r = fd_count_open(&open);
        if (r == -EMFILE)
                open = (unsigned) MIN(limit, (uint64_t) UINT_MAX);
        else if (r < 0)
                return 0; /* cannot tell: the kernel's EMFILE will say it */
        used = (uint64_t) open + more;
        if (used + FD_RESERVE <= limit)
                return 0;
        conf_error_set(err, VB_ERROR_RESOURCE_BUSY,
                       "too many open files: %u are open, %u more are promised to running jobs or needed, "
                       "and %u of the limit of %" PRIu64 " (RLIMIT_NOFILE) are kept free for the bus connection; "
                       "try again when other transfers or jobs have ended",
                       open, more, FD_RESERVE, limit);
        return -EMFILE;
}
