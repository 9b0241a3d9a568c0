/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <search.h>
#include <sys/stat.h>

#include "error.h"
#include "lease-record.h"
#include "lease.h"
#include "log.h"
#include "process.h"
#include "sha256.h"
#include "util.h"

/* Resources are keyed by path, owners by uuid; a lookup key lives on the stack. */
typedef struct ResourceKey {
        Resource r;
        char buf[PATH_MAX];
} ResourceKey;

static int cmp_resource(const void *a, const void *b) {
        return strcmp(((const Resource *) a)->path, ((const Resource *) b)->path);
}

static int cmp_owner(const void *a, const void *b) {
        return strcmp(((const Owner *) a)->uuid, ((const Owner *) b)->uuid);
}

Resource *lease_table_find_resource(LeaseTable *t, const char *path) {
        ResourceKey k;
        void **n;

        if (strlen(path) >= sizeof(k.buf))
                return NULL;
        strcpy(k.r.path, path);
        n = tfind(&k.r, &t->resources, cmp_resource);
        return n ? *n : NULL;
}

Owner *lease_table_find_owner(LeaseTable *t, const char *uuid) {
        Owner k;
        void **n;

        if (strlen(uuid) >= sizeof(k.uuid))
                return NULL;
        strcpy(k.uuid, uuid);
        n = tfind(&k, &t->owners, cmp_owner);
        return n ? *n : NULL;
}

int lease_table_new(const char *lockspace_dir, sd_event *event, LeaseTable **ret) {
        LeaseTable *t;
        int r;

        r = mkdir_p(lockspace_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create the lockspace %s: %m", lockspace_dir);
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->lockspace_dir = strdup(lockspace_dir);
        t->lockspace_fd = open(lockspace_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!t->lockspace_dir || t->lockspace_fd < 0) {
                r = t->lockspace_dir ? log_error_errno(errno, "Cannot open %s: %m", lockspace_dir) : -ENOMEM;
                free(t->lockspace_dir);
                free(t);
                return r;
        }
        t->pid = getpid(); /* a system call less for every lease */
        if (gethostname(t->hostname, sizeof(t->hostname) - 1) < 0)
                strcpy(t->hostname, "unknown");
        t->event = event ? sd_event_ref(event) : NULL;
        t->journal_fd = -1;
        *ret = t;
        return 0;
}

char *lease_file_path(LeaseTable *t, const Resource *r) {
        char hex[SHA256_HEX_SIZE];

        if (r->direct)
                return strdup(r->path);
        return path_join(t->lockspace_dir, sha256_hex(r->path, hex));
}

/* ---- lock files ---- */

static int ofd_lock(int fd, short type) {
        struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

        if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
                return errno == EACCES ? -EAGAIN : -errno;
        return 0;
}

/* Another host (or lockd instance) reads this to name the holder. The text
 * ends with an "end" line and is padded with newlines to a multiple of
 * HOLDER_RECORD bytes, so it overwrites a previous holder's text without an
 * ftruncate, and nothing is written at release: the text only matters while
 * someone holds the lock, and every holder wrote its own when it took it. */
#define HOLDER_RECORD 512

static void write_holder_info(LeaseTable *t, int fd, const char *path, const Owner *o, bool shared) {
        char buf[PATH_MAX + 1024];
        size_t len;
        int n;

        n = snprintf(buf, sizeof(buf),
                     "resource=%s\nmode=%s\nowner_uuid=%s\nowner_name=%s\nowner_pid=%d\nhost=%s\nlockd_pid=%d\nend\n",
                     path, shared ? "shared" : "exclusive", o->uuid, o->name, (int) o->pid,
                     t->hostname, (int) t->pid);
        if (n < 0 || (size_t) n >= sizeof(buf) - HOLDER_RECORD)
                return;
        len = ((size_t) n + HOLDER_RECORD - 1) / HOLDER_RECORD * HOLDER_RECORD;
        memset(buf + n, '\n', len - (size_t) n);
        /* Best effort: the lock, not the text, is what excludes. */
        (void) !pwrite(fd, buf, len, 0);
}

static int open_lock_file(LeaseTable *t, const char *path, bool direct, bool shared) {
        char hex[SHA256_HEX_SIZE];
        int fd;

        if (direct)
                fd = open(path, (shared ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
        else
                fd = openat(t->lockspace_fd, sha256_hex(path, hex),
                            O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        return fd < 0 ? -errno : fd;
}

/* "owner 'vm1' (uuid ..., pid 42) on host h" from a lease file's text. */
static void describe_file_holder(int fd, char *out, size_t size) {
        char buf[PATH_MAX + 1024], *name = NULL, *uuid = NULL, *pid = NULL, *host = NULL, *save = NULL;
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        if (n <= 0) {
                snprintf(out, size, "by another process (no holder recorded)");
                return;
        }
        buf[n] = 0;
        for (char *l = strtok_r(buf, "\n", &save); l && !streq(l, "end"); l = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(l, '=');
                if (!eq)
                        continue;
                *eq++ = 0;
                if (streq(l, "owner_name"))
                        name = eq;
                else if (streq(l, "owner_uuid"))
                        uuid = eq;
                else if (streq(l, "owner_pid"))
                        pid = eq;
                else if (streq(l, "host"))
                        host = eq;
        }
        snprintf(out, size, "by owner '%s' (uuid %s, pid %s) on host %s", name ?: "?", uuid ?: "?",
                 pid ?: "?", host ?: "?");
}

static int busy_error(LeaseTable *t, const char *path, Resource *res, int fd, sd_bus_error *error) {
        char who[PATH_MAX + 256];

        if (res && res->holders) {
                Owner *o = res->holders->owner;
                snprintf(who, sizeof(who), "%sby owner '%s' (uuid %s, pid %d) on host %s",
                         res->holders->shared ? "shared " : "", o->name, o->uuid, (int) o->pid, t->hostname);
        } else if (res && res->direct)
                snprintf(who, sizeof(who), "by another process");
        else
                describe_file_holder(fd, who, sizeof(who));
        return vb_error_setf(error, VB_ERROR_RESOURCE_BUSY, "Resource '%s' is busy: held %s.", path, who);
}

/* ---- owners ---- */

/* A pidfd turns readable when its process exits: one poll, no /proc parsing. */
static bool pidfd_is_alive(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) == 0;
}

static bool owner_is_alive(const Owner *o) {
        return o->pidfd < 0 || pidfd_is_alive(o->pidfd);
}

static void lease_free(Lease *l, bool keep_fd);

static void owner_free(Owner *o, bool keep_fds) {
        LeaseTable *t;
        int r;

        if (!o)
                return;
        t = o->table;
        lease_records_begin(t); /* the owner's leases leave the journal in one write */
        while (o->leases)
                lease_free(o->leases, keep_fds);
        r = lease_records_end(t);
        if (r < 0)
                log_warning_errno(r, "Cannot record in %s that the leases of %s went: %m", t->journal_path, o->uuid);
        tdelete(o, &t->owners, cmp_owner);
        t->n_owners--;
        sd_event_source_disable_unref(o->pid_source);
        if (o->pidfd >= 0 && !keep_fds)
                close(o->pidfd);
        free(o->name);
        free(o);
}

static int on_owner_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Owner *o = userdata;

        log_info("Owner '%s' (uuid %s, pid %d) exited, dropping its %u lease(s).", o->name, o->uuid,
                 (int) o->pid, o->n_leases);
        owner_free(o, false);
        return 0;
}

static int owner_new(LeaseTable *t, const char *uuid, const char *name, pid_t pid, uint64_t start_time, int pidfd,
                     Owner **ret) {
        Owner *o = calloc(1, sizeof(*o));
        int r;

        if (!o)
                return -ENOMEM;
        *o = (Owner) { .table = t, .pid = pid, .start_time = start_time, .pidfd = -1, .name = strdup(name) };
        snprintf(o->uuid, sizeof(o->uuid), "%s", uuid);
        if (!o->name) {
                free(o);
                return -ENOMEM;
        }
        if (t->event) {
                r = sd_event_add_io(t->event, &o->pid_source, pidfd, EPOLLIN, on_owner_exit, o);
                if (r < 0) {
                        free(o->name);
                        free(o);
                        return r;
                }
        }
        if (!tsearch(o, &t->owners, cmp_owner)) {
                sd_event_source_disable_unref(o->pid_source);
                free(o->name);
                free(o);
                return -ENOMEM;
        }
        o->pidfd = pidfd; /* owned from here on */
        t->n_owners++;
        *ret = o;
        return 0;
}

/* ---- leases ---- */

static void lease_free(Lease *l, bool keep_fd) {
        Resource *res = l->resource;
        Owner *o = l->owner;
        LeaseTable *t = o->table;

        if (!t->closing)
                lease_record_remove(t, l);
        if (l->fd >= 0 && !keep_fd)
                close(l->fd);
        if (l->owner_prev)
                l->owner_prev->owner_next = l->owner_next;
        else
                o->leases = l->owner_next;
        if (l->owner_next)
                l->owner_next->owner_prev = l->owner_prev;
        o->n_leases--;
        if (l->res_prev)
                l->res_prev->res_next = l->res_next;
        else
                res->holders = l->res_next;
        if (l->res_next)
                l->res_next->res_prev = l->res_prev;
        res->n_holders--;
        t->n_leases--;
        if (res->n_holders == 0) {
                tdelete(res, &t->resources, cmp_resource);
                t->n_resources--;
                free(res);
        }
        free(l);
}

static int resource_get(LeaseTable *t, const char *path, bool direct, Resource **ret) {
        Resource *res = lease_table_find_resource(t, path);
        size_t n;

        if (res) {
                *ret = res;
                return 0;
        }
        n = strlen(path);
        res = malloc(sizeof(*res) + n + 1);
        if (!res)
                return -ENOMEM;
        *res = (Resource) { .direct = direct };
        memcpy(res->path, path, n + 1);
        if (!tsearch(res, &t->resources, cmp_resource)) {
                free(res);
                return -ENOMEM;
        }
        t->n_resources++;
        *ret = res;
        return 0;
}

static int lease_link(LeaseTable *t, Owner *o, const char *path, bool direct, bool shared, int fd, Lease **ret) {
        Resource *res;
        Lease *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return -ENOMEM;
        r = resource_get(t, path, direct, &res);
        if (r < 0) {
                free(l);
                return r;
        }
        *l = (Lease) { .resource = res, .owner = o, .fd = fd, .shared = shared };
        l->owner_next = o->leases;
        if (o->leases)
                o->leases->owner_prev = l;
        o->leases = l;
        o->n_leases++;
        l->res_next = res->holders;
        if (res->holders)
                res->holders->res_prev = l;
        res->holders = l;
        res->n_holders++;
        t->n_leases++;
        if (ret)
                *ret = l;
        return 0;
}

static Lease *owner_find_lease(Owner *o, const Resource *res) {
        for (Lease *l = o->leases; l; l = l->owner_next)
                if (l->resource == res)
                        return l;
        return NULL;
}

int lease_check_path(const char *path, sd_bus_error *error) {
        if (!path || !*path)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Resource path is empty.");
        if (!path_is_normalized_absolute(path) || streq(path, "/"))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG,
                                     "Resource path '%s' is not a normalized absolute path.", path);
        return 0;
}

/* Symlinks resolved when the resource exists, so two names of one disk meet
 * on one lease. */
static char *canonical_path(const char *path) {
        char *c = realpath(path, NULL);

        return c ?: strdup(path);
}

static int check_request(const LeaseRequest *q, char uuid[UUID_STRING_MAX], sd_bus_error *error) {
        uint8_t u[16];
        int r;

        if (q->flags & ~_LEASE_FLAGS_ALL)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Unknown flags 0x%x.",
                                     q->flags & ~_LEASE_FLAGS_ALL);
        r = lease_check_path(q->path, error);
        if (r < 0)
                return r;
        if (uuid_parse(q->owner_uuid, u) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner uuid '%s' is not a uuid.", q->owner_uuid);
        uuid_format(u, uuid);
        if (!object_name_is_valid(q->owner_name))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner name '%s' is not a valid name.",
                                     q->owner_name);
        if (q->owner_pid == 0 || q->owner_pid > INT_MAX)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner pid %u does not exist.", q->owner_pid);
        return 0;
}

/* An owner registered under the request's uuid with another pid: refused
 * while that process lives; once it died (its pidfd event may still be
 * queued) it makes room for the new one. */
static int drop_stale_owner(LeaseTable *t, const LeaseRequest *q, const char *uuid, sd_bus_error *error) {
        Owner *o = lease_table_find_owner(t, uuid);

        if (!o || o->pid == (pid_t) q->owner_pid)
                return 0;
        if (owner_is_alive(o))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "Owner %s is registered with pid %d, not %u.",
                                     uuid, (int) o->pid, q->owner_pid);
        owner_free(o, false);
        return 0;
}

/* Local holders that died but whose pidfd event has not been handled yet
 * still hold the lock: drop them now rather than answer ResourceBusy. */
static bool reap_dead_holders(LeaseTable *t, const char *path) {
        Resource *res = lease_table_find_resource(t, path);
        bool reaped = false;

        while (res) {
                Lease *l = res->holders;
                while (l && owner_is_alive(l->owner))
                        l = l->res_next;
                if (!l)
                        break;
                owner_free(l->owner, false);
                reaped = true;
                res = lease_table_find_resource(t, path);
        }
        return reaped;
}

static int lock_resource(LeaseTable *t, const char *path, bool direct, bool shared, sd_bus_error *error) {
        char text[ERRNO_TEXT_MAX];
        _cleanup_close_ int fd = -1;
        int r;

        fd = open_lock_file(t, path, direct, shared);
        if (fd == -ENOENT && direct)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Resource '%s' does not exist.", path);
        if (fd < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot open the lock file of '%s': %s", path,
                                     errno_text(fd, LEASE_FD_HOLDERS, text));
        r = ofd_lock(fd, shared ? F_RDLCK : F_WRLCK);
        if (r == -EAGAIN && reap_dead_holders(t, path))
                r = ofd_lock(fd, shared ? F_RDLCK : F_WRLCK);
        if (r == -EAGAIN)
                return busy_error(t, path, lease_table_find_resource(t, path), fd, error);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot lock '%s': %s", path,
                                     errno_text(r, LEASE_FD_HOLDERS, text));
        return TAKE_FD(fd);
}

int lease_owner_pidfd(pid_t pid, uint64_t start_time, int *ret_pidfd, uint64_t *ret_start_time) {
        _cleanup_close_ int fd = pidfd_open_pid(pid);
        uint64_t st;
        int r;

        if (fd < 0)
                return fd;
        /* Read between opening the pidfd and seeing it alive: the pid named
         * the pidfd's process all along, so the start time is its own. */
        r = pid_start_time(pid, &st);
        if (r == -ENOENT || r == -ESRCH)
                return -ESRCH;
        if (r < 0)
                return r;
        if (!pidfd_is_alive(fd) || (start_time != 0 && st != start_time))
                return -ESRCH;
        *ret_pidfd = TAKE_FD(fd);
        *ret_start_time = st;
        return 0;
}

/* The pidfd of a new owner, taken before anything changes: a pid that is
 * gone (or a zombie) is refused; any other failure (out of fds) is ours
 * and said as such. */
static int open_owner_pidfd(uint32_t pid, uint64_t *ret_start_time, sd_bus_error *error) {
        char text[ERRNO_TEXT_MAX];
        int fd = -1, r = lease_owner_pidfd((pid_t) pid, 0, &fd, ret_start_time);

        if (r == -ESRCH)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner pid %u does not exist.", pid);
        if (r < 0)
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot watch owner pid %u: %s", pid,
                                     errno_text(r, LEASE_FD_HOLDERS, text));
        return fd;
}

/* 1: a lease was taken; 0: the owner held it already. owner_seen: the
 * owner was found alive in this event loop iteration already (a call's
 * leases after its first), which saves a poll for every lease. */
static int acquire_one(LeaseTable *t, const LeaseRequest *q, bool owner_seen, sd_bus_error *error) {
        char uuid[UUID_STRING_MAX];
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1, pidfd = -1;
        bool shared = q->flags & LEASE_SHARED, direct = q->flags & LEASE_DIRECT;
        char text[ERRNO_TEXT_MAX];
        uint64_t start_time = 0;
        Resource *res;
        Lease *l;
        Owner *o;
        int r;

        r = check_request(q, uuid, error);
        if (r < 0)
                return r;
        path = canonical_path(q->path);
        if (!path)
                return -ENOMEM;
        r = drop_stale_owner(t, q, uuid, error);
        if (r < 0)
                return r;
        o = lease_table_find_owner(t, uuid);
        if (o && !owner_seen && !owner_is_alive(o))
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner pid %u does not exist.", q->owner_pid);
        if (!o) {
                pidfd = open_owner_pidfd(q->owner_pid, &start_time, error);
                if (pidfd < 0)
                        return pidfd;
        }
        res = lease_table_find_resource(t, path);
        if (res && res->direct != direct)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Resource '%s' is locked %s; ask the same way.",
                                     path, res->direct ? "directly" : "in the lockspace");
        if (o && res) {
                Lease *l = owner_find_lease(o, res);
                if (l && l->shared == shared)
                        return 0; /* idempotent: qemud re-acquires after a lockd restart */
                if (l)
                        return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "Owner %s already holds '%s' %s.",
                                             uuid, path, l->shared ? "shared" : "exclusively");
        }
        fd = lock_resource(t, path, direct, shared, error);
        if (fd < 0)
                return fd;
        /* Reaping dead holders while locking never takes this owner: it is alive. */
        if (!o) {
                r = owner_new(t, uuid, q->owner_name, (pid_t) q->owner_pid, start_time, pidfd, &o);
                if (r < 0)
                        return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot watch owner pid %u: %s",
                                             q->owner_pid, errno_text(r, LEASE_FD_HOLDERS, text));
                TAKE_FD(pidfd);
        }
        r = lease_link(t, o, path, direct, shared, fd, &l);
        if (r < 0) {
                if (o->n_leases == 0)
                        owner_free(o, false);
                return r;
        }
        TAKE_FD(fd);
        if (!direct)
                write_holder_info(t, l->fd, path, o, shared);
        /* Recorded before the caller hears of it: a lease granted is a lease
         * that a restarted lockd takes back. */
        r = lease_record_save(t, l);
        if (r < 0) {
                lease_free(l, false);
                if (o->n_leases == 0)
                        owner_free(o, false);
                return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot record the lease of '%s' in %s: %s", path,
                                     t->journal_path, errno_text(r, LEASE_FD_HOLDERS, text));
        }
        return 1;
}

int lease_acquire(LeaseTable *t, const LeaseRequest *q, sd_bus_error *error) {
        int r = acquire_one(t, q, false, error);

        return r < 0 ? r : 0;
}

/* The leases this call took are let go again; those held before stay. */
static void release_taken(LeaseTable *t, const LeaseRequest *reqs, const bool *taken, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (taken[i])
                        (void) lease_release(t, reqs[i].path, reqs[i].owner_uuid, NULL);
}

static int acquire_each(LeaseTable *t, const LeaseRequest *reqs, bool *taken, size_t n, sd_bus_error *error) {
        for (size_t i = 0; i < n; i++) {
                int r = acquire_one(t, &reqs[i], i > 0, error);
                if (r < 0) {
                        release_taken(t, reqs, taken, i);
                        return r;
                }
                taken[i] = r > 0;
        }
        return 0;
}

/* The call's journal lines go in one write, before the answer; when that
 * write fails, the leases are let go again as for any lease not recorded. */
int lease_acquire_many(LeaseTable *t, const LeaseRequest *reqs, size_t n, sd_bus_error *error) {
        _cleanup_free_ bool *taken = calloc(n ?: 1, sizeof(bool));
        char text[ERRNO_TEXT_MAX];
        int r, w;

        if (!taken)
                return -ENOMEM;
        lease_records_begin(t);
        r = acquire_each(t, reqs, taken, n, error);
        w = lease_records_end(t);
        if (r < 0 || w >= 0)
                return r;
        release_taken(t, reqs, taken, n);
        return vb_error_setf(error, VB_ERROR_SYSTEM, "Cannot record the leases in %s: %s", t->journal_path,
                             errno_text(w, LEASE_FD_HOLDERS, text));
}

int lease_table_retake(LeaseTable *t, Owner *o, const char *path, uint32_t flags, sd_bus_error *error) {
        bool shared = flags & LEASE_SHARED, direct = flags & LEASE_DIRECT;
        Resource *res = lease_table_find_resource(t, path);
        int fd, r;

        if (res && (res->direct != direct || owner_find_lease(o, res)))
                return vb_error_setf(error, VB_ERROR_OPERATION_INVALID, "Resource '%s' is recorded twice.", path);
        fd = lock_resource(t, path, direct, shared, error);
        if (fd < 0)
                return fd;
        r = lease_link(t, o, path, direct, shared, fd, NULL);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (!direct)
                write_holder_info(t, fd, path, o, shared);
        return 0;
}

int lease_release(LeaseTable *t, const char *path, const char *owner_uuid, sd_bus_error *error) {
        _cleanup_free_ char *canon = NULL;
        char uuid[UUID_STRING_MAX];
        uint8_t u[16];
        Resource *res;
        Owner *o;
        Lease *l;
        int r;

        r = lease_check_path(path, error);
        if (r < 0)
                return r;
        if (uuid_parse(owner_uuid, u) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner uuid '%s' is not a uuid.", owner_uuid);
        uuid_format(u, uuid);
        /* The path as given first: the resource may be gone, so realpath may not find it. */
        res = lease_table_find_resource(t, path);
        if (!res) {
                canon = canonical_path(path);
                res = canon ? lease_table_find_resource(t, canon) : NULL;
        }
        o = lease_table_find_owner(t, uuid);
        l = o && res ? owner_find_lease(o, res) : NULL;
        if (!l)
                return vb_error_setf(error, VB_ERROR_NO_LEASE, "Owner %s holds no lease on '%s'.", uuid, path);
        lease_free(l, false);
        if (o->n_leases == 0)
                owner_free(o, false);
        return 0;
}

int lease_release_owner(LeaseTable *t, const char *owner_uuid, unsigned *ret_n, sd_bus_error *error) {
        char uuid[UUID_STRING_MAX];
        uint8_t u[16];
        Owner *o;

        if (uuid_parse(owner_uuid, u) < 0)
                return vb_error_setf(error, VB_ERROR_INVALID_ARG, "Owner uuid '%s' is not a uuid.", owner_uuid);
        o = lease_table_find_owner(t, uuid_format(u, uuid));
        *ret_n = o ? o->n_leases : 0;
        owner_free(o, false);
        return 0;
}

/* ---- walking and freeing ---- */

typedef struct Visit {
        lease_visit_fn lease_fn;
        owner_visit_fn owner_fn;
        void *userdata;
} Visit;

static void visit_resource(const void *node, VISIT which, void *closure) {
        Visit *v = closure;
        Resource *res = *(Resource *const *) node;

        if (which != postorder && which != leaf)
                return;
        for (Lease *l = res->holders; l; l = l->res_next)
                v->lease_fn(l, v->userdata);
}

static void visit_owner(const void *node, VISIT which, void *closure) {
        Visit *v = closure;

        if (which == postorder || which == leaf)
                v->owner_fn(*(Owner *const *) node, v->userdata);
}

void lease_table_foreach_lease(LeaseTable *t, lease_visit_fn fn, void *userdata) {
        Visit v = { .lease_fn = fn, .userdata = userdata };

        twalk_r(t->resources, visit_resource, &v);
}

void lease_table_foreach_owner(LeaseTable *t, owner_visit_fn fn, void *userdata) {
        Visit v = { .owner_fn = fn, .userdata = userdata };

        twalk_r(t->owners, visit_owner, &v);
}

static void table_free(LeaseTable *t, bool keep_fds) {
        if (!t)
                return;
        /* The leases go with this process, their records stay: a lockd
         * started later takes back those whose owners still run. */
        t->closing = true;
        /* owner_free removes the owner from the tree, so take the root each time. */
        while (t->owners)
                owner_free(*(Owner **) t->owners, keep_fds);
        if (t->lockspace_fd >= 0)
                close(t->lockspace_fd);
        if (t->journal_fd >= 0)
                close(t->journal_fd);
        free(t->journal_path);
        free(t->journal_pending);
        sd_event_unref(t->event);
        free(t->lockspace_dir);
        free(t);
}

void lease_table_free(LeaseTable *t) {
        table_free(t, false);
}

void lease_table_forget(LeaseTable *t) {
        table_free(t, true);
}

int lease_table_adopt_owner(LeaseTable *t, const char *uuid, const char *name, pid_t pid, uint64_t start_time,
                            int pidfd) {
        Owner *o;
        int r;

        if (lease_table_find_owner(t, uuid))
                return -EEXIST;
        /* The start time goes into every record of the owner's leases: one
         * without it could not be taken back after a restart. A pid that
         * died meanwhile is dropped by its pidfd's event. */
        if (start_time == 0 && (r = pid_start_time(pid, &start_time)) < 0)
                return r;
        return owner_new(t, uuid, name, pid, start_time, pidfd, &o);
}

int lease_table_adopt_lease(LeaseTable *t, const char *owner_uuid, const char *path, uint32_t flags, int fd) {
        Owner *o = lease_table_find_owner(t, owner_uuid);
        Resource *res = lease_table_find_resource(t, path);

        if (!o)
                return -ENOENT;
        if (res && (res->direct != !!(flags & LEASE_DIRECT) || owner_find_lease(o, res)))
                return -EEXIST;
        return lease_link(t, o, path, flags & LEASE_DIRECT, flags & LEASE_SHARED, fd, NULL);
}
