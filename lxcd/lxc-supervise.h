/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The per-container supervisor: forked from lxcd (or run as
 * "virtbus-lxcd --supervise <plan>"), its plan as lxc-plan.h's argv. It
 * makes the container's init in new mount, pid, uts, ipc and net
 * namespaces and says on fd 3 (the status pipe) "pid <init's pid>\n" or
 * why it could not ("error <message>\n"). The init inherits the pipe
 * close-on-exec and the supervisor lets go of it once its part is done:
 * the init's own "error <message>\n" or the pipe's EOF at its exec reach
 * lxcd directly (one process fewer to wake before Create answers). Then
 * the supervisor waits for the init: it is the domain's
 * process (d->pid). When the init ends it writes how into the plan's exit
 * file ("exited N" or "signal N") and exits 0. SIGTERM is passed on to the
 * init; SIGKILL takes the init, and with it the pid namespace, down. */

#include <signal.h>

#define LXC_SUPERVISE_STATUS_FD 3
/* A network namespace made ahead (lxc-netns.h) for the init to enter
 * rather than make one, when lxcd has one ready; whatever else this fd
 * is, the init makes its own. */
#define LXC_SUPERVISE_NETNS_FD 4
/* Destroy of a container holding host interfaces: the supervisor kills the
 * init, moves the interfaces back to the host, and exits as usual. */
#define LXC_SUPERVISE_KILL_SIGNAL SIGUSR2
/* The supervisor's name (/proc/PID/comm): lxcd forks it (lxc-process.c). */
#define LXC_SUPERVISE_COMM "lxcd-supervise"

int lxc_supervise_main(char **argv);
