/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "qemu-hugepages.h"
#include "util.h"

static uint64_t default_size_kib(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        unsigned long long kib;

        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Hugepagesize: %llu kB", &kib) == 1)
                        return kib;
        return 2048;
}

/* "pagesize=2M" (or 1G, 2048K) in the super options of a hugetlbfs mount;
 * a mount without it has the default size. */
static uint64_t mount_size_kib(const char *options, uint64_t dflt) {
        const char *p = strstr(options, "pagesize=");
        char unit = 0;
        unsigned long long v;

        if (!p || sscanf(p + strlen("pagesize="), "%llu%c", &v, &unit) < 1)
                return dflt;
        switch (unit) {
        case 'G': return v * 1024 * 1024;
        case 'M': return v * 1024;
        case 'K': return v;
        default:  return v / 1024; /* bytes */
        }
}

char *qemu_hugepages_dir(uint64_t size_kib) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        uint64_t dflt = default_size_kib();
        char line[4096];

        if (size_kib == 0)
                size_kib = dflt;
        while (f && fgets(line, sizeof(line), f)) {
                char mnt[2048], fstype[64], options[1024];
                const char *sep = strstr(line, " - ");

                /* id parent major:minor root MOUNTPOINT ... - FSTYPE SOURCE OPTIONS */
                if (!sep || sscanf(line, "%*s %*s %*s %*s %2047s", mnt) != 1 ||
                    sscanf(sep + 3, "%63s %*s %1023s", fstype, options) != 2)
                        continue;
                if (streq(fstype, "hugetlbfs") && mount_size_kib(options, dflt) == size_kib)
                        return strdup(mnt);
        }
        errno = ENOENT;
        return NULL;
}
