/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxc-procview.h"
#include "util.h"

/* A growing text. */
typedef struct Text {
        char *s;
        size_t len, cap;
        bool oom;
} Text;

_printf_(2, 3) static void text_add(Text *t, const char *fmt, ...) {
        va_list ap;
        int n;

        if (t->oom)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->oom = true;
                        return;
                }
                if (t->s && t->len + n < t->cap) {
                        t->len += n;
                        return;
                }
                size_t cap = MAX(t->cap * 2, t->len + n + 256);
                char *s = realloc(t->s, cap);
                if (!s) {
                        t->oom = true;
                        return;
                }
                t->s = s;
                t->cap = cap;
        }
}

static char *text_done(Text *t) {
        if (t->oom) {
                free(t->s);
                return NULL;
        }
        if (!t->s)
                return strdup("");
        return t->s;
}

static uint64_t stat_value(const char *stat, const char *key) {
        size_t len = strlen(key);
        unsigned long long v;

        for (const char *l = stat; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, len) == 0 && l[len] == ' ' && sscanf(l + len + 1, "%llu", &v) == 1)
                        return v;
        return 0;
}

void lxc_memory_parse_stat(const char *stat, bool v2, LxcMemory *m) {
        if (!stat)
                return;
        m->anon_active = stat_value(stat, v2 ? "active_anon" : "total_active_anon");
        m->anon_inactive = stat_value(stat, v2 ? "inactive_anon" : "total_inactive_anon");
        m->file_active = stat_value(stat, v2 ? "active_file" : "total_active_file");
        m->file_inactive = stat_value(stat, v2 ? "inactive_file" : "total_inactive_file");
        m->unevictable = stat_value(stat, v2 ? "unevictable" : "total_unevictable");
        m->shmem = stat_value(stat, v2 ? "shmem" : "total_shmem");
        m->file = stat_value(stat, v2 ? "file" : "total_cache");
}

/* Calls line(t, text of the line without '\n', userdata) for each line. */
static void each_line(const char *host, Text *t, void (*line)(Text *, const char *, void *), void *userdata) {
        char buf[4096];

        for (const char *l = host; l && *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t) (nl - l) : strlen(l);
                snprintf(buf, sizeof(buf), "%.*s", (int) MIN(len, sizeof(buf) - 1), l);
                line(t, buf, userdata);
                l = nl ? nl + 1 : NULL;
        }
}

static bool key_is(const char *line, const char *key) {
        size_t len = strlen(key);
        return strncmp(line, key, len) == 0 && line[len] == ':';
}

static void meminfo_line(Text *t, const char *line, void *userdata) {
        const LxcMemory *m = userdata;
        uint64_t total, used, v;
        static const struct {
                const char *key;
                size_t offset;
        } fields[] = {
                { "Active(anon)", offsetof(LxcMemory, anon_active) },
                { "Inactive(anon)", offsetof(LxcMemory, anon_inactive) },
                { "Active(file)", offsetof(LxcMemory, file_active) },
                { "Inactive(file)", offsetof(LxcMemory, file_inactive) },
                { "Unevictable", offsetof(LxcMemory, unevictable) },
                { "Shmem", offsetof(LxcMemory, shmem) },
                { "Cached", offsetof(LxcMemory, file) },
        };

        total = m->limit;
        used = MIN(m->usage, total);
        if (key_is(line, "MemTotal") && m->limit != UINT64_MAX) {
                text_add(t, "MemTotal:       %8llu kB\n", (unsigned long long) (total >> 10));
                return;
        }
        if (m->limit != UINT64_MAX && key_is(line, "MemFree")) {
                text_add(t, "MemFree:        %8llu kB\n", (unsigned long long) ((total - used) >> 10));
                return;
        }
        if (m->limit != UINT64_MAX && key_is(line, "MemAvailable")) {
                v = MIN(total - used + m->file, total);
                text_add(t, "MemAvailable:   %8llu kB\n", (unsigned long long) (v >> 10));
                return;
        }
        if (key_is(line, "Buffers")) {
                text_add(t, "Buffers:        %8llu kB\n", 0ULL);
                return;
        }
        if (key_is(line, "Active")) {
                v = m->anon_active + m->file_active;
                text_add(t, "Active:         %8llu kB\n", (unsigned long long) (v >> 10));
                return;
        }
        if (key_is(line, "Inactive")) {
                v = m->anon_inactive + m->file_inactive;
                text_add(t, "Inactive:       %8llu kB\n", (unsigned long long) (v >> 10));
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (key_is(line, fields[i].key)) {
                        v = *(const uint64_t *) ((const char *) m + fields[i].offset);
                        text_add(t, "%s:%*s%8llu kB\n", fields[i].key, (int) (15 - strlen(fields[i].key)), "",
                                 (unsigned long long) (v >> 10));
                        return;
                }
        /* the container has no swap of its own */
        if (key_is(line, "SwapTotal") || key_is(line, "SwapFree") || key_is(line, "SwapCached")) {
                text_add(t, "%.*s%8llu kB\n", (int) (strchr(line, ':') - line + 1), line, 0ULL);
                return;
        }
        text_add(t, "%s\n", line);
}

char *lxc_render_meminfo(const char *host, const LxcMemory *m) {
        Text t = {};
        LxcMemory mm = *m;
        unsigned long long host_total = 0;
        const char *l = strstr(host, "MemTotal:");

        /* no limit, or one above the host's memory: the host's */
        if (l && sscanf(l + 9, "%llu", &host_total) == 1 && mm.limit != UINT64_MAX &&
            mm.limit > (uint64_t) host_total << 10)
                mm.limit = (uint64_t) host_total << 10;
        each_line(host, &t, meminfo_line, &mm);
        return text_done(&t);
}

typedef struct CpuinfoState {
        const LxcCpu *c;
        bool keep;
        int next;
} CpuinfoState;

/* Only the blocks of the CPUs the container may use, numbered from 0. */
static void cpuinfo_line(Text *t, const char *line, void *userdata) {
        CpuinfoState *st = userdata;
        int n;

        if (strncmp(line, "processor", 9) == 0 && sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : "", "%d", &n) == 1) {
                st->keep = n >= 0 && (size_t) n < st->c->n_cpus && st->c->cpus[n];
                if (st->keep)
                        text_add(t, "processor\t: %d\n", st->next++);
                return;
        }
        if (st->keep)
                text_add(t, "%s\n", line);
}

char *lxc_render_cpuinfo(const char *host, const LxcCpu *c) {
        Text t = {};
        CpuinfoState st = { .c = c };

        each_line(host, &t, cpuinfo_line, &st);
        return text_done(&t);
}

static size_t cpu_count(const LxcCpu *c) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_cpus; i++)
                n += c->cpus[i];
        return n ?: 1;
}

/* The cgroup's time as user and system, the rest of the container's
 * CPUs' time since its start as idle; the host's counters otherwise, and
 * btime the container's start. */
static void stat_line(Text *t, const char *line, void *userdata) {
        const LxcCpu *c = userdata;
        size_t n = cpu_count(c);
        unsigned long long user = c->user_usec * c->hz / 1000000, sys = c->system_usec * c->hz / 1000000;
        double all = c->uptime * c->hz * n;
        unsigned long long idle = all > (double) (user + sys) ? (unsigned long long) (all - user - sys) : 0;

        if (strncmp(line, "cpu ", 4) == 0) {
                text_add(t, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", user, sys, idle);
                for (size_t i = 0; i < n; i++)
                        text_add(t, "cpu%zu %llu 0 %llu %llu 0 0 0 0 0 0\n", i, user / n, sys / n, idle / n);
                return;
        }
        if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9')
                return;
        if (strncmp(line, "btime ", 6) == 0) {
                text_add(t, "btime %llu\n", (unsigned long long) c->boot_time);
                return;
        }
        text_add(t, "%s\n", line);
}

char *lxc_render_stat(const char *host, const LxcCpu *c) {
        Text t = {};

        each_line(host, &t, stat_line, (void *) c);
        return text_done(&t);
}

char *lxc_render_uptime(const LxcCpu *c) {
        Text t = {};
        double used = (c->user_usec + c->system_usec) / 1e6, idle = c->uptime * cpu_count(c) - used;

        text_add(&t, "%.2f %.2f\n", c->uptime, idle > 0 ? idle : 0);
        return text_done(&t);
}
