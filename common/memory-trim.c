/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <malloc.h>
#include <sys/mman.h>

#include "macro.h"
#include "memory-trim.h"

typedef struct Mapping {
        uintptr_t start, end;
        bool candidate;
} Mapping;

/* A mapping qualifies when it is read-only, backed by a file, and holds no
 * private (anonymous) copy of any page: RELRO segments were written during
 * relocation and must be kept. */
static void flush(Mapping *m) {
        if (m->candidate && m->end > m->start)
                (void) madvise((void *) m->start, m->end - m->start, MADV_DONTNEED);
        m->candidate = false;
}

void memory_trim(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        Mapping m = {};

        malloc_trim(0);
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                unsigned long start, end, inode;
                char perms[8];
                unsigned long anon;

                if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &start, &end, perms, &inode) == 4) {
                        flush(&m);
                        m = (Mapping) {
                                .start = start, .end = end,
                                .candidate = inode != 0 && perms[1] != 'w' && perms[3] == 'p',
                        };
                } else if (sscanf(line, "Anonymous: %lu kB", &anon) == 1 && anon > 0)
                        m.candidate = false;
        }
        flush(&m);
}

#define FIRST_TRIM_USEC (100 * 1000ULL)

static int on_trim(sd_event_source *s, uint64_t usec, void *userdata) {
        uint64_t interval = (uint64_t) (uintptr_t) userdata;

        memory_trim();
        (void) sd_event_source_set_time(s, usec + interval);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

int memory_trim_periodic(sd_event *e, uint64_t interval_usec) {
        uint64_t now;
        int r;

        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        /* The first trim comes right after start, once the loop has answered
         * the calls already waiting (it reads /proc/self/smaps: ~1 ms that
         * the first caller need not wait for). Low accuracy on purpose: this
         * can wait for other wake-ups. */
        return sd_event_add_time(e, NULL, CLOCK_MONOTONIC, now + FIRST_TRIM_USEC, interval_usec / 4, on_trim,
                                 (void *) (uintptr_t) interval_usec);
}
