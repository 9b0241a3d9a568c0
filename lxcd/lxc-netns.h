/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A network namespace made ahead of the start that takes it: a fresh one
 * with lo up, held by an fd. Making a namespace and bringing lo up cost
 * the init most of a millisecond, and far more while the host tears
 * other namespaces down (rtnetlink waits for the RTNL lock): a thread
 * of lxcd's pays that instead, started when lxcd is idle. A container sees the same namespace
 * either way. Only for containers without a user namespace: theirs must
 * be owned by the container's user namespace. */

#include <systemd/sd-event.h>

/* Makes the first one once the loop is idle. */
int lxc_netns_spare_init(sd_event *event);
void lxc_netns_spare_done(void);
/* The spare's fd (the caller's to close), -1 when there is none yet; the
 * next is made once the loop is idle. */
int lxc_netns_spare_take(void);
