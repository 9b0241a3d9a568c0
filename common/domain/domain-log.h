/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where the guest process's stdout and stderr (and its serial output) go: a
 * pipe from logd, which writes <logdir>/<driver>/<name>.log and rotates it;
 * or the same file opened directly when logd cannot be reached. */

#include "domain.h"

/* Calls done(d, fd) with a writable fd (owned by the callee), or -errno. The
 * command line is written to the log first, as libvirt does. Once the domain
 * cancelled its handle (domain-handle.h), done() is not called and the fd
 * is closed. */
typedef void (*domain_log_fn)(Domain *d, int fd, void *userdata);
int domain_log_open(Domain *d, char *const *argv, domain_log_fn done, void *userdata);

/* "<time>: shutting down, reason=crashed" at the end of the log, as libvirt
 * writes it when its guest process is gone. */
void domain_log_stopped(Domain *d, int shutoff_reason);

/* "<time>: WHAT" at the end of the log (after the command line of a start
 * whose log is open): a line of the daemon's own, as libvirt's taint
 * warnings. Cut at 500 bytes. */
void domain_log_append(Domain *d, const char *what);

/* The last bytes the guest process wrote, to explain a failed start. */
char *domain_log_tail(Domain *d);

/* Watches logd leave the bus. Its FIFOs keep running guests' output in the
 * kernel until it is back, but only while they hold less than the pipe's
 * buffer: when a guest runs, logd is started again at once by D-Bus
 * activation (systemd restarts it too, after a second). */
int domain_log_watch_logd(Manager *m);
