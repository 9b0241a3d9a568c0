/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <search.h>
#include <sys/stat.h>

#include "error.h"
#include "lease-record.h"
#include "log.h"
#include "state-text.h"
#include "util.h"
#include "uuid.h"

#define JOURNAL_NAME "journal"
#define JOURNAL_MAGIC "virtbus-lockd-leases 1\n"
/* Rewritten once the lines outnumber twice the leases and this many more:
 * a rewrite costs O(leases), so every change stays O(1) on average. */
#define JOURNAL_SLACK 4096U

static int journal_open_append(LeaseTable *t) {
        struct stat st;
        int fd = open(t->journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (st.st_size == 0) {
                ssize_t n = write(fd, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
                if (n != (ssize_t) strlen(JOURNAL_MAGIC)) {
                        int r = n < 0 ? -errno : -ENOSPC;
                        close(fd);
                        return r;
                }
        }
        if (t->journal_fd >= 0)
                close(t->journal_fd);
        t->journal_fd = fd;
        t->journal_size = st.st_size > 0 ? (uint64_t) st.st_size : strlen(JOURNAL_MAGIC);
        return 0;
}

int lease_records_open(LeaseTable *t, const char *dir) {
        int r;

        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        free(t->journal_path);
        t->journal_path = path_join(dir, JOURNAL_NAME);
        if (!t->journal_path)
                return -ENOMEM;
        r = journal_open_append(t);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", t->journal_path);
        return 0;
}

static int format_acquired(LeaseTable *t, const Lease *l, FILE *f) {
        const Owner *o = l->owner;
        _cleanup_free_ char *name = state_escape(o->name), *lockspace = state_escape(t->lockspace_dir),
                            *path = state_escape(l->resource->path);
        unsigned flags = (l->shared ? LEASE_SHARED : 0) | (l->resource->direct ? LEASE_DIRECT : 0);

        if (!name || !lockspace || !path)
                return -ENOMEM;
        fprintf(f, "+ %s %d %llu %u %s %s %s\n", o->uuid, (int) o->pid, (unsigned long long) o->start_time, flags,
                name, lockspace, path);
        return 0;
}

/* One line, one write(2): whole or, after a crash in the middle, cut short
 * without its newline. A short write that we see is taken back, so the
 * next line starts a line. */
static int journal_write(LeaseTable *t, const char *line, size_t len, unsigned lines) {
        ssize_t n;

        do
                n = write(t->journal_fd, line, len);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t) len) {
                t->journal_size += len;
                t->journal_lines += lines;
                return 0;
        }
        if (n >= 0)
                (void) ftruncate(t->journal_fd, (off_t) t->journal_size);
        return n < 0 ? -errno : -ENOSPC;
}

/* Within a batch, the line waits in memory for the batch's end. */
static int journal_append(LeaseTable *t, const char *line, size_t len) {
        if (t->batch_depth == 0)
                return journal_write(t, line, len, 1);
        if (t->pending_len + len > t->pending_alloc) {
                size_t n = MAX(2 * t->pending_alloc, t->pending_len + len);
                char *p = realloc(t->journal_pending, n);
                if (!p)
                        return -ENOMEM;
                t->journal_pending = p;
                t->pending_alloc = n;
        }
        memcpy(t->journal_pending + t->pending_len, line, len);
        t->pending_len += len;
        t->pending_lines++;
        return 0;
}

typedef struct Rewrite {
        LeaseTable *t;
        FILE *f;
        int r;
} Rewrite;

static void rewrite_lease(Lease *l, void *userdata) {
        Rewrite *w = userdata;
        int r = format_acquired(w->t, l, w->f);

        if (r < 0)
                w->r = r;
}

/* The journal replaced by the leases held now. */
static int journal_rewrite(LeaseTable *t) {
        _cleanup_free_ char *text = NULL;
        Rewrite w = { .t = t };
        size_t len = 0;
        int r;

        w.f = open_memstream(&text, &len);
        if (!w.f)
                return -ENOMEM;
        fputs(JOURNAL_MAGIC, w.f);
        lease_table_foreach_lease(t, rewrite_lease, &w);
        if (fclose(w.f) != 0 && w.r == 0)
                w.r = -ENOMEM;
        if (w.r < 0)
                return w.r;
        /* write_file_atomic's fsyncs are not needed here (see the header),
         * but this runs once per many thousand changes. */
        r = write_file_atomic(t->journal_path, text, len, 0600);
        if (r < 0)
                return r;
        t->journal_lines = t->n_leases;
        r = journal_open_append(t);
        if (r < 0) {
                /* The old fd now writes into a file that is gone: drop it,
                 * and open the new one before the next change is recorded. */
                close(t->journal_fd);
                t->journal_fd = -1;
                t->journal_lost = true;
        }
        return r;
}

/* Whether changes are recorded: after a lost journal, only once it opens again. */
static int journal_ready(LeaseTable *t) {
        int r;

        if (t->journal_fd >= 0 || !t->journal_lost)
                return t->journal_fd >= 0;
        r = journal_open_append(t);
        if (r < 0)
                return r;
        t->journal_lost = false;
        return 1;
}

static void journal_maybe_rewrite(LeaseTable *t) {
        int r;

        if (t->journal_lines <= 2 * t->n_leases + JOURNAL_SLACK)
                return;
        r = journal_rewrite(t);
        if (r < 0)
                /* The journal as it is still tells the truth, only longer. */
                log_warning_errno(r, "Cannot rewrite %s: %m", t->journal_path);
}

int lease_record_save(LeaseTable *t, const Lease *l) {
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        r = journal_ready(t);
        if (r <= 0)
                return r; /* < 0: the lease cannot be recorded, so it is refused */
        if (t->batch_depth == 0) /* a batch's lines are not in the file yet: rewritten at its end */
                journal_maybe_rewrite(t);
        r = journal_ready(t);
        if (r <= 0)
                return r < 0 ? r : -EIO;
        f = open_memstream(&line, &len);
        if (!f)
                return -ENOMEM;
        r = format_acquired(t, l, f);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        return journal_append(t, line, len);
}

void lease_record_remove(LeaseTable *t, const Lease *l) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        int n, r;

        r = journal_ready(t);
        if (r <= 0) {
                if (r < 0)
                        log_warning_errno(r, "Cannot record in %s that the lease of %s on %s went: %m",
                                          t->journal_path, l->owner->uuid, l->resource->path);
                return;
        }
        path = state_escape(l->resource->path);
        n = path ? asprintf(&line, "- %s %s\n", l->owner->uuid, path) : -1;
        r = n < 0 ? -ENOMEM : journal_append(t, line, (size_t) n);
        if (r < 0)
                log_warning_errno(r, "Cannot record in %s that the lease of %s on %s went: %m", t->journal_path,
                                  l->owner->uuid, l->resource->path);
}

void lease_records_begin(LeaseTable *t) {
        t->batch_depth++;
}

int lease_records_end(LeaseTable *t) {
        int r = 0;

        if (t->batch_depth == 0 || --t->batch_depth > 0)
                return 0;
        if (t->pending_len == 0)
                return 0; /* nothing recorded: a table that closes (its records stay) never rewrites */
        r = journal_ready(t);
        if (r > 0)
                r = journal_write(t, t->journal_pending, t->pending_len, t->pending_lines);
        t->pending_len = 0;
        t->pending_lines = 0;
        if (r >= 0)
                journal_maybe_rewrite(t);
        return r < 0 ? r : 0;
}

/* ---- restore ---- */

typedef struct Record {
        char uuid[UUID_STRING_MAX];
        int pid;
        unsigned long long start;
        unsigned flags;
        char *name, *lockspace, *path;
        char key[]; /* "<uuid> <escaped path>" */
} Record;

static int cmp_record(const void *a, const void *b) {
        return strcmp(((const Record *) a)->key, ((const Record *) b)->key);
}

static void record_free(void *p) {
        Record *r = p;

        free(r->name);
        free(r->lockspace);
        free(r->path);
        free(r);
}

static Record *record_new(const char *uuid, const char *path_escaped) {
        size_t n = strlen(uuid) + 1 + strlen(path_escaped) + 1;
        Record *r = calloc(1, sizeof(*r) + n);

        if (r)
                snprintf(r->key, n, "%s %s", uuid, path_escaped);
        return r;
}

static int parse_acquired(const char *args, Record **ret) {
        char uuid[64], name[1100], lockspace[PATH_MAX * 4 + 1], path[PATH_MAX * 4 + 1];
        unsigned long long start;
        unsigned flags;
        uint8_t u[16];
        Record *r;
        int pid;

        if (sscanf(args, "%63s %d %llu %u %1099s %16384s %16384s", uuid, &pid, &start, &flags, name, lockspace,
                   path) != 7 ||
            uuid_parse(uuid, u) < 0 || pid <= 0 || start == 0 || (flags & ~_LEASE_FLAGS_ALL))
                return -EINVAL;
        r = record_new(uuid, path);
        if (!r)
                return -ENOMEM;
        uuid_format(u, r->uuid);
        r->pid = pid;
        r->start = start;
        r->flags = flags;
        if (state_unescape(name, &r->name) < 0 || state_unescape(lockspace, &r->lockspace) < 0 ||
            state_unescape(path, &r->path) < 0) {
                record_free(r);
                return -EINVAL;
        }
        *ret = r;
        return 0;
}

/* "+" adds a record (replacing one of the same owner and resource), "-"
 * drops it. */
static int replay_line(void **records, char *line) {
        char uuid[64], path[PATH_MAX * 4 + 1];
        Record *rec, **found;
        int r;

        if (line[0] == '+' && line[1] == ' ') {
                r = parse_acquired(line + 2, &rec);
                if (r < 0)
                        return r;
                found = tfind(rec, records, cmp_record);
                if (found) {
                        Record *old = *found;
                        tdelete(old, records, cmp_record);
                        record_free(old);
                }
                if (!tsearch(rec, records, cmp_record)) {
                        record_free(rec);
                        return -ENOMEM;
                }
                return 0;
        }
        if (line[0] == '-' && line[1] == ' ' && sscanf(line + 2, "%63s %16384s", uuid, path) == 2) {
                _cleanup_free_ Record *key = record_new(uuid, path);

                if (!key)
                        return -ENOMEM;
                found = tfind(key, records, cmp_record);
                if (found) {
                        rec = *found;
                        tdelete(rec, records, cmp_record);
                        record_free(rec);
                }
                return 0;
        }
        return -EINVAL;
}

static int replay(const char *path, void **records) {
        _cleanup_free_ char *text = NULL;
        char *line, *nl;
        int r;

        r = read_full_file(path, 0, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        if (strncmp(text, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
                if (*text)
                        log_warning("%s is not a lease journal; its leases are not taken back.", path);
                return 0;
        }
        for (line = text + strlen(JOURNAL_MAGIC); (nl = strchr(line, '\n')); line = nl + 1) {
                *nl = 0;
                r = replay_line(records, line);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_warning("Bad line in %s, skipped: %s", path, line);
        }
        if (*line)
                log_info("%s ends with a change cut short, never answered: ignored.", path);
        return 0;
}

/* The owner of a record, in the table already or found alive now; -ESRCH
 * when its process is gone or the pid names another one. */
static int record_owner(LeaseTable *t, const Record *rec, Owner **ret) {
        Owner *o = lease_table_find_owner(t, rec->uuid);
        uint64_t start;
        int pidfd, r;

        if (o) {
                *ret = o;
                return o->pid == rec->pid && o->start_time == rec->start ? 0 : -ESRCH;
        }
        r = lease_owner_pidfd(rec->pid, rec->start, &pidfd, &start);
        if (r < 0)
                return r;
        r = lease_table_adopt_owner(t, rec->uuid, rec->name, rec->pid, start, pidfd);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        *ret = lease_table_find_owner(t, rec->uuid);
        return 0;
}

typedef struct Restore {
        LeaseTable *t;
        unsigned taken;
        int r;
} Restore;

static void restore_one(const void *node, VISIT which, void *closure) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const Record *rec = *(Record *const *) node;
        char text[ERRNO_TEXT_MAX];
        Restore *c = closure;
        LeaseTable *t = c->t;
        unsigned n = 0;
        Owner *o;
        int r;

        if ((which != postorder && which != leaf) || c->r < 0)
                return;
        if (!(rec->flags & LEASE_DIRECT) && !streq(rec->lockspace, t->lockspace_dir)) {
                log_warning("The lease of owner '%s' on %s was taken in the lockspace %s, not %s: not taken back.",
                            rec->name, rec->path, rec->lockspace, t->lockspace_dir);
                return;
        }
        r = record_owner(t, rec, &o);
        if (r == -ESRCH) {
                log_info("Owner '%s' (uuid %s, pid %d) is gone: its lease on %s is dropped.", rec->name, rec->uuid,
                         rec->pid, rec->path);
                return;
        }
        if (r < 0) {
                log_error("Cannot take back the lease of owner '%s' (pid %d) on %s: %s", rec->name, rec->pid,
                          rec->path, errno_text(r, LEASE_FD_HOLDERS, text));
                return;
        }
        r = lease_table_retake(t, o, rec->path, rec->flags, &e);
        if (r < 0 && o->n_leases == 0)
                (void) lease_release_owner(t, o->uuid, &n, NULL);
        if (r == -ENOMEM)
                c->r = r;
        else if (r < 0)
                log_error("Cannot take back the lease of owner '%s' (pid %d) on %s: %s", rec->name, rec->pid,
                          rec->path, e.message ?: strerror(-r));
        else
                c->taken++;
}

int lease_records_restore(LeaseTable *t) {
        void *records = NULL;
        Restore c = { .t = t };
        int r;

        if (t->journal_fd < 0)
                return 0;
        r = replay(t->journal_path, &records);
        if (r >= 0) {
                twalk_r(records, restore_one, &c);
                r = c.r;
        }
        tdestroy(records, record_free);
        if (r < 0)
                return r;
        r = journal_rewrite(t);
        if (r < 0)
                return log_error_errno(r, "Cannot rewrite %s: %m", t->journal_path);
        if (c.taken > 0)
                log_info("Took back %u recorded lease(s) of %u running owner(s).", c.taken, t->n_owners);
        return (int) c.taken;
}
