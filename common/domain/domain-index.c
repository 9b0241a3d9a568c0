/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "domain-index.h"
#include "domain-manager.h"
#include "log.h"
#include "util.h"
#include "uuid.h"

#define INDEX_HEADER "virtbus-definitions 1\n"
#define INDEX_WRITE_DELAY_USEC (1000 * 1000)

int def_file_stat(int dfd, const char *file, DefFileStat *ret) {
        struct stat st;

        if (fstatat(dfd, file, &st, 0) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        *ret = (DefFileStat) {
                .ino = st.st_ino,
                .size = st.st_size,
                .mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
        };
        return 0;
}

bool def_file_stat_eq(const DefFileStat *a, const DefFileStat *b) {
        return a->ino != 0 && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

static int cmp_entry_ptrs(const void *a, const void *b) {
        return strcmp((*(DomainIndexEntry *const *) a)->name, (*(DomainIndexEntry *const *) b)->name);
}

/* The decimal number at p (a '-' first if negative), then a ' ': where the
 * rest starts, or NULL. Not strtoull: 30,000 of them at each start, and its
 * locale and base handling were half of reading the index. */
static char *parse_field(char *p, bool negative_ok, uint64_t *ret, bool *ret_negative) {
        bool neg = negative_ok && *p == '-';
        uint64_t v = 0;
        char *start;

        p += neg;
        start = p;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned digit = *p - '0';

                if (v > (UINT64_MAX - digit) / 10)
                        return NULL;
                v = v * 10 + digit;
        }
        if (p == start || *p != ' ' || p - start > 20)
                return NULL;
        *ret = v;
        if (ret_negative)
                *ret_negative = neg;
        return p + 1;
}

/* One "<inode> <size> <mtime ns> <uuid> <name>" line, cut out of the text. */
static int parse_line(char *line, DomainIndexEntry *e) {
        uint64_t ino, size, mtime;
        bool neg;
        char *p = line, *end;

        if (!(p = parse_field(p, false, &ino, NULL)) || !(p = parse_field(p, false, &size, NULL)) ||
            !(p = parse_field(p, true, &mtime, &neg)) || mtime > (uint64_t) INT64_MAX)
                return -EBADMSG;
        end = p - 1;
        if (strnlen(p, 38) < 38 || end[37] != ' ')
                return -EBADMSG;
        e->st.ino = ino;
        e->st.size = size;
        e->st.mtime_ns = neg ? -(int64_t) mtime : (int64_t) mtime;
        end[37] = 0;
        if (uuid_parse(end + 1, e->uuid) < 0)
                return -EBADMSG;
        e->name = end + 38;
        return *e->name && e->st.ino != 0 ? 0 : -EBADMSG;
}

int domain_index_parse(char *text, DomainIndex *x) {
        size_t n = 0, allocated = 0, lines;
        char *p, *nl, *end_line;
        unsigned long long count;
        int r;

        *x = (DomainIndex) { .text = text };
        if (strncmp(text, INDEX_HEADER, strlen(INDEX_HEADER)) != 0)
                return -EBADMSG;
        p = text + strlen(INDEX_HEADER);
        /* the count at the end tells a whole file from a cut one */
        end_line = strrchr(p, 'e');
        if (!end_line || (end_line != p && end_line[-1] != '\n') ||
            sscanf(end_line, "end %llu\n", &count) != 1 || !endswith(end_line, "\n"))
                return -EBADMSG;
        *end_line = 0;
        lines = count;
        if (lines > strlen(p) / 40) /* a line is longer than that */
                return -EBADMSG;
        if (lines > 0) {
                x->entries = calloc(lines, sizeof(DomainIndexEntry));
                if (!x->entries)
                        return -ENOMEM;
                allocated = lines;
        }
        for (; *p; p = nl + 1) {
                nl = strchr(p, '\n');
                if (!nl || n == allocated)
                        return -EBADMSG;
                *nl = 0;
                r = parse_line(p, &x->entries[n]);
                if (r < 0)
                        return r;
                n++;
        }
        if (n != count)
                return -EBADMSG;
        x->n = n;
        return 0;
}

typedef struct FileKey {
        const char *name;
        size_t len;
} FileKey;

static int cmp_key(const void *k, const void *e) {
        const FileKey *key = k;
        const char *name = (*(DomainIndexEntry *const *) e)->name;
        int c = strncmp(key->name, name, key->len);

        return c != 0 ? c : (name[key->len] ? -1 : 0);
}

static bool is_key(const FileKey *key, const DomainIndexEntry *e) {
        return strncmp(key->name, e->name, key->len) == 0 && !e->name[key->len];
}

const DomainIndexEntry *domain_index_find(DomainIndex *x, const char *file) {
        FileKey key = { file, strlen(file) };
        DomainIndexEntry **found;

        if (x->n == 0 || key.len <= 4 || !endswith(file, ".xml"))
                return NULL;
        key.len -= 4;
        if (x->next < x->n && is_key(&key, &x->entries[x->next]))
                return &x->entries[x->next++];
        x->misses++;
        if (!x->sorted) {
                x->sorted = malloc(x->n * sizeof(DomainIndexEntry *));
                if (!x->sorted)
                        return NULL; /* the file is parsed */
                for (size_t i = 0; i < x->n; i++)
                        x->sorted[i] = &x->entries[i];
                qsort(x->sorted, x->n, sizeof(DomainIndexEntry *), cmp_entry_ptrs);
        }
        found = bsearch(&key, x->sorted, x->n, sizeof(DomainIndexEntry *), cmp_key);
        if (!found)
                return NULL;
        x->next = *found - x->entries + 1; /* in step again after a file added or gone */
        return *found;
}

void domain_index_done(DomainIndex *x) {
        free(x->sorted);
        free(x->entries);
        free(x->text);
        *x = (DomainIndex) {};
}

int domain_index_format(DomainIndexEntry *entries, size_t n, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, kept = 0;
        FILE *f = open_memstream(&buf, &size);
        char uuid[37];

        if (!f)
                return -ENOMEM;
        fputs(INDEX_HEADER, f);
        for (size_t i = 0; i < n; i++) {
                if (strchr(entries[i].name, '\n'))
                        continue;
                fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRId64 " %s %s\n", entries[i].st.ino, entries[i].st.size,
                        entries[i].st.mtime_ns, uuid_format(entries[i].uuid, uuid), entries[i].name);
                kept++;
        }
        fprintf(f, "end %zu\n", kept);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int domain_index_load(Manager *m, DomainIndex *x) {
        char *text = NULL;
        int r;

        *x = (DomainIndex) {};
        r = read_full_file(m->index_path, 0, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r == -ENOMEM ? r : log_warning_errno(r, "Cannot read %s, parsing every definition: %m",
                                                            m->index_path), 0;
        r = domain_index_parse(text, x);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_warning("%s is not a whole index, parsing every definition.", m->index_path);
                domain_index_done(x);
        }
        return 0;
}

int domain_index_write(Manager *m) {
        _cleanup_free_ DomainIndexEntry *entries = calloc(m->n_domains + 1, sizeof(DomainIndexEntry));
        _cleanup_free_ char *text = NULL, *dir = NULL;
        size_t n = 0;
        int r;

        m->index_timer = sd_event_source_disable_unref(m->index_timer);
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_domains; i++) {
                const Domain *d = m->domains[i];

                if (!d->persistent || d->broken || d->conf_stat.ino == 0)
                        continue;
                entries[n++] = (DomainIndexEntry) { .name = domain_name(d), .st = d->conf_stat };
                memcpy(entries[n - 1].uuid, d->uuid, 16);
        }
        r = domain_index_format(entries, n, &text);
        if (r < 0)
                return r;
        dir = strdup(m->index_path);
        if (!dir)
                return -ENOMEM;
        *strrchr(dir, '/') = 0;
        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = write_file_replace(m->index_path, text, strlen(text), 0600);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s: %m", m->index_path);
        return 0;
}

static int on_index_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) domain_index_write(userdata);
        return 0;
}

void domain_index_changed(Manager *m) {
        int r;

        if (m->index_timer || !m->index_path)
                return;
        r = m->event ? sd_event_add_time_relative(m->event, &m->index_timer, CLOCK_MONOTONIC,
                                                  INDEX_WRITE_DELAY_USEC, 0, on_index_timer, m)
                     : -ENOTCONN;
        /* without a timer, now: the index must not stay behind */
        if (r < 0)
                (void) domain_index_write(m);
}

void domain_index_flush(Manager *m) {
        if (m->index_timer)
                (void) domain_index_write(m);
}
