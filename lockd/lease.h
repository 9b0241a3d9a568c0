/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Leases on resources (disk paths), held for owners (guests).
 *
 * Every lease is one open file description carrying an OFD lock
 * (F_OFD_SETLK) on byte 0 of its lock file: the lease file named by the
 * SHA-256 of the resource path in the lockspace directory, or the resource
 * itself for a direct lease. Byte 0 only, as virtlockd does, so QEMU's own
 * image locks (bytes 100 and up) never collide with ours. The kernel is the
 * single arbiter: two owners in this lockd, two lockd instances, or two
 * hosts sharing the lockspace directory all meet on the same lock.
 *
 * The lock belongs to the open file description, so it survives an exec as
 * long as the fd stays open (see lock-state.c), and vanishes with it when
 * lockd dies. */

#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "uuid.h"

enum {
        LEASE_SHARED = 1 << 0, /* a <shareable/> disk: readers share it */
        LEASE_DIRECT = 1 << 1, /* lock the resource file itself, not a lockspace file */
        _LEASE_FLAGS_ALL = LEASE_SHARED | LEASE_DIRECT,
};

typedef struct Owner Owner;
typedef struct Resource Resource;
typedef struct Lease Lease;
typedef struct LeaseTable LeaseTable;

struct Lease {
        Resource *resource;
        Owner *owner;
        int fd;
        bool shared;
        Lease *owner_next, *owner_prev; /* the owner's leases */
        Lease *res_next, *res_prev;     /* this lockd's holders of the resource */
};

struct Owner {
        LeaseTable *table;
        char uuid[UUID_STRING_MAX];
        char *name;
        pid_t pid;
        uint64_t start_time; /* of pid, from /proc: tells it from a reused pid after a restart */
        int pidfd;
        sd_event_source *pid_source;
        Lease *leases;
        unsigned n_leases;
};

struct Resource {
        bool direct;
        Lease *holders;
        unsigned n_holders;
        char path[]; /* canonical */
};

struct LeaseTable {
        char *lockspace_dir;
        int lockspace_fd;
        sd_event *event; /* NULL: owners' pids are not watched (unit tests) */
        void *owners;    /* tsearch trees */
        void *resources;
        unsigned n_owners, n_resources, n_leases;
        char hostname[256];
        pid_t pid;            /* lockd's, written into lease files */
        /* The journal of leases (lease-record.h); -1: not recorded (unit tests). */
        char *journal_path;
        int journal_fd;       /* O_APPEND */
        uint64_t journal_size;
        unsigned journal_lines;
        bool journal_lost;    /* a rewrite replaced it and could not open the new one */
        bool closing;         /* the table goes, the leases stay recorded */
        /* Lines of the changes of one call, written in one write(2) when
         * its outermost batch ends (lease-record.h). */
        char *journal_pending;
        size_t pending_len, pending_alloc;
        unsigned pending_lines, batch_depth;
};

typedef struct LeaseRequest {
        const char *path;
        const char *owner_uuid;
        const char *owner_name;
        uint32_t owner_pid;
        uint32_t flags;
} LeaseRequest;

/* Creates the lockspace directory if needed. event may be NULL. */
int lease_table_new(const char *lockspace_dir, sd_event *event, LeaseTable **ret);
/* Releases every lease and frees the table. */
void lease_table_free(LeaseTable *t);
/* Frees the memory but leaves every fd open, for fds handed over to another
 * table in the same process: test-lock-lease's state round trip, which
 * stands for a re-exec. lockd itself never calls it (exec drops the memory
 * and keeps the fds), but without it that test could not free the table. */
void lease_table_forget(LeaseTable *t);

/* Named errors (InvalidArg, ResourceBusy, OperationInvalid) go to error,
 * which may be NULL. Acquiring what the owner already holds in the same mode
 * succeeds and changes nothing. */
int lease_acquire(LeaseTable *t, const LeaseRequest *req, sd_bus_error *error);
/* All of reqs or none: when one is refused (its error in error), the leases
 * taken by this call are let go again, those held before stay. A guest's
 * leases in one call cost lockd one message for all of them. */
int lease_acquire_many(LeaseTable *t, const LeaseRequest *reqs, size_t n, sd_bus_error *error);
/* NoLease when the owner holds no lease on path. */
int lease_release(LeaseTable *t, const char *path, const char *owner_uuid, sd_bus_error *error);
/* Releases all of an owner's leases; *ret_n gets how many (0 for an unknown owner). */
int lease_release_owner(LeaseTable *t, const char *owner_uuid, unsigned *ret_n, sd_bus_error *error);

Owner *lease_table_find_owner(LeaseTable *t, const char *uuid);
Resource *lease_table_find_resource(LeaseTable *t, const char *path);

/* Calls fn for every owner / every lease, in path (uuid) order. */
typedef void (*lease_visit_fn)(Lease *l, void *userdata);
typedef void (*owner_visit_fn)(Owner *o, void *userdata);
void lease_table_foreach_lease(LeaseTable *t, lease_visit_fn fn, void *userdata);
void lease_table_foreach_owner(LeaseTable *t, owner_visit_fn fn, void *userdata);

/* The file that carries the lock of a resource: <lockspace>/<sha256 of path>,
 * or the path itself for a direct lease. */
char *lease_file_path(LeaseTable *t, const Resource *r);

/* The pidfd of a live pid, and its start time: -ESRCH when the pid is gone
 * (or a zombie), or when start_time is not 0 and the pid now names another
 * process; another -errno when the pidfd cannot be had (out of fds). */
int lease_owner_pidfd(pid_t pid, uint64_t start_time, int *ret_pidfd, uint64_t *ret_start_time);
/* Takes a lease back for an owner already in the table (from a record):
 * locks the file and links the lease, without recording it again. Named
 * errors as for lease_acquire. */
int lease_table_retake(LeaseTable *t, Owner *o, const char *path, uint32_t flags, sd_bus_error *error);

/* Used when a state is restored after re-exec: takes ownership of the fds. */
/* start_time 0: read it now (-errno when that fails). */
int lease_table_adopt_owner(LeaseTable *t, const char *uuid, const char *name, pid_t pid, uint64_t start_time,
                            int pidfd);
int lease_table_adopt_lease(LeaseTable *t, const char *owner_uuid, const char *path, uint32_t flags, int fd);

/* What holds lockd's fds, for errno_text(). */
#define LEASE_FD_HOLDERS "every lease and every owner holds one"

/* Checks done before anything changes, exposed for the unit tests. */
int lease_check_path(const char *path, sd_bus_error *error);
