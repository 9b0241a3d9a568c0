/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Leases recorded in lockd's run directory, so that a lockd killed (or
 * crashed, or stopped) and started again takes back the leases of every
 * owner still running before it takes its bus name: nobody else can take a
 * running guest's disk, whichever of lockd and qemud comes back first.
 *
 * The record is a journal, <rundir>/lockd/leases/journal: one line appended
 * for every lease granted, before Acquire answers, and one for every lease
 * that goes; one write(2) for a call's lines (AcquireMany's, an owner's
 * leases going). A line is one change, whole or absent: a line cut short by
 * a crash (no newline at its end) is ignored, and it can only be in the last
 * write, of a call never answered. When the lines outnumber the
 * leases held by far, and on every fresh start, the journal is rewritten
 * with just the leases held (a temporary file renamed over it). An append
 * costs a few microseconds, against a file created and renamed per change
 * that would cost lockd most of its call rate on a disk-backed run
 * directory. No fsync: the records only matter while their owners live,
 * and a host crash ends them too.
 *
 *   virtbus-lockd-leases 1
 *   + <owner uuid> <pid> <pid's start time> <flags> <owner name> <lockspace> <resource>
 *   - <owner uuid> <resource>
 *
 * Names and paths escaped with state_escape(). An owner is the same process
 * when the pid AND its start time (/proc/PID/stat, clock ticks since boot)
 * match: a pid reused since is not. */

#include "lease.h"

/* Records go to <dir>/journal from now on (dir created if needed). */
int lease_records_open(LeaseTable *t, const char *dir);
/* Records that l was granted; 0 or -errno. No-op without a journal. */
int lease_record_save(LeaseTable *t, const Lease *l);
/* Records that l went (a failure is logged: the lease would only be taken
 * back for a live owner that let it go, never for another). */
void lease_record_remove(LeaseTable *t, const Lease *l);
/* The changes recorded between begin and the matching end (they nest) go
 * into the journal together, in one write(2) at the outermost end: a call
 * that takes or drops a guest's 8 leases costs one write, not 8. end
 * returns 0 or the write's -errno (nothing of the batch is then in the
 * journal). A batch is ended before the call's answer. */
void lease_records_begin(LeaseTable *t);
int lease_records_end(LeaseTable *t);
/* On a fresh start: takes back every recorded lease whose owner still runs,
 * logs those that cannot be, and rewrites the journal with what is held.
 * Returns how many leases were taken back. */
int lease_records_restore(LeaseTable *t);
