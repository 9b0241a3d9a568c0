/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RLIMIT_NOFILE is shared by the bus connection and the work. A message
 * that carries fds when none are free is cut short by the kernel
 * (MSG_CTRUNC) and sd-bus closes the connection: the daemon would stay
 * alive but off the bus. So FD_RESERVE fds are never given to work: the
 * fds of one incoming message (dbus-daemon's system bus allows 16) and a
 * few for what the loop opens itself (a state file, the in-use table).
 *
 * Work that holds fds (a job: a transfer, a helper's pipes, a scan) is
 * promised the most it holds at once, while it runs. A job is admitted
 * (job.h) when the fds open now (among them those of the messages that
 * wait for their jobs) leave the reserve free beside what the running jobs
 * are promised, and beside its own promise (then it can run at the latest
 * when the others have ended); it starts when its promise fits beside the
 * running ones'. A running job's fds are counted twice (open and
 * promised): on the safe side. */

#include <stdint.h>

#include "domain-conf.h" /* ConfError */

#define FD_RESERVE 24U

/* The most fds a job holds at once, by kind of work. A transfer to or from
 * a file: the volume, then (upload) its refresh, which opens it and a
 * backing file (the caller's fd is in the message, already counted). A
 * helper (qemu-img, mkfs, mount, lvm, scrub): its pipes and the error pipe
 * of the spawn, and the files the job opens beside it; a pool scan opens as
 * few. An upload to a logical volume is refreshed with lvs: a helper. */
#define FD_COST_TRANSFER 2U
#define FD_COST_HELPER 8U

/* Open fds of this process, those numbered below the soft limit (the slots
 * a new fd can take); -errno when they cannot be counted (EMFILE: not even
 * one is free to read /proc/self/fd). */
int fd_count_open(unsigned *ret);
/* The soft RLIMIT_NOFILE (UINT64_MAX when unlimited). */
uint64_t fd_limit_get(void);

/* Whether `more` fds fit beside those open and the reserve: 0, or -EMFILE
 * with err naming "too many open files", the numbers and the limit. */
int fd_budget_check(unsigned more, ConfError *err);

/* The same for several checks in a row (nothing opened in between): the
 * fds that can still be given to work, counted once. */
unsigned fd_budget_room(void);
