/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/mman.h>
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

/* Names are compared as bytes, a shorter one first when it is the other's
 * start (strcmp's order, for names that are not NUL terminated). */
static int cmp_names(const char *a, size_t la, const char *b, size_t lb) {
        int c = memcmp(a, b, MIN(la, lb));

        return c != 0 ? c : (la > lb) - (la < lb);
}

static int cmp_entry_ptrs(const void *a, const void *b) {
        const DomainIndexEntry *x = *(DomainIndexEntry *const *) a, *y = *(DomainIndexEntry *const *) b;

        return cmp_names(x->name, x->name_len, y->name, y->name_len);
}

/* The decimal number at p (a '-' first if negative), then a ' ': where the
 * rest starts, or NULL. Not strtoull: 30,000 of them at each start, and its
 * locale and base handling were half of reading the index. */
static const char *parse_field(const char *p, bool negative_ok, uint64_t *ret, bool *ret_negative) {
        bool neg = negative_ok && *p == '-';
        uint64_t v = 0;
        const char *start;

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

/* One "<inode> <size> <mtime ns> <uuid> <name>" line, up to nl (its '\n'):
 * read, not cut (the text is the file mapped read-only). */
static int parse_line(const char *line, const char *nl, DomainIndexEntry *e) {
        uint64_t ino, size, mtime;
        char uuid[UUID_STRING_MAX];
        const char *p = line;
        bool neg;

        if (!(p = parse_field(p, false, &ino, NULL)) || !(p = parse_field(p, false, &size, NULL)) ||
            !(p = parse_field(p, true, &mtime, &neg)) || mtime > (uint64_t) INT64_MAX)
                return -EBADMSG;
        /* the uuid, a ' ', a name of one byte at least */
        if (nl - p < 38 || p[36] != ' ')
                return -EBADMSG;
        memcpy(uuid, p, 36);
        uuid[36] = 0;
        if (uuid_parse(uuid, e->uuid) < 0)
                return -EBADMSG;
        e->st.ino = ino;
        e->st.size = size;
        e->st.mtime_ns = neg ? -(int64_t) mtime : (int64_t) mtime;
        e->name = p + 37;
        e->name_len = nl - e->name;
        return e->st.ino != 0 ? 0 : -EBADMSG;
}

/* "end <count>\n", the text's last line: where it starts, or NULL. */
static const char *parse_end(const char *text, size_t len, uint64_t *ret) {
        const char *last = len >= 2 ? memrchr(text, '\n', len - 1) : NULL;

        if (!last || text[len - 1] != '\n')
                return NULL;
        last++;
        if (text + len - last < 6 || memcmp(last, "end ", 4) != 0)
                return NULL;
        *ret = 0;
        for (const char *p = last + 4; p < text + len - 1; p++) {
                if (*p < '0' || *p > '9' || *ret > SIZE_MAX / 10)
                        return NULL;
                *ret = *ret * 10 + (uint64_t) (*p - '0');
        }
        return last;
}

int domain_index_parse(const char *text, size_t len, DomainIndex *x) {
        size_t hl = strlen(INDEX_HEADER), n = 0;
        const char *p, *nl, *end_line;
        uint64_t count;
        int r;

        *x = (DomainIndex) { .text = text };
        if (len < hl || memcmp(text, INDEX_HEADER, hl) != 0 || memchr(text, 0, len))
                return -EBADMSG;
        /* the count at the end tells a whole file from a cut one */
        end_line = parse_end(text, len, &count);
        if (!end_line || end_line < text + hl)
                return -EBADMSG;
        p = text + hl;
        if (count > (size_t) (end_line - p) / 40) /* a line is longer than that */
                return -EBADMSG;
        if (count > 0) {
                x->entries = calloc(count, sizeof(DomainIndexEntry));
                if (!x->entries)
                        return -ENOMEM;
        }
        for (; p < end_line; p = nl + 1) {
                nl = memchr(p, '\n', end_line - p);
                if (!nl || n == count)
                        return -EBADMSG;
                r = parse_line(p, nl, &x->entries[n]);
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
        const DomainIndexEntry *entry = *(DomainIndexEntry *const *) e;

        return cmp_names(key->name, key->len, entry->name, entry->name_len);
}

static bool is_key(const FileKey *key, const DomainIndexEntry *e) {
        return key->len == e->name_len && memcmp(key->name, e->name, key->len) == 0;
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
        if (x->map_size > 0)
                (void) munmap((void *) x->text, x->map_size);
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
                if (memchr(entries[i].name, '\n', entries[i].name_len) || entries[i].name_len > INT_MAX)
                        continue;
                fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRId64 " %s %.*s\n", entries[i].st.ino, entries[i].st.size,
                        entries[i].st.mtime_ns, uuid_format(entries[i].uuid, uuid), (int) entries[i].name_len,
                        entries[i].name);
                kept++;
        }
        fprintf(f, "end %zu\n", kept);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The file mapped read-only, its pages asked for at once (MAP_POPULATE):
 * read() into a buffer costs a fresh page per 4 KiB, each a fault. The
 * index is replaced by rename, never rewritten in place, so the mapping
 * stays whole while the start reads it. */
static int map_index(const char *path, const char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        void *p;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if (st.st_size == 0 || (uint64_t) st.st_size > SIZE_MAX)
                return -EBADMSG;
        p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret = p;
        *ret_size = st.st_size;
        return 0;
}

int domain_index_load(Manager *m, DomainIndex *x) {
        const char *text = NULL;
        size_t size = 0;
        int r;

        *x = (DomainIndex) {};
        r = map_index(m->index_path, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r == -EBADMSG) {
                log_warning("%s is empty, parsing every definition.", m->index_path);
                return 0;
        }
        if (r < 0)
                return r == -ENOMEM ? r : log_warning_errno(r, "Cannot read %s, parsing every definition: %m",
                                                            m->index_path), 0;
        r = domain_index_parse(text, size, x);
        x->map_size = size; /* unmapped by domain_index_done() */
        if (r == -ENOMEM) {
                domain_index_done(x);
                return r;
        }
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
                entries[n++] = (DomainIndexEntry) {
                        .name = domain_name(d), .name_len = strlen(domain_name(d)), .st = d->conf_stat };
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
