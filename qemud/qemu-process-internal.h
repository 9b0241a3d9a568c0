/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the two halves of running a domain's QEMU (qemu-start.c: the
 * start; qemu-process.c: the process's life after it). Not for other
 * callers: they use qemu-process.h. */

#include <sys/types.h>

#include "domain.h"
#include "qemu-monitor.h"

/* How long QEMU's monitor may take to answer. */
#define MONITOR_TIMEOUT_USEC (30ULL * 1000000ULL)

/* From qemu-process.c. */

/* ret: <rundir>/<name><suffix>, the domain's files beside its live state. */
int status_path(const Domain *d, const char *suffix, char **ret);
/* The process watch's callback: QEMU exited, whatever the cause. */
void on_process_exit(pid_t pid, int code, int status, void *userdata);
/* The monitor's hang-up, while starting or later. */
void on_monitor_closed(QemuMonitor *mon, int error, void *userdata);
/* Finishes a failed start whose steps undid what they took. May free d. */
void process_finish_undone(Domain *d, int shutoff_reason, int stopped_detail);

/* From qemu-start.c. */

/* Answers the start's call (r < 0: with the error name and msg) and, on
 * success, ends the start job. */
void reply_start(Domain *d, int r, const char *name, const char *msg);
/* Undoes the begun steps, shuts the domain off (failed) and answers the
 * caller with the noted reason. May free d. */
void start_finish_failed(Domain *d);
/* Fails the start with this reason (QEMU killed first if it is there). May
 * free d. */
void start_abort(Domain *d, const char *name, const char *msg);
/* Fails the start from outside the steps, QEMU's last words added to what.
 * May free d. */
void fail_start(Domain *d, const char *what);
