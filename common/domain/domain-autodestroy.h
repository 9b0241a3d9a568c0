/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Autodestroy (DOMAIN_START_AUTODESTROY): a domain started so is destroyed,
 * through its driver, when the bus client that started it goes away. The
 * owner is kept in the live state, so a restarted daemon watches it again. */

#include "domain.h"

/* Destroys d when the bus client owner goes away. */
int domain_watch_autodestroy(Domain *d, const char *owner);
/* The same after a restart, destroying at once if owner already went away. */
int domain_watch_autodestroy_recheck(Domain *d, const char *owner);
/* Stops watching (d stopped or goes away). */
void domain_autodestroy_clear(Domain *d);
