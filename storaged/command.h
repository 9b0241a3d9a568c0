/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs the helper programs storage needs (qemu-img, mount, mkfs, lvm, scrub)
 * from a job's worker thread, never from the event loop. The job's cancel
 * flag kills the child. A failure is reported in err as OperationFailed with
 * the program's name, exit status and last lines of stderr. */

#include "job.h"

/* Called with each chunk of stdout as it arrives (progress parsing). */
typedef void (*command_output_fn)(Job *j, const char *chunk, size_t n, void *userdata);

/* The most entries of an argv, its NULL included: more are refused, never
 * cut short. */
#define COMMAND_ARGS_MAX 64

/* argv[0] is a program name looked up in the usual bin and sbin
 * directories, or a path. *ret_stdout (may be NULL) gets the output. */
int command_run(Job *j, const char *const argv[], char **ret_stdout, ConfError *err);
int command_run_full(Job *j, const char *const argv[], command_output_fn on_output, void *userdata,
                     char **ret_stdout, ConfError *err);

/* The full path of a program, or NULL when it is not installed. */
const char *command_find(const char *name);
