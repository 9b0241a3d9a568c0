/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "error.h"
#include "lease-record.h"
#include "log.h"
#include "sha256.h"
#include "state-text.h"
#include "util.h"
#include "uuid.h"

#define RECORD_MAGIC "virtbus-lockd-lease 1\n"
#define RECORD_MAX (64 * 1024)
/* <uuid>-<sha256 hex>, and a temporary name no record has. */
#define RECORD_NAME_MAX (UUID_STRING_MAX + SHA256_HEX_SIZE + 8)

static char *record_name(const char *owner_uuid, const char *path, char buf[RECORD_NAME_MAX]) {
        char hex[SHA256_HEX_SIZE];

        snprintf(buf, RECORD_NAME_MAX, "%s-%s", owner_uuid, sha256_hex(path, hex));
        return buf;
}

int lease_records_open(LeaseTable *t, const char *dir) {
        int fd, r;

        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", dir);
        free(t->record_dir);
        t->record_dir = strdup(dir);
        if (!t->record_dir) {
                close(fd);
                return -ENOMEM;
        }
        if (t->record_dir_fd >= 0)
                close(t->record_dir_fd);
        t->record_dir_fd = fd;
        return 0;
}

static int format_record(LeaseTable *t, const Lease *l, char **ret, size_t *ret_len) {
        const Owner *o = l->owner;
        _cleanup_free_ char *name = state_escape(o->name), *lockspace = state_escape(t->lockspace_dir),
                            *path = state_escape(l->resource->path);
        unsigned flags = (l->shared ? LEASE_SHARED : 0) | (l->resource->direct ? LEASE_DIRECT : 0);
        int n;

        if (!name || !lockspace || !path)
                return -ENOMEM;
        n = asprintf(ret,
                     RECORD_MAGIC "owner_uuid=%s\nowner_pid=%d\nowner_start=%llu\nowner_name=%s\nflags=%u\n"
                     "lockspace=%s\nresource=%s\nend\n",
                     o->uuid, (int) o->pid, (unsigned long long) o->start_time, name, flags, lockspace, path);
        if (n < 0)
                return -ENOMEM;
        *ret_len = (size_t) n;
        return 0;
}

static int write_all_fd(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

int lease_record_save(LeaseTable *t, const Lease *l) {
        char name[RECORD_NAME_MAX], tmp[RECORD_NAME_MAX + 8];
        _cleanup_free_ char *text = NULL;
        size_t len;
        int fd, r;

        if (t->record_dir_fd < 0)
                return 0;
        r = format_record(t, l, &text, &len);
        if (r < 0)
                return r;
        record_name(l->owner->uuid, l->resource->path, name);
        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        fd = openat(t->record_dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = write_all_fd(fd, text, len);
        close(fd);
        if (r >= 0 && renameat(t->record_dir_fd, tmp, t->record_dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(t->record_dir_fd, tmp, 0);
        return r;
}

void lease_record_remove(LeaseTable *t, const Lease *l) {
        char name[RECORD_NAME_MAX];

        if (t->record_dir_fd < 0)
                return;
        record_name(l->owner->uuid, l->resource->path, name);
        if (unlinkat(t->record_dir_fd, name, 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove the record %s/%s: %m", t->record_dir, name);
}

/* ---- restore ---- */

typedef struct Record {
        char uuid[UUID_STRING_MAX];
        int pid;
        unsigned long long start;
        unsigned flags;
        char *name, *lockspace, *path;
} Record;

static void record_done(Record *r) {
        free(r->name);
        free(r->lockspace);
        free(r->path);
}

static int parse_line(Record *rec, char *line) {
        char *eq = strchr(line, '=');
        const char *v;

        if (!eq)
                return -EINVAL;
        *eq = 0;
        v = eq + 1;
        if (streq(line, "owner_uuid"))
                return snprintf(rec->uuid, sizeof(rec->uuid), "%s", v) < (int) sizeof(rec->uuid) ? 0 : -EINVAL;
        if (streq(line, "owner_pid"))
                return safe_atoi(v, &rec->pid);
        if (streq(line, "owner_start"))
                return sscanf(v, "%llu", &rec->start) == 1 ? 0 : -EINVAL;
        if (streq(line, "flags"))
                return sscanf(v, "%u", &rec->flags) == 1 && !(rec->flags & ~_LEASE_FLAGS_ALL) ? 0 : -EINVAL;
        if (streq(line, "owner_name") && !rec->name)
                return state_unescape(v, &rec->name);
        if (streq(line, "lockspace") && !rec->lockspace)
                return state_unescape(v, &rec->lockspace);
        if (streq(line, "resource") && !rec->path)
                return state_unescape(v, &rec->path);
        return -EINVAL;
}

/* A record is whole (it ends with "end") and names everything, or it is
 * refused. */
static int parse_record(char *text, Record *rec) {
        char *save = NULL, *line;
        bool ended = false;
        uint8_t u[16];
        int r;

        if (strncmp(text, RECORD_MAGIC, strlen(RECORD_MAGIC)) != 0)
                return -EINVAL;
        for (line = strtok_r(text + strlen(RECORD_MAGIC), "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (ended)
                        return -EINVAL;
                if (streq(line, "end")) {
                        ended = true;
                        continue;
                }
                r = parse_line(rec, line);
                if (r < 0)
                        return r;
        }
        if (!ended || rec->pid <= 0 || rec->start == 0 || !rec->name || !rec->lockspace || !rec->path ||
            uuid_parse(rec->uuid, u) < 0)
                return -EINVAL;
        return 0;
}

/* The owner of a record, in the table already or found alive now: NULL
 * (and -ESRCH) when its process is gone or the pid names another one. */
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
        r = lease_table_adopt_owner(t, rec->uuid, rec->name, rec->pid, pidfd);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        *ret = lease_table_find_owner(t, rec->uuid);
        return 0;
}

enum { RECORD_DROP, RECORD_TAKEN, RECORD_KEEP };

/* What became of a record: RECORD_* or -ENOMEM. */
static int restore_one(LeaseTable *t, const char *name) {
        char text_buf[LEASE_ERRNO_TEXT_MAX], want[RECORD_NAME_MAX];
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(record_done) Record rec = {};
        _cleanup_free_ char *text = NULL, *path = path_join(t->record_dir, name);
        Owner *o;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, RECORD_MAX, &text, NULL);
        if (r < 0) {
                log_warning_errno(r, "Cannot read the lease record %s, dropped: %m", path);
                return RECORD_DROP;
        }
        if (parse_record(text, &rec) < 0 || !streq(name, record_name(rec.uuid, rec.path, want))) {
                log_warning("%s is not a whole lease record, dropped.", path);
                return RECORD_DROP;
        }
        if (!(rec.flags & LEASE_DIRECT) && !streq(rec.lockspace, t->lockspace_dir)) {
                log_warning("The lease of owner '%s' on %s was taken in the lockspace %s, not %s: not taken back.",
                            rec.name, rec.path, rec.lockspace, t->lockspace_dir);
                return RECORD_DROP;
        }
        r = record_owner(t, &rec, &o);
        if (r == -ESRCH) {
                log_info("Owner '%s' (uuid %s, pid %d) is gone: its lease on %s is dropped.", rec.name, rec.uuid,
                         rec.pid, rec.path);
                return RECORD_DROP;
        }
        if (r < 0) {
                /* Out of fds, most likely: keep the record for the next start. */
                log_error("Cannot take back the lease of owner '%s' (pid %d) on %s: %s", rec.name, rec.pid, rec.path,
                          lease_errno_text(r, text_buf));
                return RECORD_KEEP;
        }
        r = lease_table_retake(t, o, rec.path, rec.flags, &e);
        if (r < 0 && o->n_leases == 0)
                (void) lease_release_owner(t, o->uuid, &(unsigned) { 0 }, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_error("Cannot take back the lease of owner '%s' (pid %d) on %s: %s", rec.name, rec.pid,
                          rec.path, e.message ?: strerror(-r));
                return RECORD_DROP;
        }
        return RECORD_TAKEN;
}

int lease_records_restore(LeaseTable *t) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd, n = 0, r;

        if (t->record_dir_fd < 0)
                return 0;
        fd = openat(t->record_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.') {
                        /* A temporary file of a save that did not finish. */
                        if (endswith(de->d_name, ".tmp"))
                                (void) unlinkat(t->record_dir_fd, de->d_name, 0);
                        continue;
                }
                r = restore_one(t, de->d_name);
                if (r < 0)
                        return r;
                if (r == RECORD_DROP)
                        (void) unlinkat(t->record_dir_fd, de->d_name, 0);
                n += r == RECORD_TAKEN;
        }
        if (n > 0)
                log_info("Took back %d recorded lease(s) of %u running owner(s).", n, t->n_owners);
        return n;
}
