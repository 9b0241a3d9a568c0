/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One daemon per state: each daemon holds an flock on <rundir>/<name>.lock
 * for as long as it runs. A second instance started on the same state (by
 * hand, or by D-Bus activation while the first one is still around off the
 * bus) is refused before it reads or changes anything. The lock goes with
 * the process: a SIGKILLed daemon leaves nothing to clean up, and a re-exec
 * keeps it (the fd is passed on through the environment). */

#include <stdbool.h>

/* Takes the lock, or adopts the one the image before a re-exec held.
 * -EBUSY, logged with the holder's pid, when another instance has it. */
int instance_lock_take(const char *rundir, const char *name);
/* Before an exec of our own binary: keep the lock fd open across it (true),
 * or take that back when the exec failed (false). */
void instance_lock_pass_on(bool pass);
