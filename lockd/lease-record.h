/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Leases recorded in lockd's run directory, so that a lockd killed (or
 * crashed, or stopped) and started again takes back the leases of every
 * owner still running before it takes its bus name: nobody else can take a
 * running guest's disk, whichever of lockd and qemud comes back first.
 *
 * One file per lease, <rundir>/lockd/leases/<owner uuid>-<sha256 of path>,
 * written (temporary file, then rename) before Acquire answers and removed
 * when the lease goes. One file a lease keeps every change O(1) however many
 * leases an owner holds. A file is only ever whole: renamed into place
 * complete, never rewritten. No fsync: the records only matter while their
 * owners live, and a host crash ends them too.
 *
 *   virtbus-lockd-lease 1
 *   owner_uuid=<uuid>
 *   owner_pid=<pid>
 *   owner_start=<start time of the pid, clock ticks since boot>
 *   owner_name=<escaped>
 *   flags=<LEASE_* flags>
 *   lockspace=<escaped lockspace directory>
 *   resource=<escaped canonical path>
 *   end
 *
 * Values escaped with state_escape(). An owner is the same process when the
 * pid AND its start time (/proc/PID/stat) match: a pid reused since is not. */

#include "lease.h"

/* Records go to dir from now on (created if needed). */
int lease_records_open(LeaseTable *t, const char *dir);
/* Writes l's record; 0 or -errno. No-op without a record directory. */
int lease_record_save(LeaseTable *t, const Lease *l);
/* Removes l's record (a missing one is fine). */
void lease_record_remove(LeaseTable *t, const Lease *l);
/* On a fresh start: takes back every recorded lease whose owner still runs,
 * and removes the records of owners that are gone and of leases that cannot
 * be taken back (logged). Returns how many leases were taken back. */
int lease_records_restore(LeaseTable *t);
