/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For daemons that hold an fd per object (a lease, a log pipe): the soft
 * RLIMIT_NOFILE raised to the hard one, so tens of thousands fit. Kept
 * across a re-exec, like every rlimit. */

void fd_limit_raise(void);
